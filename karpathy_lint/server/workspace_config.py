"""Which settings apply to a document: config files per workspace folder, plus editor settings.

Each workspace folder gets its own `ConfigResolver` (the command line's:
nearest `karpathy-lint.toml` or `pyproject.toml` above the file wins), with
the defaults rooted at the folder. A file outside every folder is resolved
from its own folder, never from the server's current directory. Editor
settings (`select`, `extendSelect`, `ignore`, `enable`) act like the command
line's flags on top of the config file.
"""
from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass

from karpathy_lint.config import CONFIG_NAMES, ConfigError, ConfigResolver, Settings, selection_adjuster

SECTION = "karpathy-lint"


@dataclass(frozen=True)
class EditorSettings:
    enable: bool = True
    select: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()


def editor_settings(raw, warn) -> EditorSettings:
    """Editor settings from a `karpathy-lint` settings object; bad entries are reported with `warn` and dropped."""
    if not isinstance(raw, dict):
        return EditorSettings()
    if SECTION in raw and isinstance(raw[SECTION], dict):  # a whole settings tree was sent
        raw = raw[SECTION]
    from karpathy_lint.registry import resolve_selector

    def selectors(key: str) -> tuple[str, ...]:
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            warn(f"setting `{SECTION}.{key}` must be a list of rule codes or names; ignored")
            return ()
        good = tuple(v for v in value if resolve_selector(v) is not None)
        for v in value:
            if resolve_selector(v) is None:
                warn(f"setting `{SECTION}.{key}` names unknown rule {v!r}; ignored")
        return good

    enable = raw.get("enable", True)
    if not isinstance(enable, bool):
        warn(f"setting `{SECTION}.enable` must be true or false; ignored")
        enable = True
    return EditorSettings(enable, selectors("select"), selectors("extendSelect"), selectors("ignore"))


@dataclass
class Resolved:
    settings: Settings
    enabled: bool
    resolver: ConfigResolver
    error: ConfigError | None = None


class WorkspaceConfig:
    def __init__(self):
        self.folders: dict[str, EditorSettings] = {}  # folder path -> its editor settings
        self.global_settings = EditorSettings()
        self._resolvers: dict[str, ConfigResolver] = {}
        self._lock = threading.Lock()  # resolve() runs on the lint thread, reset() on the event loop

    def set_folders(self, paths) -> None:
        self.folders = {os.path.normpath(p): self.folders.get(os.path.normpath(p), self.global_settings) for p in paths}
        self.reset()

    def add_folder(self, path: str) -> None:
        self.folders[os.path.normpath(path)] = self.global_settings
        self.reset()

    def remove_folder(self, path: str) -> None:
        self.folders.pop(os.path.normpath(path), None)
        self.reset()

    def reset(self) -> None:
        """Forget every resolved config (a config file or a setting changed)."""
        with self._lock:
            self._resolvers.clear()

    def folder_of(self, path: str) -> str | None:
        """The innermost workspace folder holding `path`."""
        best = None
        for folder in self.folders:
            inside = path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)
            if inside and (best is None or len(folder) > len(best)):
                best = folder
        return best

    def resolve(self, path: str) -> Resolved:
        folder = self.folder_of(path)
        root = folder if folder is not None else os.path.dirname(path)
        editor = self.folders[folder] if folder is not None else self.global_settings
        with self._lock:
            resolver = self._resolvers.get(root)
            if resolver is None:
                adjust = selection_adjuster(editor.select, editor.extend_select, editor.ignore)
                resolver = self._resolvers[root] = ConfigResolver(adjust=adjust, default_root=root)
        try:
            return Resolved(resolver.for_path(path), editor.enable, resolver)
        except ConfigError as exc:
            fallback = resolver.adjust(Settings(root=root))
            return Resolved(fallback, editor.enable, ConfigResolver(adjust=resolver.adjust, default_root=root,
                                                                   isolated=True), exc)

    @staticmethod
    def stamp(path: str) -> tuple:
        """What the config files that could apply to `path` look like now (for modification-time polling)."""
        out = []
        directory = os.path.dirname(os.path.abspath(path))
        while True:
            for name in CONFIG_NAMES:
                candidate = os.path.join(directory, name)
                try:
                    st = os.stat(candidate)
                except OSError:
                    continue
                out.append((candidate, st.st_mtime_ns, st.st_size))
            parent = os.path.dirname(directory)
            if parent == directory:
                return tuple(out)
            directory = parent


# -- where a config error sits in its file -----------------------------------------------------

_TOML_AT = re.compile(r"\(at line (\d+), column (\d+)\)")
_HEADER = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]")
_KEY = re.compile(r"""^\s*(?P<key>"[^"]*"|'[^']*'|[A-Za-z0-9_\-.]+(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_\-]+))*)\s*=""")


def _unquote(part: str) -> str:
    part = part.strip()
    return part[1:-1] if len(part) >= 2 and part[0] == part[-1] and part[0] in "\"'" else part


def _dotted(text: str) -> list[str]:
    return [_unquote(p) for p in re.findall(r'"[^"]*"|\'[^\']*\'|[^.]+', text)]


def locate_error(error: ConfigError, text: str) -> tuple[int, int, int]:
    """(0-based line, start column, end column) of what `error` is about in the config file's text."""
    lines = text.split("\n")
    m = _TOML_AT.search(str(error))
    if m:
        row = max(int(m.group(1)) - 1, 0)
        col = max(int(m.group(2)) - 1, 0)
        return row, col, max(col, len(lines[row]) if row < len(lines) else 0)
    pyproject = os.path.basename(error.path or "") == "pyproject.toml"
    prefix = ["tool", SECTION] if pyproject else []
    head, _, sub = (error.key or "").partition(".")  # "per-file-ignores.GLOB": the glob may hold dots
    table: list[str] = []
    table_line = candidate = None
    for i, line in enumerate(lines):
        h = _HEADER.match(line)
        if h:
            table = _dotted(h.group(1).strip("[]"))
            if table == prefix and table_line is None:
                table_line = i
            continue
        k = _KEY.match(line)
        if not k or not head:
            continue
        full = table + _dotted(k.group("key"))
        if full[: len(prefix)] != prefix:
            continue
        rest = [p.strip() for p in full[len(prefix):]]
        span = (i, k.start("key"), k.end("key"))
        if sub and rest == [head, sub]:
            return span
        if rest[:1] == [head] and candidate is None:
            candidate = span
    if candidate is not None:
        return candidate
    if table_line is not None:
        return table_line, 0, len(lines[table_line])
    return 0, 0, len(lines[0]) if lines else 0
