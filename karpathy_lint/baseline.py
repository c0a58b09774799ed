"""Baselines for adopting the linter on an existing code base.

A baseline records today's findings keyed by path, rule and symbol (the
definition or section a finding is about), with a count, never by line
number: edits elsewhere in a file do not break it. Writing a baseline from a
partial run keeps the entries of files that run did not check. Paths are
relative to the baseline file's folder.
"""
from __future__ import annotations

import json
import os
from collections import Counter

from karpathy_lint.files import write_atomic

VERSION = 1


def _key(path: str, baseline: str) -> str:
    """The file's path relative to the baseline file's folder (not the cwd: the
    same baseline must match when the linter runs from a sub-folder)."""
    base = os.path.dirname(os.path.abspath(baseline))
    return os.path.relpath(os.path.abspath(path), base).replace(os.sep, "/")


def _load(path: str) -> dict[str, list[dict]]:
    if not os.path.exists(path):
        return {}
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        files = data["files"]
        assert isinstance(files, dict)
        return files
    except (OSError, ValueError, KeyError, AssertionError, TypeError):
        from karpathy_lint.config import ConfigError

        raise ConfigError(f"{path}: not a karpathy-lint baseline file") from None


def write_baseline(path: str, findings, checked_paths) -> None:
    files = _load(path)
    for p in checked_paths:
        files.pop(_key(p, path), None)
    counts: Counter = Counter((_key(f.path, path), f.code, f.symbol) for f in findings)
    for (p, code, symbol), n in sorted(counts.items()):
        files.setdefault(p, []).append({"code": code, "symbol": symbol, "count": n})
    data = {"version": VERSION, "files": dict(sorted(files.items()))}
    write_atomic(path, (json.dumps(data, indent=2) + "\n").encode())


def apply_baseline(path: str, findings):
    files = _load(path)
    budget: Counter = Counter()
    for p, entries in files.items():
        for e in entries:
            budget[(p, e.get("code"), e.get("symbol", ""))] += int(e.get("count", 1))
    kept = []
    for f in findings:
        key = (_key(f.path, path), f.code, f.symbol)
        if budget[key] > 0:
            budget[key] -= 1
        else:
            kept.append(f)
    return kept
