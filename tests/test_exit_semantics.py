"""The exit code always matches what was printed (issue 19, item 1)."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from karpathy_lint.cli import main

BAD_CU = "__global__ void k(float* x) {\n  x[0] = (1 + ;\n}\n"


@pytest.mark.parametrize("selection", [["--ignore", "KL001"], ["--select", "KL2"], ["--select", "KL303"]])
def test_unparsable_file_is_reported_whatever_the_selection(tmp_path, selection):
    bad = tmp_path / "file.cu"
    bad.write_text(BAD_CU)
    r = CliRunner().invoke(main, ["--no-cache", *selection, str(bad)])
    assert r.exit_code == 2
    assert "All checks passed" not in r.stdout
    assert "could not be checked" in r.stdout  # the summary says so
    assert f"{bad}" in r.stderr and "syntax error" in r.stderr and "line 2" in r.stderr


def test_unparsable_file_hidden_by_a_baseline_is_still_reported(tmp_path):
    bad = tmp_path / "file.cu"
    bad.write_text(BAD_CU)
    base = tmp_path / "baseline.json"
    wrote = CliRunner().invoke(main, ["--no-cache", "--baseline", str(base), "--write-baseline", str(bad)])
    assert wrote.exit_code == 2
    r = CliRunner().invoke(main, ["--no-cache", "--baseline", str(base), str(bad)])
    assert r.exit_code == 2 and "All checks passed" not in r.stdout and "syntax error" in r.stderr


def test_file_ignore_kl001_is_honoured(tmp_path):
    bad = tmp_path / "fixture.py"
    bad.write_text("# karpathy-lint: file-ignore[KL001]\ndef f(:\n    pass\n")
    r = CliRunner().invoke(main, ["--no-cache", str(bad)])
    assert r.exit_code == 0, (r.stdout, r.stderr)
    assert r.stderr == "" and "All checks passed" in r.stdout
    cu = tmp_path / "k.cu"
    cu.write_text("// karpathy-lint: file-ignore[syntax-error]\n" + BAD_CU)
    r = CliRunner().invoke(main, ["--no-cache", "--select", "KL001", str(cu)])
    assert r.exit_code == 0 and r.stderr == ""


def test_syntax_error_selected_is_a_finding_and_an_error(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f(:\n    pass\n")
    r = CliRunner().invoke(main, ["--no-cache", str(bad)])
    assert r.exit_code == 2
    assert "KL001 syntax-error" in r.stdout and "1 file could not be checked" in r.stdout
    assert "syntax error" in r.stderr


def test_exit_zero_does_not_hide_a_failed_run(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f(:\n    pass\n")
    assert CliRunner().invoke(main, ["--no-cache", "--exit-zero", str(bad)]).exit_code == 2
    assert CliRunner().invoke(main, ["--no-cache", "--exit-zero", str(tmp_path / "missing.py")]).exit_code == 2
    findings = tmp_path / "f.py"
    findings.write_text("def f(x):\n    return x\n")
    r = CliRunner().invoke(main, ["--no-cache", "--exit-zero", str(findings)])
    assert r.exit_code == 0 and "KL101" in r.stdout


def test_no_files_is_a_warning_on_stderr(tmp_path):
    (tmp_path / "notes.txt").write_text("hi\n")
    r = CliRunner().invoke(main, ["--no-cache", str(tmp_path)])
    assert r.exit_code == 0
    assert "warning" in r.stderr and str(tmp_path) in r.stderr
    assert "files (*.py, *.pyi, *.cu, *.cuh, *.ipynb) under" in r.stderr  # what a folder walk picks up (`include`)
    r = CliRunner().invoke(main, ["--no-cache", "--output-format", "json", str(tmp_path)])
    assert json.loads(r.stdout) == [] and "no Python" in r.stderr
