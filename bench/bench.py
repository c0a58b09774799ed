#!/usr/bin/env python3
"""Peer benchmark for karpathy-lint (issue 11): whole-process wall time, CPU, peak memory.

Builds a corpus from the running Python's standard library (every .py outside
site-packages and test folders: 734 files / 12.1 MB on CPython 3.11), a 10x
copy of it, and the CUDA toolkit's .cuh headers when /usr/local/cuda/include
exists; then runs, in interleaved rounds (one run of every tool per round, the
order rotating each round):

    karpathy-lint cold (--no-cache), warm (every file a cache hit), one file
    ruff, interrogate, pydoclint   (whatever is installed; skipped, saying so, if not)
    Fixit                          (fewer rounds, on a ~1 MB slice: it runs at ~25 s/MB)

and the single-process floors (read+hash, tree-sitter parse + extraction walk,
ast.parse). Writes the table to bench/RESULTS.md with the machine, its load and
the ratio of karpathy-lint to every peer. Not a unit test: it takes minutes.

    python bench/bench.py                                   # peers from PATH
    python bench/bench.py --peers-venv /work/benchvenv      # peers from a venv
    python bench/bench.py --rounds 3 --no-scale --no-fixit  # quicker

Memory: each run is a direct child reaped with os.wait4, whose rusage holds the
largest resident set of that child and of every process it waited for (so with
workers: the largest single process). A sampler also sums the RSS of the whole
process tree from /proc every 20 ms ("tree peak"; may miss a spike shorter than that).
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import sysconfig
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXCLUDED_DIRS = {"site-packages", "test", "tests", "idle_test", "__pycache__"}
CUDA_INCLUDE = Path("/usr/local/cuda/include")


# -- corpus ------------------------------------------------------------------------------------


def build_stdlib(dest: Path) -> tuple[int, int]:
    """Copy the stdlib's .py files (no tests, no site-packages) into dest; (files, bytes)."""
    src = Path(sysconfig.get_paths()["stdlib"])
    n = size = 0
    for root, dirs, files in os.walk(src):
        dirs[:] = sorted(d for d in dirs if d not in EXCLUDED_DIRS)
        for f in sorted(files):
            if f.endswith(".py"):
                s = Path(root) / f
                d = dest / s.relative_to(src)
                d.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(s, d)
                n += 1
                size += d.stat().st_size
    return n, size


def build_cuda(dest: Path) -> tuple[int, int]:
    n = size = 0
    for s in sorted(CUDA_INCLUDE.rglob("*.cuh")):
        d = dest / s.relative_to(CUDA_INCLUDE)
        d.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(s, d)
        n += 1
        size += d.stat().st_size
    return n, size


def corpus_files(root: Path, suffixes=(".py",)) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix in suffixes and p.is_file())


# -- running one command -----------------------------------------------------------------------


def _tree_rss_kb(pid: int) -> int:
    """Sum of VmRSS over pid and its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
            fields = stat[stat.rindex(b")") + 2 :].split()
            ppid = int(fields[1])
            children.setdefault(ppid, []).append(int(entry))
            rss[int(entry)] = int(fields[21]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
        except (OSError, ValueError, IndexError):
            continue
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += rss.get(p, 0)
        stack.extend(children.get(p, ()))
    return total


def run_once(cmd: list[str], cwd: Path | None = None, env=None) -> dict:
    """Wall, CPU (user+sys of the process and its reaped children), peak RSS, exit code."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0]
    done = threading.Event()

    def sample():
        while not done.wait(0.02):
            try:
                peak[0] = max(peak[0], _tree_rss_kb(proc.pid))
            except Exception:
                pass

    sampler = threading.Thread(target=sample, daemon=True)
    if os.path.isdir("/proc"):
        sampler.start()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    done.set()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "max_proc_mb": usage.ru_maxrss / 1024,  # KiB on Linux
        "tree_mb": peak[0] / 1024,
        "rc": proc.returncode,
        "stderr": err.decode("utf-8", "replace")[-400:],
    }


# -- floors: in one process, one core ----------------------------------------------------------

FLOOR_CODE = r'''
import ast, hashlib, json, sys, time
kind, listing = sys.argv[1], sys.argv[2]
paths = open(listing).read().split("\n")
t0 = time.perf_counter()
if kind == "hash":
    for p in paths:
        with open(p, "rb") as fh:
            hashlib.sha256(fh.read()).hexdigest()
elif kind == "ast":
    for p in paths:
        with open(p, "rb") as fh:
            try:
                ast.parse(fh.read())
            except (SyntaxError, ValueError):
                pass
elif kind == "treesitter":
    import tree_sitter as ts, tree_sitter_python as tsp
    lang = ts.Language(tsp.language())
    query = ts.Query(lang, "(function_definition) @def (class_definition) @class (comment) @comment")
    parser = ts.Parser(lang)
    out = 0
    for p in paths:
        with open(p, "rb") as fh:
            src = fh.read()
        root = parser.parse(src).root_node
        caps = ts.QueryCursor(query).captures(root)
        comments = [src[n.start_byte:n.end_byte].decode("utf-8", "replace") for n in caps.get("comment", ())]
        for node in list(caps.get("def", ())) + list(caps.get("class", ())):
            name = node.child_by_field_name("name")
            params = node.child_by_field_name("parameters")
            body = node.child_by_field_name("body")
            names = [src[c.start_byte:c.end_byte].decode() for c in params.named_children] if params else []
            doc = None
            if body is not None and body.named_child_count:
                first = body.named_children[0]
                if first.type == "expression_statement" and first.named_children[0].type == "string":
                    doc = src[first.start_byte:first.end_byte].decode("utf-8", "replace")
            out += len(names) + (doc is not None) + (name is not None)
        out += len(comments)
print(json.dumps({"seconds": time.perf_counter() - t0}))
'''


def floor(python: str, kind: str, listing: Path) -> float:
    proc = subprocess.run([python, "-c", FLOOR_CODE, kind, str(listing)], capture_output=True, text=True,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])["seconds"]


# -- the benchmark -----------------------------------------------------------------------------


def find_tool(name: str, venv: str | None) -> str | None:
    if venv:
        candidate = Path(venv) / "bin" / name
        if candidate.exists():
            return str(candidate)
    return shutil.which(name)


def tool_version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        return (out.stdout or out.stderr).strip().splitlines()[0][:60]
    except Exception as exc:  # noqa: BLE001
        return f"? ({exc})"


def machine() -> str:
    model = platform.processor() or "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return f"{platform.node()}: {os.cpu_count()} CPUs ({model}), {mem} RAM, {platform.system()} {platform.release()}"


def loadavg() -> str:
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "?"


def summarize(samples: list[dict]) -> dict:
    walls = [s["wall"] for s in samples]
    return {
        "n": len(samples),
        "wall": statistics.median(walls),
        "min": min(walls),
        "max": max(walls),
        "cpu": statistics.median(s["cpu"] for s in samples),
        "max_proc_mb": max(s["max_proc_mb"] for s in samples),
        "tree_mb": max(s["tree_mb"] for s in samples),
        "rcs": sorted({s["rc"] for s in samples}),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--fixit-rounds", type=int, default=1)
    ap.add_argument("--fixit-mb", type=float, default=0.5, help="size of the corpus slice Fixit checks")
    ap.add_argument("--scale-rounds", type=int, default=3)
    ap.add_argument("--no-scale", action="store_true", help="skip the 10x corpus")
    ap.add_argument("--no-fixit", action="store_true")
    ap.add_argument("--peers-venv", default=None, help="a venv whose bin/ holds ruff, interrogate, pydoclint, fixit")
    ap.add_argument("--workdir", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "karpathy-lint-bench"))
    ap.add_argument("--jobs", default="0", help="karpathy-lint --jobs (0: every core)")
    ap.add_argument("--output", default=str(ROOT / "bench" / "RESULTS.md"))
    args = ap.parse_args()

    work = Path(args.workdir)
    if work.exists():
        shutil.rmtree(work)
    corpus = work / "stdlib"
    n_files, n_bytes = build_stdlib(corpus)
    mb = n_bytes / 1e6
    print(f"corpus: {n_files} files, {mb:.1f} MB in {corpus}", flush=True)
    cuda = None
    if CUDA_INCLUDE.is_dir():
        cuda = work / "cuda"
        c_files, c_bytes = build_cuda(cuda)
        print(f"cuda corpus: {c_files} .cuh files, {c_bytes / 1e6:.1f} MB", flush=True)
    big = None
    if not args.no_scale:
        big = work / "stdlib10"
        for i in range(10):
            shutil.copytree(corpus, big / f"copy{i}")
    files = corpus_files(corpus)
    listing = work / "files.txt"
    listing.write_text("\n".join(map(str, files)))
    one_file = corpus / "json" / "decoder.py"
    if not one_file.exists():
        one_file = min(files, key=lambda p: abs(p.stat().st_size - 12000))

    py = sys.executable
    env = {**os.environ, "NO_COLOR": "1", "CI": "1"}
    kl = [py, "-m", "karpathy_lint", "-q", "--jobs", args.jobs]
    cache_dir = work / "kl-cache"
    tools: dict[str, list[str]] = {
        "karpathy-lint cold": kl + ["--no-cache", str(corpus)],
        "karpathy-lint warm": kl + ["--cache-dir", str(cache_dir), str(corpus)],
        "karpathy-lint one file": [py, "-m", "karpathy_lint", "-q", "--no-cache", str(one_file)],
    }
    skipped: list[str] = []
    versions = {"karpathy-lint": tool_version([py, "-m", "karpathy_lint", "--version"])}
    peers = {  # name -> arguments before the corpus path
        "ruff": ["check", "--isolated", "--no-cache", "--exit-zero", "-q"],
        "interrogate": ["-q"],
        "pydoclint": ["--quiet"],
    }
    for name, peer_args in peers.items():
        exe = find_tool(name, args.peers_venv)
        if exe:
            tools[name] = [exe, *peer_args, str(corpus)]
            versions[name] = tool_version([exe, "--version"])
        else:
            skipped.append(f"{name} (not installed)")
    fixit = None if args.no_fixit else find_tool("fixit", args.peers_venv)
    if args.no_fixit:
        skipped.append("Fixit (--no-fixit)")
    elif not fixit:
        skipped.append("Fixit (not installed)")
    for s in skipped:
        print(f"skipping {s}", flush=True)

    load_before = loadavg()
    # prime the warm cache (and check that karpathy-lint ran: exit 0 or 1, not 2)
    prime = run_once(tools["karpathy-lint warm"], env=env)
    if prime["rc"] not in (0, 1):
        print(prime["stderr"], file=sys.stderr)
        return 2

    samples: dict[str, list[dict]] = {name: [] for name in tools}
    names = list(tools)
    for r in range(args.rounds):
        order = names[r % len(names):] + names[: r % len(names)]
        for name in order:
            s = run_once(tools[name], env=env)
            samples[name].append(s)
            print(f"round {r + 1}/{args.rounds} {name}: {s['wall']:.3f} s (rc {s['rc']})", flush=True)

    fixit_row = None
    if fixit:
        slice_dir = work / "fixit-slice"
        size = 0
        for p in files:
            if size >= args.fixit_mb * 1e6:
                break
            d = slice_dir / p.relative_to(corpus)
            d.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(p, d)
            size += p.stat().st_size
        n_slice = len(corpus_files(slice_dir))
        fixit_cmd = [fixit, "lint", str(slice_dir)]
        kl_slice = kl + ["--no-cache", str(slice_dir)]
        fs, ks = [], []
        for r in range(args.fixit_rounds):
            fs.append(run_once(fixit_cmd, env=env))
            ks.append(run_once(kl_slice, env=env))
            print(f"fixit slice round {r + 1}: fixit {fs[-1]['wall']:.2f} s, karpathy-lint {ks[-1]['wall']:.2f} s",
                  flush=True)
        versions["fixit"] = tool_version([fixit, "--version"])
        fixit_row = (n_slice, size, summarize(fs), summarize(ks))

    floors = {}
    for kind in ("hash", "treesitter", "ast"):
        floors[kind] = statistics.median(floor(py, kind, listing) for _ in range(3))
        print(f"floor {kind}: {floors[kind]:.3f} s", flush=True)

    cuda_row = None
    if cuda is not None:
        cs = [run_once(kl + ["--no-cache", str(cuda)], env=env) for _ in range(min(3, args.rounds))]
        cuda_row = (len(corpus_files(cuda, (".cuh",))), sum(p.stat().st_size for p in cuda.rglob("*.cuh")),
                    summarize(cs))

    scale = None
    if big is not None:
        s1, s10 = [], []
        for r in range(args.scale_rounds):
            s1.append(run_once(kl + ["--no-cache", str(corpus)], env=env))
            s10.append(run_once(kl + ["--no-cache", str(big)], env=env))
            print(f"scale round {r + 1}: 1x {s1[-1]['wall']:.2f} s, 10x {s10[-1]['wall']:.2f} s", flush=True)
        scale = (summarize(s1), summarize(s10))
    load_after = loadavg()

    stats = {name: summarize(v) for name, v in samples.items()}
    text = render(args, stats, versions, skipped, floors, fixit_row, cuda_row, scale, n_files, mb,
                  load_before, load_after, one_file.relative_to(work))
    out = Path(args.output)
    old = out.read_text() if out.exists() else ""
    # the sections pipeline_bench.py, render_bench.py and server_bench.py write into the same file stay
    kept = [m.group(0) for m in re.finditer(r"<!-- ([\w-]+):start -->.*?<!-- \1:end -->", old, re.S)]
    out.write_text(text.rstrip("\n") + "".join("\n\n" + k for k in kept) + "\n")
    print(text)
    return 0


def render(args, stats, versions, skipped, floors, fixit_row, cuda_row, scale, n_files, mb, load_before,
           load_after, one_file) -> str:
    cold = stats["karpathy-lint cold"]
    warm = stats["karpathy-lint warm"]
    one = stats["karpathy-lint one file"]
    peers = [p for p in ("ruff", "interrogate", "pydoclint") if p in stats]
    out = []
    w = out.append
    w("# karpathy-lint benchmark\n")
    w(f"Written by `bench/bench.py` on {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}.\n")
    w(f"- Machine: {machine()}")
    w(f"- Load average (1, 5, 15 min) before: {load_before}; after: {load_after}. "
      "The machine was shared with other work: absolute times move with the load; ratios come from "
      "interleaved rounds (every tool once per round, order rotating), so each tool saw the same conditions.")
    w(f"- Python {platform.python_version()}; " + "; ".join(f"{k} {v}" for k, v in versions.items()))
    w(f"- Corpus: CPython {platform.python_version()} standard library, {n_files} files, {mb:.1f} MB "
      f"(no site-packages, no test folders). {args.rounds} rounds; karpathy-lint `--jobs {args.jobs}`.")
    if skipped:
        w(f"- Skipped: {', '.join(skipped)}.")
    w("- Wall: median (min-max) of whole-process wall time, start-up included. CPU: median user+sys of the "
      "process and its workers. Largest process: the biggest resident set of any one process of the run "
      "(wait4 rusage). Tree peak: sampled sum over the process tree every 20 ms.\n")
    w("| run | wall s (median) | spread s | CPU s | largest process MB | tree peak MB | files/s | "
      + " | ".join(f"cold ÷ {p}" for p in peers) + " |")
    w("|---|---|---|---|---|---|---|" + "---|" * len(peers))
    for name, s in stats.items():
        n = 1 if name.endswith("one file") else n_files
        ratios = " | ".join(f"{s['wall'] / stats[p]['wall']:.2f}" if name == "karpathy-lint cold" else
                            (f"{s['wall'] / stats[p]['wall']:.3f}" if name == "karpathy-lint warm" else "")
                            for p in peers)
        w(f"| {name} | {s['wall']:.3f} | {s['min']:.3f}-{s['max']:.3f} | {s['cpu']:.2f} | {s['max_proc_mb']:.0f} | "
          f"{s['tree_mb']:.0f} | {n / s['wall']:.0f} | {ratios} |")
    w("\n(The ratio columns are karpathy-lint's wall over the peer's: cold on the cold row, warm on the warm row.)\n")
    if fixit_row:
        n_slice, size, f, k = fixit_row
        w(f"Fixit (`fixit lint`, {args.fixit_rounds} round(s)) on a {size / 1e6:.2f} MB slice ({n_slice} files): "
          f"{f['wall']:.2f} s = {f['wall'] / (size / 1e6):.1f} s/MB; karpathy-lint cold on the same slice "
          f"{k['wall']:.2f} s (ratio {k['wall'] / f['wall']:.3f}; extrapolated Fixit on the whole corpus "
          f"≈ {f['wall'] / (size / 1e6) * mb:.0f} s).\n")
    w("Floors (one process, one core, in-process time without interpreter start-up, median of 3):\n")
    w(f"- read + sha256 every file: {floors['hash']:.3f} s")
    w(f"- tree-sitter-python parse + a walk extracting defs, params, docstrings, comments: {floors['treesitter']:.3f} s")
    w(f"- `ast.parse` every file: {floors['ast']:.3f} s\n")
    if cuda_row:
        n_c, b_c, c = cuda_row
        w(f"CUDA headers (/usr/local/cuda/include, {n_c} .cuh files, {b_c / 1e6:.1f} MB), karpathy-lint cold: "
          f"{c['wall']:.2f} s median ({c['min']:.2f}-{c['max']:.2f}), largest process {c['max_proc_mb']:.0f} MB "
          "(no peer checks CUDA).\n")
    w("## Targets\n")
    rows = []

    def target(label, value, limit, ok_if_le=True):
        ok = value <= limit if ok_if_le else value >= limit
        rows.append(f"| {label} | {value:.3f} | {'≤' if ok_if_le else '≥'} {limit:g} | {'yes' if ok else 'NO'} |")

    if "pydoclint" in stats:
        target("cold ÷ pydoclint", cold["wall"] / stats["pydoclint"]["wall"], 1 / 3)
    if "interrogate" in stats:
        target("cold ÷ interrogate", cold["wall"] / stats["interrogate"]["wall"], 0.6)
    target("cold ÷ tree-sitter extraction floor", cold["wall"] / floors["treesitter"], 2.5)
    target("warm ÷ cold", warm["wall"] / cold["wall"], 1 / 20)
    if "ruff" in stats:
        target("warm ÷ ruff (goal: < 1)", warm["wall"] / stats["ruff"]["wall"], 1.0)
    target("one file, wall s", one["wall"], 0.25)
    target("cold, largest process MB", cold["max_proc_mb"], 200)
    target("cold, tree peak MB (all processes summed)", cold["tree_mb"], 200)
    if scale:
        s1, s10 = scale
        target("10x corpus ÷ 1x corpus, wall", s10["wall"] / s1["wall"], 10.5)
        target("10x corpus ÷ 1x corpus, CPU (load-independent)", s10["cpu"] / s1["cpu"], 10.5)
        target("10x corpus, largest process MB", s10["max_proc_mb"], 200)
    w("| target | measured | limit | holds |")
    w("|---|---|---|---|")
    out.extend(rows)
    if scale:
        s1, s10 = scale
        w(f"\nScale ({args.scale_rounds} interleaved rounds, cold): 1x {s1['wall']:.2f} s "
          f"({s1['min']:.2f}-{s1['max']:.2f}), 10x ({n_files * 10} files) {s10['wall']:.2f} s "
          f"({s10['min']:.2f}-{s10['max']:.2f}); CPU 1x {s1['cpu']:.2f} s, 10x {s10['cpu']:.2f} s; largest process 1x {s1['max_proc_mb']:.0f} MB, "
          f"10x {s10['max_proc_mb']:.0f} MB; tree peak 1x {s1['tree_mb']:.0f} MB, 10x {s10['tree_mb']:.0f} MB.")
    w(f"\nOne file: `{one_file}`, `--no-cache`.")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.exit(main())
