"""Function List parity, in stages (as pydoclint does): duplicates, renames,
stale and missing names, then params. Rules KL201-KL206 each report one stage.
"""
from __future__ import annotations

import difflib
import re
from functools import lru_cache

from karpathy_lint.model import Definition, ListEntry, SourceModel
from karpathy_lint.parse.header import comparable

PLACEHOLDER_DESCRIPTION = "TODO: describe"


def entry_key(name: str) -> str:
    return name.replace("::", ".")


class Parity:
    """The Function List against the definitions, one list per stage."""

    __slots__ = ("duplicates", "stale", "missing", "params", "renamed")

    def __init__(self) -> None:
        self.duplicates: list[tuple[ListEntry, ListEntry]] = []  # (repeat, first)
        self.stale: list[ListEntry] = []
        self.missing: list[Definition] = []
        self.params: list[tuple[ListEntry, Definition]] = []
        self.renamed: list[tuple[ListEntry, Definition]] = []


PYTHON_KINDS = ("function", "class", "method", "property")


def requires_entry(d: Definition) -> bool:
    """The convention's rule: every top-level function and class, public method and property of a
    top-level class, and every CUDA/C++ function with a body has an entry; nested definitions, bodiless
    declarations, definitions in a region the parser could not read, private (`_name`) Python
    definitions, typing overload stubs and `if TYPE_CHECKING:` code do not."""
    if d.kind in ("nested", "declaration") or d.uncertain or d.type_checking or d.overload:
        return False
    return not (d.kind in PYTHON_KINDS and d.name.startswith("_"))


def _params_match(entry: ListEntry, defs: list[Definition]) -> bool:
    real = defs[0]
    if real.kind == "property":
        return not entry.params
    options = [d.params for d in defs if d.params is not None]
    if not options:
        return True  # a class without its own __init__: params are not checked
    if entry.params is None:
        return False
    written = comparable(entry.params)
    return any(comparable(tuple(o)) == written for o in options)


def parity(model: SourceModel) -> Parity:
    """Computed once per model and shared by the parity rules."""
    return model.view("parity", _compute)


def _compute(model: SourceModel) -> Parity:
    out = Parity()
    header = model.header
    if header is None or header.section("function_list") is None:
        return out
    by_name: dict[str, list[Definition]] = {}
    for d in model.definitions:
        by_name.setdefault(d.qualname, []).append(d)
    # an @overload stub never decides the params: the implementation does
    for name, defs in by_name.items():
        impl = [d for d in defs if not d.overload]
        if impl:
            by_name[name] = impl
    required = {name: defs for name, defs in by_name.items() if any(requires_entry(d) for d in defs)}
    # other names an entry may use (C++: `ns::f` for `f`, `f` for `Foo::f`): each resolves to its definitions
    known = dict(by_name)
    for d in model.definitions:
        for alias in d.aliases:
            if alias not in by_name:
                known.setdefault(alias, []).append(d)

    seen: dict[str, ListEntry] = {}
    listed: list[ListEntry] = []
    for entry in header.entries:
        if entry.malformed and not entry.name:
            continue
        key = entry_key(entry.name)
        if key in seen:
            out.duplicates.append((entry, seen[key]))
            continue
        seen[key] = entry
        listed.append(entry)

    stale = [e for e in listed if entry_key(e.name) not in known and not _maybe_unparsed(model, e.name)]
    covered = {d.qualname for key in seen for d in known.get(key, ())}
    # the entry a fix writes must pass the params check: take a definition whose params are checked
    missing = [next((d for d in defs if requires_entry(d) and d.params is not None), defs[0])
               for name, defs in required.items() if name not in covered]
    # a stale entry and a missing definition with the same params and a similar name: a rename
    for entry in list(stale):
        candidates = [
            d for d in missing
            if d.params is not None and entry.params is not None
            and comparable(entry.params) == comparable(d.params)
            and _similar(entry_key(entry.name), d.qualname)
        ]
        if len(candidates) == 1:
            out.renamed.append((entry, candidates[0]))
            stale.remove(entry)
            missing.remove(candidates[0])
    out.stale = stale
    out.missing = sorted(missing, key=lambda d: d.start)
    for entry in listed:
        found = [d for d in known.get(entry_key(entry.name), ()) if not d.uncertain]
        if found and not entry.malformed and not _params_match(entry, found):
            out.params.append((entry, found[0]))
    return out


def _maybe_unparsed(model: SourceModel, name: str) -> bool:
    """A region the parser could not read mentions the entry's name: it may define it."""
    if not model.unparsed:
        return False
    word = re.compile(rb"\b" + re.escape(name.replace("::", ".").split(".")[-1].encode()) + rb"\b")
    # the whole lines an unparsed region touches: tree-sitter's ERROR node may hold only part of the construct
    return any(word.search(model.source, model.line_start(model.line_of(a)), model.line_end(model.line_of(b - 1)))
               for a, b in model.unparsed)


@lru_cache(maxsize=4096)
def _similar(a: str, b: str) -> bool:
    """Same words in another order (`topk_route` / `route_topk`) or a close spelling."""
    a, b = a.lower(), b.lower()
    if sorted(a.replace(".", "_").split("_")) == sorted(b.replace(".", "_").split("_")):
        return True
    return difflib.SequenceMatcher(None, a, b).ratio() >= 0.6


CONTINUATION_INDENT = "    "  # a wrapped description continues on lines indented deeper than the entry


def entry_line_text(d: Definition, description: str = PLACEHOLDER_DESCRIPTION, width: int = 0,
                    lead: str = "\n") -> str:
    """`display - description`; past `width` characters the description wraps onto continuation lines,
    each `lead` (newline, decoration, indent) plus four spaces, as the convention documents."""
    line = f"{d.display} - {description}"
    indent = lead.lstrip("\r\n")
    if not width or len(indent) + len(line) <= width:
        return line
    import textwrap

    room = max(20, width - len(indent) - len(CONTINUATION_INDENT))
    rest = textwrap.wrap(description, room, break_long_words=False, break_on_hyphens=False) or [description]
    first, rest = (f"{d.display} - {rest[0]}", rest[1:]) if len(indent) + len(d.display) + 3 + len(rest[0]) <= width \
        else (f"{d.display} -", rest)
    return first + "".join(lead + CONTINUATION_INDENT + part for part in rest)


def insertion_point(model: SourceModel, d: Definition | None = None) -> tuple[int, str]:
    """(byte offset, text before the new entry) for adding `d` to the Function List: after the entry of the
    nearest definition above it, else first; without `d`, after the last entry."""
    header = model.header
    assert header is not None
    fl = header.section("function_list")
    assert fl is not None and fl.title_line is not None
    indent = ""
    if header.entries:
        first_line = next(hl for hl in header.lines if hl.line == header.entries[0].line)
        indent = first_line.text[: len(first_line.text) - len(first_line.text.lstrip())]
    after = _entry_before(model, d) if d is not None else (header.entries[-1] if header.entries else None)
    if after is not None:
        offset = after.end
        anchor = next(hl for hl in header.lines if hl.line == after.end_line)
    else:
        anchor = fl.title_line
        offset = anchor.start + len(anchor.text.encode("utf-8"))
        if not header.entries:
            indent = anchor.text[: len(anchor.text) - len(anchor.text.lstrip())]
    return offset, header.newline + _leading(model, anchor) + anchor.prefix + indent


def _entry_before(model: SourceModel, d: Definition) -> ListEntry | None:
    """The entry of the last listed definition that comes before `d` in the file (source order)."""
    header = model.header
    assert header is not None
    by_key: dict[str, ListEntry] = {}
    for e in header.entries:
        if e.name and not (e.malformed and not e.name):
            by_key.setdefault(entry_key(e.name), e)
    best = None
    for other in model.definitions:
        if other.start >= d.start:
            break
        entry = by_key.get(other.qualname)
        if entry is not None:
            best = entry
    return best


def _leading(model: SourceModel, hl) -> str:
    """Whitespace before the decoration on a header line (block comments)."""
    start = model.line_start(hl.line)
    before = model.source[start : hl.start - len(hl.prefix.encode("utf-8"))]
    text = before.decode("utf-8", "replace")
    return text if not text.strip() else ""


def delete_range(model: SourceModel, entry: ListEntry) -> tuple[int, int]:
    """Bytes of the entry's whole lines, line ending included."""
    start = model.line_start(entry.line)
    end = model.line_starts[entry.end_line] if entry.end_line < len(model.line_starts) else len(model.source)
    return start, end
