#!/usr/bin/env python3
"""Issue 14's speed targets, side by side in one run, written into bench/RESULTS.md.

1. Report formats on a warm run (every file a cache hit) over the standard
   library: `--format json` and `--format sarif` against `--format concise`
   (target: each within 1.5x).
2. A one-file run (`-q --no-cache FILE`, what pre-commit pays per file)
   against a bare `python -c pass` of the same interpreter (target: within 3x),
   and beside both the start-up floor of any click + tree-sitter checker
   (`bench/startup_floor.py`: import click and tree-sitter-python, parse the
   arguments, load the grammar, compile a query, parse the file), so what is
   left above that floor is karpathy-lint's own code. These three run in a
   fresh virtual environment with karpathy-lint installed from this checkout
   as pre-commit installs a hook (`pip install .`, not editable): a
   development venv's `.pth` finders (an editable install, distutils-precedence)
   add 5-10 ms to every `python -c pass` and would flatter the ratio.
   `--venv DIR` reuses (or creates, once) that environment.

Runs are interleaved (every command once per round, the order rotating), so
all saw the same machine load; the figures are medians of whole-process wall
time. Bytecode is written and used (PYTHONDONTWRITEBYTECODE is dropped), as in
an installed package.

    python bench/pipeline_bench.py [--rounds 7] [--one-file-rounds 21] [--venv DIR]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from bench import build_stdlib  # noqa: E402  (the same corpus as bench.py)

START, END = "<!-- pipeline:start -->", "<!-- pipeline:end -->"


def timed(cmd: list[str], env: dict, cwd: Path) -> tuple[float, float]:
    """(wall s, CPU s = user + sys of the process and its children): CPU moves far less with the machine's load."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = proc.stderr.read() if proc.stderr else b""
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    rc = os.waitstatus_to_exitcode(status)
    if rc not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({rc}): {err.decode()[-400:]}")
    return elapsed, usage.ru_utime + usage.ru_stime


def interleaved(commands: dict[str, list[str]], rounds: int, env: dict, cwd: Path) -> dict[str, list[tuple[float, float]]]:
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    names = list(commands)
    for r in range(rounds):
        for name in names[r % len(names):] + names[: r % len(names)]:
            times[name].append(timed(commands[name], env, cwd))
    return times


def installed_python(venv: Path) -> Path:
    """The interpreter of `venv`, holding karpathy-lint installed from ROOT as a hook's venv holds it."""
    python = venv / "bin" / "python"
    if not python.exists():  # a new venv: karpathy-lint and its dependencies
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", str(ROOT)], check=True)
    else:  # a kept venv: this checkout's code again (a few seconds), the dependencies as they are
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", str(ROOT)],
                       check=True)
    subprocess.run([str(python), "-m", "compileall", "-q", str(venv)], check=True, stdout=subprocess.DEVNULL)
    return python


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--one-file-rounds", type=int, default=21)
    ap.add_argument("--output", default=str(ROOT / "bench" / "RESULTS.md"))
    ap.add_argument("--one-file-only", action="store_true",
                    help="measure only the one-file run and print it (for iterating; RESULTS.md is not written)")
    ap.add_argument("--venv", default=None,
                    help="the install the one-file run uses: reused when it exists, else created with `pip install .`")
    args = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    py = sys.executable
    subprocess.run([py, "-m", "compileall", "-q", str(ROOT / "karpathy_lint"), str(ROOT / "rules"),
                    str(ROOT / "codemods")], env=env, check=True)
    with tempfile.TemporaryDirectory(prefix="kl-pipeline-bench-") as tmp:
        work = Path(tmp)
        n_files, size = build_stdlib(work / "stdlib")
        cache = work / "cache"
        kl = [py, "-m", "karpathy_lint", "--cache-dir", str(cache), "stdlib"]
        formats = {}
        if not args.one_file_only:
            timed(kl + ["--format", "concise"], env, work)  # prime the cache: every later run is all hits
            formats = interleaved({fmt: kl + ["--format", fmt] for fmt in ("concise", "json", "sarif")},
                                  args.rounds, env, work)
        one = work / "stdlib" / "json" / "decoder.py"
        vpy = str(installed_python(Path(args.venv) if args.venv else work / "venv"))
        clean_env = {k: v for k, v in env.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        starts = interleaved({"python -c pass": [vpy, "-c", "pass"],
                              "floor (click + tree-sitter)": [vpy, str(ROOT / "bench" / "startup_floor.py"), "-q",
                                                              "--no-cache", str(one)],
                              "one file": [vpy, "-m", "karpathy_lint", "-q", "--no-cache", str(one)]},
                             args.one_file_rounds, clean_env, work)
    runs = {**formats, **starts}
    wall = {k: statistics.median(w for w, _ in v) for k, v in runs.items()}
    cpu = {k: statistics.median(c for _, c in v) for k, v in runs.items()}
    floor = "floor (click + tree-sitter)"
    if args.one_file_only:
        for kind, med in (("wall", wall), ("CPU", cpu)):
            print(f"one file {med['one file']:.3f} s, floor {med[floor]:.3f} s, python -c pass "
                  f"{med['python -c pass']:.3f} s: {med['one file'] / med['python -c pass']:.2f}x, floor "
                  f"{med[floor] / med['python -c pass']:.2f}x ({kind})")
        return 0
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    rows = []
    for kind, med in (("wall", wall), ("CPU", cpu)):
        rows += [
            (f"json ÷ concise (warm, stdlib), {kind}", med["json"] / med["concise"], 1.5),
            (f"sarif ÷ concise (warm, stdlib), {kind}", med["sarif"] / med["concise"], 1.5),
            (f"one file ÷ `python -c pass`, {kind}", med["one file"] / med["python -c pass"], 3.0),
        ]
    lines = [
        START,
        "## Pipeline targets (issue 14): `bench/pipeline_bench.py`",
        "",
        f"Python {sys.version.split()[0]}; {n_files} stdlib files, {size / 1e6:.1f} MB; load average after "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs; medians of {args.rounds} (formats) and "
        f"{args.one_file_rounds} (start-up) interleaved rounds. Wall is whole-process time; CPU is user+sys of "
        "the process (on a loaded machine it moves much less than wall).",
        "",
        "| run | median wall s | min-max wall s | median CPU s |",
        "|---|---|---|---|",
    ]
    for name, values in runs.items():
        label = f"warm `--format {name}`" if name in formats else name
        walls = [w for w, _ in values]
        lines.append(f"| {label} | {wall[name]:.3f} | {min(walls):.3f}-{max(walls):.3f} | {cpu[name]:.3f} |")
    lines += ["", "| target | measured | limit | holds |", "|---|---|---|---|"]
    lines += [f"| {name} | {value:.2f} | ≤ {limit} | {'yes' if value <= limit else 'NO'} |" for name, value, limit in rows]
    lines += ["", "One file: `stdlib/json/decoder.py`, `-q --no-cache`, karpathy-lint installed with `pip install .` "
              "in a fresh venv (as pre-commit installs a hook), `python -c pass` of that venv. The start-up floor "
              "(`bench/startup_floor.py`: interpreter, click parsing the same arguments, tree-sitter-python, "
              "grammar, a one-pattern query, one parse) is "
              + ", ".join(f"{med[floor] / med['python -c pass']:.2f}x `python -c pass` ({kind})"
                          for kind, med in (("wall", wall), ("CPU", cpu)))
              + "; karpathy-lint's own code adds "
              + ", ".join(f"{(med['one file'] - med[floor]) * 1000:.1f} ms ({kind})"
                          for kind, med in (("wall", wall), ("CPU", cpu)))
              + ".", END]
    section = "\n".join(lines) + "\n"
    out = Path(args.output)
    text = out.read_text(encoding="utf-8") if out.exists() else ""
    if START in text:
        head, _, rest = text.partition(START)
        text = head + section + rest.partition(END)[2].lstrip("\n")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    out.write_text(text, encoding="utf-8")
    print(section)
    return 0 if all(v <= lim for _, v, lim in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
