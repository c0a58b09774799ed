#!/usr/bin/env python3
"""Benchmark the GEMM teaching ladder (corpus/02-DeepGEMM/01-gemm_kernel.cu) against cuBLAS SGEMM.

The ladder binary cannot link cuBLAS on machines that lack it, so this script measures cuBLAS SGEMM
itself, through torch.matmul in FP32 with TF32 off (the same cuBLAS routine, on CUDA cores), at the
same size, and passes the figure in with --cublas-gflops. The binary then checks every kernel and
prints PASS/FAIL, GFLOP/s and % of cuBLAS; this script echoes that and adds a summary table.

    python bench/gemm_bench.py                    # build with nvcc, run at 4096^3
    python bench/gemm_bench.py --size 2048 --binary /path/to/gemm

Without a CUDA device (or without torch) it prints one line saying so and exits 0.
Otherwise it exits with the binary's exit code (0 = every kernel PASSed).
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "corpus" / "02-DeepGEMM" / "01-gemm_kernel.cu"
ROW = re.compile(
    r"^(PASS|FAIL)\s+(\d) (.+?)\s+rel_err (\S+)(?:.*?([\d.]+) GFLOP/s\s+(?:([\d.]+)% of cuBLAS)?)?"
)


def cublas_sgemm_gflops(n: int, iters: int, warmup: int = 3) -> float:
    """GFLOP/s of torch.matmul on two n x n FP32 matrices with TF32 disabled."""
    import torch

    torch.backends.cuda.matmul.allow_tf32 = False  # FP32 SGEMM, not TF32 tensor cores
    a = torch.randn(n, n, device="cuda", dtype=torch.float32)
    b = torch.randn(n, n, device="cuda", dtype=torch.float32)
    for _ in range(warmup):
        torch.matmul(a, b)
    start = torch.cuda.Event(enable_timing=True)
    stop = torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(iters):
        torch.matmul(a, b)
    stop.record()
    torch.cuda.synchronize()
    ms = start.elapsed_time(stop) / iters
    return 2.0 * n**3 / (ms * 1e-3) / 1e9


def build(nvcc: str, arch: str, out: Path) -> None:
    """Compile the ladder once; -O3 matters a lot for the register-blocked kernels."""
    cmd = [nvcc, "-O3", "-std=c++17", f"-arch={arch}", "-o", str(out), str(SOURCE)]
    print("building:", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def summary(stdout: str) -> list[str]:
    """Markdown table of the binary's PASS/FAIL lines."""
    lines = ["| step | check | rel_err | GFLOP/s | % of cuBLAS |", "|---|---|---|---|---|"]
    for line in stdout.splitlines():
        m = ROW.match(line)
        if m:
            status, step, name, rel, gflops, pct = m.groups()
            lines.append(f"| {step} {name} | {status} | {rel} | {gflops or '-'} | {pct or '-'} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=4096, help="M = N = K for timing (multiple of 128)")
    ap.add_argument("--check", type=int, default=512, help="size of the correctness check")
    ap.add_argument("--iters", type=int, default=5, help="timed runs per kernel")
    ap.add_argument("--binary", type=Path, help="prebuilt ladder binary (skips nvcc)")
    ap.add_argument("--nvcc", default="nvcc")
    ap.add_argument("--arch", help="nvcc -arch (default: the GPU's own, e.g. sm_90)")
    args = ap.parse_args(argv)

    try:
        import torch
    except ImportError:
        print("no CUDA device: torch is not installed, nothing to benchmark")
        return 0
    if not torch.cuda.is_available():
        print("no CUDA device: torch.cuda.is_available() is False, nothing to benchmark")
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        binary = args.binary
        if binary is None:
            nvcc = shutil.which(args.nvcc)
            if nvcc is None:
                print(f"{args.nvcc} not found: install the CUDA toolkit or pass --binary PATH")
                return 1
            major, minor = torch.cuda.get_device_capability()
            binary = Path(tmp) / "gemm"
            build(nvcc, args.arch or f"sm_{major}{minor}", binary)

        gflops = cublas_sgemm_gflops(args.size, args.iters)
        print(f"torch.matmul FP32, TF32 off, {torch.cuda.get_device_name()}: "
              f"{gflops:.1f} GFLOP/s at {args.size}^3")
        cmd = [str(binary), str(args.size), "--check", str(args.check), "--iters", str(args.iters),
               "--cublas-gflops", f"{gflops:.1f}"]
        proc = subprocess.run(cmd, capture_output=True, text=True)
    print(proc.stdout, end="")
    if proc.stderr:
        print(proc.stderr, end="", file=sys.stderr)
    print("\n".join(summary(proc.stdout)))
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
