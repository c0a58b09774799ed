"""tree-sitter-python -> SourceModel."""
from __future__ import annotations

import bisect
from functools import lru_cache
from itertools import compress, count

from karpathy_lint.files import detect_newline
from karpathy_lint.languages import LANGUAGES
from karpathy_lint.model import Comment, Definition, DefinitionKind, HeaderLine, SourceModel, SyntaxProblem
from karpathy_lint.parse.comments import build_notes
from karpathy_lint.parse.header import build_header
from karpathy_lint.parse.treesitter import collect_comments, first_error, node_text, split_lines

# One alternation of plain node types, plus the statements of each block: tree-sitter analyses every
# pattern when a query is compiled, and that compile is a large part of a one-file run's start-up, so the
# call and `@` operator details are read from the captured nodes (`_call_sites`) rather than matched here.
QUERY = """
[(comment) @comment (function_definition) @def (class_definition) @class (print_statement) @legacy
 (exec_statement) @legacy (call) @call (binary_operator) @binop (augmented_assignment) @augassign]
(block (_) @stmt)
"""

SCOPE_TYPES = ("function_definition", "class_definition")


@lru_cache(maxsize=1)
def grammar():
    import tree_sitter as ts
    import tree_sitter_python as tsp

    lang = ts.Language(tsp.language())
    return lang, ts.Query(lang, QUERY)


def parser():
    import tree_sitter as ts

    lang, _ = grammar()
    return ts.Parser(lang)


def _docstring(block):
    """The docstring expression_statement of a module/class/function body, or None."""
    for child in block.named_children:
        if child.type == "comment":
            continue
        if child.type == "expression_statement" and child.named_child_count == 1:
            inner = child.named_children[0]
            if inner.type in ("string", "concatenated_string"):
                return child
        return None
    return None


def _decorators(node, src: bytes) -> list[str]:
    parent = node.parent
    if parent is None or parent.type != "decorated_definition":
        return []
    out = []
    for child in parent.named_children:
        if child.type == "decorator":
            text = node_text(src, child).lstrip("@").strip()
            out.append(text.split("(", 1)[0].strip())
    return out


def _params(params_node, src: bytes) -> tuple[list[str], list[str]]:
    """(names as comparable, display strings) of a `parameters` node."""
    names: list[str] = []
    display: list[str] = []
    for child in params_node.named_children:
        t = child.type
        if t in ("comment", "line_continuation"):
            continue
        if t == "identifier":
            n = node_text(src, child)
            names.append(n)
            display.append(n)
        elif t in ("typed_parameter",):
            inner = child.named_children[0]
            n = node_text(src, inner)
            names.append(n.lstrip("*"))
            display.append(n)
        elif t in ("default_parameter", "typed_default_parameter"):
            n = node_text(src, child.child_by_field_name("name"))
            names.append(n)
            display.append(n)  # defaults are not compared, and a Function List reads better without them
        elif t in ("list_splat_pattern", "dictionary_splat_pattern"):
            n = node_text(src, child)
            names.append(n.lstrip("*"))
            display.append(n)
        elif t == "keyword_separator":
            display.append("*")
        elif t == "positional_separator":
            display.append("/")
        else:  # tuple parameters and anything newer: keep the text
            n = node_text(src, child)
            names.append(n)
            display.append(n)
    return names, display


def parse_python(path: str, source: bytes, text: str, settings, not_code: set[int] | frozenset[int] = frozenset()
                 ) -> SourceModel:
    """Parse Python; `not_code` holds 1-based lines that do not count as code (a notebook's masked magics)."""
    lang, query = grammar()
    tree = parser().parse(source)
    root = tree.root_node
    model = SourceModel(path=path, language="python", source=source, text=text)
    model.tree = tree  # for lazily computed views (parse/names.py); nothing more is computed here
    model.newline = detect_newline(source)
    if root.has_error:
        model.syntax_error = _syntax_problem(root, text, path)
        if model.syntax_error is not None:
            return model

    import tree_sitter as ts

    caps = ts.QueryCursor(query).captures(root)
    if caps.get("legacy"):
        # tree-sitter-python still accepts Python 2 `print x` / `exec code`; Python 3 does not
        # (`print >> f, x` is valid Python 3, so ask the compiler before reporting)
        problem = _syntax_problem(root, text, path)
        if problem is not None:
            model.syntax_error = problem
            return model
    line_starts = model.line_starts

    # -- comments --------------------------------------------------------------
    comments = collect_comments(caps.get("comment", ()), source, line_starts)
    model.comments = comments
    model.notes = build_notes(comments, settings.marker, LANGUAGES["python"].line_comment)

    # -- header (module docstring) -------------------------------------------------
    doc_ranges: list[tuple[int, int]] = []
    module_doc = _docstring(root)
    if module_doc is not None:
        model.header = _header_from_docstring(model, module_doc, settings)
        doc_ranges.append((module_doc.start_point[0] + 1, module_doc.end_point[0] + 1))

    # -- definitions ------------------------------------------------------------
    stmt_starts = sorted(n.start_byte for n in caps.get("stmt", ()) if n.type != "comment")
    scopes = sorted(list(caps.get("def", ())) + list(caps.get("class", ())), key=lambda n: n.start_byte)
    model.definitions = _definitions(model, scopes, stmt_starts, _call_sites(caps, source), doc_ranges)

    # -- code lines -----------------------------------------------------------------
    _count_code_lines(model, text, comments, doc_ranges, not_code)
    return model


def _syntax_problem(root, text: str, path: str) -> SyntaxProblem | None:
    """Report a syntax error only when Python agrees the file does not compile."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings are the user's business, not ours
            compile(text, path, "exec", dont_inherit=True, flags=0x400)  # ast.PyCF_ONLY_AST
    except SyntaxError as exc:
        msg = exc.msg or "invalid syntax"
        return SyntaxProblem(line=exc.lineno or 1, col=max((exc.offset or 1), 1), message=msg)
    except (ValueError, MemoryError, RecursionError) as exc:  # null bytes, deep nesting
        node = first_error(root)
        line = node.start_point[0] + 1 if node is not None else 1
        return SyntaxProblem(line=line, col=1, message=str(exc).splitlines()[0])
    return None


def _header_from_docstring(model: SourceModel, stmt, settings):
    string = stmt.named_children[0]
    source = model.source
    start, end = string.start_byte, string.end_byte
    raw = source[start:end]
    # Skip the prefix and opening quotes; lines map 1:1 onto file lines.
    i = 0
    while i < len(raw) and raw[i : i + 1] not in (b'"', b"'"):
        i += 1
    quote = raw[i : i + 3] if raw[i : i + 3] in (b'"""', b"'''") else raw[i : i + 1]
    body_start = start + i + len(quote)
    body_end = end - len(quote) if raw.endswith(quote) and end - len(quote) >= body_start else end
    lines = [HeaderLine(line=row, text=text, start=pos)
             for row, pos, text in split_lines(source, body_start, body_end, model.line_of(body_start))]
    header = build_header(LANGUAGES["python"].header_form, start, end, lines, settings.tag, model.newline)
    return header


def _call_sites(caps, source: bytes) -> list[tuple[int, str]]:
    """(offset, callee as written, `@` for a matrix product) of every call of a name or an attribute and
    every `@` / `@=`, in file order."""
    sites = []
    for call in caps.get("call", ()):
        callee = call.child_by_field_name("function")
        if callee is not None and callee.type in ("attribute", "identifier"):
            sites.append((callee.start_byte, source[callee.start_byte : callee.end_byte].decode("utf-8", "replace")))
    for node in (*caps.get("binop", ()), *caps.get("augassign", ())):
        operator = node.child_by_field_name("operator")
        if operator is not None and operator.type in ("@", "@="):
            sites.append((node.start_byte, "@"))
    sites.sort()
    return sites


def _calls_by_function(model, scopes, sites: list[tuple[int, str]]) -> dict[int, list[tuple[str, int]]]:
    """Start offset of each function -> (callee, line) of the calls whose innermost enclosing function it is."""
    spans = [(n.start_byte, n.end_byte) for n in scopes if n.type == "function_definition"]
    out: dict[int, list[tuple[str, int]]] = {}
    for site, callee in sites:
        best = None
        for s, e in spans:
            if s <= site < e and (best is None or s > best):
                best = s
            if s > site:
                break
        if best is not None:
            out.setdefault(best, []).append((callee, model.line_of(site)))
    return out


def _definitions(model, scopes, stmt_starts, call_sites, doc_ranges) -> list[Definition]:
    """One `Definition` per def/class: what it is, where, its params and calls (facts; the rules judge)."""
    source = model.source
    calls = _calls_by_function(model, scopes, call_sites)
    defs: list[Definition] = []
    for node in scopes:
        name_node = node.child_by_field_name("name")
        if name_node is None:
            continue
        name = node_text(source, name_node)
        body = node.child_by_field_name("body")
        chain, type_checking = _enclosing(node, source)
        decorators = _decorators(node, source)
        doc = _docstring(body) if body is not None else None
        if doc is not None:
            doc_ranges.append((doc.start_point[0] + 1, doc.end_point[0] + 1))
        n_stmts = 0
        if body is not None:
            lo = bisect.bisect_left(stmt_starts, body.start_byte)
            hi = bisect.bisect_left(stmt_starts, body.end_byte)
            n_stmts = hi - lo - (1 if doc is not None else 0)
        kind, qualname, params, display = _shape_of(node, name, chain, decorators, source)
        defs.append(Definition(
            name=name, qualname=qualname, kind=kind, params=params,
            display=qualname if kind == "property" else f"{qualname}({display})" if params is not None
            else f"{qualname}(...)",
            line=node.start_point[0] + 1, end_line=node.end_point[0] + 1, start=node.start_byte, end=node.end_byte,
            body_start=body.start_byte if body is not None else node.end_byte, statements=n_stmts,
            decorators=tuple(decorators), calls=tuple(calls.get(node.start_byte, ())),
            type_checking=type_checking, overload=any(d in ("overload", "typing.overload") for d in decorators),
        ))
    return defs


def _enclosing(node, source: bytes) -> tuple[list, bool]:
    """(enclosing def/class nodes, innermost first; whether it sits under a top-level `if TYPE_CHECKING:`)."""
    chain: list = []
    type_checking = False
    p = node.parent
    while p is not None:
        if p.type in SCOPE_TYPES:
            chain.append(p)
        elif p.type == "if_statement" and not chain:
            cond = p.child_by_field_name("condition")
            if cond is not None and node_text(source, cond).strip() in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
                cons = p.child_by_field_name("consequence")
                if cons is not None and cons.start_byte <= node.start_byte < cons.end_byte:
                    type_checking = True
        p = p.parent
    return chain, type_checking


def _shape_of(node, name: str, chain: list, decorators: list[str], source: bytes):
    """(kind, qualname, params or None, params as written) of a def/class from where it sits."""
    is_class = node.type == "class_definition"
    if not chain:
        if is_class:
            return ("class", name, *_class_params(node, decorators, source))
        names, disp = _params(node.child_by_field_name("parameters"), source)
        return "function", name, tuple(names), ", ".join(disp)
    if len(chain) == 1 and chain[0].type == "class_definition" and not _enclosed_by_def(chain[0]):
        qualname = f"{node_text(source, chain[0].child_by_field_name('name'))}.{name}"
        if is_class:
            return ("nested", qualname, *_class_params(node, decorators, source))
        names, disp = _params(node.child_by_field_name("parameters"), source)
        if "staticmethod" not in decorators and names:
            names, disp = names[1:], disp[1:]
        kind: DefinitionKind = "method"
        if any(d.endswith((".setter", ".deleter")) for d in decorators):
            kind = "nested"  # the accessor of a property: the property is the entry
        elif any(d in ("property", "cached_property", "functools.cached_property") for d in decorators):
            kind = "property"
        return kind, qualname, tuple(names), ", ".join(disp)
    qualname = ".".join([node_text(source, c.child_by_field_name("name")) for c in reversed(chain)] + [name])
    names, disp = _params(node.child_by_field_name("parameters"), source) if not is_class else ([], [])
    return "nested", qualname, tuple(names), ", ".join(disp)


def _enclosed_by_def(node) -> bool:
    p = node.parent
    while p is not None:
        if p.type in SCOPE_TYPES:
            return True
        p = p.parent
    return False


def _class_params(node, decorators: list[str], source: bytes):
    body = node.child_by_field_name("body")
    if body is None:
        return None, "..."
    init = None
    fields: list[str] = []
    for child in body.named_children:
        inner = child
        if inner.type == "decorated_definition":
            inner = inner.child_by_field_name("definition")
        if inner is not None and inner.type == "function_definition":
            n = inner.child_by_field_name("name")
            if n is not None and node_text(source, n) == "__init__":
                init = inner
        elif child.type == "expression_statement" and child.named_child_count == 1:
            a = child.named_children[0]
            if a.type == "assignment" and a.child_by_field_name("type") is not None:
                left = a.child_by_field_name("left")
                type_text = node_text(source, a.child_by_field_name("type"))
                if left is not None and left.type == "identifier" and "ClassVar" not in type_text:
                    fields.append(node_text(source, left))
    if init is not None:
        names, disp = _params(init.child_by_field_name("parameters"), source)
        if names:
            names, disp = names[1:], disp[1:]
        return tuple(names), ", ".join(disp)
    if any(d in ("dataclass", "dataclasses.dataclass") for d in decorators):
        return tuple(fields), ", ".join(fields)
    return None, "..."


def _count_code_lines(model: SourceModel, text: str, comments: list[Comment], doc_ranges, not_code=frozenset()) -> None:
    skip: set[int] = {c.line for c in comments if c.own_line} | set(not_code)
    for lo, hi in doc_ranges:
        skip.update(range(lo, hi + 1))
    # the numbers of the non-blank lines, found at C speed: compress keeps i where line.strip() is truthy; lines
    # end at `\n` only, as everywhere else (`splitlines` also breaks at a form feed and shifts every later line)
    code = set(compress(count(1), map(str.strip, text.split("\n"))))
    code -= skip
    model.code_lines = len(code)
    model.last_code_line = max(code, default=0)
