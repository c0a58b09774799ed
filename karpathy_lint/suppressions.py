"""`karpathy-lint: ignore[...]` on a line and `karpathy-lint: file-ignore[...]`.

The directive may stand in any comment (`#` or `//`), or at the end of a line
of the header block, where a comment cannot go (the header parser reads the
line without it, so the header stays whole). Rules may be named by code or
name; a directive without brackets silences every rule. Each directive
covers its own line and, for a finding about a definition (KL306 reported
at the call that made a function tensor work), that definition's `def`
line. Each directive remembers whether it hid anything: one that hid nothing is reported by
KL002 (`unused-suppression`).
"""
from __future__ import annotations

import re

from karpathy_lint.model import Finding, SourceModel
from karpathy_lint.registry import resolve_selector

DIRECTIVE = re.compile(r"karpathy-lint:\s*(?P<kind>file-ignore|ignore)(?:\[(?P<codes>[^\]]*)\])?")
# a directive at the end of a header line, with the space (and any `#`/`//`) before it
HEADER_DIRECTIVE = re.compile(r"\s*(?:#|//)?\s*karpathy-lint:\s*(?:file-ignore|ignore)(?:\[[^\]]*\])?\s*$")
ALL = "*"


class Directive:
    """One directive as written: where it stands and what each named rule resolved to."""

    __slots__ = ("kind", "line", "start", "end", "names", "comment", "used")

    def __init__(self, kind: str, line: int, start: int, end: int, names: tuple[tuple[str, frozenset[str]], ...],
                 comment: tuple[int, int] | None = None) -> None:
        self.kind = kind  # "ignore" or "file-ignore"
        self.line = line
        self.start, self.end = start, end  # byte offsets of the directive text itself (`karpathy-lint: ...]`)
        self.names = names  # (as written, codes); (("", {ALL}),) for a bare directive
        self.comment = comment  # the whole comment, when the directive is all of it
        self.used: set[str] = set()  # codes this directive hid

    def codes(self) -> set[str]:
        return set().union(*(c for _, c in self.names))


class Suppressions:
    """A file's directives, and the line of each definition's `def` (qualname -> line)."""

    __slots__ = ("directives", "def_lines")

    def __init__(self) -> None:
        self.directives: list[Directive] = []
        self.def_lines: dict[str, int] = {}

    def hides(self, finding: Finding) -> bool:
        keys = {finding.code, ALL}
        # a finding about a definition (KL306 at the call that made it tensor work) may also be
        # silenced on the definition's own line
        lines = {finding.line, self.def_lines.get(finding.symbol, finding.line)}
        hit = False
        for d in self.directives:
            if (d.kind == "file-ignore" or d.line in lines) and d.codes() & keys:
                d.used.add(finding.code)
                hit = True
        return hit


def _names(raw: str | None) -> tuple[tuple[str, frozenset[str]], ...]:
    if raw is None:
        return (("", frozenset({ALL})),)
    out = []
    for part in raw.split(","):
        part = part.strip()
        if part:
            out.append((part, resolve_selector(part) or frozenset({part})))
    return tuple(out)


def _codes(raw: str | None) -> set[str]:
    return set().union(*(c for _, c in _names(raw))) if _names(raw) else set()


def file_ignored_in_text(text: str, code: str) -> bool:
    """Whether a `file-ignore` directive anywhere in `text` names `code` (or all rules).

    Used for files that do not parse, where no comment list exists: a plain
    text scan, as the directive is unambiguous.
    """
    if "karpathy-lint:" not in text:
        return False
    keys = {code, ALL}  # names and prefixes in the directive resolve to codes
    for m in DIRECTIVE.finditer(text):
        if m.group("kind") == "file-ignore" and _codes(m.group("codes")) & keys:
            return True
    return False


def collect(model: SourceModel) -> Suppressions:
    sup = Suppressions()
    if b"karpathy-lint:" not in model.source:
        return sup
    sup.def_lines = {d.qualname: d.line for d in model.definitions}
    for c in model.comments:
        if "karpathy-lint:" not in c.text:
            continue
        offset = c.start
        for number, part in enumerate(c.text.split("\n")):
            for m in DIRECTIVE.finditer(part):
                start = offset + len(part[: m.start()].encode("utf-8"))
                end = offset + len(part[: m.end()].encode("utf-8"))
                whole = (c.start, c.end) if _only_directive(c.text, m.group(0)) else None
                sup.directives.append(Directive(m.group("kind"), c.line + number, start, end,
                                                _names(m.group("codes")), whole))
            offset += len(part.encode("utf-8")) + 1
    if model.header is not None:
        for hl in model.header.lines:
            raw = model.line_text(hl.line)
            if "karpathy-lint:" not in raw:
                continue
            line_start = model.line_start(hl.line)
            seen = {d.start for d in sup.directives}  # a CUDA header is a block comment: already collected
            for m in DIRECTIVE.finditer(raw):
                start = line_start + len(raw[: m.start()].encode("utf-8"))
                end = line_start + len(raw[: m.end()].encode("utf-8"))
                if start not in seen:
                    sup.directives.append(Directive(m.group("kind"), hl.line, start, end, _names(m.group("codes"))))
    return sup


def _only_directive(comment: str, directive: str) -> bool:
    body = comment.lstrip("#/").strip()
    return body == directive.strip()


def strip_header_directive(text: str) -> str:
    """A header line without a trailing directive: what the header parser reads."""
    if "karpathy-lint:" not in text:
        return text
    m = HEADER_DIRECTIVE.search(text)
    return text[: m.start()] if m else text
