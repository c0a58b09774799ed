"""tree-sitter-cuda -> SourceModel (CUDA and C++: .cu, .cuh, and opted-in .h/.hpp/.cpp/.cc).

The parser reads the source after `cpp_macros.neutralise` (same bytes, macros
blanked); every position and every text a rule sees is the original's. A tree
with ERROR nodes is kept: the rules run on what parsed, `SourceModel.unparsed`
holds the regions that did not, and KL001 is reserved for files whose
structure cannot be recovered (see `_unrecoverable`).
"""
from __future__ import annotations

import bisect
import re
import threading
from functools import lru_cache
from operator import attrgetter

from karpathy_lint.files import detect_newline
from karpathy_lint.languages import LANGUAGES
from karpathy_lint.model import Comment, Definition, DefinitionKind, HeaderLine, SourceModel, SyntaxProblem
from karpathy_lint.parse.comments import build_notes
from karpathy_lint.parse.cpp_macros import MacroSettings, bracket_problem, first_code_offset, neutralise
from karpathy_lint.parse.header import build_header
from karpathy_lint.parse.treesitter import collect_comments, first_error, node_text, split_lines

QUERY = """
(comment) @comment
(function_definition) @fn
(declaration declarator: [(function_declarator) (pointer_declarator) (reference_declarator)] @decl)
(field_declaration declarator: [(function_declarator) (pointer_declarator) (reference_declarator)] @decl)
(compound_statement (_) @stmt)
"""
# more of the file than this unparsed (by bytes of code): its structure is not recovered, KL001
UNPARSED_LIMIT = 0.5
_TEMPLATE_ARGS = re.compile(r"<[^<>]*>")
DECORATION = re.compile(r"^\s*\*(?=\s|$) ?")
NAME_TYPES = ("identifier", "field_identifier", "qualified_identifier", "destructor_name", "operator_name",
              "template_function")


@lru_cache(maxsize=1)
def grammar():
    import tree_sitter as ts
    import tree_sitter_cuda as tsc

    lang = ts.Language(tsc.language())
    return lang, ts.Query(lang, QUERY)


_LOCAL = threading.local()


def _parser(lang):
    """One tree-sitter Parser per thread, reused for every file (a Parser is not shared between threads)."""
    parser = getattr(_LOCAL, "parser", None)
    if parser is None:
        import tree_sitter as ts

        parser = _LOCAL.parser = ts.Parser(lang)
    return parser


def parse_cuda(path: str, source: bytes, text: str, settings) -> SourceModel:
    import tree_sitter as ts

    lang, query = grammar()
    macros = MacroSettings(settings.attribute_macros, settings.namespace_macros, settings.statement_macros)
    parsed = neutralise(source, macros)
    root = _parser(lang).parse(parsed).root_node
    model = SourceModel(path=path, language="cuda", source=source, text=text)
    model.newline = detect_newline(source)
    if root.has_error:
        model.unparsed = _error_spans(root)
        problem = _unrecoverable(model, root, source, parsed)
        if problem is not None:
            model.syntax_error = problem
            return model

    caps = ts.QueryCursor(query).captures(root)
    line_starts = model.line_starts
    comments = collect_comments(caps.get("comment", ()), source, line_starts, text)
    model.comments = comments
    model.notes = build_notes(comments, settings.marker, LANGUAGES["cuda"].line_comment, source)
    model.header = _header(model, parsed, comments, settings)
    if model.header is not None and any(a < model.header.end and model.header.start < b for a, b in model.unparsed):
        model.syntax_error = _problem(model, root, source)  # the header itself sits in an unreadable region
        return model

    stmt_starts = sorted(n.start_byte for n in caps.get("stmt", ()) if n.type != "comment")
    memo: dict[int, _Scopes] = {}
    defs = [_definition(model, n, stmt_starts, memo) for n in caps.get("fn", ())]
    defs += [_declaration(model, n, memo) for n in caps.get("decl", ())]
    model.definitions = [d for d in defs if d]
    model.definitions.sort(key=lambda d: d.start)

    model.code_lines, model.last_code_line = _code_lines(model, comments)
    return model


def _code_lines(model: SourceModel, comments: list[Comment]) -> tuple[int, int]:
    """(lines of code, the last of them): lines that are not blank and not taken by own-line comments."""
    source, line_starts = model.source, model.line_starts
    n_lines, size = len(line_starts), len(source)
    # 1 per line that is not blank (strip() leaves something), set to 0 below for the comment lines: then the
    # count and the last such line are C-level searches (`count`, `rfind`), not Python steps per line
    # (lines end at `\n` only, as everywhere else: `splitlines` also breaks at a form feed)
    filled = bytearray(map(bool, map(str.strip, model.text.split("\n"))))
    n = len(filled)
    skip: list[int] = []
    for c in comments:
        if not c.own_line:
            continue
        if c.text.startswith("//") and "\n" not in c.text:
            skip.append(c.line)  # a `//` comment on one line runs to the line's end: nothing can follow it
            continue
        end_row = model.line_of(c.end - 1) if c.end > c.start and "\n" in c.text else c.line
        # code after the comment on its last line (the line ending itself is blank to strip())
        after = source[c.end : line_starts[end_row] if end_row < n_lines else size].strip()
        skip.extend(range(c.line, end_row + (0 if after else 1)))
    for i in skip:
        if 0 < i <= n:
            filled[i - 1] = 0
    return filled.count(1), filled.rfind(1) + 1


# inside an ERROR node, error-free children of these types were read all the same (tree-sitter recovers locally:
# a namespace-wide ERROR may hold hundreds of whole function definitions); the rest of the node is unparsed
_RECOVERED = frozenset({
    "function_definition", "declaration", "template_declaration", "field_declaration", "namespace_definition",
    "comment", "expression_statement", "compound_statement", "type_definition", "alias_declaration",
    "using_declaration", "enum_specifier", "struct_specifier", "class_specifier", "union_specifier",
    "static_assert_declaration", "linkage_specification", "return_statement", "if_statement", "for_statement",
    "while_statement", "preproc_include", "preproc_def", "preproc_function_def", "preproc_call", "preproc_if",
    "preproc_ifdef", "access_specifier", "field_declaration_list", "declaration_list",
})


def _error_spans(root) -> list[tuple[int, int]]:
    """Byte ranges the parser could not read, in file order: MISSING tokens, and the parts of each ERROR
    node that are not whole constructs it recovered."""
    spans: list[tuple[int, int]] = []

    def inside_error(node) -> None:
        for child in node.children:
            if child.is_missing:
                spans.append((child.start_byte, child.start_byte + 1))
            elif child.is_error:
                inside_error(child)
            elif child.has_error:
                outside_error(child)
            elif child.type not in _RECOVERED:
                spans.append((child.start_byte, max(child.end_byte, child.start_byte + 1)))
        if not node.children:
            spans.append((node.start_byte, max(node.end_byte, node.start_byte + 1)))

    def outside_error(top) -> None:
        cursor = top.walk()
        while True:
            node = cursor.node
            if node.is_missing:
                spans.append((node.start_byte, node.start_byte + 1))
            elif node.is_error:
                inside_error(node)
            elif node.has_error and cursor.goto_first_child():
                continue
            while not cursor.goto_next_sibling():
                if not cursor.goto_parent() or cursor.node == top:
                    return

    outside_error(root)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for a, b in spans:  # neighbouring pieces of one ERROR are one region
        if merged and a <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _unrecoverable(model: SourceModel, root, source: bytes, parsed: bytes) -> SyntaxProblem | None:
    """KL001 for a tree with errors: unbalanced brackets (in the original bytes), or most of the code unparsed."""
    bad = bracket_problem(source)
    if bad is not None:
        line, col = model.position(bad[0])
        return SyntaxProblem(line=line, col=col, message=bad[2])
    code = _code_bytes(parsed, 0, len(parsed))
    unparsed = sum(_code_bytes(parsed, a, b) for a, b in model.unparsed)
    if code and unparsed > UNPARSED_LIMIT * code:
        return _problem(model, root, model.source, f" (most of the file: {unparsed} of {code} bytes of code)")
    return None


# a block comment up to its first `*/` (unrolled: one step per run of plain bytes, not per byte), a line comment
_COMMENT = re.compile(rb"/\*[^*]*\*+(?:[^/*][^*]*\*+)*/|//[^\n]*")
_BLANK_BYTES = b" \t\n\r\x0b\x0c"  # what `\s` matches in bytes


def _code_bytes(parsed: bytes, start: int, end: int) -> int:
    """Bytes of parsed[start:end] that are neither blank nor comment: the comments (found left to right, as
    a scan for comments or blanks would find them) and the blanks outside them are counted, not removed."""
    chunk = parsed[start:end]
    comments = b"".join(_COMMENT.findall(chunk))
    blanks = len(chunk) - len(chunk.translate(None, _BLANK_BYTES))
    blanks_in_comments = len(comments) - len(comments.translate(None, _BLANK_BYTES))
    return len(chunk) - len(comments) - (blanks - blanks_in_comments)


def _problem(model: SourceModel, root, source: bytes, why: str = "") -> SyntaxProblem:
    node = first_error(root)
    if node is None:  # pragma: no cover - only called on a tree with errors
        return SyntaxProblem(line=1, col=1, message="cannot parse" + why)
    row, col = node.start_point
    what = "missing " + node.type if node.is_missing else "unexpected " + _snippet(source, node)
    return SyntaxProblem(line=row + 1, col=col + 1, message=f"cannot parse: {what}{why}")


def _snippet(source: bytes, node) -> str:
    text = source[node.start_byte : min(node.end_byte, node.start_byte + 20)].decode("utf-8", "replace")
    return repr(text.split("\n")[0]) if text.strip() else "end of input"


_START = attrgetter("start")


def _header(model: SourceModel, parsed: bytes, comments: list[Comment], settings):
    """The first block comment before any code, or the first holding `Module:`/the tag.

    `#pragma once` and an include guard are not code here: a header may follow them.
    """
    first_code = first_code_offset(model.source)
    before = comments[: bisect.bisect_left(comments, first_code, key=_START)]  # comments are in file order
    blocks = [c for c in before if c.text.startswith("/*")]
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
    children = params_node.named_children
    for child in children:
        if child.type in ("parameter_declaration", "optional_parameter_declaration"):
            n = _declarator_name(child.child_by_field_name("declarator"), source)
            if n and not (len(children) == 1 and n == "void"):
                names.append(n)
        elif child.type == "variadic_parameter_declaration":
            names.append("...")
    return names, names


def _clean_name(text: str) -> list[str]:
    """`::ns::Foo<T, 2>::bar` -> ["ns", "Foo", "bar"]: template arguments and spaces dropped."""
    text = "".join(text.split())
    while "<" in text:  # innermost arguments first (most names hold none: no regex pass for them)
        stripped = _TEMPLATE_ARGS.sub("", text)
        if stripped == text:
            break
        text = stripped
    return [p for p in text.split("::") if p]


_Scopes = tuple[tuple[str, ...], tuple[str, ...], bool, bool, bool]
_OUTSIDE: _Scopes = ((), (), False, False, False)


def _scopes(parent, memo: dict[int, _Scopes]) -> tuple[list[str], list[str], bool, bool, bool]:
    """(enclosing namespaces, enclosing classes, inside a class body, inside a function, inside an ERROR) of a
    node whose parent is `parent`.

    `memo` (one per file) holds what each ancestor contributes: definitions side by side share their
    ancestors, and each `parent` step costs tree-sitter a walk down from the root."""
    chain = []  # ancestors not yet in `memo`, innermost first
    p = parent
    while p is not None and p.id not in memo:
        chain.append(p)
        p = p.parent
    namespaces, classes, in_class, in_function, in_error = _OUTSIDE if p is None else memo[p.id]
    for p in reversed(chain):
        t = p.type
        if t == "ERROR":
            in_error = True
        if t == "namespace_definition":
            name = p.child_by_field_name("name")
            if name is not None:
                namespaces = namespaces + tuple(_clean_name(name.text.decode("utf-8", "replace")))
        elif t == "field_declaration_list":
            in_class = True
            owner = p.parent
            name = owner.child_by_field_name("name") if owner is not None else None
            if name is not None:
                classes = classes + tuple(_clean_name(name.text.decode("utf-8", "replace")))
        elif t in ("function_definition", "lambda_expression", "compound_statement"):
            in_function = True
        memo[p.id] = (namespaces, classes, in_class, in_function, in_error)
    return list(namespaces), list(classes), in_class, in_function, in_error


def _names(parts: list[str], namespaces: list[str], classes: list[str]) -> tuple[str, tuple[str, ...]]:
    """(key, aliases): the key is the class-qualified name as written, any trailing part of the full name
    (`detail.Foo.bar`, `bar`) is accepted too."""
    key_parts = classes + parts
    full = namespaces + key_parts
    key = ".".join(key_parts)
    suffixes = [".".join(full[i:]) for i in range(len(full))]
    return key, tuple(dict.fromkeys(s for s in suffixes if s != key))


def _function_declarator(decl):
    func = decl
    while func is not None and func.type != "function_declarator":
        inner = func.child_by_field_name("declarator")
        if inner is None:  # reference_declarator holds the inner declarator unnamed
            inner = next((c for c in func.named_children if c.type.endswith("declarator")), None)
        func = inner
    return func


def _definition(model: SourceModel, node, stmt_starts, memo: dict[int, _Scopes]) -> Definition | None:
    source = model.source
    decl = node.child_by_field_name("declarator")
    func = _function_declarator(decl)
    if func is None:
        return None
    name = _declarator_name(func.child_by_field_name("declarator"), source)
    if not name:
        return None
    parts = _clean_name(name)
    if not parts:
        return None
    params_node = func.child_by_field_name("parameters")
    names, _ = _param_names(params_node, source) if params_node is not None else ([], [])
    prefix = source[node.start_byte : decl.start_byte]
    kind: DefinitionKind = "kernel" if b"__global__" in prefix else "device" if b"__device__" in prefix else "host"
    parent = node.parent
    namespaces, classes, in_class, in_function, uncertain = _scopes(parent, memo)
    # members defined in a class body, nested functions and operator overloads need not be listed
    nested = in_class or in_function or parts[-1].startswith("operator")
    outer = parent if parent is not None and parent.type == "template_declaration" else node
    key, aliases = _names(parts, namespaces, classes)
    body = node.child_by_field_name("body")
    n_stmts = 0
    if body is not None:
        lo = bisect.bisect_left(stmt_starts, body.start_byte)
        hi = bisect.bisect_left(stmt_starts, body.end_byte)
        n_stmts = hi - lo
    written = "::".join(parts)
    return Definition(
        name=parts[-1],
        qualname=key,
        kind="nested" if nested and not uncertain else kind,
        params=tuple(names),
        display=f"{written}({', '.join(names)})",
        line=outer.start_point[0] + 1,
        end_line=node.end_point[0] + 1,
        start=outer.start_byte,
        end=node.end_byte,
        body_start=body.start_byte if body is not None else node.end_byte,
        statements=n_stmts,
        aliases=aliases,
        uncertain=uncertain,
    )


def _declaration(model: SourceModel, decl, memo: dict[int, _Scopes]) -> Definition | None:
    """A function declared without a body: never demanded, accepted when listed (params compared)."""
    func = _function_declarator(decl)
    if func is None:
        return None
    name = _declarator_name(func.child_by_field_name("declarator"), model.source)
    parts = _clean_name(name) if name else []
    if not parts:
        return None
    node = decl.parent
    namespaces, classes, _, in_function, uncertain = _scopes(node.parent, memo)
    if in_function:
        return None  # `T x(a, b);` in a body is a variable, not a function
    params_node = func.child_by_field_name("parameters")
    names, _ = _param_names(params_node, model.source) if params_node is not None else ([], [])
    key, aliases = _names(parts, namespaces, classes)
    return Definition(
        name=parts[-1], qualname=key, kind="declaration", params=tuple(names),
        display=f"{'::'.join(parts)}({', '.join(names)})", line=node.start_point[0] + 1,
        end_line=node.end_point[0] + 1, start=node.start_byte, end=node.end_byte, body_start=node.end_byte,
        statements=0, aliases=aliases, uncertain=uncertain,
    )
