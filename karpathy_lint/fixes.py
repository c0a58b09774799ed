"""Applying fixes: byte-range edits recorded by the parser, for both languages."""
from __future__ import annotations

from karpathy_lint.model import Edit, Finding


def apply_edits(source: bytes, edits: list[Edit]) -> bytes:
    """Apply non-overlapping edits (sorted by start); raises on overlap."""
    out: list[bytes] = []
    pos = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if edit.start < pos:
            raise ValueError("overlapping edits")
        out.append(source[pos : edit.start])
        out.append(edit.content.encode("utf-8"))
        pos = edit.end
    out.append(source[pos:])
    return b"".join(out)


def select_fixes(findings: list[Finding], unsafe: bool) -> list[Edit]:
    """Edits of every applicable fix that does not overlap an earlier one."""
    chosen: list[Edit] = []
    taken: list[tuple[int, int]] = []
    for f in sorted(findings, key=lambda f: f.sort_key()):
        if f.fix is None or (f.fix.applicability == "unsafe" and not unsafe):
            continue
        spans = [(e.start, e.end) for e in f.fix.edits]
        if any(_overlaps(s, t) for s in spans for t in taken):
            continue
        chosen.extend(f.fix.edits)
        taken.extend(spans)
    return chosen


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    if a[0] == a[1] and b[0] == b[1]:  # two insertions never conflict; they keep their order
        return False
    if a[0] == a[1] or b[0] == b[1]:  # an insertion conflicts with a range it falls strictly inside
        return (b[0] < a[0] < b[1]) or (a[0] < b[0] < a[1])
    return a[0] < b[1] and b[0] < a[1]
