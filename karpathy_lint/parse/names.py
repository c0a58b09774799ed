"""What a Python file defines and uses, read from the tree the parser kept (no second parse).

`python_names(model)` runs ONE tree-sitter query over `model.tree` the first time it
is called and caches the result on the model; nothing here runs at parse time, so
files whose prose has no backticked names never pay for it. The index mirrors what
Python's own AST would say: `bound` holds every name read or bound plus identifier-like
string constants, `defined` the names the file binds itself, `attrs` every `.attr` and
keyword-argument name (plus class members), `imports` the names imports bind, and
`classes` maps a class name to (members, base names as dotted text, "" when not a name).
"""
from __future__ import annotations

import bisect
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

QUERY = """
(identifier) @id
(attribute attribute: (identifier) @attr)
(keyword_argument name: (identifier) @kw)
(function_definition name: (identifier) @def)
(class_definition) @class
(parameters (identifier) @def)
(lambda_parameters (identifier) @def)
(typed_parameter (identifier) @def)
(default_parameter name: (identifier) @def)
(typed_default_parameter name: (identifier) @def)
(list_splat_pattern (identifier) @def)
(dictionary_splat_pattern (identifier) @def)
(global_statement (identifier) @def)
(nonlocal_statement (identifier) @def)
(named_expression name: (identifier) @def)
(case_pattern (as_pattern (identifier) @def))
(assignment left: (_) @store)
(augmented_assignment left: (_) @store)
(for_statement left: (_) @store)
(for_in_clause left: (_) @store)
(as_pattern_target (_) @store)
(delete_statement (_) @del)
(import_statement) @import
(import_from_statement) @import
(future_import_statement) @import
(dotted_name) @dotted
(keyword_pattern . (identifier) @hidden)
(splat_pattern (identifier) @hidden)
(string) @str
(concatenated_string) @cat
(print_statement) @print
(exec_statement) @py2
(function_definition type_parameters: (_) @py312)
(class_definition type_parameters: (_) @py312)
"""
# containers whose identifiers are all targets of the same store (or del)
TARGET_LISTS = frozenset({"pattern_list", "tuple_pattern", "list_pattern", "list_splat_pattern", "tuple", "list",
                          "expression_list", "parenthesized_expression", "list_splat"})
# statements (and handlers, match cases) that put their body one level deeper in Python's AST
SCOPE_DEPTH = frozenset({"function_definition", "class_definition", "if_statement", "for_statement", "while_statement",
                         "try_statement", "with_statement", "match_statement", "except_clause", "except_group_clause",
                         "case_clause"})
MAX_CONSTANT = 64  # longest string constant that can count as a name (`"gloo"`, `__all__` entries)
ESCAPE = re.compile(r"\\(\r\n|[\n\r\\'\"abfnrtv]|[0-7]{1,3}|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}"
                    r"|N\{[^}\n]*\}|.)", re.DOTALL)
SIMPLE_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r",
                  "t": "\t", "v": "\v", "\n": "", "\r": "", "\r\n": ""}


@dataclass
class NameIndex:
    """What a file defines and uses, for resolving backticked names."""

    bound: set[str] = field(default_factory=set)  # every name bound or read, plus identifier-like strings
    defined: set[str] = field(default_factory=set)  # names the file itself defines (suggestions come from here)
    imports: set[str] = field(default_factory=set)
    attrs: set[str] = field(default_factory=set)  # every `.attr` and keyword-argument name, and class members
    classes: dict[str, tuple[set[str], list[str]]] = field(default_factory=dict)  # class -> (members, bases)
    # the modules imports read, as written (`torch.nn`, `.epi_ops`, `..utils`); `from . import x` also gives `.x`
    modules: set[str] = field(default_factory=set)

    def external_bases(self) -> bool:
        return any(b and b != "object" and b not in self.classes for _, bases in self.classes.values() for b in bases)


@lru_cache(maxsize=1)
def _query():
    import tree_sitter as ts

    from karpathy_lint.parse.python import grammar

    lang, _ = grammar()
    return ts.Query(lang, QUERY)


def python_names(model) -> NameIndex | None:
    """The name index of a parsed Python file, built on first use (and cached on the model).

    None when the model kept no tree, or when the tree holds statements tree-sitter accepts but the running
    Python does not parse (Python 2 `print "x"`, `exec code`; `def f[T]()` before 3.12): Python's
    own AST would not exist for such a file, so there is no index to trust.
    """
    if model.tree is None:
        return None
    return model.view("names", lambda m: _build(m.tree.root_node, m.source)) or None


def _build(root, source: bytes) -> NameIndex | bool:
    """One pass over the captures of one query; False when this Python could not parse the file."""
    import tree_sitter as ts

    caps = ts.QueryCursor(_query()).captures(root)
    if not _parses_here(caps):
        return False  # cached as "no index"
    text = _namer(source)
    n = NameIndex()
    hidden = _attributes(caps, text, n.attrs)  # start bytes of identifiers that are not names
    n.defined.update(text(node) for node in caps.get("def", ()))
    self_stores: list[tuple[int, str]] = []  # (offset, attr) of every `self.attr` store
    for node in caps.get("store", ()):
        _targets(node, text, n.defined, self_stores)
    for node in caps.get("del", ()):
        _targets(node, text, n.defined, None)
    _imports_and_patterns(caps, text, n, hidden)
    _bound(caps, source, text, n.bound, hidden)
    _classes(caps, text, n, sorted(self_stores))
    n.bound |= n.defined
    for members, _ in n.classes.values():
        n.attrs |= members
    return n


def _parses_here(caps) -> bool:
    """False for what tree-sitter accepts and the running Python does not: Python 2 (`print "x"`, `exec
    code`; `print >> f, x` is Python 3 too), type parameters (`def f[T]()`) before 3.12."""
    if "py2" in caps or any(not any(c.type == "chevron" for c in p.children) for p in caps.get("print", ())):
        return False
    return "py312" not in caps or sys.version_info >= (3, 12)


def _namer(source: bytes):
    """An identifier's name: its text, NFKC-normalized when it is not ASCII (as Python does)."""
    def text(node) -> str:
        raw = source[node.start_byte : node.end_byte]
        return raw.decode() if raw.isascii() else unicodedata.normalize("NFKC", raw.decode("utf-8", "replace"))

    return text


def _attributes(caps, text, attrs: set[str]) -> set[int]:
    """Add every `.attr` and keyword-argument name to `attrs`; the start bytes of those and of the other
    identifiers that are not names (keyword and splat patterns)."""
    hidden: set[int] = set()
    for node in (*caps.get("attr", ()), *caps.get("kw", ())):
        attrs.add(text(node))
        hidden.add(node.start_byte)
    hidden.update(node.start_byte for node in caps.get("hidden", ()))
    return hidden


def _imports_and_patterns(caps, text, n: NameIndex, hidden: set[int]) -> None:
    """The imports, then the dotted names outside them (only in match patterns)."""
    import_paths: set[int] = set()  # dotted_name nodes that belong to imports
    for node in caps.get("import", ()):
        _import(node, text, n, hidden, import_paths)
    for node in caps.get("dotted", ()):
        if node.start_byte in import_paths:
            continue
        ids = [c for c in node.named_children if c.type == "identifier"]
        if len(ids) == 1:
            parent = node.parent
            if parent is not None and parent.type != "class_pattern":  # a capture pattern: `case x:`
                n.defined.add(text(ids[0]))
        else:  # a value pattern `Color.RED`: a name, then attributes
            for c in ids[1:]:
                n.attrs.add(text(c))
                hidden.add(c.start_byte)


def _bound(caps, source: bytes, text, bound: set[str], hidden: set[int]) -> None:
    """Every identifier that is a name, plus identifier-like string constants."""
    if caps.get("print"):  # `print >> f, x` is Python 3 too: a shift of the name `print`
        bound.add("print")
    for node in caps.get("id", ()):
        if node.start_byte not in hidden:
            bound.add(text(node))
    _strings(caps, source, bound)


def _classes(caps, text, n: NameIndex, self_stores: list[tuple[int, str]]) -> None:
    """Each class's members (its own definitions and the `self.attr` stores inside it) and base names."""
    classes = sorted(caps.get("class", ()), key=lambda c: (_ast_depth(c), c.start_byte))  # Python's ast.walk order
    store_offsets = [s for s, _ in self_stores]
    for cls in classes:
        name_node = cls.child_by_field_name("name")
        if name_node is None:
            continue
        members = _members(cls, text)
        lo = bisect.bisect_left(store_offsets, cls.start_byte)
        hi = bisect.bisect_left(store_offsets, cls.end_byte)
        members.update(attr for _, attr in self_stores[lo:hi])
        bases: list[str] = []
        supers = cls.child_by_field_name("superclasses")
        if supers is not None:
            for c in supers.named_children:
                if c.type not in ("keyword_argument", "dictionary_splat", "comment"):
                    bases.append(_dotted(c, text))
        n.classes[text(name_node)] = (members, bases)
        n.defined.add(text(name_node))


def _unwrap(node):
    """`(x)` is `x`."""
    while node.type in ("parenthesized_expression", "tuple_pattern") and node.named_child_count == 1 \
            and not any(c.type == "," for c in node.children):
        node = node.named_children[0]
    return node


def _targets(node, text, defined: set[str], self_stores) -> None:
    """Names bound by an assignment / for / with / del target; `self.x` stores go to self_stores."""
    t = node.type
    if t == "identifier":
        defined.add(text(node))
    elif t in TARGET_LISTS:
        for c in node.named_children:
            _targets(c, text, defined, self_stores)
    elif t == "attribute" and self_stores is not None:
        obj = node.child_by_field_name("object")
        attr = node.child_by_field_name("attribute")
        if obj is not None and attr is not None:
            obj = _unwrap(obj)
            if obj.type == "identifier" and text(obj) == "self":
                self_stores.append((node.start_byte, text(attr)))


def _import(node, text, n: NameIndex, hidden: set[int], import_paths: set[int]) -> None:
    """The names an import binds; every identifier in it is hidden from `bound` (none of them is read)."""
    module = node.child_by_field_name("module_name")
    prefix = text_of(module, text) if module is not None else None
    for name in node.children_by_field_name("name"):
        path = name.child_by_field_name("name") if name.type == "aliased_import" else name
        written = text_of(path, text) if path is not None else ""
        if prefix is None:
            n.modules.add(written)
        elif written:  # `from .pkg import mod` may import a module as well as a name
            n.modules.add(prefix + written if prefix.endswith(".") else f"{prefix}.{written}")
        if name.type == "aliased_import":
            alias = name.child_by_field_name("alias")
            bound = text(alias) if alias is not None else None
        else:  # dotted_name: `import a.b.c` binds `a`
            first = name.named_children[0] if name.named_child_count else None
            bound = text(first) if first is not None and first.type == "identifier" else None
        if bound:
            n.imports.add(bound)
            n.defined.add(bound)
    if prefix is not None:
        n.modules.add(prefix)
    stack = [node]
    while stack:
        cur = stack.pop()
        if cur.type == "identifier":
            hidden.add(cur.start_byte)
        elif cur.type == "dotted_name":
            import_paths.add(cur.start_byte)
        stack.extend(cur.named_children)


def text_of(node, text) -> str:
    """A dotted name or relative import as written, without spaces (`torch.nn`, `..utils`)."""
    return "".join(text(node).split())


def _dotted(node, text) -> str:
    """A base class as dotted text: `nn.Module`; "" for anything that is not a name chain."""
    node = _unwrap(node)
    if node.type == "identifier":
        return text(node)
    if node.type == "attribute":
        obj = node.child_by_field_name("object")
        attr = node.child_by_field_name("attribute")
        if obj is not None and attr is not None:
            return _dotted(obj, text) + "." + text(attr)
    return ""


def _members(cls, text) -> set[str]:
    """Methods, nested classes and plain `name = ...` / `name: T` statements of a class body."""
    out: set[str] = set()
    body = cls.child_by_field_name("body")
    if body is None:
        return out
    for stmt in body.named_children:
        t = stmt.type
        if t == "decorated_definition":
            stmt = stmt.child_by_field_name("definition")
            if stmt is None:
                continue
            t = stmt.type
        if t in ("function_definition", "class_definition"):
            name = stmt.child_by_field_name("name")
            if name is not None:
                out.add(text(name))
        elif t == "expression_statement" and stmt.named_child_count == 1:
            a = stmt.named_children[0]
            while a is not None and a.type == "assignment":  # `a = b = 1` nests: a = (b = 1)
                left = a.child_by_field_name("left")
                if left is not None:
                    left = _unwrap(left)
                    if left.type == "identifier":
                        out.add(text(left))
                a = a.child_by_field_name("right")
    return out


def _ast_depth(node) -> int:
    """How deep Python's AST puts a class statement: ast.walk is breadth first, so of two classes with the
    same name the deeper one wins (the later one at equal depth)."""
    depth = 0
    p = node.parent
    while p is not None:
        t = p.type
        if t in SCOPE_DEPTH:
            depth += 1
        elif t == "elif_clause":  # `elif` is an `if` nested in the previous branch's else
            depth += sum(1 for c in p.parent.children if c.type == "elif_clause" and c.start_byte <= p.start_byte)
        elif t == "else_clause" and p.parent.type == "if_statement":
            depth += sum(1 for c in p.parent.children if c.type == "elif_clause")
        p = p.parent
    return depth


def _strings(caps, source: bytes, bound: set[str]) -> None:
    """Identifier-like string constants, as Python's AST splits and joins them (implicit concatenation joins
    pieces; an f-string's literal pieces and format specs are constants of their own)."""
    parts_of_cats: set[int] = set()
    groups = []
    for cat in caps.get("cat", ()):
        parts = [c for c in cat.named_children if c.type == "string"]
        parts_of_cats.update(c.start_byte for c in parts)
        groups.append(parts)
    for s in caps.get("str", ()):
        if s.start_byte not in parts_of_cats:
            groups.append([s])
    for parts in groups:
        for value in _constants(parts, source):
            if len(value) <= MAX_CONSTANT and value.isidentifier():
                bound.add(value)


def _constants(parts, source: bytes):
    """The str constants of one (possibly implicitly concatenated) string literal; None for tainted pieces."""
    out: list[str] = []
    current: list[str] = []
    tainted = False
    for part in parts:
        s, e = part.start_byte, part.end_byte
        raw = source[s:e]
        i = 0
        while i < len(raw) and raw[i] not in (34, 39):  # the prefix, up to the first quote
            i += 1
        prefix = raw[:i].lower()
        if b"b" in prefix:
            return []  # bytes: not a str constant
        quote = 3 if raw[i : i + 3] in (b'"""', b"'''") else 1
        body_start, body_end = s + i + quote, max(e - quote, s + i + quote)
        is_raw = b"r" in prefix
        if b"f" not in prefix:
            current.append(_value(source[body_start:body_end], is_raw))
            continue
        pos = body_start
        for child in part.named_children:
            if child.type != "interpolation":
                continue
            current.append(_value(source[pos : child.start_byte], is_raw))
            if any(c.type == "=" for c in child.children):
                tainted = True  # `{x=}` puts "x=" into the literal before it
            if not tainted:
                out.append("".join(current))
            current, tainted = [], False
            spec = child.child_by_field_name("format_specifier")
            if spec is not None:
                out.extend(_spec_pieces(spec, source, is_raw))
            pos = child.end_byte
        current.append(_value(source[pos:body_end], is_raw))
    if current and not tainted:
        out.append("".join(current))
    return out


def _spec_pieces(spec, source: bytes, is_raw: bool) -> list[str]:
    """The literal pieces of a format spec `:>{width}d` -> [">", "d"]."""
    pieces = []
    pos = spec.start_byte + 1  # past ":"
    for c in spec.named_children:
        if c.type == "format_expression":
            pieces.append(_value(source[pos : c.start_byte], is_raw))
            pos = c.end_byte
    pieces.append(_value(source[pos : spec.end_byte], is_raw))
    return [p for p in pieces if p]


def _value(raw: bytes, is_raw: bool) -> str:
    text = raw.decode("utf-8", "replace")
    if is_raw or "\\" not in text:
        return text
    return ESCAPE.sub(_unescape, text)


def _unescape(m) -> str:
    esc = m.group(1)
    if esc in SIMPLE_ESCAPES:
        return SIMPLE_ESCAPES[esc]
    c = esc[0]
    try:
        if c in "01234567":
            return chr(int(esc, 8))
        if c in "xuU" and len(esc) > 1:
            return chr(int(esc[1:], 16))
        if c == "N" and esc.startswith("N{"):
            return unicodedata.lookup(esc[2:-1])
    except (ValueError, KeyError, OverflowError):
        pass
    return "\\" + esc  # an unknown escape keeps its backslash
