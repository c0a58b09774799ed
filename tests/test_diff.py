"""`--diff` output is a patch that the real `patch` command applies, giving exactly what `--fix` writes."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from karpathy_lint.diff import unified_diff

pytestmark = pytest.mark.skipif(shutil.which("patch") is None, reason="needs the `patch` command")

# a misspelt marker on the last line (KL301, safe fix); the file has no final newline
NO_FINAL_NEWLINE = b"x = 1\ny = 2\n#karpathy: y is x plus one"


def _cli(cwd: Path, *args: str, input: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "karpathy_lint", "--isolated", "--select", "KL301", *args],
                          cwd=cwd, input=input, capture_output=True, timeout=120)


def _patch(cwd: Path, diff: bytes) -> None:
    proc = subprocess.run(["patch", "-p1", "--forward", "--batch"], cwd=cwd, input=diff, capture_output=True)
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()


@pytest.mark.parametrize("source", [NO_FINAL_NEWLINE, NO_FINAL_NEWLINE.replace(b"\n", b"\r\n"),
                                    NO_FINAL_NEWLINE + b"\n"])
def test_linter_diff_applies_with_patch(tmp_path, source):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "m.py").write_bytes(source)
    diff = _cli(tmp_path / "a", "--diff", "m.py")
    assert diff.returncode == 1 and diff.stdout.startswith(b"--- a/m.py")
    fixed = tmp_path / "fixed"
    fixed.mkdir()
    (fixed / "m.py").write_bytes(source)
    assert _cli(fixed, "--fix", "m.py").returncode == 0
    _patch(tmp_path / "a", diff.stdout)
    assert (tmp_path / "a" / "m.py").read_bytes() == (fixed / "m.py").read_bytes()


def test_scaffold_diff_applies_with_patch(tmp_path):
    source = b"def f(x):\n    return x"
    (tmp_path / "k.py").write_bytes(source)
    proc = subprocess.run([sys.executable, "-m", "karpathy_lint.codemods.scaffold_cli", "--isolated", "--diff", "k.py"],
                          cwd=tmp_path, capture_output=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert (tmp_path / "k.py").read_bytes() == source
    _patch(tmp_path, proc.stdout)
    assert subprocess.run([sys.executable, "-m", "karpathy_lint.codemods.scaffold_cli", "--isolated", "--check",
                           "k.py"], cwd=tmp_path, capture_output=True, timeout=120).returncode == 0
    assert (tmp_path / "k.py").read_bytes().endswith(source)


def test_lines_break_at_newline_only(tmp_path):
    # a form feed or a vertical tab is not a line break for `patch`: the diff must not split there
    old, new = b"a\x0cb = 1\nc = 2\n", b"a\x0cb = 1\nc = 3\n"
    diff = unified_diff("m.py", old, new)
    assert "-c = 2\n+c = 3\n" in diff and "@@ -1,2 +1,2 @@" in diff
    (tmp_path / "m.py").write_bytes(old)
    _patch(tmp_path, diff.encode())
    assert (tmp_path / "m.py").read_bytes() == new
