"""Shape comments -> the statements they annotate ("sites").

A shape statement is `name shape [dim, ...]` inside a marker comment (the
same parser KL306/KL307 use: `karpathy_lint.shapes.format`). Which line a
comment annotates (docs/verify-shapes.md):

* a trailing comment annotates the statement on its own line;
* a comment on lines of its own annotates the next code line below it
  (the whole note, continuation lines included, counts as one comment);
* the annotated line belongs to the innermost statement that contains it;
  a simple statement is checked after it has run (its whole span, so a
  statement written over several lines is finished first); a compound
  statement (`for`, `while`, `if`, `with`) after its header has run; a
  `def` line (or its decorators) annotates the call: the names are checked
  when the function starts, i.e. the parameters.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

from karpathy_lint.shapes.format import SHAPE, shapes


@dataclass(eq=False)
class ShapeStmt:
    """One `name shape [dims]` statement and what the run saw of it."""

    name: str
    dims: tuple[str, ...]
    text: str
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    runs: int = 0
    problems: int = 0
    message: str | None = None  # the first problem seen
    code: str = ""  # KL601 (mismatch) or KL602 (name not bound)


@dataclass(eq=False)
class Site:
    """The statement a shape comment annotates, and the shapes to check after it."""

    path: str
    kind: str  # "stmt": after the statement ran; "call": when the function starts; "none": no statement
    lo: int
    hi: int
    is_return: bool = False
    func: tuple[str, int] | None = None  # (co_name, co_firstlineno) for kind "call"
    shapes: list[ShapeStmt] = field(default_factory=list)


def _stmt_children(node) -> list[list[ast.stmt]]:
    out = []
    for attr in ("body", "orelse", "finalbody"):
        v = getattr(node, attr, None)
        if isinstance(v, list) and v and isinstance(v[0], ast.stmt):
            out.append(v)
    for h in getattr(node, "handlers", ()) or ():
        out.append([h])  # ExceptHandler: treated as a statement with a body
    for c in getattr(node, "cases", ()) or ():
        out.append(c.body)
    return out


def _start(node) -> int:
    decos = getattr(node, "decorator_list", None) or []
    return min([node.lineno] + [d.lineno for d in decos])


def _innermost(stmts, line: int):
    for s in stmts:
        if _start(s) <= line <= (s.end_lineno or s.lineno):
            for body in _stmt_children(s):
                inner = _innermost(body, line)
                if inner is not None:
                    return inner
            return s
    return None


def _site_for(path: str, tree: ast.Module, lines: list[str], note) -> Site:
    if note.own_line:
        target = note.end_line + 1
        while target <= len(lines) and (not lines[target - 1].strip() or lines[target - 1].lstrip().startswith("#")):
            target += 1
    else:
        target = note.line
    node = _innermost(tree.body, target)
    if node is None:
        return Site(path, "none", target, target)
    start = _start(node)
    body = getattr(node, "body", None) or []
    compound = isinstance(body, list) and body and isinstance(body[0], ast.stmt)
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and target < body[0].lineno:
        return Site(path, "call", start, node.lineno, func=(node.name, start))
    if compound:
        header_end = max(node.lineno, body[0].lineno - 1)
        if target <= header_end:
            return Site(path, "stmt", node.lineno, header_end)
        return Site(path, "none", target, target)  # an `else:` line and the like: no code of its own
    return Site(path, "stmt", node.lineno, node.end_lineno or node.lineno, is_return=isinstance(node, ast.Return))


def collect_sites(model) -> list[Site]:
    """Every shape statement in the marker comments of `model` (a Python SourceModel), grouped by site."""
    if model.language != "python" or model.syntax_error is not None:
        return []
    notes = [n for n in model.notes if "shape" in n.text and any(True for _ in shapes(n.text))]
    if not notes:
        return []
    try:
        tree = ast.parse(model.text, filename=model.path)
    except (SyntaxError, ValueError):
        return []
    lines = model.text.splitlines()
    by_key: dict[tuple, Site] = {}
    for note in notes:
        site = _site_for(model.path, tree, lines, note)
        key = (site.kind, site.lo, site.hi)
        site = by_key.setdefault(key, site)
        for c in note.comments:
            for m in SHAPE.finditer(c.text):
                parsed = list(shapes(m.group(0)))
                if not parsed:
                    continue
                name, dims = parsed[0]
                start = c.start + len(c.text[: m.start()].encode())
                end = c.start + len(c.text[: m.end()].encode())
                line, col = model.position(start)
                end_line, end_col = model.position(end)
                site.shapes.append(ShapeStmt(name=name, dims=tuple(dims), text=m.group(0), path=model.path,
                                             line=line, column=col, end_line=end_line, end_column=end_col))
    return [s for s in by_key.values() if s.shapes]
