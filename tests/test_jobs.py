"""Worker processes: the report is byte-identical whatever the job count (and cached or not)."""
from __future__ import annotations

from pathlib import Path

import pytest

from clihelp import run_cli

DATA = Path(__file__).parent / "data"


def make_project(root: Path, n: int = 40) -> Path:
    """~40 files of different sizes, most with findings, in nested folders, both languages."""
    clean = (DATA / "clean_router.py").read_text()
    kernel = (DATA / "clean_kernel.cu").read_text()
    for i in range(n):
        folder = root / f"pkg{i % 3}" / ("sub" if i % 4 == 0 else "")
        folder.mkdir(parents=True, exist_ok=True)
        if i % 10 == 9:
            (folder / f"k{i}.cu").write_text(kernel if i % 20 == 9 else "__global__ void k(float* x) { x[0] = 1; }\n")
            continue
        body = "".join(f"def f{i}_{j}(x, y={j}):\n    a = x + y\n    b = a * 2\n    return b\n\n\n"
                       for j in range(i % 7 + 1))
        text = clean if i % 8 == 0 else (f'"""Module: m{i}"""\n' if i % 2 else "") + body
        (folder / f"m{i:02d}.py").write_text(text)
    return root


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_jobs_1_and_2_give_identical_output(tmp_path, fmt):
    src = make_project(tmp_path / "src")
    one = run_cli("--no-cache", "--jobs", "1", "--format", fmt, src, cwd=tmp_path)
    two = run_cli("--no-cache", "--jobs", "2", "--format", fmt, src, cwd=tmp_path)
    assert one.returncode == two.returncode == 1, one.stderr + two.stderr
    assert one.stdout.count(b"KL") > 40  # findings in many files
    assert one.stdout == two.stdout
    assert one.stderr == two.stderr


def test_output_is_stable_across_job_counts_and_cache_states(tmp_path):
    src = make_project(tmp_path / "src")
    reference = run_cli("--no-cache", "-j", "1", "--format", "json", src, cwd=tmp_path).stdout
    cache = tmp_path / "cache"
    for jobs in ("3", "2", "0", "1"):  # first run fills the cache, the rest are warm
        proc = run_cli("--cache-dir", cache, "-j", jobs, "--format", "json", src, cwd=tmp_path)
        assert proc.stdout == reference, jobs
    # half warm: edit some files so the run mixes hits and misses
    for p in sorted(src.rglob("m1*.py")):
        p.write_text(p.read_text() + "\n\ndef extra(z):\n    return z\n")
    fresh = run_cli("--no-cache", "-j", "1", "--format", "json", src, cwd=tmp_path).stdout
    mixed = run_cli("--cache-dir", cache, "-j", "2", "--format", "json", src, cwd=tmp_path).stdout
    assert mixed == fresh != reference
