"""`--format json` (one array, the documented contract) and `json-lines`.

Each document is encoded in one call of orjson (a compiled encoder, several
times faster than the standard library's) and written once.
"""
from __future__ import annotations

import orjson

from karpathy_lint.report import Run, finding_dict


def dumps(value) -> str:
    """Compact JSON text, non-ASCII characters as they are (UTF-8)."""
    return orjson.dumps(value).decode()


def render_json(run: Run, stream, *, color: bool = False, summary: bool = True) -> None:
    stream.write(dumps([finding_dict(f) for f in run.findings]) + "\n")


def render_json_lines(run: Run, stream, *, color: bool = False, summary: bool = True) -> None:
    stream.write("".join(dumps(finding_dict(f)) + "\n" for f in run.findings))
