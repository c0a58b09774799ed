"""`verify-shapes --python PATH`: the part that runs inside the project's interpreter.

`python -m karpathy_lint.shapes.child JOB OUT`: JOB (JSON) holds the target,
its arguments and the shape sites the parent found; this module runs the
target under the tracer and writes each shape's counts to OUT (JSON). It
imports the standard library and the tracer only, because nothing else of
ours (click, tree-sitter) is installed in the project's environment: the
parent puts this package alone on PYTHONPATH.
"""
from __future__ import annotations

import json
import sys

from karpathy_lint.shapes.run import run_pytest, run_script
from karpathy_lint.shapes.sites import ShapeStmt, Site
from karpathy_lint.shapes.tracer import Tracer


def sites_from_json(rows: list[dict]) -> list[Site]:
    sites = []
    for row in rows:
        shapes = [ShapeStmt(**{**s, "dims": tuple(s["dims"])}) for s in row["shapes"]]
        func = tuple(row["func"]) if row["func"] else None
        sites.append(Site(**{**row, "func": func, "shapes": shapes}))
    return sites


def main(job_path: str, out_path: str) -> int:
    with open(job_path, encoding="utf-8") as fh:
        job = json.load(fh)
    sites = sites_from_json(job["sites"])
    tracer = Tracer(sites)
    tracer.start()
    try:
        error = run_pytest(job["target"], job["args"]) if job["pytest"] else run_script(job["target"], job["args"])
    finally:
        tracer.stop()
    shapes = [s for site in sites for s in site.shapes]
    result = {"shapes": [[s.runs, s.problems, s.message, s.code] for s in shapes],
              "files_ran": sorted(tracer.files_ran), "internal_errors": tracer.internal_errors, "error": error}
    with open(out_path, "w", encoding="utf-8") as fh:
        json.dump(result, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
