"""Run the real CLI in a subprocess."""
from __future__ import annotations

import subprocess
import sys


def run_cli(*args: str, cwd=None, input: bytes | None = None, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "karpathy_lint", *map(str, args)], cwd=cwd, input=input,
                          capture_output=True, check=False, env=env, timeout=300)
