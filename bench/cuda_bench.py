"""CUB linted cold, side by side with tree-sitter-cuda's bare parse of the same bytes (issue 18).

    python bench/cuda_bench.py [--rounds 5] [--write]

One process, one core, files read into memory first; interleaved rounds (bare parse, then lint, the order
alternating). "Lint" is `engine.lint_source` with the default settings and no cache: macro
neutralisation, the tree-sitter parse, the query, the header and every rule. The CLI's cold wall time
(`--no-cache --jobs 1`, start-up included) is measured once beside it. `--write` replaces the CUDA section of
bench/RESULTS.md (between its `cuda` markers).
"""
from __future__ import annotations

import argparse
import glob
import os
import statistics
import subprocess
import sys
import time

CUB = "/usr/local/cuda/include/cccl/cub"
RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md")
START, END = "<!-- cuda:start -->", "<!-- cuda:end -->"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--write", action="store_true", help="record the figures in bench/RESULTS.md")
    args = ap.parse_args(argv)
    files = sorted(glob.glob(os.path.join(CUB, "**", "*.cuh"), recursive=True))
    if not files:
        print(f"no CUB headers under {CUB}")
        return 2
    import tree_sitter as ts
    import tree_sitter_cuda as tsc

    from karpathy_lint.config import Settings
    from karpathy_lint.engine import lint_source

    data = [(f, open(f, "rb").read()) for f in files]
    size = sum(len(d) for _, d in data)
    parser = ts.Parser(ts.Language(tsc.language()))
    settings = Settings()

    def bare() -> float:
        t = time.perf_counter()
        for _, d in data:
            parser.parse(d)
        return time.perf_counter() - t

    def lint() -> float:
        t = time.perf_counter()
        for f, d in data:
            lint_source(f, d, settings)
        return time.perf_counter() - t

    bare(), lint()  # warm the imports and the compiled queries once
    times: dict[str, list[float]] = {"bare": [], "lint": []}
    for r in range(args.rounds):
        for name in (("bare", "lint") if r % 2 == 0 else ("lint", "bare")):
            times[name].append(bare() if name == "bare" else lint())
    ratios = [lt / bt for lt, bt in zip(times["lint"], times["bare"])]
    cli: dict[str, list[float]] = {"1": [], "default": []}
    for _ in range(3):
        for jobs in cli:
            extra = ["--jobs", jobs] if jobs != "default" else []
            t = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "karpathy_lint", "--no-cache", *extra, "--exit-zero",
                                   "--quiet", CUB], capture_output=True)
            cli[jobs].append(time.perf_counter() - t)
    cli_one, cli_default = statistics.median(cli["1"]), statistics.median(cli["default"])
    load = os.getloadavg()
    med = {k: statistics.median(v) for k, v in times.items()}
    lines = [
        f"CUB ({CUB}, {len(files)} .cuh, {size / 1e6:.1f} MB), {args.rounds} interleaved rounds in one process "
        f"(`bench/cuda_bench.py`, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load {load[0]:.2f}):",
        "",
        "| run | median s | min-max s | MB/s |",
        "|---|---|---|---|",
        f"| tree-sitter-cuda bare parse | {med['bare']:.3f} | {min(times['bare']):.3f}-{max(times['bare']):.3f} "
        f"| {size / 1e6 / med['bare']:.1f} |",
        f"| karpathy-lint cold (neutralise + parse + header + every rule) | {med['lint']:.3f} | "
        f"{min(times['lint']):.3f}-{max(times['lint']):.3f} | {size / 1e6 / med['lint']:.1f} |",
        "",
        f"Lint ÷ bare parse, one core: median {statistics.median(ratios):.2f} (per round "
        f"{min(ratios):.2f}-{max(ratios):.2f}; target <= 2).",
        "",
        f"The CLI, cold (`--no-cache`, start-up included, median of 3): {cli_default:.2f} s with the default "
        f"workers ({cli_default / med['bare']:.2f}x the bare parse), {cli_one:.2f} s with `--jobs 1` "
        f"({cli_one / med['bare']:.2f}x); exit {proc.returncode}. {os.cpu_count()} CPUs.",
    ]
    print("\n".join(lines))
    if args.write:
        with open(RESULTS, encoding="utf-8") as fh:
            text = fh.read()
        block = f"{START}\n## CUDA as really written: CUB cold vs the bare parse\n\n" + "\n".join(lines) + f"\n{END}"
        if START in text and END in text:
            text = text[: text.index(START)] + block + text[text.index(END) + len(END):]
        else:
            text = text.rstrip("\n") + "\n\n" + block + "\n"
        with open(RESULTS, "w", encoding="utf-8") as fh:
            fh.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
