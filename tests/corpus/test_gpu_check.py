"""bench/gpu_check.sh: the one script that runs the GPU half and writes bench/GPU.md.

Without a GPU the script must say so in one line, exit 3 and leave the report alone; bad arguments
exit 2 with one line. The rehearsal (--rehearse) runs every real stage on a CPU machine, so the
script's plumbing (time limits, a report rewritten after each stage) is exercised where CI runs.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest
from corpus_helpers import CORPUS, cuda_available

SCRIPT = CORPUS.parent / "bench" / "gpu_check.sh"
BASH = shutil.which("bash")
pytestmark = pytest.mark.skipif(BASH is None, reason="bash not found")


def _run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([BASH, str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout)


def test_script_parses():
    proc = subprocess.run([BASH, "-n", str(SCRIPT)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    text = SCRIPT.read_text(encoding="utf-8")
    assert "set -euo pipefail" in text and "timeout" in text


@pytest.mark.skipif(cuda_available(), reason="a GPU is present; the no-device path cannot be taken")
def test_without_cuda_one_line_exit_3_and_no_report(tmp_path):
    out = tmp_path / "GPU.md"
    proc = _run("--python", sys.executable, "--out", str(out))
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert proc.stdout.strip().splitlines() == ["no CUDA device: torch.cuda.is_available() is False"]
    assert not out.exists()


@pytest.mark.parametrize("args", [["--size", "100"], ["--bogus"], ["--budget", "5"], ["--out"],
                                  ["--python", "/nonexistent/python"]])
def test_bad_arguments_exit_2_with_one_line(args):
    proc = _run(*args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gpu_check.sh: "), proc.stderr


def test_help_lists_the_stages_and_exit_codes():
    proc = _run("--help")
    assert proc.returncode == 0
    for needle in ["pytest -m gpu tests/corpus", "bench/gemm_bench.py", "MLA decode timing", "3 no CUDA device"]:
        assert needle in proc.stdout, needle


@pytest.mark.slow
@pytest.mark.skipif(cuda_available(), reason="a GPU is present: run the real thing instead")
def test_rehearsal_runs_every_stage_and_writes_the_report(tmp_path):
    out = tmp_path / "report" / "GPU.md"
    proc = _run("--rehearse", "--python", sys.executable, "--out", str(out), "--budget", "240", timeout=900)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    report = out.read_text(encoding="utf-8")
    assert report.startswith("# GPU check: ")
    for stage in ["- pytest -m gpu tests/corpus: ", "- bench/gemm_bench.py --size 4096: ", "- MLA decode timing: "]:
        assert stage in report, stage
    assert "## GEMM ladder at 4096^3" in report and "## pytest -m gpu tests/corpus" in report
    assert "no CUDA device" in report  # the bench's own line, kept in the log section
    assert not list(out.parent.glob("GPU.md.tmp.*"))  # atomic rewrites leave no temp files
    assert re.fullmatch(rf"wrote {re.escape(str(out))} \(exit {proc.returncode}\)", proc.stdout.strip().splitlines()[-1])
