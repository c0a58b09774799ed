"""Unified diffs of a file's old and new bytes, in the form `patch` and `git apply` accept.

Used by `karpathy-lint --diff` and `karpathy-scaffold --diff`. A line without a
final newline is followed by the `\\ No newline at end of file` marker, as
`diff -u` writes it.
"""
from __future__ import annotations

import difflib

NO_NEWLINE = "\\ No newline at end of file\n"


def unified_diff(path: str, old: bytes | None, new: bytes) -> str:
    """The diff from `old` (None: the file does not exist yet) to `new`, named `a/PATH` and `b/PATH`.

    A language with its own differ (notebooks: per-cell hunks, never the JSON) writes it instead.
    """
    from karpathy_lint.languages import language_for

    spec = language_for(path)
    if spec is not None and spec.differ:
        return spec.diff(path, old, new)
    return text_diff(f"a/{path}" if old is not None else "/dev/null", f"b/{path}",
                     (old or b"").decode("utf-8", "replace"), new.decode("utf-8", "replace"))


def text_diff(from_name: str, to_name: str, old: str, new: str) -> str:
    """A unified diff of two texts under the given header names."""
    a = _lines(old)
    b = _lines(new)
    out: list[str] = []
    for line in difflib.unified_diff(a, b, fromfile=from_name, tofile=to_name):
        out.append(line)
        if not line.endswith("\n"):
            out.append("\n" + NO_NEWLINE)
    return "".join(out)


def _lines(text: str) -> list[str]:
    """Lines split at `\\n` only, endings kept (as `patch` sees them: a form feed is not a line break)."""
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]
