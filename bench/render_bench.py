#!/usr/bin/env python3
"""`karpathy-lint render`: the whole corpus in one process vs one process per file (issue 21).

Runs, in interleaved rounds (the order alternating each round):

    one process   `karpathy-lint render corpus/ -o DIR`
    per file      `karpathy-lint render FILE -o DIR` once per corpus file, one after another

and, inside one process, the time to build the first page (lexers, markdown parser and
templates made on first use) against each later page (all of them shared). Whole-process wall
time, start-up included, median over the rounds. Writes the figures between the render markers
of bench/RESULTS.md (the rest of that file is bench.py's) and prints them.

    python bench/render_bench.py               # 5 rounds, ~1 minute on 2 cores
    python bench/render_bench.py --rounds 3
"""
from __future__ import annotations

import argparse
import datetime
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- render:start -->", "<!-- render:end -->"


def corpus_files() -> list[Path]:
    """What `render corpus/` renders: every corpus file of a language the linter reads (the registry decides)."""
    sys.path.insert(0, str(ROOT))
    from karpathy_lint.languages import language_for

    return sorted(p for p in (ROOT / "corpus").rglob("*") if p.is_file() and language_for(str(p)) is not None)


CPU: list[float] = []  # user+sys seconds of each run, in the order run() was called


def run(args: list[str], env: dict) -> float:
    """Wall seconds of one `karpathy-lint render` process; its CPU seconds go to CPU."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "karpathy_lint", "render", *args], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return wall


def in_process(files: list[Path]) -> tuple[float, list[float]]:
    """(first page, later pages) in seconds, built and written in this process."""
    sys.path.insert(0, str(ROOT))
    from karpathy_lint.render.site import render_site

    times = []
    with tempfile.TemporaryDirectory() as out:
        for f in files:
            t = time.perf_counter()
            render_site([str(f)], out)
            times.append(time.perf_counter() - t)
    return times[0], times[1:]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--output", default=str(ROOT / "bench" / "RESULTS.md"))
    args = ap.parse_args()
    files = corpus_files()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    load_before = os.getloadavg()
    one, per = [], []
    one_cpu: list[float] = []
    per_cpu: list[float] = []
    with tempfile.TemporaryDirectory() as work:
        for r in range(args.rounds):
            def whole(r=r):
                one.append(run([str(ROOT / "corpus"), "-o", f"{work}/one{r}"], env))
                one_cpu.append(CPU[-1])

            def each(r=r):
                per.append(sum(run([str(f), "-o", f"{work}/per{r}/{i}"], env) for i, f in enumerate(files)))
                per_cpu.append(sum(CPU[-len(files):]))

            for step in ((whole, each) if r % 2 == 0 else (each, whole)):
                step()
            print(f"round {r + 1}: one process {one[-1]:.2f} s, per file {per[-1]:.2f} s", flush=True)
    first, later = in_process(files)
    load_after = os.getloadavg()
    m_one, m_per = statistics.median(one), statistics.median(per)
    text = "\n".join([
        START,
        "## `karpathy-lint render` (bench/render_bench.py)",
        "",
        (f"Written on {datetime.datetime.now():%Y-%m-%d %H:%M}; {os.cpu_count()} CPUs; load average "
        f"{' '.join(f'{x:.2f}' for x in load_before)} before, {' '.join(f'{x:.2f}' for x in load_after)} after. "
        f"The corpus: {len(files)} files, {sum(len(f.read_bytes().splitlines()) for f in files)} lines. "
        f"Whole-process wall and CPU (user+sys) time, start-up included, median of {args.rounds} interleaved "
         "rounds; the machine is shared, so the ratio (same conditions, interleaved) says more than the seconds."),
        "",
        "| run | wall s (median) | range s | CPU s (median) | wall per page s |",
        "|---|---|---|---|---|",
        (f"| one process: `karpathy-lint render corpus/ -o DIR` | {m_one:.2f} | {min(one):.2f}-{max(one):.2f} | "
         f"{statistics.median(one_cpu):.2f} | {m_one / len(files):.3f} |"),
        (f"| one process per file ({len(files)} runs of `karpathy-lint render FILE -o DIR`) | {m_per:.2f} | "
         f"{min(per):.2f}-{max(per):.2f} | {statistics.median(per_cpu):.2f} | {m_per / len(files):.3f} |"),
        "",
        (f"One process takes {m_one / m_per:.2f}x the time of one process per file ({m_per / m_one:.1f}x faster). "
        f"Inside one process the first page costs {first:.3f} s (pygments lexers, the markdown parser and the "
        f"templates are made on first use) and each later page {statistics.median(later):.3f} s (median), "
        "with all of that shared."),
        END,
    ])
    out = Path(args.output)
    old = out.read_text() if out.exists() else ""
    if START in old and END in old:
        new = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: text, old, flags=re.DOTALL)
    else:
        new = old.rstrip("\n") + "\n\n" + text + "\n"
    out.write_text(new)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
