"""`[tool.karpathy-lint]` -> frozen Settings.

The nearest config above each file wins: a `karpathy-lint.toml` (top-level
keys) or a `pyproject.toml` with a `[tool.karpathy-lint]` table (a pyproject
without the table is skipped). `extend = "../pyproject.toml"` inherits from
another config file. `--config FILE` replaces discovery; `--isolated` ignores
every config file.
"""
from __future__ import annotations

import os
import sys
from typing import NamedTuple

from karpathy_lint.registry import all_options, resolve_selector


def _tomllib():
    """Imported on first use: a run with no config file never pays for it."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    return tomllib


class ConfigError(Exception):
    """A bad config file, key or value: reported as one line, exit code 2.

    `path` and `key` name the file and the key at fault when known (the
    language server underlines that key).
    """

    def __init__(self, message: str, path: str | None = None, key: str | None = None):
        super().__init__(message)
        self.path, self.key = path, key


class Settings(NamedTuple):
    """The settings of one config file (a NamedTuple: immutable, hashable, cheap to create at start-up)."""

    select: tuple[str, ...] = ("ALL",)
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    respect_gitignore: bool = True
    marker: str = "Karpathy"
    tag: str = "karpathys_code_comments"
    project: str = ""  # "" = not known: KL109 accepts any title, the scaffold uses the repository folder's name
    project_from: str = ""  # "config" (the `project` key) or "pyproject" ([project].name, a guess)
    # global: where the linter looks and how it reads CUDA/C++ (not rule options)
    include: tuple[str, ...] = ("*.py", "*.pyi", "*.cu", "*.cuh", "*.ipynb")
    extend_include: tuple[str, ...] = ()
    attribute_macros: tuple[str, ...] = ()
    namespace_macros: tuple[str, ...] = ()
    statement_macros: tuple[str, ...] = ()
    # the rule options a config sets, as sorted (field, value) pairs; each rule declares its own
    # (Rule.options) and reads them as attributes: `settings.lines_per_comment`
    options: tuple[tuple[str, object], ...] = ()
    root: str = "."  # directory of the config file the settings came from
    source: str = ""  # the config file itself ("" for defaults)

    def __getattr__(self, name: str):
        """A rule option: the configured value, else the default its rule declares."""
        if name.startswith("__"):
            raise AttributeError(name)
        for field_name, value in self.options:
            if field_name == name:
                return value
        from karpathy_lint.registry import option_default  # only rules read options: they are loaded by then

        return option_default(name)

    def updated(self, **values) -> Settings:
        """These settings with `values` (settings fields or rule option fields) replaced."""
        fields = {k: v for k, v in values.items() if k in _FIELDS}
        options = dict(self.options)
        options.update((k, v) for k, v in values.items() if k not in _FIELDS)
        return self._replace(options=tuple(sorted(options.items())), **fields)

    def fingerprint(self) -> str:
        """A stable text for cache keys: every value that changes results."""
        cached = _FINGERPRINTS.get(self)  # once per distinct Settings, not once per file
        if cached is None:
            values = self._asdict()
            values.pop("source", None)
            cached = _FINGERPRINTS[self] = repr(sorted(values.items()))
        return cached


_FINGERPRINTS: dict[Settings, str] = {}
_FIELDS = frozenset(Settings._fields)


# key in TOML -> (field name, kind)
_KEYS: dict[str, tuple[str, str]] = {
    "select": ("select", "codes"),
    "extend-select": ("extend_select", "codes"),
    "ignore": ("ignore", "codes"),
    "per-file-ignores": ("per_file_ignores", "per_file"),
    "exclude": ("exclude", "strings"),
    "extend-exclude": ("extend_exclude", "strings"),
    "respect-gitignore": ("respect_gitignore", "bool"),
    "marker": ("marker", "word"),
    "tag": ("tag", "word"),
    "project": ("project", "string"),
    "include": ("include", "globs"),
    "extend-include": ("extend_include", "globs"),
    "attribute-macros": ("attribute_macros", "macros"),
    "namespace-macros": ("namespace_macros", "macros"),
    "statement-macros": ("statement_macros", "macros"),
}  # plus every rule's options (Rule.options), looked up in the registry
_META_KEYS = {"extend"}


def _check_value(key: str, kind: str, value, where: str):
    def bad(expected: str) -> ConfigError:
        return ConfigError(f"{where}: `{key}` must be {expected}, got {value!r}", where, key)

    if kind == "bool":
        if not isinstance(value, bool):
            raise bad("true or false")
        return value
    if kind in ("count", "positive"):
        if isinstance(value, bool) or not isinstance(value, int) or value < (1 if kind == "positive" else 0):
            raise bad("a whole number" + (" of at least 1" if kind == "positive" else " (0 or more)"))
        return value
    if kind in ("string", "word"):
        if not isinstance(value, str) or not value.strip():
            raise bad("a non-empty string")
        if kind == "word" and (not value.replace("_", "").replace("-", "").isalnum()):
            raise bad("a single word (letters, digits, - or _)")
        return value
    if kind in ("strings", "codes"):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad("a list of strings")
        if kind == "codes":
            unknown = [v for v in value if resolve_selector(v) is None]
            if unknown:
                raise ConfigError("\n".join(f"{where}: `{key}` names unknown rule {v!r}{rule_suggestion(v)}"
                                            for v in unknown), where, key)
        return tuple(value)
    if kind == "macros":
        from karpathy_lint.parse.cpp_macros import MACRO_NAME

        if not isinstance(value, list) or not all(isinstance(v, str) and MACRO_NAME.fullmatch(v) for v in value):
            raise bad("a list of macro names (letters, digits and _, `*` as a wildcard)")
        return tuple(value)
    if kind == "globs":
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise bad("a list of file patterns like \"*.h\"")
        return tuple(value)
    if kind == "per_file":
        if not isinstance(value, dict):
            raise bad("a table of glob = [codes]")
        out, problems = [], []
        for glob, codes in value.items():
            try:
                out.append((glob, _check_value(f"{key}.{glob}", "codes", codes, where)))
            except ConfigError as exc:
                problems.append(str(exc))
        if problems:
            raise ConfigError("\n".join(problems), where, key)
        return tuple(out)
    raise AssertionError(kind)  # pragma: no cover


def rule_suggestion(selector: str) -> str:
    """`; did you mean `shape-missing`?` for a near miss of a rule code or name, else ""."""
    import difflib

    from karpathy_lint.registry import all_rules

    s = selector.strip()
    keys = [r.name for r in all_rules()] + [r.code for r in all_rules()]
    close = difflib.get_close_matches(s.lower() if not s.upper().startswith("KL") else s.upper(), keys, n=1,
                                      cutoff=0.75)
    return f"; did you mean `{close[0]}`?" if close else ""


TABLE = "karpathy-lint"
TABLE_ALIAS = "karpathy_lint"  # the import name: accepted, as many write it first


def _read_toml(path: str) -> dict:
    tomllib = _tomllib()
    try:
        with open(path, encoding="utf-8") as fh:
            data = tomllib.loads(fh.read())
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror or exc}", str(path)) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: config is not valid UTF-8", str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}", str(path)) from None
    return data


def _tool_table(path: str, data: dict) -> dict | None:
    """`[tool.karpathy-lint]` (or its alias `[tool.karpathy_lint]`) of a pyproject; None if absent."""
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        return None
    if TABLE in tool and TABLE_ALIAS in tool:
        raise ConfigError(f"{path}: both [tool.{TABLE}] and [tool.{TABLE_ALIAS}]: keep one", str(path))
    name = TABLE if TABLE in tool else TABLE_ALIAS if TABLE_ALIAS in tool else None
    if name is None:
        _warn_near_miss(path, tool)
        return None
    table = tool[name]
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.{name}] must be a table", str(path))
    return table


_WARNED: set[tuple[str, str]] = set()


def _warn_near_miss(path: str, tool: dict) -> None:
    """A `[tool.karpathy-lnt]` or `[tool.karpathy]` is a typo, not a choice: say it is not read."""
    import difflib

    for key in tool:
        if (key.lower().startswith("karpathy") or difflib.get_close_matches(key.lower(), [TABLE], cutoff=0.75)) \
                and (str(path), key) not in _WARNED:
            _WARNED.add((str(path), key))
            sys.stderr.write(f"karpathy-lint: warning: {path}: [tool.{key}] is not read; "
                             f"did you mean [tool.{TABLE}]?\n")


def _load_table(path: str) -> dict | None:
    """The karpathy-lint table of a config file; None if it has none."""
    data = _read_toml(path)
    if os.path.basename(path) == "pyproject.toml":
        return _tool_table(path, data)
    return data


def pyproject_name(path: str) -> str:
    """`[project].name` of a pyproject.toml, or "" (unreadable files are the config reader's to report)."""
    try:
        project = _read_toml(path).get("project", {})
    except ConfigError:
        return ""
    name = project.get("name") if isinstance(project, dict) else None
    return name.strip() if isinstance(name, str) else ""


def repository_name(path: str) -> str:
    """The name of the folder holding `.git` above `path`, else of `path`'s own folder."""
    directory = os.path.dirname(os.path.abspath(path))
    probe = directory
    while True:
        if os.path.exists(os.path.join(probe, ".git")):
            return os.path.basename(probe)
        parent = os.path.dirname(probe)
        if parent == probe:
            return os.path.basename(directory) or "this project"
        probe = parent


def settings_from_file(path: str | os.PathLike[str], _seen: tuple[str, ...] = ()) -> Settings:
    path = os.path.realpath(path)
    if path in _seen:
        raise ConfigError(f"{path}: `extend` forms a cycle")
    if not os.path.isfile(path):
        raise ConfigError(f"{path}: config file not found")
    table = _load_table(path)
    if table is None:
        raise ConfigError(f"{path}: no [tool.{TABLE}] table")
    where = str(path)
    base = Settings()
    if "extend" in table:
        target = table["extend"]
        if not isinstance(target, str):
            raise ConfigError(f"{where}: `extend` must be a path string", where, "extend")
        base = settings_from_file(os.path.join(os.path.dirname(path), target), _seen + (path,))
    values: dict = {}
    problems: list[str] = []
    bad_keys: list[str] = []
    options = all_options() if set(table) - set(_KEYS) - _META_KEYS else {}
    for key, value in table.items():
        if key in _META_KEYS:
            continue
        if key in _KEYS:
            name, kind = _KEYS[key]
        elif key in options:
            name, kind = options[key][0].field, options[key][0].kind
        else:
            problems.append(f"{where}: unknown key `{key}`" + _did_you_mean(key, [*_KEYS, *all_options()]))
            bad_keys.append(key)
            continue
        try:
            values[name] = _check_value(key, kind, value, where)
        except ConfigError as exc:
            problems.extend(str(exc).splitlines())
            bad_keys.append(key)
    if problems:  # every bad entry at once, not one per run (the first key is the one an editor underlines)
        raise ConfigError("\n".join(problems), where, bad_keys[0])
    if "project" in values:
        values["project_from"] = "config"
    return base._replace(root=os.path.dirname(path), source=path).updated(**values)


def _did_you_mean(word: str, known) -> str:
    import difflib

    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    if not close and "_" in word:
        close = [k for k in known if k == word.replace("_", "-")]
    return f"; did you mean `{close[0]}`?" if close else f" (known: {', '.join(sorted(known))})"


CONFIG_NAMES = ("karpathy-lint.toml", "pyproject.toml")


def selection_adjuster(select: tuple[str, ...], extend_select: tuple[str, ...], ignore: tuple[str, ...]):
    """A `ConfigResolver.adjust` that lays a selection given outside the config files (command-line
    flags, editor settings) over each resolved `Settings`: `select` replaces, the others add."""

    def adjust(settings: Settings) -> Settings:
        changes: dict[str, tuple[str, ...]] = {}
        if select:
            changes["select"] = tuple(select)
        if extend_select:
            changes["extend_select"] = tuple(settings.extend_select) + tuple(extend_select)
        if ignore:
            changes["ignore"] = tuple(settings.ignore) + tuple(ignore)
        return settings._replace(**changes) if changes else settings  # type: ignore[arg-type]

    return adjust


class ConfigResolver:
    """Finds the settings that apply to each file (nearest config wins)."""

    def __init__(self, config_file: str | None = None, isolated: bool = False, adjust=None,
                 default_root: str | None = None):
        self.adjust = adjust
        # where the defaults are rooted when no config file is found (excludes are relative to it):
        # the current directory on the command line, the workspace folder in the language server
        self.default_root = default_root
        self._by_dir: dict[str, Settings] = {}
        self._fixed: Settings | None = None
        if config_file is not None:
            config = settings_from_file(config_file)
            self._fixed = self._apply(_named(config, os.path.dirname(os.path.abspath(config_file))))
        elif isolated:
            self._fixed = self._apply(Settings(root=default_root or os.getcwd()))

    def _apply(self, settings: Settings) -> Settings:
        return self.adjust(settings) if self.adjust else settings

    def for_path(self, path: str) -> Settings:
        if self._fixed is not None:
            return self._fixed
        directory = os.path.dirname(os.path.abspath(path))
        return self.for_directory(directory)

    def for_directory(self, directory: str) -> Settings:
        if self._fixed is not None:
            return self._fixed
        cached = self._by_dir.get(directory)
        if cached is not None:
            return cached
        found: Settings | None = None
        for name in CONFIG_NAMES:
            candidate = os.path.join(directory, name)
            if os.path.isfile(candidate):
                if _load_table(candidate) is not None:
                    found = self._apply(_named(settings_from_file(candidate), directory))
                    break
        if found is None:
            parent = os.path.dirname(directory)
            if parent and parent != directory:
                found = _named(self.for_directory(parent), directory, nearest_only=True)
            else:
                found = self._apply(Settings(root=self.default_root or os.getcwd()))
        self._by_dir[directory] = found
        return found


def _named(settings: Settings, directory: str, nearest_only: bool = False) -> Settings:
    """Settings whose `project` comes from the nearest pyproject.toml's [project].name unless the config states it.

    `nearest_only`: look in `directory` alone (its parents were looked at when their settings were made).
    """
    if settings.project_from == "config":
        return settings
    probe = directory
    while True:
        candidate = os.path.join(probe, "pyproject.toml")
        if os.path.isfile(candidate):
            name = pyproject_name(candidate)
            if name:
                return settings._replace(project=name, project_from="pyproject")
        parent = os.path.dirname(probe)
        if nearest_only or parent == probe:
            return settings
        probe = parent


def _toml_value(value) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    return "[" + ", ".join(_toml_value(v) for v in value) + "]"


def settings_as_toml(settings: Settings) -> str:
    """The settings as a `[tool.karpathy-lint]` table that reads back to the same values: the global keys,
    then each rule's options as the rule declares them."""
    lines = ["[tool.karpathy-lint]"]
    for key, (name, kind) in _KEYS.items():
        value = getattr(settings, name)
        if value == "":  # not set (`project` without a name): a key may not be empty
            lines.append(f"# {key} = (not set)")
        elif kind == "per_file":  # an inline table: { "glob" = ["codes"] }
            pairs = ", ".join(f"{_toml_value(glob)} = {_toml_value(codes)}" for glob, codes in value)
            lines.append(f"{key} = {{ {pairs} }}" if pairs else f"{key} = {{}}")
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    for key, (option, rule) in all_options().items():
        lines.append(f"{key} = {_toml_value(getattr(settings, option.field))}  # {rule.code} {rule.name}")
    return "\n".join(lines) + "\n"
