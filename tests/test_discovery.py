"""Which files a run checks: excludes relative to the project root, ignore status decided as git does."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from karpathy_lint.config import ConfigResolver
from karpathy_lint.discovery import discover, is_excluded

CONFIG = "[tool.karpathy-lint]\nselect = ['KL101']\n"


def _write(path: Path, text: str = "x = 1\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def test_force_exclude_default_excludes_are_relative_to_the_project_root(tmp_path, monkeypatch):
    # a project checked out under a folder named `build` (or `dist`, `venv`, ...) is still linted
    proj = tmp_path / "build" / "proj"
    _write(proj / "pyproject.toml", CONFIG)
    kept = _write(proj / "model.py")
    dropped = _write(proj / "dist" / "gen.py")  # `dist` below the project root is excluded
    monkeypatch.chdir(proj)
    resolver = ConfigResolver()
    assert not is_excluded(str(kept), resolver)
    assert is_excluded(str(dropped), resolver)
    found = discover([str(kept), str(dropped)], resolver, force_exclude=True)
    assert found.files == [str(kept)]


def test_force_exclude_configured_excludes_are_relative_to_the_project_root(tmp_path, monkeypatch):
    proj = tmp_path / "vendor" / "proj"
    _write(proj / "pyproject.toml", CONFIG + "exclude = ['vendor']\n")
    kept = _write(proj / "model.py")
    dropped = _write(proj / "vendor" / "lib.py")
    monkeypatch.chdir(tmp_path)
    found = discover([str(kept), str(dropped)], ConfigResolver(), force_exclude=True)
    assert found.files == [str(kept)]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    _git(tmp_path, "init", "-q")
    return tmp_path


def _git_lists(repo: Path) -> set[str]:
    """What git itself considers not ignored: tracked or untracked-and-not-ignored files."""
    out = _git(repo, "ls-files", "--cached", "--others", "--exclude-standard")
    return {line for line in out.splitlines() if line.endswith(".py")}


def _ours(repo: Path) -> set[str]:
    found = discover([str(repo)], ConfigResolver(isolated=True))
    return {os.path.relpath(f, repo).replace(os.sep, "/") for f in found.files}


def test_nested_gitignore_can_reinclude_what_a_parent_ignores(repo):
    _write(repo / ".gitignore", "generated_*.py\n")
    _write(repo / "generated_a.py")
    _write(repo / "sub" / ".gitignore", "!generated_keep.py\n")
    _write(repo / "sub" / "generated_keep.py")
    _write(repo / "sub" / "generated_drop.py")
    _write(repo / "sub" / "plain.py")
    assert _git_lists(repo) == {"sub/generated_keep.py", "sub/plain.py"}
    assert _ours(repo) == _git_lists(repo)


def test_git_info_exclude_is_honoured(repo):
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "exclude").write_text("scratch/\nlocal_*.py\n")
    _write(repo / "scratch" / "a.py")
    _write(repo / "local_notes.py")
    _write(repo / "pkg" / "local_x.py")
    _write(repo / "main.py")
    assert _git_lists(repo) == {"main.py"}
    assert _ours(repo) == _git_lists(repo)


def test_gitignore_overrides_info_exclude_and_a_file_in_an_ignored_folder_stays_ignored(repo):
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "exclude").write_text("keep_*.py\n")
    _write(repo / ".gitignore", "!keep_me.py\nout/\n")
    _write(repo / "keep_me.py")
    _write(repo / "keep_not.py")
    _write(repo / "out" / ".gitignore", "!*.py\n")  # cannot re-include: its folder is ignored
    _write(repo / "out" / "x.py")
    assert _git_lists(repo) == {"keep_me.py"}
    assert _ours(repo) == _git_lists(repo)
    resolver = ConfigResolver(isolated=True)
    assert is_excluded(str(repo / "out" / "x.py"), resolver)  # a file named explicitly, --force-exclude
    assert not is_excluded(str(repo / "keep_me.py"), resolver)
