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
from dataclasses import dataclass, field

from karpathy_lint.model import Finding, SourceModel
from karpathy_lint.registry import resolve_selector

DIRECTIVE = re.compile(r"karpathy-lint:\s*(?P<kind>file-ignore|ignore)(?:\[(?P<codes>[^\]]*)\])?")
# a directive at the end of a header line, with the space (and any `#`/`//`) before it
HEADER_DIRECTIVE = re.compile(r"\s*(?:#|//)?\s*karpathy-lint:\s*(?:file-ignore|ignore)(?:\[[^\]]*\])?\s*$")
ALL = "*"


@dataclass(eq=False)
class Directive:
    """One directive as written: where it stands and what each named rule resolved to."""

    kind: str  # "ignore" or "file-ignore"
    line: int
    start: int  # byte offsets of the directive text itself (`karpathy-lint: ...]`)
    end: int
    names: tuple[tuple[str, frozenset[str]], ...]  # (as written, codes); (("", {ALL}),) for a bare directive
    comment: tuple[int, int] | None = None  # the whole comment, when the directive is all of it
    used: set[str] = field(default_factory=set)  # codes this directive hid

    def codes(self) -> set[str]:
        return set().union(*(c for _, c in self.names))


@dataclass
class Suppressions:
    directives: list[Directive] = field(default_factory=list)
    def_lines: dict[str, int] = field(default_factory=dict)  # qualname -> line of its `def`

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
