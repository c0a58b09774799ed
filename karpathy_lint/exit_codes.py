"""The exit codes of every command (`karpathy-lint`, `karpathy-scaffold`, `verify-shapes`)."""
from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    CLEAN = 0  # nothing to report (or `--exit-zero`); scaffold: nothing to change, or changes written
    FINDINGS = 1  # findings remain; `--diff`/`--check`: something would change
    ERROR = 2  # usage or config error, or a file that could not be read, parsed or written
