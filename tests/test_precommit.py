"""The pre-commit hooks, run by the real `pre-commit` in real git repositories.

The hook repository is a snapshot of this working tree (tracked files plus
untracked ones git does not ignore), committed into a temp git repo: `pre-commit
try-repo` on the working tree itself would only see committed and tracked
changes. pre-commit then builds the hook's virtualenv with `pip install .` of
that snapshot, which needs PyPI and takes a while: the tests are `slow`.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "clean"
NOTEBOOKS = Path(__file__).resolve().parent / "data" / "notebooks"
PRE_COMMIT = [sys.executable, "-m", "pre_commit"]
TIMEOUT = 900

BAD_PY = '''def f(x):
    #karpathy: hi
    return x
'''
BAD_CU = "__global__ void k(float* x) { x[0] = 1; }\n"


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def _env(home: Path) -> dict:
    env = dict(os.environ)
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "PRE_COMMIT", "NO_COLOR", "FORCE_COLOR"):
        env.pop(name, None)
    env.update({
        "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never",
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_CONFIG_NOSYSTEM": "1",
        # the hook venv runs `karpathy-lint` there; keep its cache out of the test repo
        "KARPATHY_LINT_CACHE_DIR": str(home.parent / "lint-cache"),
    })
    return env


def _init_repo(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    _git(path, "init", "-q", "-b", "main")
    _git(path, "config", "user.email", "t@example.com")
    _git(path, "config", "user.name", "t")
    _git(path, "config", "commit.gpgsign", "false")


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> tuple[Path, str]:
    """A git repo holding this working tree as one commit -> (path, sha)."""
    snap = tmp_path_factory.mktemp("hook-repo") / "karpathy-lint"
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           check=True, capture_output=True).stdout.decode().split("\0")
    for rel in filter(None, files):
        src = ROOT / rel
        if not src.is_file():  # deleted in the working tree but still in the index
            continue
        dst = snap / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)
    _init_repo(snap)
    _git(snap, "add", "-A")
    _git(snap, "commit", "-q", "-m", "snapshot")
    return snap, _git(snap, "rev-parse", "HEAD").strip()


def _project(path: Path) -> None:
    """A user's repo: config excluding vendor/, one bad file there."""
    _init_repo(path)
    (path / "pyproject.toml").write_text('[tool.karpathy-lint]\nextend-exclude = ["vendor/"]\n')
    (path / "vendor").mkdir()
    (path / "vendor" / "third_party.py").write_text(BAD_PY)
    (path / "README.txt").write_text("not code: the hooks' types_or must skip it\n")
    # identify tags this `python` (shebang + executable); the linter wants a .py name: the hook must skip it
    (path / "bin").mkdir()
    (path / "bin" / "tool").write_text("#!/usr/bin/env python\nprint('hi')\n")
    (path / "bin" / "tool").chmod(0o755)


def _run(cmd: list[str], cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT)


def test_manifest_is_valid_and_declares_the_three_hooks():
    manifest = ROOT / ".pre-commit-hooks.yaml"
    proc = subprocess.run([*PRE_COMMIT, "validate-manifest", str(manifest)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    hooks = {h["id"]: h for h in yaml.safe_load(manifest.read_text())}
    assert set(hooks) == {"karpathy-lint", "karpathy-lint-fix", "karpathy-scaffold"}
    for hook in hooks.values():
        assert hook["types_or"] == ["python", "cuda", "jupyter"]
        assert any(d.startswith("nbformat") for d in hook["additional_dependencies"])  # notebooks need it
        assert tuple(int(p) for p in hook["minimum_pre_commit_version"].split(".")) >= (2, 9, 0)
    assert "--force-exclude" in hooks["karpathy-lint"]["entry"]
    assert "--fix" in hooks["karpathy-lint-fix"]["entry"] and "--unsafe-fixes" not in hooks["karpathy-lint-fix"]["entry"]
    assert hooks["karpathy-scaffold"]["stages"] == ["manual"]
    for hook in hooks.values():
        files = re.compile(hook["files"])
        assert all(files.search(n) for n in ("a.py", "k/kernel.cu", "k/kernel.cuh", "lectures/attention.ipynb"))
        assert not any(files.search(n) for n in ("bin/tool", "notes.txt", "a.pyc"))


def test_identify_tags_cuda_files():
    from identify import identify

    assert "cuda" in identify.tags_from_filename("kernel.cu")
    assert "cuda" in identify.tags_from_filename("kernel.cuh")
    assert "python" in identify.tags_from_filename("model.py")
    assert "jupyter" in identify.tags_from_filename("lecture.ipynb")


def test_try_repo_failing_then_passing(hook_repo, tmp_path):
    snap, sha = hook_repo
    proj = tmp_path / "proj"
    _project(proj)
    env = _env(tmp_path / "pc-home")

    # failing: a bad .py and a bad .cu staged, plus the excluded vendor file
    (proj / "bad.py").write_text(BAD_PY)
    (proj / "bad.cu").write_text(BAD_CU)
    shutil.copy(NOTEBOOKS / "bad_marker.ipynb", proj / "bad.ipynb")
    _git(proj, "add", "-A")
    proc = _run([*PRE_COMMIT, "try-repo", str(snap), "--ref", sha, "--verbose"], proj, env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    lint_part, _, fix_part = out.partition("karpathy-lint (safe fixes)")
    assert "bad.py:2:5: KL301 marker-malformed" in lint_part, out
    assert "bad.cu:1:1: KL101 header-missing" in lint_part, out  # types_or reached the .cu file
    assert "bad.ipynb:cell 3:2:5: KL301 marker-malformed" in lint_part, out  # ... and the notebook
    assert "third_party" not in out, out  # excluded by the config although pre-commit passed it
    # the fix hook rewrote the marker, left the rest, and pre-commit saw the change
    assert "files were modified by this hook" in fix_part, out
    assert (proj / "bad.py").read_text() == BAD_PY.replace("#karpathy: hi", "# Karpathy: hi")
    assert (proj / "vendor" / "third_party.py").read_text() == BAD_PY  # excluded: never touched
    assert not re.search(r"^karpathy-scaffold\.+", out, re.M), out  # manual stage: not run by default

    # passing: clean files only, with the excluded bad vendor file still staged
    (proj / "bad.py").unlink()
    (proj / "bad.cu").unlink()
    (proj / "bad.ipynb").unlink()
    shutil.copy(DATA / "good.py", proj / "good.py")
    shutil.copy(DATA / "good.cu", proj / "good.cu")
    _git(proj, "add", "-A")
    proc = _run([*PRE_COMMIT, "try-repo", str(snap), "karpathy-lint", "--ref", sha, "--verbose"], proj, env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "All checks passed (2 files checked)" in out, out  # vendor/third_party.py was passed in, not checked
    assert "Passed" in out


def test_real_commit_through_installed_hook(hook_repo, tmp_path):
    snap, sha = hook_repo
    proj = tmp_path / "proj"
    _project(proj)
    env = _env(tmp_path / "pc-home")
    (proj / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {snap}\n  rev: {sha}\n  hooks:\n  - id: karpathy-lint\n")
    proc = _run([*PRE_COMMIT, "install"], proj, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    (proj / "bad.py").write_text(BAD_PY)
    _git(proj, "add", "-A")
    proc = _run(["git", "commit", "-m", "bad"], proj, env)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "bad.py:2:5: KL301" in out and "third_party" not in out, out
    assert subprocess.run(["git", "rev-parse", "--verify", "-q", "HEAD"], cwd=proj).returncode != 0  # no commit made

    (proj / "bad.py").unlink()
    shutil.copy(DATA / "good.py", proj / "good.py")
    _git(proj, "add", "-A")
    proc = _run(["git", "commit", "-m", "good"], proj, env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "karpathy-lint" in out and "Passed" in out, out
    assert _git(proj, "log", "--format=%s").split() == ["good"]
    assert "vendor/third_party.py" in _git(proj, "show", "--name-only", "--format=", "HEAD")


def test_scaffold_hook_runs_only_in_the_manual_stage(hook_repo, tmp_path):
    snap, sha = hook_repo
    proj = tmp_path / "proj"
    _project(proj)
    env = _env(tmp_path / "pc-home")
    (proj / "bare.py").write_text("def f(x):\n    return x\n")
    _git(proj, "add", "-A")
    proc = _run([*PRE_COMMIT, "try-repo", str(snap), "karpathy-scaffold", "--ref", sha, "--hook-stage", "manual",
                 "--verbose"], proj, env)
    out = proc.stdout + proc.stderr
    assert re.search(r"^karpathy-scaffold\.+Failed", out, re.M), out
    assert "files were modified by this hook" in out, out
    text = (proj / "bare.py").read_text()
    assert "<karpathys_code_comments>" in text and "f(x) - " in text, text
    # the hook runs with --force-exclude: the excluded file pre-commit named is left alone
    assert (proj / "vendor" / "third_party.py").read_text() == BAD_PY
