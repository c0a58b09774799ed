"""A content-hash cache of findings.

Key: sha256 of the tool version, the resolved settings, the file's path and
its bytes. An entry also lists the other files its rules read (an imported
sibling module, for KL501) with their stamps; a lookup where one of them
changed is a miss. One small JSON file per entry, written atomically (temp
file + rename), so two runs at once never corrupt it; an entry that fails to
load for any reason is ignored and rewritten.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys

import karpathy_lint
from karpathy_lint.engine import FileResult
from karpathy_lint.files import write_atomic
from karpathy_lint.model import Edit, Finding, Fix
from karpathy_lint.reads import unchanged

DEFAULT_DIR = ".karpathy_lint_cache"
LAYOUT = "v3"  # v3: entries list the other files read ("reads")


def cache_root(cache_dir: str | None, project_dir: str | None = None) -> str:
    """--cache-dir, else $KARPATHY_LINT_CACHE_DIR, else `.karpathy_lint_cache` in the project root (as ruff does)."""
    return cache_dir or os.environ.get("KARPATHY_LINT_CACHE_DIR") or os.path.join(project_dir or ".", DEFAULT_DIR)


def project_dir(settings) -> str:
    """The project root: the folder of the config file that applies, else the current folder."""
    return settings.root if settings.source else "."


def _version() -> str:
    # read at call time, not import time: the version is part of every key
    return karpathy_lint.__version__


def key_for(path: str, source: bytes, fingerprint: str) -> str:
    h = hashlib.sha256()
    h.update(_version().encode())
    h.update(b"\0")
    h.update(fingerprint.encode())
    h.update(b"\0")
    h.update(os.path.abspath(path).encode("utf-8", "surrogateescape"))
    h.update(b"\0")
    h.update(source)
    return h.hexdigest()


def _entry_path(root: str, key: str) -> str:
    return os.path.join(root, LAYOUT, key[:2], key[2:] + ".json")


def _edit_dict(e: Edit) -> list:
    return [e.start, e.end, e.content, e.line, e.column, e.end_line, e.end_column, e.cell]


def to_json(result: FileResult) -> dict:
    """The compact payload of a result: what an entry holds, and what a worker sends back."""
    return {
        "version": _version(),
        "error": result.error,
        "syntax_error": result.syntax_error,
        "reads": [list(stamp) for stamp in result.reads],
        "findings": [
            [f.line, f.column, f.end_line, f.end_column, f.code, f.name, f.message, f.severity, f.symbol,
             None if f.fix is None else [f.fix.applicability, f.fix.message, [_edit_dict(e) for e in f.fix.edits]],
             f.cell, f.cell_id]
            for f in result.findings
        ],
    }


def from_json(path: str, data: dict) -> FileResult:
    findings = []
    intern = sys.intern  # codes, names and severities repeat across thousands of findings: one copy each
    for line, col, eline, ecol, code, name, message, severity, symbol, fix, cell, cell_id in data["findings"]:
        fx = None
        if fix is not None:
            app, msg, edits = fix
            fx = Fix(intern(app), tuple(Edit(*e) for e in edits), msg)  # type: ignore[arg-type]  # valid_entry checked it
        findings.append(Finding(path, line, col, eline, ecol, intern(code), intern(name), message, intern(severity),
                                fx, symbol, cell, cell_id))
    return FileResult(path=path, findings=findings, error=data.get("error"), syntax_error=bool(data.get("syntax_error")),
                      reads=tuple((p, m, s) for p, m, s in data.get("reads", ())))


_INT = int
_STR = str


def valid_entry(data) -> bool:
    """Whether a loaded entry has exactly the shape `to_json` writes (a cache file is untrusted input)."""
    if not isinstance(data, dict) or data.get("version") != _version():
        return False
    if data.get("error") is not None or not isinstance(data.get("syntax_error"), bool):
        return False  # entries are only written for files that were checked
    reads = data.get("reads")
    if not isinstance(reads, list) or not all(
            isinstance(r, list) and len(r) == 3 and type(r[0]) is _STR and type(r[1]) is _INT and type(r[2]) is _INT
            for r in reads):
        return False
    findings = data.get("findings")
    if not isinstance(findings, list):
        return False
    for f in findings:
        if not isinstance(f, list) or len(f) != 12:
            return False
        line, col, eline, ecol, code, name, message, severity, symbol, fix, cell, cell_id = f
        if not (cell is None or type(cell) is _INT) or not (cell_id is None or type(cell_id) is _STR):
            return False
        if not (type(line) is _INT and type(col) is _INT and type(eline) is _INT and type(ecol) is _INT):
            return False
        if not (type(code) is _STR and type(name) is _STR and type(message) is _STR and type(severity) is _STR
                and type(symbol) is _STR):
            return False
        if fix is not None:
            if not isinstance(fix, list) or len(fix) != 3:
                return False
            app, msg, edits = fix
            if type(app) is not _STR or type(msg) is not _STR or not isinstance(edits, list):
                return False
            for e in edits:
                if not isinstance(e, list) or len(e) != 8 or type(e[2]) is not _STR:
                    return False
                if not all(type(v) is _INT for i, v in enumerate(e[:7]) if i != 2) or not (e[7] is None or type(e[7]) is _INT):
                    return False
    return True


def lookup(root: str, key: str) -> dict | None:
    """The stored payload for `key`, or None on a miss.

    Missing, truncated, half-written, binary, stale or wrongly-typed entries
    are all misses, and so is an entry one of whose other files read has
    changed since: the file is checked again and the entry rewritten.
    """
    try:
        with open(_entry_path(root, key), "rb") as fh:
            data = json.loads(fh.read())
    except Exception:  # corrupt, half-written, old layout: recompute and rewrite
        return None
    return data if valid_entry(data) and (not data["reads"] or unchanged(data["reads"])) else None


def store(root: str, key: str, payload: dict) -> None:
    """Write one entry atomically (two runs at once never corrupt it)."""
    target = _entry_path(root, key)
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        _ensure_gitignore(root)
        write_atomic(target, json.dumps(payload, separators=(",", ":")).encode(), durable=False)
    except OSError:
        pass  # a read-only tree must not fail the lint


GITIGNORE = "# Created by karpathy-lint\n*\n"
_gitignored: set[str] = set()


def _ensure_gitignore(root: str) -> None:
    if root in _gitignored:
        return
    marker = os.path.join(root, ".gitignore")
    if not os.path.exists(marker):
        try:
            write_atomic(marker, GITIGNORE.encode(), durable=False)  # a second run at once never sees half a file
        except OSError:
            return
    _gitignored.add(root)


def _is_cache_folder(root: str) -> bool:
    """Ours: it holds our .gitignore or our layout folder (never rmtree an arbitrary --cache-dir)."""
    if os.path.isdir(os.path.join(root, LAYOUT)):
        return True
    try:
        with open(os.path.join(root, ".gitignore"), encoding="utf-8") as fh:
            return fh.read(64).startswith("# Created by karpathy-lint")
    except OSError:
        return False


def clean_cache(cache_dir: str | None, project: str | None = None) -> str | None:
    import shutil

    root = cache_root(cache_dir, project)
    if os.path.isdir(root) and _is_cache_folder(root):
        shutil.rmtree(root, ignore_errors=True)
        return root
    return None
