"""Bad input: one clear line on stderr, the documented exit code, never a traceback."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

import karpathy_lint.files
from clihelp import run_cli

CLEAN = (Path(__file__).parent / "data" / "clean_router.py").read_bytes()


def assert_one_line_error(proc, *needles: str) -> str:
    err = proc.stderr.decode()
    assert "Traceback" not in err, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines, "expected an error line on stderr"
    for needle in needles:
        assert any(needle in ln for ln in lines), (needle, err)
    return err


def test_syntax_error_is_a_finding_and_exit_2(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f(:\n    pass\n")
    good = tmp_path / "good.py"
    good.write_bytes(CLEAN)
    proc = run_cli("--no-cache", bad, good)
    assert proc.returncode == 2
    out = proc.stdout.decode()
    assert f"{bad}:1:" in out and "KL001 syntax-error" in out
    assert str(good) not in out  # the good file was still checked, and is clean
    assert "Traceback" not in proc.stderr.decode()


def test_cuda_syntax_error(tmp_path):
    bad = tmp_path / "k.cu"
    bad.write_text("__global__ void k(float* x) {\n  x[0] = (1 + ;\n}\n")
    proc = run_cli("--no-cache", bad)
    assert proc.returncode == 2
    assert "KL001" in proc.stdout.decode() and ":2:" in proc.stdout.decode()


def test_non_utf8(tmp_path):
    f = tmp_path / "latin.py"
    f.write_bytes(b"# caf\xe9\nx = 1\n")
    proc = run_cli("--no-cache", f)
    assert proc.returncode == 2
    assert_one_line_error(proc, "not valid UTF-8", "line 1")


def test_binary_file(tmp_path):
    f = tmp_path / "blob.py"
    f.write_bytes(b"\x00\x01\x02binary\x00")
    proc = run_cli("--no-cache", f)
    assert proc.returncode == 2
    assert_one_line_error(proc, "binary file")


def test_empty_file_is_clean(tmp_path):
    f = tmp_path / "empty.py"
    f.write_bytes(b"")
    proc = run_cli("--no-cache", f)
    assert proc.returncode == 0, proc.stdout
    assert b"All checks passed" in proc.stdout


def test_missing_path(tmp_path):
    proc = run_cli("--no-cache", tmp_path / "nope.py")
    assert proc.returncode == 2
    assert_one_line_error(proc, "nope.py", "no such file")


def test_unreadable_file(tmp_path, monkeypatch, cli):
    # root reads any file whatever its mode: deny the read itself, so the test runs as every user
    f = tmp_path / "secret.py"
    f.write_bytes(CLEAN)
    real_open = open

    def denying_open(path, *args, **kwargs):
        if os.fspath(path) == str(f):
            raise PermissionError(13, "Permission denied", str(f))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(karpathy_lint.files, "open", denying_open, raising=False)
    result = cli("--no-cache", f)
    assert result.returncode == 2
    assert result.stderr == f"karpathy-lint: error: {f}: permission denied\n"
    assert "Traceback" not in result.stderr and f.read_bytes() == CLEAN


def test_unreadable_file_as_root_via_directory(tmp_path):
    # a path that names a directory where a file is expected by --config
    proc = run_cli("--config", tmp_path, tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr.decode()


def test_directory_with_nothing_to_check(tmp_path):
    (tmp_path / "notes.txt").write_text("hi")
    proc = run_cli("--no-cache", tmp_path)
    assert proc.returncode == 0
    assert b"0 files" in proc.stdout


@pytest.mark.parametrize(
    "toml,needle",
    [
        ("[tool.karpathy-lint]\nbogus = 1\n", "unknown key `bogus`"),
        ("[tool.karpathy-lint]\nlines-per-comment = 0\n", "`lines-per-comment` must be"),
        ("[tool.karpathy-lint]\nselect = ['KL999']\n", "unknown rule 'KL999'"),
        ("[tool.karpathy-lint]\nmarker = 3\n", "`marker` must be"),
        ("[tool.karpathy-lint\n", "invalid TOML"),
    ],
)
def test_bad_config(tmp_path, toml, needle):
    (tmp_path / "pyproject.toml").write_text(toml)
    (tmp_path / "a.py").write_bytes(CLEAN)
    proc = run_cli("--no-cache", "a.py", cwd=tmp_path)
    assert proc.returncode == 2
    err = assert_one_line_error(proc, needle)
    assert len(err.strip().splitlines()) == 1


def test_bad_cli_selector(tmp_path):
    (tmp_path / "a.py").write_bytes(CLEAN)
    proc = run_cli("--select", "KL999", tmp_path / "a.py")
    assert proc.returncode == 2
    assert b"unknown rule" in proc.stderr


def test_linter_never_writes_checked_files(tmp_path):
    f = tmp_path / "a.py"
    f.write_bytes(b"#karpathy: fix me\nx = 1\n")
    before = f.read_bytes(), f.stat().st_mtime_ns
    proc = run_cli("--no-cache", f)
    assert proc.returncode == 1
    assert (f.read_bytes(), f.stat().st_mtime_ns) == before


def test_python2_print_statement_is_a_syntax_error(tmp_path):
    f = tmp_path / "old.py"
    f.write_text('x = 1\nprint "hello"\n')
    proc = run_cli("--no-cache", "--select", "KL001", f)
    assert proc.returncode == 2
    assert f"{f}:2:" in proc.stdout.decode() and "KL001" in proc.stdout.decode()


def test_print_chevron_is_valid_python3(tmp_path):
    f = tmp_path / "ok.py"
    f.write_text("import sys\nprint >> sys.stderr, 1\n")
    proc = run_cli("--no-cache", "--select", "KL001", f)
    assert proc.returncode == 0, proc.stdout
