"""Shape comments -> the statements they annotate ("sites").

A shape statement is `name shape [dim, ...]` inside a marker comment (the
same parser KL306/KL307 use: `karpathy_lint.shapes.format`). Which line a
comment annotates (docs/verify-shapes.md):

* a trailing comment annotates the statement on its own line;
* a comment on lines of its own annotates the next code line below it
  (the whole note, continuation lines included, counts as one comment);
* a shape written the common way in any comment (`# (B, T, C)` after an
  assignment, `# x: [B, T, C]`, `# ... of shape (b, t)`; see
  `karpathy_lint.shapes.notation`) is checked the same way; the name is the
  one the comment writes, else the one the annotated assignment binds;
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


LITERALS = (ast.List, ast.Tuple, ast.Dict, ast.Set, ast.Constant, ast.ListComp, ast.DictComp, ast.SetComp,
            ast.JoinedStr)


def assigned_name(node) -> str | None:
    """The one name (or `self.attr` chain) an assignment binds, `x = ...`, `x: T = ...`, `x += ...`; None
    for anything else, and for a literal value (`self.log = []  # (kind, id)` lists fields, not a shape)."""
    value = getattr(node, "value", None)
    if isinstance(value, LITERALS):
        return None
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        target = node.target
    else:
        return None
    parts = []
    while isinstance(target, ast.Attribute):
        parts.append(target.attr)
        target = target.value
    if not isinstance(target, ast.Name):
        return None
    return ".".join([target.id, *reversed(parts)])


def _common_shapes(model, tree, lines, by_key, marker) -> None:
    """Shapes written the common way (`# (B, T, C)`, `# x: [B, T]`) in any comment, added to their sites."""
    from karpathy_lint.shapes.notation import find

    for c in model.comments:
        if not c.text.startswith("#") or SHAPE.search(c.text):
            continue
        found = find(c.text[1:], marker)
        if found is None:
            continue
        site = _site_for(model.path, tree, lines, _OneComment(c.line, c.line, c.own_line))
        name = found.name or _site_name(tree, site)
        if name is None:
            continue  # `q, k = ...  # (B, T)`: whose shape it is cannot be told
        site = by_key.setdefault((site.kind, site.lo, site.hi), site)
        start = c.start + len(c.text[: 1 + found.start].encode())
        end = c.start + len(c.text[: 1 + found.end].encode())
        line, col = model.position(start)
        end_line, end_col = model.position(end)
        site.shapes.append(ShapeStmt(name=name, dims=found.dims, text=found.convention(name), path=model.path,
                                     line=line, column=col, end_line=end_line, end_column=end_col))


def _site_name(tree, site: Site) -> str | None:
    node = _innermost(tree.body, site.lo) if site.kind == "stmt" else None
    return assigned_name(node) if node is not None else None


def annotated_name(tree: ast.Module, lines: list[str], line: int, own_line: bool) -> str | None:
    """The name the statement a comment on `line` annotates assigns (see the module docstring), or None."""
    return _site_name(tree, _site_for("", tree, lines, _OneComment(line, line, own_line)))


@dataclass
class _OneComment:
    line: int
    end_line: int
    own_line: bool


def collect_sites(model, marker: str | None = None) -> list[Site]:
    """Every shape statement in the comments of `model` (a Python SourceModel), grouped by site: the
    convention's form in marker comments, the common notations in any comment."""

    if model.language != "python" or model.syntax_error is not None:
        return []
    notes = [n for n in model.notes if "shape" in n.text and any(True for _ in shapes(n.text))]
    if not notes and not any(("(" in c.text or "[" in c.text) for c in model.comments):
        return []
    try:
        tree = ast.parse(model.text, filename=model.path)
    except (SyntaxError, ValueError):
        return []
    lines = model.text.split("\n")  # numbered as the model numbers lines: `splitlines` also breaks at a form feed
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
    _common_shapes(model, tree, lines, by_key, marker)
    return [s for s in by_key.values() if s.shapes]
