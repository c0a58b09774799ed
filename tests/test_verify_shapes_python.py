"""`verify-shapes --python PATH` runs the script with the project's interpreter (issue 19)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SCRIPT = textwrap.dedent("""
    import projmod

    def f():
        # Karpathy: x shape [batch, 3]
        x = projmod.T(2, 3)
        # Karpathy: y shape [batch, 4]
        y = projmod.T(2, 5)
        return y

    f()
""")


@pytest.fixture(scope="module")
def project_venv(tmp_path_factory) -> Path:
    """A virtual environment that holds `projmod`; the interpreter running the linter does not."""
    root = tmp_path_factory.mktemp("proj")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / "venv")], check=True, timeout=120)
    python = root / "venv" / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "projmod.py").write_text("class T:\n    def __init__(self, *shape):\n        self.shape = shape\n")
    (root / "demo.py").write_text(SCRIPT)
    return root


def run(root: Path, *args: str, env_extra: dict | None = None):
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env.update(env_extra or {})
    record = root / "record.json"
    if record.exists():
        record.unlink()
    proc = subprocess.run([sys.executable, "-m", "karpathy_lint", "verify-shapes", "--record", str(record), *args,
                           "demo.py"], capture_output=True, text=True, cwd=root, env=env, timeout=120)
    return proc, (json.loads(record.read_text()) if record.exists() else None)


def test_missing_module_is_one_line(project_venv):
    proc, _ = run(project_venv)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "No module named 'projmod'" in lines[0] and "--python" in lines[0]


def test_python_option_runs_the_projects_interpreter(project_venv):
    proc, data = run(project_venv, "--python", str(project_venv / "venv" / "bin" / "python"))
    assert proc.returncode == 1, proc.stderr
    assert "demo.py:7:" in proc.stdout and "KL601" in proc.stdout
    assert "verified 1 of 2 shape comments in 1 file (0 never ran); 1 mismatch" in proc.stdout
    assert [s["runs"] for s in data["shapes"]] == [1, 1]


def test_active_virtualenv_is_used(project_venv):
    proc, data = run(project_venv, env_extra={"VIRTUAL_ENV": str(project_venv / "venv")})
    assert proc.returncode == 1, proc.stderr
    assert data["mismatches"] == 1 and data["verified"] == 1


def test_bad_interpreter_is_one_line(project_venv):
    proc, _ = run(project_venv, "--python", str(project_venv / "nope" / "python"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "--python" in proc.stderr and "not found" in proc.stderr
