"""A PEP 263 coding cookie is honoured as Python honours it (issue 19, item 6)."""
from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from karpathy_lint.cli import main

LATIN1 = ("# -*- coding: latin-1 -*-\n"
          "def f(x):\n"
          "    #karpathy: caf\u00e9 shape [batch, d]\n"
          "    return x\n").encode("latin-1")


def test_latin1_file_with_a_cookie_is_checked(tmp_path):
    f = tmp_path / "latin.py"
    f.write_bytes(LATIN1)
    compiles = f"compile(open({str(f)!r}, 'rb').read(), 'f', 'exec')"
    assert subprocess.run([sys.executable, "-c", compiles], check=False).returncode == 0  # valid Python
    r = CliRunner().invoke(main, ["--no-cache", "--select", "KL301,KL401", "--output-format", "concise", str(f)])
    assert r.exit_code == 1, r.stderr
    assert r.stderr == ""
    assert f"{f}:3:5: KL301" in r.stdout and "KL401" not in r.stdout  # decoded right: no mojibake


def test_fix_keeps_the_declared_encoding(tmp_path):
    f = tmp_path / "latin.py"
    f.write_bytes(LATIN1)
    r = CliRunner().invoke(main, ["--no-cache", "--select", "KL301", "--fix", str(f)])
    assert r.exit_code == 0, (r.stdout, r.stderr)
    assert f.read_bytes() == LATIN1.replace(b"#karpathy: caf\xe9", b"# Karpathy: caf\xe9")


def test_files_python_rejects_are_still_unreadable(tmp_path):
    no_cookie = tmp_path / "plain.py"
    no_cookie.write_bytes(b"# caf\xe9\nx = 1\n")
    unknown = tmp_path / "unknown.py"
    unknown.write_bytes(b"# coding: klingon\nx = 1\n")
    r = CliRunner().invoke(main, ["--no-cache", str(no_cookie), str(unknown)])
    assert r.exit_code == 2
    assert "plain.py: not valid UTF-8" in r.stderr and "unknown.py: unknown encoding" in r.stderr
