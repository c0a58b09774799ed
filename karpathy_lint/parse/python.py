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

QUERY = """
(comment) @comment
(function_definition) @def
(class_definition) @class
(block (_) @stmt)
(call function: (attribute) @callattr)
(call function: (identifier) @callid)
(binary_operator operator: "@") @matmul
(augmented_assignment operator: "@=") @matmul
(print_statement) @legacy
(exec_statement) @legacy
"""

TORCH_ROOTS = frozenset({"torch", "F"})
# torch.<these> are set-up calls, not tensor work
NOT_TENSOR_WORK = frozenset({"cuda", "backends", "manual_seed", "no_grad", "inference_mode", "device", "set_grad_enabled",
                             "get_default_dtype", "set_default_dtype", "is_tensor", "distributed", "multiprocessing",
                             "compile", "jit", "set_num_threads", "get_num_threads", "nn", "utils", "Generator",
                             "use_deterministic_algorithms", "set_printoptions", "finfo", "iinfo", "testing", "dtype"})
TENSOR_METHODS = frozenset(
    {"view", "reshape", "permute", "transpose", "einsum", "matmul", "bmm", "unsqueeze", "squeeze", "flatten",
     "softmax", "masked_fill", "expand", "repeat", "contiguous", "unflatten", "scatter_add_", "index_add_",
     "gather", "topk"}
)
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
    tensor_sites = _tensor_sites(caps, source)
    model.definitions = _definitions(model, scopes, stmt_starts, tensor_sites, doc_ranges, settings)

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


def _tensor_sites(caps, source: bytes) -> list[tuple[int, str]]:
    """(start byte, what) of every call or operator that is tensor work: what is `torch.softmax`, `x.view`, `@`."""
    sites: list[tuple[int, str]] = []
    for node in caps.get("callattr", ()):
        text = source[node.start_byte : node.end_byte].decode("utf-8", "replace")
        parts = text.split(".")
        if parts[0] in TORCH_ROOTS:
            if parts[0] == "F" or (len(parts) > 1 and parts[1] not in NOT_TENSOR_WORK):
                sites.append((node.start_byte, _call_name(text)))
        elif parts[-1] in TENSOR_METHODS:
            sites.append((node.start_byte, _call_name(text)))
    for node in caps.get("callid", ()):
        if source[node.start_byte : node.end_byte] in (b"einsum",):
            sites.append((node.start_byte, "einsum"))
    sites.extend((n.start_byte, "@") for n in caps.get("matmul", ()))
    sites.sort()
    return sites


def _call_name(text: str) -> str:
    """`self.w_q(x).view` -> `.view` on a long receiver; `torch.nn.functional.softmax` as written."""
    text = " ".join(text.split())
    return text if len(text) <= 32 and "(" not in text else "." + text.rsplit(".", 1)[-1]


def _tensor_owners(scopes, model, tensor_sites) -> dict[int, list[tuple[str, int]]]:
    """Innermost function (by start byte) -> its tensor sites as (what, line), in source order."""
    owners: dict[int, list[tuple[str, int]]] = {}
    if not tensor_sites:
        return owners
    spans = [(n.start_byte, n.end_byte) for n in scopes if n.type == "function_definition"]
    for site, what in tensor_sites:
        best = None
        for s, e in spans:
            if s <= site < e and (best is None or s > best[0]):
                best = (s, e)
            if s > site:
                break
        if best is not None:
            owners.setdefault(best[0], []).append((what, model.line_of(site)))
    return owners


def _definitions(model, scopes, stmt_starts, tensor_sites, doc_ranges, settings) -> list[Definition]:
    source = model.source
    defs: list[Definition] = []
    tensor_owner = _tensor_owners(scopes, model, tensor_sites)

    for node in scopes:
        name_node = node.child_by_field_name("name")
        if name_node is None:
            continue
        name = node_text(source, name_node)
        body = node.child_by_field_name("body")
        chain: list = []  # enclosing def/class nodes, innermost first
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
        decorators = _decorators(node, source)
        doc = _docstring(body) if body is not None else None
        if doc is not None:
            doc_ranges.append((doc.start_point[0] + 1, doc.end_point[0] + 1))
        n_stmts = 0
        if body is not None:
            lo = bisect.bisect_left(stmt_starts, body.start_byte)
            hi = bisect.bisect_left(stmt_starts, body.end_byte)
            n_stmts = hi - lo - (1 if doc is not None else 0)
        is_class = node.type == "class_definition"
        private = name.startswith("_") and name != "__init__"
        if not chain:
            kind: DefinitionKind = "class" if is_class else "function"
            qualname = name
            listable = True
            if is_class:
                params, display = _class_params(node, decorators, source)
            else:
                names, disp = _params(node.child_by_field_name("parameters"), source)
                params, display = tuple(names), ", ".join(disp)
        elif len(chain) == 1 and chain[0].type == "class_definition" and not _enclosed_by_def(chain[0]):
            cls_name = node_text(source, chain[0].child_by_field_name("name"))
            qualname = f"{cls_name}.{name}"
            if is_class:
                kind, listable = "nested", False
                params, display = _class_params(node, decorators, source)
            else:
                names, disp = _params(node.child_by_field_name("parameters"), source)
                if "staticmethod" not in decorators and names:
                    names, disp = names[1:], disp[1:]
                kind = "method"
                if any(d in ("property", "cached_property", "functools.cached_property") for d in decorators):
                    kind = "property"
                if any(d.endswith((".setter", ".deleter")) for d in decorators):
                    kind, listable = "nested", False
                else:
                    listable = not name.startswith("_")
                params, display = tuple(names), ", ".join(disp)
        else:
            kind, listable = "nested", False
            qualname = ".".join(
                [node_text(source, c.child_by_field_name("name")) for c in reversed(chain)] + [name]
            )
            names, disp = (_params(node.child_by_field_name("parameters"), source) if not is_class else ([], []))
            params, display = tuple(names), ", ".join(disp)
        if kind in ("class", "function") and name.startswith("_"):
            listable = False
        if kind == "property":
            display_sig = qualname
        else:
            display_sig = f"{qualname}({display})" if params is not None else f"{qualname}(...)"
        is_overload = any(d in ("overload", "typing.overload") for d in decorators)
        defs.append(
            Definition(
                name=name,
                qualname=qualname,
                kind=kind,
                params=params,
                display=display_sig,
                line=node.start_point[0] + 1,
                end_line=node.end_point[0] + 1,
                start=node.start_byte,
                end=node.end_byte,
                body_start=body.start_byte if body is not None else node.end_byte,
                statements=n_stmts,
                tensor_work=node.start_byte in tensor_owner,
                tensor_calls=tuple(tensor_owner.get(node.start_byte, ())),
                listable=listable and not type_checking and not is_overload,
                private=private,
                type_checking=type_checking,
                alternatives=(("__overload__",),) if is_overload else (),
            )
        )
    return defs


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
    # the numbers of the non-blank lines, found at C speed: compress keeps i where line.strip() is truthy
    code = set(compress(count(1), map(str.strip, text.splitlines())))
    code -= skip
    model.code_lines = len(code)
    model.last_code_line = max(code, default=0)
