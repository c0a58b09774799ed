"""stdin (`karpathy-lint - --stdin-filename kernel.cu`) and the progress bar,
through the real CLI. The progress tests run it under a pseudo-terminal
(`pty.openpty`) over 60 files and read what the terminal got."""
from __future__ import annotations

import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
from clihelp import lint

DATA = Path(__file__).resolve().parent / "data" / "clean"
GOOD_PY = (DATA / "good.py").read_text(encoding="utf-8")
GOOD_CU = (DATA / "good.cu").read_text(encoding="utf-8")
BAD_CU = "__global__ void k(float* x) { x[0] = 1; }\n"



# -- stdin -----------------------------------------------------------------------------------


def test_stdin_cuda_by_stdin_filename(tmp_path: Path):
    proc = lint("-", "--stdin-filename", "kernel.cu", cwd=tmp_path, input=BAD_CU)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    # parsed as CUDA: the CUDA wording of KL101, the name from --stdin-filename
    assert lines[0].startswith("kernel.cu:1:1: KL101 header-missing no header block: add a leading /* ... */ comment")
    assert lines[-1] == "Checked 1 file: 2 findings."
    assert not list(tmp_path.iterdir())  # nothing written: no file named kernel.cu, no cache of a stdin run

    proc = lint("-", "--stdin-filename", "kernel.cu", cwd=tmp_path, input=GOOD_CU)
    assert proc.returncode == 0 and proc.stdout == "All checks passed (1 file checked).\n"
    # the same CUDA text named .py is parsed as Python: a syntax error, exit 2
    proc = lint("-", "--stdin-filename", "kernel.py", cwd=tmp_path, input=GOOD_CU)
    assert proc.returncode == 2 and "kernel.py:" in proc.stdout and "KL001 syntax-error" in proc.stdout


def test_stdin_without_a_name_is_python(tmp_path: Path):
    proc = lint("-", "--format", "json", cwd=tmp_path, input="#karpathy: x\ny = 1\n")
    got = json.loads(proc.stdout)
    assert {f["path"] for f in got} == {"-"}
    assert "KL301" in {f["code"] for f in got}
    assert proc.returncode == 1


def test_stdin_uses_the_config_nearest_to_stdin_filename(tmp_path: Path):
    (tmp_path / "kern").mkdir()
    (tmp_path / "kern" / "karpathy-lint.toml").write_text('ignore = ["KL308"]\n')
    proc = lint("-", "--stdin-filename", "kern/k.cu", "--format", "json", cwd=tmp_path, input=BAD_CU)
    assert [f["code"] for f in json.loads(proc.stdout)] == ["KL101"]
    proc = lint("-", "--stdin-filename", "other/k.cu", "--format", "json", cwd=tmp_path, input=BAD_CU)
    assert [f["code"] for f in json.loads(proc.stdout)] == ["KL101", "KL308"]


def test_stdin_fix_writes_the_source_to_stdout_and_the_rest_to_stderr(tmp_path: Path):
    bad = GOOD_PY.replace("# Karpathy: one addition", "#karpathy: one addition")
    proc = lint("-", "--stdin-filename", "m.py", "--fix", cwd=tmp_path, input=bad)
    assert proc.stdout == GOOD_PY and proc.returncode == 0 and proc.stderr == ""
    # findings the fix cannot remove: the fixed source on stdout, findings on stderr, exit 1
    bad2 = bad.replace("\n# Karpathy: Simple idea, huge impact. Pretty cool engineering tbh.\n", "")
    proc = lint("-", "--stdin-filename", "m.py", "--fix", cwd=tmp_path, input=bad2)
    assert proc.stdout == bad2.replace("#karpathy:", "# Karpathy:")
    assert proc.stderr.startswith("m.py:") and "KL308 signature-missing" in proc.stderr
    assert proc.returncode == 1
    proc = lint("-", "--stdin-filename", "m.py", "--fix", "--exit-zero", cwd=tmp_path, input=bad2)
    assert proc.returncode == 0


def test_stdin_force_exclude_honours_the_config(tmp_path: Path):
    """An editor passes every buffer; an excluded one reports nothing (ruff's behaviour)."""
    (tmp_path / "pyproject.toml").write_text('[tool.karpathy-lint]\nextend-exclude = ["third_party/"]\n')
    args = ("-", "--stdin-filename", "third_party/k.cu", "--force-exclude")
    proc = lint(*args, cwd=tmp_path, input=BAD_CU)
    assert proc.returncode == 0 and "KL101" not in proc.stdout
    proc = lint(*args, "--fix", cwd=tmp_path, input=BAD_CU)
    assert proc.returncode == 0 and proc.stdout == BAD_CU
    # without --force-exclude a named file is checked, as on the command line
    proc = lint("-", "--stdin-filename", "third_party/k.cu", cwd=tmp_path, input=BAD_CU)
    assert proc.returncode == 1 and "KL101" in proc.stdout


# -- progress --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def many(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("many")
    for i in range(60):
        (root / f"m{i:02d}.py").write_text(GOOD_PY)
    return root


def _env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("CI", "NO_COLOR", "FORCE_COLOR", "GITHUB_ACTIONS", "TERM", "COLUMNS", "LINES")}
    env["TERM"] = "xterm-256color"
    env.update(extra)
    return env


def run_in_pty(args: list[str], cwd: Path, env: dict, stdout_to: Path | None = None) -> tuple[int, str]:
    """Run the CLI with stderr (and stdout, unless `stdout_to`) on a pseudo-terminal."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    out_handle = open(stdout_to, "wb") if stdout_to else slave
    try:
        proc = subprocess.Popen([sys.executable, "-m", "karpathy_lint", *args], cwd=cwd, env=env,
                                stdin=subprocess.DEVNULL, stdout=out_handle, stderr=slave, close_fds=True)
    finally:
        os.close(slave)
        if stdout_to:
            out_handle.close()
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(timeout=120), b"".join(chunks).decode("utf-8", "replace")


def _has_bar(text: str) -> bool:
    return "checking" in text and "━" in text


def test_progress_bar_on_a_terminal(many: Path):
    code, text = run_in_pty(["--no-cache", "."], many, _env())
    assert code == 0, text
    assert _has_bar(text), text
    assert "60/60" in text or "100%" in text, text
    assert "All checks passed (60 files checked)." in text


def test_progress_bar_goes_to_stderr_not_the_report(many: Path, tmp_path: Path):
    out = tmp_path / "report.json"
    code, text = run_in_pty(["--no-cache", "--format", "json", "."], many, _env(), stdout_to=out)
    assert code == 0
    assert _has_bar(text), text  # on the terminal (stderr)
    assert json.loads(out.read_text()) == []  # stdout is clean JSON


@pytest.mark.parametrize("args, extra", [
    (["--no-cache", "."], {"CI": "true"}),
    (["--no-cache", "."], {"NO_COLOR": "1"}),
    (["--no-cache", "."], {"TERM": "dumb"}),
    (["--no-cache", "--quiet", "."], {}),
])
def test_no_progress_bar_under_ci_no_color_dumb_or_quiet(many: Path, args: list[str], extra: dict):
    code, text = run_in_pty(args, many, _env(**extra))
    assert code == 0
    assert not _has_bar(text), text
    assert "checking" not in text
    if "--quiet" not in args:
        assert "All checks passed (60 files checked)." in text


def test_no_progress_bar_without_a_terminal(many: Path):
    proc = lint("--no-cache", ".", cwd=many, env=_env())
    assert proc.returncode == 0
    assert not _has_bar(proc.stdout + proc.stderr)
    assert proc.stderr == ""
    assert proc.stdout == "All checks passed (60 files checked).\n"


def test_no_progress_bar_for_few_files(many: Path):
    files = [f"m{i:02d}.py" for i in range(10)]
    code, text = run_in_pty(["--no-cache", *files], many, _env())
    assert code == 0 and not _has_bar(text), text
