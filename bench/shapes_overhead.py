"""Measure how much `verify-shapes` tracing slows the corpus demos down; write bench/SHAPES.md.

Each demo runs in a fresh interpreter twice per repeat: once plain and once
with the tracer on. torch is imported and the shape comments are parsed
before the clock starts, so the figure is the slowdown of the demo itself
(what a user feels on top of interpreter start-up is smaller still). The
best of N repeats is kept for each mode.

    python bench/shapes_overhead.py [--repeat 3] [--out bench/SHAPES.md] [FILES...]
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import platform
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _noop(frame, event, arg):
    return None


def one(path: str, traced: bool, floor: bool = False) -> dict:
    """Run `path` as __main__ in this process; print {"seconds", "shapes", "ran"} as JSON."""
    import contextlib
    import io
    import runpy

    import torch  # noqa: F401 - imported before the clock, like the warm part of any real run

    sys.path.insert(0, ROOT)
    from karpathy_lint.shapes.outcome import load_sites
    from karpathy_lint.shapes.tracer import Tracer

    sites = load_sites([path])
    tracer = Tracer(sites)
    sys.argv = [path]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    with contextlib.redirect_stdout(io.StringIO()):
        t0 = time.perf_counter()
        if traced:
            tracer.start()
        elif floor:  # the cost of having any trace function at all (3.10/3.11), ours or a no-op
            sys.settrace(_noop)
        try:
            runpy.run_path(path, run_name="__main__")
        finally:
            if traced:
                tracer.stop()
            sys.settrace(None)
        seconds = time.perf_counter() - t0
    shapes = [s for site in sites for s in site.shapes]
    return {"seconds": seconds, "shapes": len(shapes), "ran": sum(1 for s in shapes if s.runs)}


def measure(path: str, traced: bool, floor: bool = False) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--one", path] + (["--traced"] if traced else []) + \
        (["--floor"] if floor else [])
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600)
    if out.returncode != 0:
        raise SystemExit(f"{path}: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="*")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "SHAPES.md"))
    ap.add_argument("--one")
    ap.add_argument("--traced", action="store_true")
    ap.add_argument("--floor", action="store_true")
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.traced, args.floor)))
        return
    files = args.files or sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "corpus", "*", "*.py")))
    rows = []
    for f in files:
        plain = min(measure(f, False)["seconds"] for _ in range(args.repeat))
        runs = [measure(f, True) for _ in range(args.repeat)]
        traced = min(r["seconds"] for r in runs)
        floor = min(measure(f, False, floor=True)["seconds"] for _ in range(args.repeat)) \
            if sys.version_info < (3, 12) else plain
        rows.append((f, plain, traced, runs[0]["shapes"], runs[0]["ran"], floor))
        print(f"{f}: plain {plain:.2f}s traced {traced:.2f}s ({traced / plain:.2f}x) no-op settrace {floor:.2f}s",
              flush=True)
    total_plain = sum(r[1] for r in rows)
    total_traced = sum(r[2] for r in rows)
    lines = [
        "# verify-shapes overhead on the corpus demos",
        "",
        f"Measured by `python bench/shapes_overhead.py --repeat {args.repeat}` on {platform.python_implementation()} "
        f"{platform.python_version()} ({'sys.monitoring' if sys.version_info >= (3, 12) else 'sys.settrace'}), "
        f"{os.cpu_count()} CPU cores, {platform.machine()}. Each figure is the best of {args.repeat} runs of the demo "
        "(`main()` as `__main__`) in a fresh interpreter with torch already imported; "
        "\"traced\" has the tracer on for the whole demo. Shape comments ran: in this process "
        "(forked workers are counted by the tracer too).",
        "",
        "The last column is the same demo under a trace function that does nothing (returns None for every "
        "frame): on 3.10/3.11 any `sys.settrace` hook costs that much on pure-Python code, so it is the floor "
        "for the settrace path (3.12+ uses sys.monitoring, which has no such floor).",
        "",
        "| demo | plain (s) | traced (s) | slowdown | shape comments | ran | no-op settrace (s) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for f, plain, traced, n, ran, floor in rows:
        lines.append(f"| `{f}` | {plain:.2f} | {traced:.2f} | {traced / plain:.2f}x | {n} | {ran} | {floor:.2f} |")
    lines.append(f"| **all** | {total_plain:.2f} | {total_traced:.2f} | {total_traced / total_plain:.2f}x | "
                 f"{sum(r[3] for r in rows)} | {sum(r[4] for r in rows)} | {sum(r[5] for r in rows):.2f} |")
    lines += ["", f"Worst single demo: {max(r[2] / r[1] for r in rows):.2f}x. Target: under 3x.", ""]
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
