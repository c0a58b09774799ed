"""Names defined by the modules a Python file imports from its own package (KL501's lenient mode).

A module docstring or a Role section says where the file sits and names the code of the files around it.
When the file imports a module of its own package (`from .epi_ops import Scalar`, `from torch._native
import plan` inside torch/), every name that module defines (a function, a class or a member, a parameter,
a variable, an attribute it sets) is a name of code the prose may describe, not a stale name of this file.
Only the modules the file imports are read, one level deep, each once per run (read with `ast`: the
other file is never linted, only asked what it defines); each read is recorded (reads.py), so a cached
result is dropped when one of those modules changes.
"""
from __future__ import annotations

import ast
import os
from functools import lru_cache

from karpathy_lint.reads import note, stamp

MAX_BYTES = 2_000_000  # a generated module this large says nothing about the prose


def package_names(path: str, modules) -> frozenset[str]:
    """Every name defined by the modules in `modules` (as imports write them) that lie inside the package
    of the file at `path`."""
    if path in ("", "-"):
        return frozenset()
    folder = os.path.dirname(os.path.abspath(path))
    out: set[str] = set()
    for module in modules:
        found = _module_file(folder, module)
        if found is not None:
            now = stamp(found)
            note(found, *now)  # the cache drops this file's result when that module changes
            out |= _defined(found, *now)
    return frozenset(out)


def _module_file(folder: str, module: str) -> str | None:
    """The file of `module` when it is a module of the package `folder` belongs to, else None."""
    if module.startswith("."):
        dots = len(module) - len(module.lstrip("."))
        base = folder
        for _ in range(dots - 1):
            base = os.path.dirname(base)
        parts = [p for p in module[dots:].split(".") if p]
    else:
        top, *parts = module.split(".")
        root = _package_root(folder, top)
        if root is None:
            return None  # not a package the file sits in: another code base
        base = root
    if not os.path.isfile(os.path.join(base, "__init__.py")):
        return None
    target = os.path.join(base, *parts)
    for candidate in (target + ".py", os.path.join(target, "__init__.py")):
        if parts and os.path.isfile(candidate):
            return candidate
    return None


def _package_root(folder: str, top: str) -> str | None:
    """The folder named `top` among the packages that hold `folder` (innermost first)."""
    while os.path.isfile(os.path.join(folder, "__init__.py")):
        if os.path.basename(folder) == top:
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return None


@lru_cache(maxsize=512)
def _defined(path: str, mtime_ns: int, size: int) -> frozenset[str]:
    if size > MAX_BYTES:
        return frozenset()
    try:
        with open(path, "rb") as f:
            tree = ast.parse(f.read(), path)
    except (OSError, SyntaxError, ValueError):
        return frozenset()  # unreadable or not Python this interpreter parses: it defines nothing we can see
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, ast.arg):
            out.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            out.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            out.add(node.attr)
    return frozenset(out)
