"""`karpathy-lint: ignore[...]` on a line and `karpathy-lint: file-ignore[...]`.

The directive may stand in any comment (`#` or `//`), or on a line of the
header block, where a comment cannot go. Rules may be named by code or name;
a directive without brackets silences every rule.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from karpathy_lint.model import Finding, SourceModel
from karpathy_lint.registry import resolve_selector

DIRECTIVE = re.compile(r"karpathy-lint:\s*(?P<kind>file-ignore|ignore)(?:\[(?P<codes>[^\]]*)\])?")
ALL = "*"


@dataclass
class Suppressions:
    file: set[str] = field(default_factory=set)
    lines: dict[int, set[str]] = field(default_factory=dict)

    def hides(self, finding: Finding) -> bool:
        keys = {finding.code, finding.name, ALL}
        if self.file & keys:
            return True
        return bool(self.lines.get(finding.line, set()) & keys)


def _codes(raw: str | None) -> set[str]:
    if raw is None:
        return {ALL}
    out: set[str] = set()
    for part in raw.split(","):
        part = part.strip()
        if part:
            out |= resolve_selector(part) or {part}
    return out


def collect(model: SourceModel) -> Suppressions:
    sup = Suppressions()
    texts: list[tuple[int, str]] = []
    if b"karpathy-lint:" not in model.source:
        return sup
    for c in model.comments:
        if "karpathy-lint:" in c.text:
            for offset, part in enumerate(c.text.split("\n")):
                texts.append((c.line + offset, part))
    if model.header is not None:
        texts.extend((hl.line, hl.text) for hl in model.header.lines if "karpathy-lint:" in hl.text)
    for line, text in texts:
        for m in DIRECTIVE.finditer(text):
            codes = _codes(m.group("codes"))
            if m.group("kind") == "file-ignore":
                sup.file |= codes
            else:
                sup.lines.setdefault(line, set()).update(codes)
    return sup
