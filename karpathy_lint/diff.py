"""Unified diffs of a file's old and new bytes, in the form `patch` and `git apply` accept.

Used by `karpathy-lint --diff` and `karpathy-scaffold --diff`. A line without a
final newline is followed by the `\\ No newline at end of file` marker, as
`diff -u` writes it.
"""
from __future__ import annotations

import difflib

NO_NEWLINE = "\\ No newline at end of file\n"


def unified_diff(path: str, old: bytes | None, new: bytes) -> str:
    """The diff from `old` (None: the file does not exist yet) to `new`, named `a/PATH` and `b/PATH`."""
    a = _lines(old or b"")
    b = _lines(new)
    source = f"a/{path}" if old is not None else "/dev/null"
    out: list[str] = []
    for line in difflib.unified_diff(a, b, fromfile=source, tofile=f"b/{path}"):
        out.append(line)
        if not line.endswith("\n"):
            out.append("\n" + NO_NEWLINE)
    return "".join(out)


def _lines(data: bytes) -> list[str]:
    """Lines split at `\\n` only, endings kept (as `patch` sees them: a form feed is not a line break)."""
    text = data.decode("utf-8", "replace")
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]
