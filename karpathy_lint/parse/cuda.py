"""tree-sitter-cuda -> SourceModel (CUDA and C++: .cu, .cuh)."""
from __future__ import annotations

import bisect
import re
from functools import lru_cache

from karpathy_lint.files import detect_newline
from karpathy_lint.languages import LANGUAGES
from karpathy_lint.model import Comment, Definition, DefinitionKind, HeaderLine, SourceModel, SyntaxProblem
from karpathy_lint.parse.comments import build_notes
from karpathy_lint.parse.header import build_header
from karpathy_lint.parse.treesitter import collect_comments, first_error, node_text, split_lines

QUERY = """
(comment) @comment
(function_definition) @fn
(compound_statement (_) @stmt)
"""
DECORATION = re.compile(r"^\s*\*(?=\s|$) ?")
NAME_TYPES = ("identifier", "field_identifier", "qualified_identifier", "destructor_name", "operator_name",
              "template_function")


@lru_cache(maxsize=1)
def grammar():
    import tree_sitter as ts
    import tree_sitter_cuda as tsc

    lang = ts.Language(tsc.language())
    return lang, ts.Query(lang, QUERY)


def parse_cuda(path: str, source: bytes, text: str, settings) -> SourceModel:
    import tree_sitter as ts

    lang, query = grammar()
    root = ts.Parser(lang).parse(source).root_node
    model = SourceModel(path=path, language="cuda", source=source, text=text)
    model.newline = detect_newline(source)
    if root.has_error:
        node = first_error(root)
        if node is not None:
            row, col = node.start_point
            what = "missing " + node.type if node.is_missing else "unexpected " + _snippet(source, node)
            model.syntax_error = SyntaxProblem(line=row + 1, col=col + 1, message=f"cannot parse: {what}")
            return model

    caps = ts.QueryCursor(query).captures(root)
    line_starts = model.line_starts
    comments = collect_comments(caps.get("comment", ()), source, line_starts)
    model.comments = comments
    model.notes = build_notes(comments, settings.marker, LANGUAGES["cuda"].line_comment)
    model.header = _header(model, root, comments, settings)

    stmt_starts = sorted(n.start_byte for n in caps.get("stmt", ()) if n.type != "comment")
    model.definitions = [d for d in (_definition(model, n, stmt_starts) for n in caps.get("fn", ())) if d]
    model.definitions.sort(key=lambda d: d.start)

    skip: set[int] = set()
    for c in comments:
        if c.own_line:
            end_row = model.line_of(c.end - 1) if c.end > c.start else c.line
            after = source[c.end : model.line_end(end_row)].strip()
            skip.update(range(c.line, end_row + (0 if after else 1)))
    count = last = 0
    for i, line in enumerate(text.splitlines(), start=1):
        if line.strip() and i not in skip:
            count += 1
            last = i
    model.code_lines, model.last_code_line = count, last
    return model


def _snippet(source: bytes, node) -> str:
    text = source[node.start_byte : min(node.end_byte, node.start_byte + 20)].decode("utf-8", "replace")
    return repr(text.split("\n")[0]) if text.strip() else "end of input"


def _header(model: SourceModel, root, comments: list[Comment], settings):
    """The first block comment before any code, or the first holding `Module:`/the tag."""
    first_code = next((c.start_byte for c in root.children if c.type != "comment"), len(model.source))
    blocks = [c for c in comments if c.text.startswith("/*") and c.start < first_code]
    if not blocks:
        return None
    chosen = blocks[0]
    for c in blocks:
        if "Module:" in c.text or f"<{settings.tag}>" in c.text:
            chosen = c
            break
    source = model.source
    lines: list[HeaderLine] = []
    body_start, body_end = chosen.start + 2, chosen.end - 2 if source[chosen.end - 2 : chosen.end] == b"*/" else chosen.end
    for row, pos, text in split_lines(source, body_start, body_end, chosen.line):
        prefix = ""
        if row != chosen.line or text.startswith("*"):
            m = DECORATION.match(text) if row != chosen.line else None
            if m:
                prefix = m.group(0)
        if row == chosen.line and text.startswith("*") and not text.startswith("**"):
            prefix = "*"  # `/**` opener
        lines.append(HeaderLine(line=row, text=text[len(prefix):], start=pos + len(prefix.encode()), prefix=prefix))
    return build_header(LANGUAGES["cuda"].header_form, chosen.start, chosen.end, lines, settings.tag, model.newline)


def _declarator_name(node, source: bytes) -> str | None:
    while node is not None and node.type not in NAME_TYPES:
        inner = node.child_by_field_name("declarator")
        if inner is None:  # reference_declarator and friends hold the inner declarator unnamed
            inner = next((c for c in node.named_children if c.type in NAME_TYPES or c.type.endswith("declarator")),
                         None)
        node = inner
    if node is None:
        return None
    if node.type == "template_function":
        node = node.child_by_field_name("name")
    return node_text(source, node)


def _param_names(params_node, source: bytes) -> tuple[list[str], list[str]]:
    names: list[str] = []
    for child in params_node.named_children:
        if child.type in ("parameter_declaration", "optional_parameter_declaration"):
            n = _declarator_name(child.child_by_field_name("declarator"), source)
            if n and not (len(params_node.named_children) == 1 and n == "void"):
                names.append(n)
        elif child.type == "variadic_parameter_declaration":
            names.append("...")
    return names, names


def _definition(model: SourceModel, node, stmt_starts) -> Definition | None:
    source = model.source
    decl = node.child_by_field_name("declarator")
    func = decl
    while func is not None and func.type != "function_declarator":
        func = func.child_by_field_name("declarator")
    if func is None:
        return None
    name = _declarator_name(func.child_by_field_name("declarator"), source)
    if not name:
        return None
    params_node = func.child_by_field_name("parameters")
    names, _ = _param_names(params_node, source) if params_node is not None else ([], [])
    prefix = source[node.start_byte : decl.start_byte]
    kind: DefinitionKind = "kernel" if b"__global__" in prefix else "device" if b"__device__" in prefix else "host"
    nested = False
    p = node.parent
    while p is not None:
        if p.type in ("field_declaration_list", "function_definition", "lambda_expression"):
            nested = True
            break
        p = p.parent
    outer = node.parent if node.parent is not None and node.parent.type == "template_declaration" else node
    short = name.split("::")[-1]
    if short.startswith("operator"):
        nested = True  # operator overloads, like Python dunders, need not be listed
    body = node.child_by_field_name("body")
    n_stmts = 0
    if body is not None:
        lo = bisect.bisect_left(stmt_starts, body.start_byte)
        hi = bisect.bisect_left(stmt_starts, body.end_byte)
        n_stmts = hi - lo
    return Definition(
        name=short,
        qualname=short,
        kind="nested" if nested else kind,
        params=tuple(names),
        display=f"{short}({', '.join(names)})",
        line=outer.start_point[0] + 1,
        end_line=node.end_point[0] + 1,
        start=outer.start_byte,
        end=node.end_byte,
        body_start=body.start_byte if body is not None else node.end_byte,
        statements=n_stmts,
        listable=not nested,
        private=False,
    )
