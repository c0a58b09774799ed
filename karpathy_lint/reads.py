"""The other files a lint of one file read (KL501 asks an imported sibling module what it defines).

A cached result is only as fresh as every file it was computed from: the engine
records, around the rules of one file, each other file read and its stamp
(mtime in ns, size) at the time it was read; the cache stores them with the
entry and drops the entry when one of them changed.
"""
from __future__ import annotations

import os

Stamp = tuple[str, int, int]  # path, st_mtime_ns, st_size

_recording: list[dict[str, Stamp]] = []  # a stack: one dict per lint in progress in this thread of control


class Recorder:
    """`with Recorder() as read:` collects, in `read`, every file `note`d while the block runs."""

    def __enter__(self) -> dict[str, Stamp]:
        _recording.append({})
        return _recording[-1]

    def __exit__(self, *exc) -> None:
        _recording.pop()


def stamp(path: str) -> tuple[int, int]:
    """(st_mtime_ns, st_size) of `path` now; OSError when it cannot be stat'ed."""
    st = os.stat(path)
    return st.st_mtime_ns, st.st_size


def note(path: str, mtime_ns: int, size: int) -> None:
    """Say that the lint in progress read `path` as it was at this stamp (a no-op outside a Recorder)."""
    if _recording:
        _recording[-1].setdefault(path, (path, mtime_ns, size))


def unchanged(stamps) -> bool:
    """Whether every recorded file still has the stamp it had when it was read (a missing file has changed)."""
    for path, mtime_ns, size in stamps:
        try:
            if stamp(path) != (mtime_ns, size):
                return False
        except OSError:
            return False
    return True
