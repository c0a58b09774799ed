"""`--statistics`: only the count of findings per rule, as ruff prints it, in every format."""
from __future__ import annotations

import json
from collections import Counter

from karpathy_lint.report import Run


def statistics_rows(run: Run) -> list[dict]:
    """One row per rule, most frequent first: code, name, count, fixable (every finding has a safe fix)."""
    counts: Counter = Counter((f.code, f.name) for f in run.findings)
    safe: Counter = Counter((f.code, f.name) for f in run.findings
                            if f.fix is not None and f.fix.applicability == "safe")
    order = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [{"code": code, "name": name, "count": n, "fixable": safe[(code, name)] == n} for (code, name), n in order]


def render_statistics(fmt: str, run: Run, stream) -> None:
    rows = statistics_rows(run)
    if fmt in ("json", "sarif"):
        stream.write(json.dumps(rows, indent=2) + "\n")
    elif fmt == "json-lines":
        stream.writelines(json.dumps(row) + "\n" for row in rows)
    else:
        stream.writelines(f"{r['count']:5d}  {r['code']}  {'[*] ' if r['fixable'] else ''}{r['name']}\n" for r in rows)
