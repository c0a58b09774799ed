"""The CLI, for tests: in-process through click's CliRunner (fast), or as a real subprocess (end to end).

`conftest.py` hands `lint` and `scaffold` to tests as the `cli` and `scaffold_cli`
fixtures; `run_cli` starts a real `python -m karpathy_lint`, kept for the few
end-to-end tests (exit status of the process, signals, pipes, workers).
"""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass

from click.testing import CliRunner


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str
    stdout_bytes: bytes

    @property
    def exit_code(self) -> int:  # click's name for it
        return self.returncode

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def _invoke(command, args, cwd=None, input: str | bytes | None = None, env: dict | None = None) -> CliResult:
    old = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        result = CliRunner(env=env).invoke(command, [str(a) for a in args], input=input, catch_exceptions=False)
    finally:
        os.chdir(old)
    return CliResult(result.exit_code, result.stdout, result.stderr, result.stdout_bytes)


def lint(*args, cwd=None, input: str | bytes | None = None, env: dict | None = None) -> CliResult:
    """`karpathy-lint ARGS` in this process; `env` values of None unset a variable."""
    from karpathy_lint.cli import main

    return _invoke(main, args, cwd, input, env)


def scaffold(*args, cwd=None, input: str | bytes | None = None, env: dict | None = None) -> CliResult:
    """`karpathy-scaffold ARGS` in this process."""
    from karpathy_lint.codemods.scaffold_cli import main

    return _invoke(main, args, cwd, input, env)


def run_cli(*args: str, cwd=None, input: bytes | None = None, env=None) -> subprocess.CompletedProcess:
    """`python -m karpathy_lint ARGS` as a real process."""
    return subprocess.run([sys.executable, "-m", "karpathy_lint", *map(str, args)], cwd=cwd, input=input,
                          capture_output=True, check=False, env=env, timeout=300)
