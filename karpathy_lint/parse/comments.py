"""Comments -> inline notes (`# Karpathy: text` plus continuation lines).

Language-neutral: both parsers hand over `Comment`s and the line-comment
prefix (`#` or `//`).
"""
from __future__ import annotations

import re
from functools import lru_cache

from karpathy_lint.model import Comment, Note, NoteStatus


@lru_cache(maxsize=16)
def marker_pattern(marker: str, prefix: str) -> re.Pattern[str]:
    p = re.escape(prefix[0])
    return re.compile(
        rf"^(?P<prefix>{p}+)(?P<space>\s*)(?P<word>{re.escape(marker)})(?![\w'\u2019]|-lint)"
        rf"(?P<sep>\s*[:\-\u2013\u2014]+|\s*$|(?=\s+\S))(?P<rest>.*)$",
        re.IGNORECASE | re.DOTALL,
    )


def classify(text: str, marker: str, prefix: str) -> tuple[NoteStatus, str, str] | None:
    """Return (status, body, fixed_line) for a marker comment, or None.

    `text` is the comment as written, e.g. "# Karpathy: x shape [b, t]".
    """
    if prefix == "//" and not text.startswith("//"):
        return None
    m = marker_pattern(marker, prefix).match(text)
    if not m:
        return None
    if not m.group("sep").strip() and m.group("rest").strip() and m.group("space") == " " \
            and m.group("word") == marker and m.group("prefix") == prefix:
        return None  # `# Karpathy style ...`: prose that names the style, spelt and spaced as prose
    body = m.group("rest").strip()
    fixed = f"{prefix} {marker}: {body}" if body else f"{prefix} {marker}:"
    ok = (
        m.group("prefix") == prefix
        and m.group("space") == " "
        and m.group("word") == marker
        and m.group("sep") == ":"
        and m.group("rest").startswith(" ")
    )
    if not body:
        return "empty", "", fixed
    return ("ok" if ok else "malformed"), body, fixed


def build_notes(comments: list[Comment], marker: str, prefix: str, source: bytes | None = None) -> list[Note]:
    """Group marker comments with the plain comment lines that continue them.

    `source`, the file's bytes, when given: an ASCII file that does not hold the (ASCII) marker in any case
    has no note, and its comments are not read one by one."""
    if source is not None and marker.isascii() and source.isascii() and marker.lower().encode() not in source.lower():
        return []
    notes: list[Note] = []
    current: list[Comment] = []
    head: tuple[NoteStatus, str, str] | None = None
    line_comments = [c for c in comments if c.text.startswith(prefix)]

    def flush() -> None:
        if head is None or not current:
            return
        status, body, fixed = head
        parts = [body] + [_strip_prefix(c.text, prefix) for c in current[1:]]
        notes.append(
            Note(
                line=current[0].line,
                end_line=current[-1].line,
                start=current[0].start,
                end=current[-1].end,
                text="\n".join(p for p in parts if p),
                status=status,
                fixed_marker_line=fixed,
                comments=tuple(current),
                own_line=current[0].own_line,
            )
        )

    quick = marker_pattern(marker, prefix).match  # most comments are not notes: one regex test each, no call
    for c in line_comments:
        kind = classify(c.text, marker, prefix) if quick(c.text) else None
        if kind is not None:
            flush()
            head, current = kind, [c]
            continue
        if head is not None and current and c.own_line and c.line == current[-1].line + 1:
            current.append(c)
            continue
        flush()
        head, current = None, []
    flush()
    return notes


def _strip_prefix(text: str, prefix: str) -> str:
    return text[len(prefix):].strip() if text.startswith(prefix) else text.strip()
