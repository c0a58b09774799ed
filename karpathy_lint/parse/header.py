"""Header text -> Module line, tags, sections and Function List entries.

Shared by both languages: the Python and CUDA parsers only cut the header out
of the file (docstring or block comment) as `HeaderLine`s; everything else
about the header is decided here.
"""
from __future__ import annotations

import re

from karpathy_lint.model import Header, HeaderForm, HeaderLine, ListEntry, Section, SectionKind
from karpathy_lint.suppressions import strip_header_directive

MODULE_RE = re.compile(r"^\s*Module:(.*)$")
# `** Title **`; a title holds a letter or digit, so a licence banner's row of stars is no section
SECTION_RE = re.compile(r"^\s*\*\*\s*(?=[^*]*\w)(.+?)\s*\*\*\s*$")
ROLE_RE = re.compile(r"^This File's Role in\s+(.+)$", re.IGNORECASE)
NAME_RE = re.compile(r"[A-Za-z_~][\w~]*(?:(?:\.|::)[A-Za-z_~][\w~]*)*")


def section_kind(title: str) -> tuple[SectionKind, str | None]:
    m = ROLE_RE.match(title)
    if m:
        return "role", m.group(1).strip()
    folded = title.strip().lower()
    if folded == "function list":
        return "function_list", None
    if folded == "technical deep dive":
        return "deep_dive", None
    return "unknown", None


def split_params(text: str) -> tuple[str, ...]:
    """Split a written parameter list on top-level commas."""
    parts: list[str] = []
    depth = 0
    quote = ""
    current: list[str] = []
    for ch in text:
        if quote:
            current.append(ch)
            if ch == quote:
                quote = ""
            continue
        if ch in "'\"":
            quote = ch
        elif ch in "([{<":
            depth += 1
        elif ch in ")]}>":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(ch)
    tail = "".join(current).strip()
    if tail or parts:
        parts.append(tail)
    return tuple(p for p in parts if p)


def param_key(param: str) -> str:
    """The comparable part of one written param: its name, stars dropped."""
    depth = 0
    for i, ch in enumerate(param):
        if ch in "([{<":
            depth += 1
        elif ch in ")]}>":
            depth -= 1
        elif depth == 0 and ch in "=:":
            param = param[:i]
            break
    return param.strip().lstrip("*").strip()


def comparable(params: tuple[str, ...]) -> tuple[str, ...]:
    """Names in order; bare `*` and `/` separators dropped."""
    keys = (param_key(p) for p in params)
    return tuple(k for k in keys if k and k not in ("/",))


def _byte_index(text: str, char_index: int) -> int:
    prefix = text[:char_index]
    return len(prefix) if prefix.isascii() else len(prefix.encode("utf-8"))


def parse_entry(first: HeaderLine, continuation: list[HeaderLine]) -> ListEntry:
    text = first.text
    stripped = text.lstrip()
    lead = len(text) - len(stripped)
    end_line = continuation[-1] if continuation else first
    end = end_line.start + len(end_line.text.encode("utf-8"))
    base = dict(line=first.line, end_line=end_line.line, start=first.start + _byte_index(text, lead), end=end)
    m = NAME_RE.match(stripped)
    if not m:
        return ListEntry(name="", params=None, description="", malformed="does not start with a name", **base)
    name = m.group(0)
    pos = m.end()
    # template params written as name<BM, BN>(...)
    if pos < len(stripped) and stripped[pos] == "<":
        close = stripped.find(">", pos)
        if close != -1:
            pos = close + 1
    rest = stripped[pos:]
    params = None
    params_start = params_end = None
    if rest.startswith("("):
        depth = 0
        close_at = -1
        quote = ""
        for i, ch in enumerate(rest):
            if quote:  # a default like `openers='([{'` holds brackets that do not count
                if ch == quote:
                    quote = ""
            elif ch in "'\"":
                quote = ch
            elif ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth == 0:
                    close_at = i
                    break
        if close_at == -1:
            return ListEntry(name=name, params=None, description="", malformed="unclosed parenthesis", **base)
        params = split_params(rest[1:close_at])
        params_start = first.start + _byte_index(text, lead + pos + 1)
        params_end = first.start + _byte_index(text, lead + pos + close_at)
        rest = rest[close_at + 1 :]
    sep = re.match(r"\s+[-\u2013\u2014]\s+(.*)$", rest) or re.match(r"\s*[-\u2013\u2014]\s*(.*)$", rest)
    if not sep:
        why = "missing ` - description`" if not rest.strip() else f"unexpected text {rest.strip()[:30]!r}"
        return ListEntry(name=name, params=params, description="", malformed=why,
                         params_start=params_start, params_end=params_end,
                         name_end=first.start + _byte_index(text, lead + m.end()), **base)
    description = " ".join([sep.group(1).strip()] + [c.text.strip() for c in continuation]).strip()
    malformed = None if description else "empty description"
    return ListEntry(
        name=name,
        params=params,
        description=description,
        params_start=params_start,
        params_end=params_end,
        name_end=first.start + _byte_index(text, lead + m.end()),
        malformed=malformed,
        **base,
    )


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip())


def parse_entries(body: tuple[HeaderLine, ...]) -> list[ListEntry]:
    entries: list[ListEntry] = []
    lines = [hl for hl in body if hl.text.strip()]
    if not lines:
        return entries
    base = min(_indent(hl.text) for hl in lines)
    current: HeaderLine | None = None
    cont: list[HeaderLine] = []
    for hl in lines:
        if _indent(hl.text) <= base:
            if current is not None:
                entries.append(parse_entry(current, cont))
            current, cont = hl, []
        else:
            cont.append(hl)
    if current is not None:
        entries.append(parse_entry(current, cont))
    return entries


def build_header(kind: HeaderForm, start: int, end: int, lines: list[HeaderLine], tag: str, newline: str) -> Header:
    # a suppression directive at the end of a line is not part of the header (KL109 on a title, KL108 on an entry)
    lines = [hl if "karpathy-lint:" not in hl.text else hl._replace(text=strip_header_directive(hl.text))
             for hl in lines]
    header = Header(
        kind=kind,
        start=start,
        end=end,
        lines=tuple(lines),
        line=lines[0].line if lines else 1,
        end_line=lines[-1].line if lines else 1,
        newline=newline,
    )
    open_tag, close_tag = f"<{tag}>", f"</{tag}>"
    for hl in lines:
        if open_tag in hl.text:
            header.open_tags.append(hl)
        if close_tag in hl.text:
            header.close_tags.append(hl)
    first_open = header.open_tags[0].line if header.open_tags else None
    for hl in lines:
        if first_open is not None and hl.line >= first_open:
            break
        m = MODULE_RE.match(hl.text)
        if m:
            header.module_line = hl
            header.module_title = m.group(1).strip()
            break
    # Sections live between the tags (or in the whole header when tags are broken).
    lo = header.open_tags[0].line if header.open_tags else lines[0].line if lines else 0
    hi = header.close_tags[-1].line if header.close_tags else (lines[-1].line + 1 if lines else 0)
    inside = [hl for hl in lines if lo < hl.line < hi] if header.open_tags else [hl for hl in lines if hl.line < hi]
    title: HeaderLine | None = None
    body: list[HeaderLine] = []

    def close_section() -> None:
        if title is None:
            return
        m = SECTION_RE.match(title.text)
        assert m is not None  # a title is a line SECTION_RE matched
        name = m.group(1)
        kind_, project = section_kind(name)
        header.sections.append(
            Section(title=name, kind=kind_, line=title.line, body=tuple(body), project=project, title_line=title)
        )

    for hl in inside:
        if SECTION_RE.match(hl.text):
            close_section()
            title, body = hl, []
        elif title is not None:
            body.append(hl)
    close_section()
    fl = header.section("function_list")
    if fl is not None:
        header.entries = parse_entries(fl.body)
    return header
