"""Paths -> files to check.

Directories are walked for the files `include` + `extend-include` name (by default
.py/.pyi/.cu/.cuh; `extend-include = ["*.h", "*.cpp"]` adds C++), skipping the usual tool
folders, `exclude`/`extend-exclude` patterns (gitignore syntax, relative to
the config file's folder) and whatever `.gitignore` files say. A file named
on the command line is always checked, unless `--force-exclude` is given
(pre-commit names files explicitly; ruff has the same flag).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache

from karpathy_lint.parse import language_for

DEFAULT_EXCLUDES = (
    ".git", ".hg", ".svn", ".bzr", ".venv", "venv", ".tox", ".nox", "__pycache__", "node_modules",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".karpathy_lint_cache", "*.egg-info", "build", "dist",
    "site-packages",
)


@dataclass
class Discovery:
    files: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (path, message)


@lru_cache(maxsize=256)
def gitignore_spec(patterns: tuple[str, ...]):
    """Compiled gitignore-syntax patterns (excludes, per-file-ignores), cached per pattern set."""
    import pathspec

    return pathspec.PathSpec.from_lines("gitignore", patterns)


def relative(path: str, root: str) -> str:
    """`path` relative to a config root, with `/` separators (patterns are written that way)."""
    try:
        return os.path.relpath(os.path.abspath(path), os.path.abspath(root)).replace(os.sep, "/")
    except ValueError:  # pragma: no cover - different drives on Windows
        return path


def _excluded_by_settings(path: str, settings, is_dir: bool) -> bool:
    patterns = tuple(settings.exclude) + tuple(settings.extend_exclude)
    if not patterns:
        return False
    rel = relative(path, settings.root)
    if rel.startswith(".."):
        rel = os.path.abspath(path).replace(os.sep, "/").lstrip("/")
    return gitignore_spec(patterns).match_file(rel + ("/" if is_dir else ""))


def _default_excluded(name: str) -> bool:
    import fnmatch

    return any(fnmatch.fnmatchcase(name, pat) for pat in DEFAULT_EXCLUDES)


class _GitIgnore:
    """The .gitignore files that apply inside one repository, loaded lazily."""

    def __init__(self):
        self._dirs: dict[str, object | None] = {}
        self._repo_roots: dict[str, bool] = {}  # directory -> holds a .git (one stat per folder, not per file)

    def _load(self, directory: str):
        if directory not in self._dirs:
            path = os.path.join(directory, ".gitignore")
            spec = None
            if os.path.isfile(path):
                try:
                    with open(path, encoding="utf-8", errors="replace") as fh:
                        import pathspec

                        spec = pathspec.GitIgnoreSpec.from_lines(fh.read().splitlines())
                except OSError:
                    spec = None
            self._dirs[directory] = spec
        return self._dirs[directory]

    def ignored(self, path: str, is_dir: bool) -> bool:
        path = os.path.abspath(path)
        directory = os.path.dirname(path)
        while True:
            spec = self._load(directory)
            if spec is not None:
                rel = os.path.relpath(path, directory).replace(os.sep, "/") + ("/" if is_dir else "")
                if spec.match_file(rel):
                    return True
            is_root = self._repo_roots.get(directory)
            if is_root is None:
                is_root = self._repo_roots[directory] = os.path.isdir(os.path.join(directory, ".git"))
            if is_root:
                return False
            parent = os.path.dirname(directory)
            if parent == directory:
                return False
            directory = parent


def is_excluded(path: str, resolver, gitignore: _GitIgnore | None = None) -> bool:
    """Whether a file named explicitly is excluded (used by --force-exclude, stdin too)."""
    settings = resolver.for_path(path)
    if _excluded_by_settings(path, settings, False):
        return True
    if settings.respect_gitignore and (gitignore or _GitIgnore()).ignored(path, False):
        return True
    return any(_default_excluded(part) for part in os.path.abspath(path).split(os.sep)[:-1])


def discover(paths: list[str], resolver, force_exclude: bool = False) -> Discovery:
    out = Discovery()
    gitignore = _GitIgnore()
    seen: set[str] = set()

    def add(path: str) -> None:
        key = os.path.abspath(path)
        if key not in seen:
            seen.add(key)
            out.files.append(path)

    for raw in paths:
        path = os.path.normpath(raw) if raw not in (".",) else "."
        if not os.path.lexists(path):
            out.errors.append((raw, "no such file or directory"))
            continue
        if os.path.isdir(path):
            _walk(path, resolver, gitignore, add)
            continue
        if not os.path.isfile(path):
            out.errors.append((raw, "not a regular file"))
            continue
        if force_exclude and is_excluded(path, resolver, gitignore):
            continue
        add(path)
    out.files.sort()
    return out


def _walk(top: str, resolver, gitignore: _GitIgnore, add) -> None:
    for root, dirs, files in os.walk(top):
        settings = resolver.for_directory(os.path.abspath(root))
        keep = []
        for d in sorted(dirs):
            full = os.path.join(root, d)
            if _default_excluded(d) or os.path.islink(full):
                continue
            if _excluded_by_settings(full, settings, True):
                continue
            if settings.respect_gitignore and gitignore.ignored(full, True):
                continue
            keep.append(d)
        dirs[:] = keep
        included = gitignore_spec(tuple(settings.include) + tuple(settings.extend_include))
        for f in sorted(files):
            if language_for(f) is None:
                continue
            full = os.path.normpath(os.path.join(root, f))
            rel = relative(full, settings.root)
            if not included.match_file(f if rel.startswith("..") else rel):
                continue
            if not os.path.isfile(full):
                continue
            if _excluded_by_settings(full, settings, False):
                continue
            if settings.respect_gitignore and gitignore.ignored(full, False):
                continue
            add(full)
