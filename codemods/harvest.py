"""What an existing file already says, harvested into a new header by `karpathy-scaffold`.

* `module_title(model)`: the first sentence of the module docstring (Python), for the `Module:` line;
* `fill_descriptions(path, body, settings, original)`: every Function List entry the scaffold wrote with the
  placeholder description gets the first line of its definition's docstring instead (Python: the
  docstring; a class without one uses its `__init__`'s; CUDA: the comment block right above the
  definition). The placeholder stays where nothing exists to harvest, so KL108 keeps flagging it.

Harvested text is a copy: the docstrings stay where they are (the module docstring in the Role section).
A copy never brings a KL501 finding with it: backticks around a name that would not resolve where the
copy goes are dropped from the copy. Text that could not sit safely inside the header (quotes that would
close the docstring, a backslash, `*/`) is not harvested.
"""
from __future__ import annotations

import ast
import re
import warnings

from karpathy_lint.engine import build_model
from karpathy_lint.prose_names import Resolver, without_unresolved_backticks

PLACEHOLDER = "TODO: describe"  # what KL202's fix writes (rules/kl202_function_list_missing.py)
MAX_TITLE = 100  # a first sentence longer than this makes a poor title: the file name is used instead
UNSAFE = ('"""', "'''", "\\", "*/", "/*")
SENTENCE = re.compile(r"^(.+?[.!?])(?=\s|$)")
DECORATION = re.compile(r"^\s*(?:/\*+!?|\*+/?|///?|//!)?\s*(?:[@\\]brief\s+)?")


def _first_line(doc: str | None) -> str | None:
    if not doc:
        return None
    for line in doc.strip().splitlines():
        line = " ".join(line.split())
        if line:
            return line
    return None


def _safe(text: str | None) -> bool:
    return text is not None and text != "" and not any(u in text for u in UNSAFE)


def _parse(text: str):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None


def module_title(model) -> str | None:
    """The first sentence of the module docstring, without its full stop; None when there is none."""
    if model.language != "python":
        return None
    tree = _parse(model.text)
    doc = ast.get_docstring(tree) if tree is not None else None
    if not doc:
        return None
    paragraph = " ".join(doc.strip().split("\n\n", 1)[0].split())
    m = SENTENCE.match(paragraph)
    title = (m.group(1) if m else paragraph).rstrip(".").strip()
    if not _safe(title) or len(title) > MAX_TITLE or title.lower().startswith("module:"):
        return None
    return without_unresolved_backticks(title, Resolver(model), strict=False)


def python_docstrings(text: str) -> dict[str, str]:
    """Qualified name (`Class.method`) -> the first line of its docstring."""
    out: dict[str, str] = {}
    tree = _parse(text)
    if tree is None:
        return out

    def visit(body, prefix: str) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                line = _first_line(ast.get_docstring(node))
                if line:
                    out.setdefault(prefix + node.name, line)
            elif isinstance(node, ast.ClassDef):
                line = _first_line(ast.get_docstring(node))
                if not line:
                    init = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
                    line = _first_line(ast.get_docstring(init)) if init is not None else None
                if line:
                    out.setdefault(prefix + node.name, line)
                if not prefix:
                    visit(node.body, node.name + ".")
            else:  # definitions under `if`, `try`, `with` keep their names
                for attr in ("body", "orelse", "finalbody"):
                    inner = getattr(node, attr, None)
                    if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                        visit(inner, prefix)
                for handler in getattr(node, "handlers", ()) or ():
                    visit(handler.body, prefix)

    visit(tree.body, "")
    return out


def cuda_docstrings(model) -> dict[str, str]:
    """Name -> the first line of the comment block right above the definition (a Doxygen-style docstring)."""
    out: dict[str, str] = {}
    by_end = {}
    for c in model.comments:
        if c.own_line:
            by_end[model.line_of(max(c.end - 1, c.start))] = c
    header_end = model.header.end_line if model.header is not None else 0
    for d in model.definitions:
        line = d.line - 1
        block: list = []
        while line in by_end and line > header_end:
            c = by_end[line]
            block.insert(0, c)
            line = c.line - 1
        for c in block:
            text = next((t for t in (DECORATION.sub("", raw).strip() for raw in c.text.splitlines()) if t), None)
            if text:
                out.setdefault(d.qualname, text.rstrip("*/").strip())
                break
    return out


def fill_descriptions(path: str, body: bytes, settings, original, skip=frozenset()) -> bytes:
    """`body` (a scaffolded file) with each placeholder description replaced by the harvested docstring line;
    entries named in `skip` (there before this run) are left as they are."""
    docs = python_docstrings(original.text) if original.language == "python" else cuda_docstrings(original)
    if not docs:
        return body
    model = build_model(path, body, settings)
    if model.header is None:
        return body
    resolver = Resolver(original, settings.allowed_names)
    edits = []
    for entry in model.header.entries:
        line = docs.get(entry.name)
        if line is None or entry.description != PLACEHOLDER or entry.name in skip or not _safe(line):
            continue
        line = without_unresolved_backticks(line, resolver, strict=True)
        at = body.find(PLACEHOLDER.encode(), entry.start, entry.end)
        if at != -1:
            edits.append((at, at + len(PLACEHOLDER), line.encode("utf-8")))
    for start, end, text in sorted(edits, reverse=True):
        body = body[:start] + text + body[end:]
    return body
