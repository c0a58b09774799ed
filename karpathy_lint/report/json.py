"""`--format json` (one array, the documented contract) and `json-lines`.

Each document is encoded in one `json.dumps` call (the C encoder: no
indentation, which would switch to the pure-Python one) and written once.
"""
from __future__ import annotations

import json

from karpathy_lint.report import Run, finding_dict


def render_json(run: Run, stream, *, color: bool = False, summary: bool = True) -> None:
    stream.write(json.dumps([finding_dict(f) for f in run.findings], ensure_ascii=False) + "\n")


def render_json_lines(run: Run, stream, *, color: bool = False, summary: bool = True) -> None:
    dumps = json.dumps
    stream.write("".join(dumps(finding_dict(f), ensure_ascii=False) + "\n" for f in run.findings))
