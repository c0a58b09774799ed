"""Reading the user's files: errors that are one line, never a traceback."""
from __future__ import annotations


class InputError(Exception):
    """A file that cannot be checked (unreadable, binary, not UTF-8): one line, no traceback."""
