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
from functools import lru_cache

from karpathy_lint.languages import language_for

DEFAULT_EXCLUDES = (
    ".git", ".hg", ".svn", ".bzr", ".venv", "venv", ".tox", ".nox", "__pycache__", "node_modules",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".karpathy_lint_cache", "*.egg-info", "build", "dist",
    "site-packages",
)


class Discovery:
    """The files to check, and the paths that could not be read (path, message)."""

    __slots__ = ("files", "errors")

    def __init__(self) -> None:
        self.files: list[str] = []
        self.errors: list[tuple[str, str]] = []


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


def _project_relative(path: str, root: str) -> str:
    """`path` relative to the project root; for a file outside it, the part below the `..` steps."""
    rel = relative(path, root)
    while rel.startswith("../"):
        rel = rel[3:]
    return rel


def _excluded_by_settings(path: str, settings, is_dir: bool) -> bool:
    patterns = tuple(settings.exclude) + tuple(settings.extend_exclude)
    if not patterns:
        return False
    rel = _project_relative(path, settings.root)
    return gitignore_spec(patterns).match_file(rel + ("/" if is_dir else ""))


def _default_excluded(name: str) -> bool:
    import fnmatch

    return any(fnmatch.fnmatchcase(name, pat) for pat in DEFAULT_EXCLUDES)


def _git_ignore_spec(path: str):
    """The GitIgnoreSpec of one ignore file, or None when it is missing or unreadable."""
    if not os.path.isfile(path):
        return None
    import pathspec

    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return pathspec.GitIgnoreSpec.from_lines(fh.read().splitlines())
    except OSError:
        return None


class _GitIgnore:
    """Ignore status as git decides it, loaded lazily per folder.

    In a repository (the nearest folder holding `.git`), the `.gitignore` of the
    file's own folder is asked first, then those above it up to the repository
    root, then `.git/info/exclude`; the first file whose patterns say anything
    about the path (ignore, or `!` re-include) decides. A file inside an ignored
    folder stays ignored, whatever deeper files say. Outside a repository the
    `.gitignore` files up to the filesystem root are read the same way.
    """

    def __init__(self):
        self._specs: dict[str, object | None] = {}  # ignore file path -> spec
        self._repo_roots: dict[str, str | None] = {}  # folder -> its repository root (None: not in one)

    def _spec(self, path: str):
        if path not in self._specs:
            self._specs[path] = _git_ignore_spec(path)
        return self._specs[path]

    def _repo_root(self, directory: str) -> str | None:
        if directory not in self._repo_roots:
            if os.path.exists(os.path.join(directory, ".git")):
                root: str | None = directory
            else:
                parent = os.path.dirname(directory)
                root = None if parent == directory else self._repo_root(parent)
            self._repo_roots[directory] = root
        return self._repo_roots[directory]

    def _decide(self, path: str, is_dir: bool, top: str | None) -> bool:
        """Whether `path` itself is ignored (its folders not considered)."""
        suffix = "/" if is_dir else ""
        directory = os.path.dirname(path)
        while True:
            spec = self._spec(os.path.join(directory, ".gitignore"))
            if spec is not None:
                verdict = spec.check_file(os.path.relpath(path, directory).replace(os.sep, "/") + suffix).include
                if verdict is not None:
                    return verdict
            parent = os.path.dirname(directory)
            if directory == top or parent == directory:
                break
            directory = parent
        if top is not None:
            spec = self._spec(os.path.join(top, ".git", "info", "exclude"))
            if spec is not None:
                return bool(spec.check_file(os.path.relpath(path, top).replace(os.sep, "/") + suffix).include)
        return False

    def ignored(self, path: str, is_dir: bool, folders_checked: bool = True) -> bool:
        """Whether git ignores `path`. A walk has already pruned ignored folders (`folders_checked`);
        for a path named on its own, every folder between it and the repository root is checked too."""
        path = os.path.abspath(path)
        top = self._repo_root(os.path.dirname(path))
        if not folders_checked:
            stop = top or os.path.abspath(os.sep)
            folders = []
            directory = os.path.dirname(path)
            while directory != stop and os.path.dirname(directory) != directory:
                folders.append(directory)
                directory = os.path.dirname(directory)
            if any(self._decide(d, True, top) for d in reversed(folders)):
                return True
        return self._decide(path, is_dir, top)


def is_excluded(path: str, resolver, gitignore: _GitIgnore | None = None) -> bool:
    """Whether a file named explicitly is excluded (used by --force-exclude, stdin too).

    The default excludes (`build`, `venv`, ...) and the configured ones are
    matched against the path relative to the project root (the config file's
    folder), never against the folders the project itself sits in.
    """
    settings = resolver.for_path(path)
    if _excluded_by_settings(path, settings, False):
        return True
    if settings.respect_gitignore and (gitignore or _GitIgnore()).ignored(path, False, folders_checked=False):
        return True
    return any(_default_excluded(part) for part in _project_relative(path, settings.root).split("/")[:-1])


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
