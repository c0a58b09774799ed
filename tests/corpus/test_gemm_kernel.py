"""Tests for corpus/02-DeepGEMM/01-gemm_kernel.cu, the GEMM teaching ladder, and 01-gemm_host.cuh, its host
harness (inputs, FP8 casts, buffers, CPU references, PASS/FAIL gates) included from beside it.

CPU CI: the ladder compiles with the real nvcc (sm_90) without warnings, the header compiles on its own,
the binary takes the documented exit paths on a machine without a GPU (3 = no CUDA device, 2 = bad
arguments), tree-sitter-cuda parses both files without ERROR nodes, and each file's Function List matches
its function definitions.
GPU (@pytest.mark.gpu): every kernel prints a PASS line, and bench/gemm_bench.py runs end to end.
On a GPU box without nvcc, point KARPATHY_GEMM_BIN at a prebuilt binary.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from corpus_helpers import CORPUS, cuda_available, requires_cuda

SOURCE = CORPUS / "02-DeepGEMM" / "01-gemm_kernel.cu"
HOST = CORPUS / "02-DeepGEMM" / "01-gemm_host.cuh"
FILES = [SOURCE, HOST]
BENCH = CORPUS.parent / "bench" / "gemm_bench.py"
NVCC = shutil.which("nvcc")
STEPS = ["1", "2", "3", "4", "5", "6"]
GXX = shutil.which("g++")
HERE = Path(__file__).resolve().parent
# A GPU with a driver but a CPU-only torch would make the binary run for real, not take exit 3.
NO_GPU_HERE = not cuda_available() and not Path("/dev/nvidiactl").exists()


def _arch() -> str:
    if cuda_available():
        import torch

        major, minor = torch.cuda.get_device_capability()
        return f"sm_{major}{minor}"
    return "sm_90"


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """Compile the ladder once per session; returns (binary, compiler output)."""
    if NVCC is None:
        pytest.skip("nvcc not found")
    out = tmp_path_factory.mktemp("gemm") / "gemm"
    cmd = [NVCC, "-O3", "-std=c++17", f"-arch={_arch()}", "-Xcompiler", "-Wall", "-o", str(out), str(SOURCE)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    return out, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def gpu_binary(request):
    """$KARPATHY_GEMM_BIN when set (a GPU box may have no nvcc), else the session build."""
    prebuilt = os.environ.get("KARPATHY_GEMM_BIN")
    if prebuilt:
        assert Path(prebuilt).is_file(), f"KARPATHY_GEMM_BIN={prebuilt} is not a file"
        return Path(prebuilt)
    return request.getfixturevalue("build")[0]


def _run(binary, *args, timeout=120):
    return subprocess.run([str(binary), *args], capture_output=True, text=True, timeout=timeout)


def test_compiles_for_sm90_without_warnings(build):
    _, log = build
    assert "warning" not in log.lower(), log


def test_the_host_header_compiles_on_its_own(tmp_path):
    # The header includes everything it uses (CI compiles CUDA headers this way). Compiling a header as
    # the main file always draws gcc's "#pragma once in main file"; any other warning is a finding.
    if NVCC is None:
        pytest.skip("nvcc not found")
    cmd = [NVCC, "-std=c++17", "-x", "cu", "-Xcompiler", "-Wall", "-c", str(HOST), "-o", str(tmp_path / "h.o")]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    warnings = [ln for ln in proc.stderr.splitlines() if "warning" in ln.lower()]
    assert all("#pragma once in main file" in ln for ln in warnings), proc.stderr


@pytest.mark.skipif(not NO_GPU_HERE, reason="a GPU is present; the no-device path cannot be taken")
def _emulate(tmp_path, source: str):
    """Compile the FP32 steps 3-5 of `source` for the host (tests/corpus/cuda_host_emu.h: one std::thread
    per CUDA thread, __syncthreads as a std::barrier) and run them at 256^3 against a double reference."""
    start = source.index("// ---------------------------------------------------------------- step 3")
    end = source.index("// ---------------------------------------------------------------- step 6")
    (tmp_path / "kernels.inc").write_text(source[start:end])
    exe = tmp_path / "emu"
    cmd = [GXX, "-O2", "-std=c++20", "-pthread", f"-I{HERE}", f"-I{tmp_path}", '-DKERNELS="kernels.inc"',
           "-o", str(exe), str(HERE / "gemm_host_emu.cpp")]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return subprocess.run([str(exe), "256"], capture_output=True, text=True, timeout=300)


@pytest.mark.skipif(GXX is None, reason="g++ not found")
def test_fp32_kernels_compute_the_product_in_host_emulation(tmp_path):
    # The real kernel source, threads and barriers emulated on the CPU: the warp-tiled step's index
    # maps (block -> warp -> sub-tile -> thread) must reproduce A @ B before any GPU times it.
    proc = _emulate(tmp_path, SOURCE.read_text(encoding="utf-8"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [line.split()[:3] for line in proc.stdout.splitlines()] == [["PASS", "step", s] for s in "345"]


@pytest.mark.skipif(GXX is None, reason="g++ not found")
def test_host_emulation_catches_a_wrong_warp_tile_index(tmp_path):
    source = SOURCE.read_text(encoding="utf-8")
    bad = source.replace("&Bs[k][wcol * WN + j * WSUBN + tcol * TN]", "&Bs[k][wcol * WN + j * WSUBN + tcol * TN + 1]")
    assert bad != source
    proc = _emulate(tmp_path, bad)
    assert proc.returncode == 1 and "FAIL step 5" in proc.stdout and "PASS step 4" in proc.stdout


def test_no_cuda_device_exits_3_with_one_clear_line(build):
    proc = _run(build[0])
    assert proc.returncode == 3, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("no CUDA device: "), proc.stdout


@pytest.mark.parametrize("args", [["100"], ["4096", "--check", "200"], ["--bogus"], ["512", "--iters", "0"]])
def test_bad_arguments_exit_2_before_touching_the_gpu(build, args):
    proc = _run(build[0], *args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.strip(), "a usage/error message is expected on stderr"


def _tree(path: Path):
    ts = pytest.importorskip("tree_sitter")
    tc = pytest.importorskip("tree_sitter_cuda")
    return ts.Parser(ts.Language(tc.language())).parse(path.read_bytes())


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_tree_sitter_cuda_parses_without_error_nodes(path):
    tree = _tree(path)
    errors = []

    def walk(node):
        if node.type == "ERROR" or node.is_missing:
            errors.append((node.start_point, node.text[:60]))
        for child in node.children:
            walk(child)

    walk(tree.root_node)
    assert not tree.root_node.has_error and not errors, errors


def _declared_name(node) -> str:
    """Follow the declarator chain (pointers, references, arrays, parens) down to the identifier."""
    while node is not None and node.type not in ("identifier", "field_identifier"):
        node = node.child_by_field_name("declarator") or (node.named_children[-1] if node.named_children else None)
    return node.text.decode() if node is not None else "?"


def _definitions(path: Path) -> dict[str, list[str]]:
    found = {}

    def walk(node):
        if node.type == "function_definition":
            decl = node.child_by_field_name("declarator")
            while decl.type != "function_declarator":
                decl = decl.child_by_field_name("declarator")
            params = [_declared_name(p.child_by_field_name("declarator"))
                      for p in decl.child_by_field_name("parameters").named_children]
            found[_declared_name(decl.child_by_field_name("declarator"))] = params
        for child in node.children:
            walk(child)

    walk(_tree(path).root_node)
    return found


def _function_list(path: Path) -> dict[str, list[str]]:
    text = path.read_text(encoding="utf-8")
    section = text.split("** Function List **")[1].split("** Technical Deep Dive **")[0]
    listed = {}
    for line in section.splitlines():
        m = re.match(r"^(\w+)(?:<[^>]*>)?\(([^)]*)\) - \S", line)
        if m:
            assert m.group(1) not in listed, f"listed twice: {m.group(1)}"
            listed[m.group(1)] = [p.strip().split("=")[0] for p in m.group(2).split(",") if p.strip()]
    return listed


@pytest.mark.parametrize("path, at_least", [(SOURCE, 13), (HOST, 13)], ids=["kernel", "host"])
def test_function_list_matches_every_definition(path, at_least):
    # kernel file: six kernels, four device helpers, launch, time_ms, main; header: the host harness
    defined, listed = _definitions(path), _function_list(path)
    assert len(defined) >= at_least
    assert defined == listed


def test_the_kernel_file_includes_the_header_beside_it():
    text = SOURCE.read_text(encoding="utf-8")
    assert f'#include "{HOST.name}"' in text
    # the two files split the work: kernels in one, host code in the other, no definition in both
    assert not set(_definitions(SOURCE)) & set(_definitions(HOST))
    assert "__global__" not in HOST.read_text(encoding="utf-8") and "__device__" not in HOST.read_text(encoding="utf-8")


def test_header_tells_the_truth_about_deepgemm():
    header = SOURCE.read_text(encoding="utf-8").split("*/")[0]
    for needle in ["generic SGEMM, not DeepGEMM", "1x128", "128x128", "WGMMA", "TMA", "JIT",
                   "unmeasured", "3 no CUDA device", "Comments in this file are written in the style"]:
        assert needle in header, needle
    # No H100 % of cuBLAS is quoted (none is published); only siboehm's A6000 numbers appear.
    assert "A6000" in header and not re.search(r"H100[^.\n]*\d+(\.\d+)?% of cuBLAS", header)
    # The SM90 kernel is the .cuh under impls/; the .hpp of the same name is the host JIT launcher.
    assert "deep_gemm/include/deep_gemm/impls/sm90_fp8_gemm_1d2d.cuh" in header
    assert re.search(r"host-side JIT code in\s+csrc/jit_kernels/impls/sm90_fp8_gemm_1d2d\.hpp", header)


def test_c_is_allocated_not_copied_from_a():
    text = HOST.read_text(encoding="utf-8")
    upload = text[text.index("Problem upload("):text.index("void free_problem(")]
    assert "cudaMalloc(&C" in upload and upload.count("to_device(h.A)") == 1


@pytest.mark.skipif(cuda_available(), reason="a GPU is present; the script would benchmark for real")
def test_bench_script_exits_cleanly_without_cuda():
    proc = subprocess.run([sys.executable, str(BENCH)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("no CUDA device:"), proc.stdout


@pytest.mark.gpu
@requires_cuda
def test_every_kernel_passes_on_gpu(gpu_binary):
    proc = _run(gpu_binary, "1024", "--check", "256", "--iters", "2", "--cublas-gflops", "1000", timeout=600)
    print(proc.stdout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"^GPU: .+\(sm_\d+", proc.stdout, re.M)
    for step in STEPS:
        line = re.search(rf"^(PASS|FAIL)\s+{step} .*$", proc.stdout, re.M)
        assert line and line.group(1) == "PASS", f"step {step}: {line.group(0) if line else 'missing'}"
        assert re.search(r"[\d.]+ GFLOP/s\s+[\d.]+% of cuBLAS", line.group(0)), line.group(0)
    assert re.search(r"^warp tiling at 1024\^3: [\d.]+% of cuBLAS SGEMM on .+$", proc.stdout, re.M)


@pytest.mark.gpu
@requires_cuda
def test_bench_script_measures_cublas_and_prints_the_table(gpu_binary):
    cmd = [sys.executable, str(BENCH), "--binary", str(gpu_binary), "--size", "1024", "--check", "256", "--iters", "2"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    print(proc.stdout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"torch\.matmul FP32, TF32 off, .+: [\d.]+ GFLOP/s", proc.stdout)
    assert sum(1 for line in proc.stdout.splitlines() if re.match(r"^\| \d .+ \| PASS \|", line)) == len(STEPS)
