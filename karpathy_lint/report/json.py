"""`--format json` (one array, the documented contract) and `json-lines`."""
from __future__ import annotations

import json

from karpathy_lint.report import Run, finding_dict


def render_json(run: Run, stream, *, color: bool = False, summary: bool = True) -> None:
    json.dump([finding_dict(f) for f in run.findings], stream, indent=2, ensure_ascii=False)
    stream.write("\n")


def render_json_lines(run: Run, stream, *, color: bool = False, summary: bool = True) -> None:
    for f in run.findings:
        stream.write(json.dumps(finding_dict(f), ensure_ascii=False))
        stream.write("\n")
