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


def write_document(value, stream) -> None:
    """`value` as one line of JSON; on a UTF-8 text stream the encoded bytes go straight to its buffer."""
    data = orjson.dumps(value, option=orjson.OPT_APPEND_NEWLINE)
    buffer = getattr(stream, "buffer", None)
    if buffer is None or (getattr(stream, "encoding", None) or "").lower().replace("-", "") != "utf8":
        stream.write(data.decode())
        return
    stream.flush()  # what was written as text goes first
    buffer.write(data)
    buffer.flush()


def render_json(run: Run, stream, *, color: bool = False, summary: bool = True) -> None:
    write_document([finding_dict(f) for f in run.findings], stream)


def render_json_lines(run: Run, stream, *, color: bool = False, summary: bool = True) -> None:
    stream.write("".join(dumps(finding_dict(f)) + "\n" for f in run.findings))
