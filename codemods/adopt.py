"""`karpathy-scaffold --adopt-comments`: plain comments inside function bodies become marker comments.

`# text` becomes `# Karpathy: text` and `// text` becomes `// Karpathy: text` (the configured marker), as a
deliberate adoption step for code written before the convention. Only comments inside the body of a
function or method change. Left exactly as they are:

* tool directives (`# type:`, `# noqa`, `# pragma`, `# fmt:`, `# pylint:`, `# isort:`, `# mypy:`,
  `# karpathy-lint:`, `// NOLINT`, `// clang-format`, ...), shebangs and encoding cookies;
* licence blocks (a comment block that mentions a copyright or a licence);
* commented-out code: a comment whose text parses as a statement (Python: compiles, and is more than a
  bare word; CUDA/C++: ends a statement or a block, or starts with a keyword of one);
* comments that carry no words (`# ----`), marker comments, and the continuation lines of a comment
  block whose first line becomes (or is) a marker: they stay plain lines of the same note.

A shape in a common notation (`# (B, T, C)` after an assignment, `# x: [B, T, C]`, `# [batch, seq, d]`,
`# ... of shape (b, t)`) is rewritten into the convention's `name shape [dims]` for the assigned name.

Every edit inserts the marker into a comment or rewrites the shape text inside it: the code is unchanged,
which is checked (Python: the same AST; CUDA: the same bytes outside comments). Running it twice changes
nothing the second time.
"""
from __future__ import annotations

import ast
import dataclasses
import re
import warnings

from karpathy_lint.engine import build_model, checked_model
from karpathy_lint.files import InputError, split_bom
from karpathy_lint.languages import LANGUAGES
from karpathy_lint.model import SourceModel
from karpathy_lint.parse.comments import classify
from karpathy_lint.shapes.notation import find as find_shape
from karpathy_lint.shapes.sites import annotated_name

PY_DIRECTIVE = re.compile(
    r"^\s*(?:type\s*:|noqa\b|pragma\b|fmt\s*:|pylint\s*:|isort\s*:|mypy\s*:|pyright\s*:|ruff\s*:|flake8\b|nosec\b"
    r"|pyre-|pyrefly\s*:|yapf\s*:|autopep8\s*:|karpathy-lint\s*:|-\*-|vim?\s*:|coding[:=]|!)", re.IGNORECASE)
PY_DIRECTIVE_ANYWHERE = re.compile(r"#\s*(?:noqa\b|type\s*:|pragma\b|fmt\s*:|pylint\s*:|karpathy-lint\s*:)",
                                   re.IGNORECASE)
CPP_DIRECTIVE = re.compile(r"^\s*(?:NOLINT|clang-format|clang-tidy|IWYU\b|cppcheck-|coverity\[|karpathy-lint\s*:"
                           r"|LINT\.|@cond|@endcond|namespace\b)", re.IGNORECASE)
LICENCE = re.compile(r"copyright|\blicen[cs]e|SPDX-|all rights reserved|permission is hereby granted", re.IGNORECASE)
CPP_CODE = re.compile(r"(?:[;{}]\s*$)|^\s*(?:#\s*[a-z]+\b|return\b|if\s*\(|for\s*\(|while\s*\(|else\b|switch\s*\(|"
                      r"case\b|break;|continue;|__syncthreads|template\s*<)")
BLOCK_OPENERS = re.compile(r"^(?:elif\b|else\b|except\b|finally\b)")


def adopt_result(result, settings):
    """A scaffold `Result` with the comments of its new bytes adopted too (BOM kept)."""
    bom, body = split_bom(result.new)
    new = adopt_comments(result.path, body, settings)
    if new == body:
        return result
    action = "comments adopted" if not result.changed else f"{result.action}, comments adopted"
    return dataclasses.replace(result, action=action, new=bom + new)


class AdoptError(Exception):
    """A file whose comments cannot be adopted safely (one line; the file is left untouched)."""


def adopt_comments(path: str, body: bytes, settings) -> bytes:
    """`body` (no BOM) with the plain comments of its function bodies turned into marker comments."""
    try:
        model = checked_model(path, body, settings)
    except InputError as exc:
        raise AdoptError(str(exc)) from None
    prefix = LANGUAGES[model.language].line_comment
    tree = _python_tree(model.text) if model.language == "python" else None
    inside = _python_bodies(tree) if tree is not None else _cuda_bodies(model)
    lines = model.text.split("\n")  # numbered as the model numbers lines: `splitlines` also breaks at a form feed
    noted = {c.start for n in model.notes for c in n.comments}
    blocks = _blocks([c for c in model.comments if c.text.startswith(prefix)])
    edits: list[tuple[int, int, str]] = []
    for block in blocks:
        if any(LICENCE.search(c.text) for c in block):
            continue
        code_block = model.language == "python" and len(block) > 1 and _python_code("\n".join(
            c.text[1:] for c in block), whole=True)
        follows_marker = False
        for c in block:
            if c.start in noted or classify(c.text, settings.marker, prefix) is not None:
                follows_marker = True  # a marker (or its continuation): later lines of the block continue it
                continue
            if follows_marker and c.own_line:
                continue  # a continuation line of the note above
            if code_block or not _inside(model, c, inside) or not _adoptable(c.text, prefix, model.language, c):
                follows_marker = False
                continue
            edits.extend(_edits(model, tree, lines, c, prefix, settings.marker))
            follows_marker = c.own_line
    if not edits:
        return body
    new = body
    for start, end, text in sorted(edits, reverse=True):
        new = new[:start] + text.encode("utf-8") + new[end:]
    _verify(model, body, new, edits, path, settings)
    return new


# -- which comments --------------------------------------------------------------------------------------------


def _blocks(comments):
    """Comments grouped into blocks: own-line comments on consecutive lines; a trailing comment on its own."""
    blocks: list[list] = []
    for c in comments:
        last = blocks[-1][-1] if blocks else None
        if last is not None and c.own_line and last.own_line and c.line == last.line + 1:
            blocks[-1].append(c)
        else:
            blocks.append([c])
    return blocks


def _python_tree(text: str):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text)
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        raise AdoptError(f"Python does not compile it: {exc}") from None


def _python_bodies(tree) -> list[tuple[int, int]]:
    """(first line after the signature, last line) of every function and method."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            ends = [node.lineno] + [getattr(n, "end_lineno", None) or n.lineno for n in ast.walk(node.args)
                                    if hasattr(n, "lineno")]
            if node.returns is not None:
                ends.append(node.returns.end_lineno or node.returns.lineno)
            out.append((max(ends) + 1, node.end_lineno or node.lineno))
    return out


def _cuda_bodies(model: SourceModel) -> list[tuple[int, int]]:
    """(byte offset of the body's `{`, end) of every function with a body, as byte ranges (negated marker)."""
    return [(-d.body_start, -d.end) for d in model.definitions if d.body_start < d.end]


def _inside(model: SourceModel, c, ranges) -> bool:
    for lo, hi in ranges:
        if lo < 0:  # CUDA: byte ranges
            if -lo < c.start < -hi:
                return True
        elif lo <= c.line <= hi:
            return True
    return False


def _adoptable(text: str, prefix: str, language: str, c) -> bool:
    rest = text[len(prefix):]
    if language == "python":
        if text.startswith("#!") or PY_DIRECTIVE.match(rest) or PY_DIRECTIVE_ANYWHERE.search(text):
            return False
        if rest.startswith("#"):
            return False  # `## heading`, `#: doc`: another tool's syntax
    elif rest.startswith(("/", "!")) or CPP_DIRECTIVE.match(rest):
        return False  # `///` and `//!` are Doxygen's; directives
    if find_shape(rest) is not None:
        return True  # `# (8, )`: a shape, though it has no words
    if not re.search(r"[^\W\d_]", rest):
        return False  # no words: `# ----`, `# 42`
    if language == "python":
        return not _python_code(rest)
    return not CPP_CODE.search(rest.strip())


def _python_code(text: str, whole: bool = False) -> bool:
    """Does the comment text read as Python code (a commented-out statement)?"""
    import textwrap

    body = textwrap.dedent(text) if whole else text.strip()
    if not body.strip():
        return False
    tries = [body]
    if body.rstrip().endswith(":"):
        tries.append(body + "\n    pass")
        if BLOCK_OPENERS.match(body.strip()):
            tries.append("if 1:\n    pass\n" + body + "\n    pass")
            tries.append("try:\n    pass\n" + body + "\n    pass")
    for t in tries:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(t)
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            continue
        return not _prose(tree)
    return False


def _prose(tree) -> bool:
    """Parses, but reads as words: `# TODO`, `# Note: important`, `# done.`"""
    if len(tree.body) != 1:
        return False
    node = tree.body[0]
    if isinstance(node, ast.Expr) and isinstance(node.value, (ast.Name, ast.Constant)):
        return True
    return isinstance(node, ast.AnnAssign) and node.value is None and isinstance(node.annotation, ast.Name)


# -- the edits ------------------------------------------------------------------------------------------------


def _edits(model: SourceModel, tree, lines, c, prefix: str, marker: str):
    """The marker insertion (and the shape rewrite) for one comment, as byte edits."""
    rest = c.text[len(prefix):]
    out = []
    shape = find_shape(rest)
    if shape is not None:
        name = shape.name
        if name is None and tree is not None:
            name = annotated_name(tree, lines, c.line, c.own_line)
        if name is not None:
            start = c.start + len(c.text[: len(prefix) + shape.start].encode())
            end = c.start + len(c.text[: len(prefix) + shape.end].encode())
            out.append((start, end, shape.convention(name)))
    at = c.start + len(prefix)
    if rest.startswith(" "):
        out.append((at + 1, at + 1, f"{marker}: "))
    else:
        out.append((at, at, f" {marker}: "))
    return out


def _verify(model: SourceModel, old: bytes, new: bytes, edits, path: str, settings) -> None:
    """Every edit lies inside a comment, the code is unchanged, and the linter reads the new markers."""
    spans = [(c.start, c.end) for c in model.comments]
    for start, end, _ in edits:
        if not any(s < start and end <= e for s, e in spans):
            raise AdoptError("internal check failed: an edit outside a comment; file left untouched")
    if model.language == "python":
        old_tree = _python_tree(old.decode("utf-8"))
        try:
            new_tree = _python_tree(new.decode("utf-8"))
        except AdoptError:
            raise AdoptError("internal check failed: the result does not compile; file left untouched") from None
        if ast.dump(old_tree) != ast.dump(new_tree):
            raise AdoptError("internal check failed: the code would change; file left untouched")
    else:
        after = build_model(path, new, settings)
        if after.syntax_error is not None:
            raise AdoptError("internal check failed: the result does not parse; file left untouched")
        if _without_comments(after) != _without_comments(model):
            raise AdoptError("internal check failed: the code would change; file left untouched")


def _without_comments(model: SourceModel) -> bytes:
    out, pos = [], 0
    for c in model.comments:
        out.append(model.source[pos:c.start])
        pos = c.end
    out.append(model.source[pos:])
    return b"".join(out)
