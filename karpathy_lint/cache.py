"""A content-hash cache of findings.

Key: sha256 of the tool version, the resolved settings, the file's path and
its bytes. One small JSON file per entry, written atomically (temp file +
rename), so two runs at once never corrupt it; an entry that fails to load
for any reason is ignored and rewritten.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile

from karpathy_lint import __version__
from karpathy_lint.model import Edit, Finding, Fix

DEFAULT_DIR = ".karpathy_lint_cache"
LAYOUT = "v1"


def cache_root(cache_dir: str | None) -> str:
    return cache_dir or os.environ.get("KARPATHY_LINT_CACHE_DIR") or DEFAULT_DIR


def key_for(path: str, source: bytes, fingerprint: str) -> str:
    h = hashlib.sha256()
    h.update(__version__.encode())
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
    return [e.start, e.end, e.content, e.line, e.column, e.end_line, e.end_column]


def to_json(findings: list[Finding], error: str | None, syntax_error: bool) -> dict:
    return {
        "version": __version__,
        "error": error,
        "syntax_error": syntax_error,
        "findings": [
            [f.line, f.column, f.end_line, f.end_column, f.code, f.name, f.message, f.severity, f.symbol,
             None if f.fix is None else [f.fix.applicability, f.fix.message, [_edit_dict(e) for e in f.fix.edits]]]
            for f in findings
        ],
    }


def from_json(path: str, data: dict) -> tuple[list[Finding], str | None, bool]:
    if data.get("version") != __version__:
        raise ValueError("stale entry")
    findings = []
    for line, col, eline, ecol, code, name, message, severity, symbol, fix in data["findings"]:
        fx = None
        if fix is not None:
            app, msg, edits = fix
            fx = Fix(app, tuple(Edit(*e) for e in edits), msg)
        findings.append(Finding(path, line, col, eline, ecol, code, name, message, severity, fx, symbol))
    return findings, data.get("error"), bool(data.get("syntax_error"))


def load(root: str, key: str, path: str):
    try:
        with open(_entry_path(root, key), "rb") as fh:
            return from_json(path, json.loads(fh.read()))
    except FileNotFoundError:
        return None
    except Exception:  # corrupt, half-written, old layout: recompute and rewrite
        return None


def store(root: str, key: str, payload: dict) -> None:
    target = _entry_path(root, key)
    directory = os.path.dirname(target)
    try:
        os.makedirs(directory, exist_ok=True)
        _ensure_gitignore(root)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, separators=(",", ":"))
        os.replace(tmp, target)
    except OSError:
        pass  # a read-only tree must not fail the lint


def _ensure_gitignore(root: str) -> None:
    marker = os.path.join(root, ".gitignore")
    if not os.path.exists(marker):
        try:
            with open(marker, "w", encoding="utf-8") as fh:
                fh.write("# Created by karpathy-lint\n*\n")
        except OSError:
            pass


def clean_cache(cache_dir: str | None) -> str | None:
    root = cache_root(cache_dir)
    if os.path.isdir(root):
        shutil.rmtree(root, ignore_errors=True)
        return root
    return None
