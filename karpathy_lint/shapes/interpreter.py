"""Which interpreter runs the user's code for `verify-shapes`, and running it there.

A linter installed with pipx lives in its own environment; the project's
torch lives in the project's. `--python PATH`, or else the active virtual
environment ($VIRTUAL_ENV) when it is not the one running us, names the
project's interpreter; the script then runs there (`child.py`) and only the
counts come back.
"""
from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import tempfile
from types import SimpleNamespace


class InterpreterError(Exception):
    """A --python that cannot be used: one line, exit 2."""


def project_interpreter(python: str | None) -> str | None:
    """The interpreter to run the target with, or None for this process."""
    if python:
        found = python if os.sep in python else _which(python)
        if not found or not os.path.isfile(found) or not os.access(found, os.X_OK):
            raise InterpreterError(f"--python {python}: not found or not executable")
        return None if os.path.abspath(found) == os.path.abspath(sys.executable) else os.path.abspath(found)
    venv = os.environ.get("VIRTUAL_ENV")
    if not venv or os.path.realpath(venv) == os.path.realpath(sys.prefix):
        return None
    for candidate in (os.path.join(venv, "bin", "python"), os.path.join(venv, "Scripts", "python.exe")):
        if os.path.isfile(candidate):
            return candidate
    return None


def _which(name: str) -> str | None:
    import shutil

    return shutil.which(name)


def run_elsewhere(interpreter: str, sites, target: str, args: list[str], use_pytest: bool):
    """Run `target` under the tracer in `interpreter`; fill the sites' counts. -> (tracer-like, error or None)."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # .../karpathy_lint
    with tempfile.TemporaryDirectory(prefix="karpathy-lint-python-") as tmp:
        os.symlink(package, os.path.join(tmp, "karpathy_lint"))  # our package alone, nothing else of this env
        job, out = os.path.join(tmp, "job.json"), os.path.join(tmp, "out.json")
        with open(job, "w", encoding="utf-8") as fh:
            json.dump({"target": target, "args": list(args), "pytest": use_pytest,
                       "sites": [dataclasses.asdict(s) for s in sites]}, fh)
        env = dict(os.environ)
        env["PYTHONPATH"] = tmp + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        sys.stdout.flush()
        try:
            proc = subprocess.run([interpreter, "-m", "karpathy_lint.shapes.child", job, out], env=env, check=False)
        except OSError as exc:
            raise InterpreterError(f"--python {interpreter}: {exc.strerror or exc}") from None
        if not os.path.exists(out):
            return SimpleNamespace(files_ran=set(), internal_errors=0), (
                f"{target} did not finish under {interpreter} (exit status {proc.returncode})")
        with open(out, encoding="utf-8") as fh:
            result = json.load(fh)
    shapes = [s for site in sites for s in site.shapes]
    for s, (runs, problems, message, code) in zip(shapes, result["shapes"]):
        s.runs, s.problems, s.message, s.code = runs, problems, message, code
    return SimpleNamespace(files_ran=set(result["files_ran"]), internal_errors=result["internal_errors"]), \
        result["error"]
