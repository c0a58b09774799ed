"""`rules/` and `codemods/` stay top-level folders yet import as `karpathy_lint.rules` / `karpathy_lint.codemods`:
from a plain checkout (PYTHONPATH=checkout) and from a wheel; nothing else of the checkout joins the package."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import importlib, karpathy_lint.rules, karpathy_lint.codemods.scaffold as s
from karpathy_lint.registry import all_rules
print(karpathy_lint.rules.__file__, s.__file__, len(all_rules()))
for name in ("tests", "bench", "corpus"):
    try:
        importlib.import_module("karpathy_lint." + name)
        print("IMPORTABLE", name)
    except ImportError:
        pass
"""


def test_plain_checkout_maps_rules_and_codemods_only(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "IMPORTABLE" not in proc.stdout
    rules_init, scaffold, count = proc.stdout.split()
    assert Path(rules_init) == ROOT / "rules" / "__init__.py"
    assert Path(scaffold) == ROOT / "codemods" / "scaffold.py"
    assert int(count) > 20


@pytest.mark.slow
def test_wheel_holds_rules_and_codemods_under_the_package(tmp_path):
    # build from a copy of the tracked files: setuptools writes build/ and *.egg-info beside the sources
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    src = tmp_path / "src"
    for name in filter(None, tracked.decode().split("\0")):
        if (ROOT / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, src / name)
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "-w", str(tmp_path), str(src)], capture_output=True, text=True, timeout=600)
    if proc.returncode != 0 and "No module named" in proc.stderr:
        pytest.skip(f"cannot build here: {proc.stderr.strip().splitlines()[-1]}")
    assert proc.returncode == 0, proc.stderr
    wheel = next(tmp_path.glob("karpathy_lint-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "karpathy_lint/rules/kl101_header_missing.py" in names
    assert "karpathy_lint/codemods/templates/new.py.tmpl" in names
    assert "karpathy_lint/shapes/format.py" in names
    assert {"karpathy_lint/render/templates/page.html", "karpathy_lint/render/templates/index.html",
            "karpathy_lint/render/templates/base.html", "karpathy_lint/render/static/style.css"} <= set(names)
    assert not [n for n in names if n.startswith(("tests/", "bench/", "corpus/", "karpathy_lint/tests"))]
    # every module of the source tree ships (a subpackage missing from pyproject's `packages` would not)
    sources = [n for n in filter(None, tracked.decode().split("\0")) if n.endswith(".py")
               and n.startswith(("karpathy_lint/", "rules/", "codemods/"))]
    shipped = {n if n.startswith("karpathy_lint/") else "karpathy_lint/" + n for n in sources}
    assert not shipped - set(names), sorted(shipped - set(names))
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)
    proc = subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(site)},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[0] == str(site / "karpathy_lint" / "rules" / "__init__.py")
    assert "IMPORTABLE" not in proc.stdout
    # `render` from the installed wheel finds its templates and stylesheet (package data)
    out = tmp_path / "rendered"
    proc = subprocess.run([sys.executable, "-m", "karpathy_lint", "render", str(ROOT / "corpus" / "08-ESFT"), "-o",
                           str(out)], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(site)},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert (out / "01-expert_specialization.py.html").is_file() and "--code-bg" in (out / "style.css").read_text()
