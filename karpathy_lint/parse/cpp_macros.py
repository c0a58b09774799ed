"""Macro-aware, byte-position-preserving neutralisation of CUDA/C++ source.

tree-sitter-cuda parses C++ as written, not as preprocessed, so the macros of
real kernel libraries (`CUTLASS_DEVICE void f()`, `CUB_NAMESPACE_BEGIN`,
`NV_IF_TARGET(...)`, `__align__(16)`) look like syntax errors to it.
`neutralise` returns the same bytes with those constructs replaced by blanks
(newlines kept, so every line, column and byte offset is unchanged); the
parser reads the result, every rule and fix works on the original bytes.

What is blanked (never an expression that is code):

* a macro in *attribute position*: at the start of a declaration (after `;`,
  `{`, `}`, a `template <...>` header, an access specifier, a decl specifier
  such as `static`, or another blanked macro) and followed by the rest of a
  declaration; between `struct`/`class`/`union` and the type's name; and,
  for configured or file-defined ones, between a return type and the
  function's name (`static T CUTLASS_DEVICE f(...)`).
  A macro is a configured attribute macro, one the file `#define`s to an
  attribute-like expansion (`#define HD __host__ __device__`), or any
  ALL_CAPS name with an underscore (`CUTLASS_HOST_DEVICE`, `TORCH_API`);
* a namespace or statement macro standing as a statement (with its
  arguments), and any ALL_CAPS call standing alone on its line or whose
  arguments hold statements (`NV_IF_TARGET(NV_IS_HOST, (f();))`);
* `__align__(...)`, `__attribute__((...))`, `__declspec(...)`,
  `__cluster_dims__(...)`, `_Pragma(...)` anywhere in code; `__host__`/
  `__device__` (or a macro) after a lambda's capture list; a `= {...}`
  default argument and the default of an unnamed parameter (`T* = nullptr`)
  (tree-sitter-cuda 0.21 reads neither; the parameter stays);
* the directive lines of an `#if`/`#ifndef` ... `#endif` wrapping the whole
  file (an include guard, `#if !defined(X)`), so its contents are top-level;
* the condition of every `#if`/`#elif` becomes `1` (function-like macros and
  the alternative tokens `and`/`or`/`not` there are not C expressions
  tree-sitter reads); comments on those lines are kept.

Pure functions, no tree-sitter: `neutralise`, `bracket_problem` (the first
unbalanced bracket, for KL001) and `first_code_offset` (where a header may no
longer stand).
"""
from __future__ import annotations

import fnmatch
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from itertools import compress

# clang-format's AttributeMacros / NamespaceMacros / StatementMacros, with CUDA, CCCL (CUB, Thrust,
# libcu++), CUTLASS/CuTe and PyTorch defaults. `*` is a wildcard.
DEFAULT_ATTRIBUTE_MACROS = (
    "CUTLASS_HOST_DEVICE", "CUTLASS_DEVICE", "CUTLASS_HOST", "CUTLASS_GLOBAL", "CUTLASS_INLINE",
    "CUTE_HOST_DEVICE", "CUTE_DEVICE", "CUTE_HOST", "CUTE_GLOBAL", "CUTE_INLINE_CONSTANT",
    "_CCCL_HOST_DEVICE", "_CCCL_DEVICE", "_CCCL_HOST", "_CCCL_API", "_CCCL_HOST_API", "_CCCL_DEVICE_API",
    "_CCCL_FORCEINLINE", "_CCCL_NODISCARD", "_CCCL_VISIBILITY_*", "_CCCL_TYPE_VISIBILITY_*",
    "_CCCL_EXEC_CHECK_DISABLE", "_CCCL_KERNEL_ATTRIBUTES", "CUB_RUNTIME_FUNCTION", "CUB_DETAIL_KERNEL_ATTRIBUTES",
    "THRUST_HOST_DEVICE", "THRUST_DEVICE", "THRUST_HOST", "THRUST_RUNTIME_FUNCTION",
    "_LIBCUDACXX_HIDE_FROM_ABI", "_LIBCUDACXX_INLINE_VISIBILITY",
    "C10_HOST_DEVICE", "C10_DEVICE", "C10_HOST", "C10_API", "TORCH_API", "TORCH_CUDA_CPP_API",
    "TORCH_CUDA_CU_API", "C10_CUDA_API", "C10_ALWAYS_INLINE", "C10_NOINLINE", "C10_LAUNCH_BOUNDS_*",
)
DEFAULT_NAMESPACE_MACROS = (
    "CUB_NAMESPACE_BEGIN", "CUB_NAMESPACE_END", "THRUST_NAMESPACE_BEGIN", "THRUST_NAMESPACE_END",
    "*_BEGIN_NAMESPACE*", "*_END_NAMESPACE*", "*_NAMESPACE_BEGIN", "*_NAMESPACE_END",
)
DEFAULT_STATEMENT_MACROS = (
    "NV_IF_TARGET", "NV_IF_ELSE_TARGET", "NV_DISPATCH_TARGET", "CUTLASS_PRAGMA_UNROLL", "CUTLASS_PRAGMA_NO_UNROLL",
    "CUTE_UNROLL", "CUTE_NO_UNROLL", "CUTE_GCC_UNREACHABLE", "CUTLASS_GEMM_LOOP", "_CCCL_PRAGMA_*",
    "_CCCL_DIAG_*", "_CCCL_SUPPRESS_*", "_CCCL_NV_DIAG_*", "_CCCL_BEGIN_NV_DIAG_SUPPRESS",
    "_CCCL_END_NV_DIAG_SUPPRESS", "C10_CLANG_DIAGNOSTIC_*", "C10_DIAGNOSTIC_*",
)

MACRO_NAME = re.compile(r"(?=[\w*]*[A-Za-z_])[A-Za-z_*][A-Za-z0-9_*]*")
_CAPS = re.compile(rb"_*[A-Z][A-Z0-9]*(?:_+[A-Z0-9]+)+_*")
_ALWAYS_CALLS = {b"__align__", b"__cluster_dims__", b"_Pragma", b"__pragma", b"__attribute__", b"__declspec"}
_LAMBDA_ATTRS = {b"__host__", b"__device__"}
_DECL_SPECIFIERS = {
    b"static", b"inline", b"constexpr", b"consteval", b"constinit", b"extern", b"virtual", b"explicit", b"friend",
    b"__host__", b"__device__", b"__global__", b"__forceinline__", b"__noinline__", b"__inline__",
    b"__launch_bounds__", b"thread_local",
}
# after a macro in attribute position, one of these means a declaration follows
_DECL_KEYWORDS = _DECL_SPECIFIERS | {
    b"void", b"auto", b"bool", b"char", b"short", b"int", b"long", b"float", b"double", b"signed", b"unsigned",
    b"const", b"volatile", b"struct", b"class", b"union", b"enum", b"template", b"typename", b"typedef",
    b"using", b"namespace", b"operator", b"decltype", b"__shared__", b"__constant__", b"__managed__",
    b"wchar_t", b"char8_t", b"char16_t", b"char32_t", b"size_t",
}
_NOT_NAMES = {b"and", b"or", b"not", b"xor", b"bitand", b"bitor", b"compl", b"not_eq", b"and_eq", b"or_eq",
              b"xor_eq", b"return", b"sizeof", b"new", b"delete", b"throw", b"co_return", b"co_await",
              b"co_yield", b"else", b"case", b"default", b"goto"}
_OPERATOR_WORDS = {b"and", b"or", b"not", b"xor", b"bitand", b"bitor", b"not_eq", b"and_eq", b"or_eq", b"xor_eq"}
_TAGS = {b"struct", b"class", b"union"}
_ACCESS = {b"public", b"private", b"protected", b"signals", b"slots"}
# names the walk must look at even in the middle of a statement; any other name there changes nothing but the state
_SPECIAL_NAMES = _ALWAYS_CALLS | _LAMBDA_ATTRS | _TAGS | _ACCESS | _DECL_SPECIFIERS | {b"template",
                                                                                   b"__launch_bounds__"}
_STATEMENT_BREAKS = {b";", b"{", b"}"}
_PUNCTUATORS_TO_READ = {b"=", b"["}
_STOP_PUNCTUATORS = _STATEMENT_BREAKS | _PUNCTUATORS_TO_READ | {b"]"}
_NAME_START = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_$")

# One token per match, the blanks and comments before it skipped inside the regex (no Python step for them);
# the skip never gives back (a token, or the end of the source, always follows it), so a comment is never re-read
# as code, and its quantifiers say so (`*+`, possessive: the engine keeps no backtracking state for them, on every
# token). A one-byte operator that starts no other token is tried first (the most common token), then
# identifiers, a qualified name (`cub::detail::f`) as one (an identifier followed by `"` is a string prefix:
# `R"(...)"`, `u8"..."`; a name's characters are possessive too, as a shorter name would be followed by a name
# character, which the lookahead refuses). Comments are matched without a lazy `.*?` (one step per run of plain
# bytes, not per byte). A `#` outside comments and strings starts a preprocessor line: C++ has no other `#` in code.
# Python 3.10 (which we support) has no possessive quantifiers: there `<+>` is plain greedy, with the same tokens
# (the quantifiers it marks never give back), only a little slower.
_POSSESSIVE = b"+" if sys.version_info >= (3, 11) else b""
TOKEN_PATTERN = (
    rb"""\s*<+>(?:(?://[^\\\n]*(?:\\(?:\r?\n)?[^\\\n]*)*|/\*[^*]*(?:\*+(?!/)[^*]*)*(?:\*/|\Z))\s*<+>)*<+>(?:
    (?P<o1>[^\w\s$\#"'./:>\-])
    |(?P<i>[A-Za-z_$][\w$]*<+>(?:[ \t]*::[ \t]*~?[A-Za-z_$][\w$]*<+>)*(?![\w$"]))
    |(?P<p>\#[^\n\\/]*(?:(?:\\\r?\n|/\*.*?\*/|//[^\n]*|[\\/])[^\n\\/]*)*)
    |(?P<r>(?:u8|[uUL])?R"(?P<delim>[^()\\\s"]{0,16})\(.*?\)(?P=delim)")
    |(?P<s>(?:u8|[uUL])?"(?:\\.|[^"\\\n])*"?|'(?:\\.|[^'\\\n])*'?)
    |(?P<n>\.?\d(?:[eEpP][+-]|[\w.']|)*)
    |(?P<o>::|->|>>|\S)
    |(?P<z>\Z))
    """
)
TOKEN = re.compile(TOKEN_PATTERN.replace(b"<+>", _POSSESSIVE), re.S | re.X)
_IDENT, _STRING = TOKEN.groupindex["i"], TOKEN.groupindex["s"]
_END, _PP = TOKEN.groupindex["z"], TOKEN.groupindex["p"]
_PP_DIRECTIVE = re.compile(rb"[ \t]*\#[ \t]*(\w*)")
_PP_COMMENT = re.compile(rb"//[^\n]*|/\*.*?\*/", re.S)
_DEFINE = re.compile(rb"[ \t]*\#[ \t]*define[ \t]+([A-Za-z_]\w*)(\([^)]*\))?(.*)", re.S)
_ATTR_WORDS = re.compile(
    rb"(?:\s|\\\r?\n|__host__|__device__|__global__|__forceinline__|__noinline__|__inline__|inline|static|"
    rb"constexpr|extern|__attribute__\s*\(\(.*?\)\)|__declspec\s*\(.*?\)|\[\[.*?\]\]|__launch_bounds__\s*\(.*?\)"
    rb"|\"C\")*",
    re.S,
)


@dataclass(frozen=True)
class MacroSettings:
    """The configured macro names (added to the defaults); `*` is a wildcard."""

    attribute: tuple[str, ...] = ()
    namespace: tuple[str, ...] = ()
    statement: tuple[str, ...] = ()


@lru_cache(maxsize=64)
def _matcher(names: tuple[str, ...]):
    exact = {n.encode() for n in names if "*" not in n}
    globs = [n for n in names if "*" in n]
    pattern = re.compile("|".join(fnmatch.translate(g) for g in globs).encode()) if globs else None
    seen: dict[bytes, bool] = {}  # names repeat: one regex test per distinct name

    def match(name: bytes) -> bool:
        hit = seen.get(name)
        if hit is None:
            hit = seen[name] = name in exact or (pattern is not None and pattern.match(name) is not None)
        return hit

    return match


@lru_cache(maxsize=64)
def _matchers(macros: MacroSettings):
    return (_matcher(DEFAULT_ATTRIBUTE_MACROS + macros.attribute),
            _matcher(DEFAULT_NAMESPACE_MACROS + macros.namespace),
            _matcher(DEFAULT_STATEMENT_MACROS + macros.statement))


class _Tokens:
    """Significant tokens (no comments, no preprocessor lines) as parallel lists; `kind` is the TOKEN group
    index (`_IDENT` for a name), a token ends at `start + len(text)`."""

    __slots__ = ("kind", "start", "text", "pp")

    def __init__(self, source: bytes):
        kind: list[int] = []
        start: list[int] = []
        text: list[bytes] = []
        pp: list[tuple[int, int]] = []
        add_kind, add_start, add_text = kind.append, start.append, text.append
        end_group, pp_group = _END, _PP
        for m in TOKEN.finditer(source):  # the hottest loop of the macro pass: one step per token
            g: int = m.lastindex  # type: ignore[assignment]  # every match holds one token group: never None
            if g == pp_group:
                pp.append(m.span(g))
                continue
            if g == end_group:
                break
            add_kind(g)
            add_start(m.start(g))
            add_text(m[g])
        self.kind, self.start, self.text, self.pp = kind, start, text, pp

    def end(self, i: int) -> int:
        return self.start[i] + len(self.text[i])


# every byte but a line ending and a backslash becomes a blank; then a backslash that continues no line does too
_BLANKS = bytes(b if b in b"\r\n\\" else 32 for b in range(256))
_STRAY_BACKSLASH = re.compile(rb"\\(?![\r\n])")

# the last (source, tokens): `neutralise` then `bracket_problem` read one file. One tuple, replaced whole, so a
# thread (the language server lints off its event loop) never pairs one file's bytes with another's tokens.
_LAST: list[tuple[bytes, _Tokens] | None] = [None]


def _tokens(source: bytes) -> _Tokens:
    last = _LAST[0]
    if last is not None and last[0] is source:
        return last[1]
    tokens = _Tokens(source)
    _LAST[0] = (source, tokens)
    return tokens


def _blank(buf: bytearray, start: int, end: int) -> None:
    """Blank source[start:end], keeping line endings and line continuations."""
    chunk = bytes(buf[start:end])
    if b"\n" not in chunk:
        buf[start:end] = b" " * (end - start)
        return
    buf[start:end] = _STRAY_BACKSLASH.sub(b" ", chunk.translate(_BLANKS))


def _blank_keep_comments(buf: bytearray, start: int, end: int, first: bytes = b"") -> None:
    """Blank code in source[start:end] but keep its comments; `first` is written at the first blanked byte."""
    pos = start
    wrote = not first
    for m in _PP_COMMENT.finditer(bytes(buf[start:end])):
        a, b = start + m.start(), start + m.end()
        if a > pos:
            _blank(buf, pos, a)
            if not wrote:
                buf[pos : pos + len(first)] = first
                wrote = True
        pos = b
    if end > pos:
        _blank(buf, pos, end)
        if not wrote and end - pos >= len(first):
            buf[pos : pos + len(first)] = first


_END_BODY = re.compile(rb"(?:\s|\\\r?\n)*(?:;|\{(?:\s|\\\r?\n)*\})(?:\s|\\\r?\n)*")


def _local_macros(source: bytes, pp: list[tuple[int, int]], is_attr) -> tuple[set[bytes], set[bytes]]:
    """What the file's own object-like `#define`s make of a name: (attribute macros: an attribute-like expansion or
    nothing; end macros: `;` or `{ }`, the end of a declaration written as a name, as the CUDA toolkit's
    `__DEF_IF_HOST` is a prototype on the device and an empty body on the host)."""
    attrs: set[bytes] = set()
    ends: set[bytes] = set()
    for a, b in pp:
        m = _DEFINE.match(source, a, b)
        if m is None or m.group(2):
            continue
        body = _PP_COMMENT.sub(b" ", m.group(3))
        if _END_BODY.fullmatch(body):
            ends.add(m.group(1))
            continue
        words = re.sub(rb"[A-Za-z_]\w*", lambda w: b" " if w.group() in attrs or is_attr(w.group()) else w.group(),
                       body)
        if _ATTR_WORDS.fullmatch(words):
            attrs.add(m.group(1))
    return attrs, ends


def _wrapper(source: bytes, toks: _Tokens) -> list[tuple[int, int]]:
    """The directive lines of an `#if`/`#ifndef` ... `#endif` that wraps the whole file (an include guard or
    `#if !defined(X)`): tree-sitter turns the whole conditional into one ERROR when anything inside fails."""
    pp = toks.pp
    if not pp or not toks.start or pp[0][1] > toks.start[0] or pp[-1][0] < toks.end(-1):
        return []
    depth = 0
    lines: list[tuple[int, int]] = []
    for a, b in pp:
        m = _PP_DIRECTIVE.match(source, a, b)
        word = m.group(1) if m else b""
        if word in (b"if", b"ifdef", b"ifndef"):
            depth += 1
            if depth == 1:
                if lines:
                    return []  # a second top-level conditional: not a wrapper
                lines.append((a, b))
        elif word in (b"elif", b"else", b"elifdef", b"elifndef") and depth == 1:
            lines.append((a, b))
        elif word == b"endif":
            depth -= 1
            if depth == 0:
                lines.append((a, b))
                later = (_PP_DIRECTIVE.match(source, c, d) for c, d in pp[pp.index((a, b)) + 1:])
                return lines if all(d is None or d.group(1) not in (b"if", b"ifdef", b"ifndef")
                                    for d in later) else []
    return []


def _neutralise_pp(buf: bytearray, source: bytes, toks: _Tokens) -> None:
    wrapper = _wrapper(source, toks)
    for a, b in wrapper:
        _blank_keep_comments(buf, a, b)
    for a, b in toks.pp:
        if (a, b) in wrapper:
            continue
        m = _PP_DIRECTIVE.match(source, a, b)
        if m is None or m.group(1) not in (b"if", b"elif"):
            continue
        cond = m.end()
        while cond < b and source[cond : cond + 1] in (b" ", b"\t"):
            cond += 1
        if cond < b:
            _blank_keep_comments(buf, cond, b, first=b"1")


_MACRO, _STANDS_ALONE = 1, 2


class _NameTable(dict):
    """Name -> bits, one table per macro setting, kept across files (a name is classified once): `_MACRO` for a
    configured attribute macro or an ALL_CAPS name with an underscore, `_STANDS_ALONE` for a namespace or
    statement macro. A file's own `#define`d attribute macros are checked beside it (`_Walker.local`)."""

    def __init__(self, macros: MacroSettings):
        super().__init__()
        self.is_attr, self.is_ns, self.is_stmt = _matchers(macros)

    def __missing__(self, name: bytes) -> int:
        if len(self) > 200_000:
            self.clear()
        bits = self[name] = ((_MACRO if self.is_attr(name) or _CAPS.fullmatch(name) else 0)
                             | (_STANDS_ALONE if self.is_ns(name) or self.is_stmt(name) else 0))
        return bits


@lru_cache(maxsize=64)
def _name_table(macros: MacroSettings) -> _NameTable:
    return _NameTable(macros)


class _StopTable(dict):
    """Token text -> 1 when `_Walker.run` must look at it between declarations (see `_Walker.stops`); one table
    per attribute-macro setting, kept across files (a token text is looked up once), bounded in size."""

    def __init__(self, is_attr):
        super().__init__()
        self.is_attr = is_attr

    def __missing__(self, tok: bytes) -> int:
        if len(self) > 200_000:
            self.clear()
        # only a name can be an attribute macro (numbers and strings never reach the macro matcher's cache)
        hit = self[tok] = int(tok in _STOP_PUNCTUATORS or tok in _SPECIAL_NAMES
                              or (tok[0] in _NAME_START and self.is_attr(tok)))
        return hit


@lru_cache(maxsize=64)
def _stop_table(is_attr) -> _StopTable:
    return _StopTable(is_attr)


class _Walker:
    """One pass over the significant tokens deciding what to blank."""

    def __init__(self, source: bytes, toks: _Tokens, macros: MacroSettings):
        self.source = source
        self.t = toks
        self.n = len(toks.text)
        self.is_attr, self.is_ns, self.is_stmt = _matchers(macros)
        self.local, self.ends = _local_macros(source, toks.pp, self.is_attr)
        self.names = _name_table(macros)
        self.tp: list[bytes | None] = [*toks.text, None, None, None]  # `tp[n + 2]` past the last token reads None
        self.spans: list[tuple[int, int]] = []

    def match_close(self, i: int, open_: bytes, close: bytes) -> int:
        """Index of the token closing the bracket at i (or the last token)."""
        depth = 0
        text = self.t.text
        for j in range(i, self.n):
            tok = text[j]
            if tok == open_:
                depth += 1
            elif tok == close:
                depth -= 1
                if depth == 0:
                    return j
        return self.n - 1

    def match_angle(self, i: int) -> int:
        depth = paren = 0
        text = self.t.text
        for j in range(i, self.n):
            tok = text[j]
            if tok in (b"(", b"[", b"{"):
                paren += 1
            elif tok in (b")", b"]", b"}"):
                paren -= 1
                if paren < 0:
                    return j - 1
            elif paren == 0:
                if tok == b"<":
                    depth += 1
                elif tok in (b">", b">>"):
                    depth -= len(tok)
                    if depth <= 0:
                        return j
                elif tok == b";":
                    return j - 1
        return self.n - 1

    def default_end(self, i: int) -> int:
        """Index just past a default value starting at token i: the next `,` or `)` outside brackets."""
        depth = 0
        text = self.t.text
        for j in range(i, self.n):
            tok = text[j]
            if tok in (b"(", b"[", b"{"):
                depth += 1
            elif tok in (b")", b"]", b"}"):
                if depth == 0:
                    return j
                depth -= 1
            elif depth == 0 and tok in (b",", b";"):
                return j
        return self.n

    def is_macro(self, name: bytes) -> bool:
        """A configured or file-defined attribute macro, or an ALL_CAPS name with an underscore."""
        return bool(self.names[name] & _MACRO) or name in self.local

    def role(self, name: bytes) -> int:
        """What a name at the start of a declaration or statement may be: 0 no macro, 1 a macro (blanked when a
        declaration follows), 2 a namespace or statement macro (blanked with its arguments)."""
        bits = self.names[name]
        return 2 if bits & _STANDS_ALONE else 1 if bits or name in self.local else 0

    def declaration_follows(self, j: int) -> bool:
        """Tokens from j read as the rest of a declaration (a type and a name, a keyword, a constructor)."""
        text, kind = self.t.text, self.t.kind
        words = 0
        k = j
        while k < self.n:
            tok = text[k]
            if kind[k] == _IDENT:
                if tok in _NOT_NAMES:
                    return False
                if tok in _DECL_KEYWORDS or self.is_macro(tok):
                    return True
                words += 1
                k += 1
                while k + 1 < self.n and text[k] == b"::" and kind[k + 1] == _IDENT:
                    k += 2
                if k < self.n and text[k] == b"<":
                    k = self.match_angle(k) + 1
                continue
            if tok in (b"*", b"&", b"&&") and words:
                k += 1
                continue
            if tok == b"~" and k + 1 < self.n and kind[k + 1] == _IDENT:
                return True  # a destructor
            if tok == b"(":
                return words >= 1  # a function or a constructor
            if tok == b"[" and self.tp[k + 1] == b"[":
                return True
            return words >= 2
        return words >= 2

    def classify(self, i: int, tag: bool) -> int | None:
        """End index (exclusive) of the tokens to blank for a macro at token i, or None."""
        role = self.role(self.t.text[i])
        if not role:
            return None  # most names at the start of a statement: no bracket is matched for them
        j = i + 1
        args_stmt = False
        if self.tp[j] == b"(":
            close = self.match_close(j, b"(", b")")
            args_stmt = any(t in (b";", b"{") for t in self.t.text[j:close])
            j = close + 1
        if role == 2:
            return j
        nxt = self.tp[j]
        if tag:
            return j if nxt is not None and self.t.kind[j] == _IDENT and self.tp[j + 1] in (
                b"{", b":", b"final", b"<", b";") else None
        if nxt is None or nxt == b"}" or args_stmt:
            return j
        if self.t.kind[j] == _IDENT and self.source.find(b"\n", self.t.end(j - 1), self.t.start[j]) != -1 \
                and nxt not in _OPERATOR_WORDS:
            return j  # standing alone on its line(s), the next line starts anew
        return j if self.declaration_follows(j) else None

    def blank(self, first: int, last: int) -> None:
        """Blank tokens first..last (inclusive)."""
        self.spans.append((self.t.start[first], self.t.end(last)))

    def run(self) -> list[tuple[int, int]]:
        """Walk the tokens once. The state: `start` (a declaration may begin here), `tag` (after `struct`/`class`/
        `union`), `lambda_attr` (after a lambda's capture list or an attribute blanked there). The common token
        (a plain name mid-statement, a punctuator with nothing to decide) is handled in this loop; the rest by
        `name`, `punctuator` and `attribute_before_name`."""
        text, kind = self.t.text, self.t.kind
        tp = self.tp
        special = _SPECIAL_NAMES
        n = self.n
        next_stop, names, local = self.stops().find, self.names, self.local
        start, tag, lambda_attr = True, False, False
        i = 0
        while i < n:
            if not (start or tag or lambda_attr) and (not i or text[i - 1] != b"]"):
                i = next_stop(1, i)  # between declarations: straight to the next token that can change anything
                if i < 0:
                    break
            tok = text[i]
            if kind[i] == _IDENT:
                if tok in special or lambda_attr or (i and text[i - 1] == b"]") or (
                        (start or tag) and (names[tok] or tok in local)):  # a macro where a declaration may start
                    i, start, tag, lambda_attr = self.name(i, start, tag, lambda_attr)
                    continue
                # a plain name (no macro where a declaration may start): only `attribute_before_name` can apply
                if tp[i + 2] == b"(" and self.attribute_before_name(i):
                    self.blank(i, i)
                start = tag = False
                i += 1
            elif tok in _STATEMENT_BREAKS:
                start, tag, lambda_attr = True, False, False
                i += 1
            elif tok in _PUNCTUATORS_TO_READ or kind[i] == _STRING:
                i, start, tag = self.punctuator(i, start, tag)
                lambda_attr = False
            else:
                start = tag = lambda_attr = False
                i += 1
        return self.spans

    def stops(self) -> bytearray:
        """Per token, 1 where the walk must look even between declarations (no declaration starting, not after
        a tag or a lambda's capture list): `;`, braces, `=`, brackets, the names `name` decides on, and the
        attribute macros `attribute_before_name` may blank. Every other token leaves that state as it is."""
        text = self.t.text
        stops = bytearray(map(_stop_table(self.is_attr).__getitem__, text))
        if self.local:
            for i in compress(range(self.n), map(self.local.__contains__, text)):
                stops[i] = 1
        return stops

    def attribute_before_name(self, i: int) -> bool:
        """A configured or file-defined attribute macro between a return type and a function's name
        (`static T CUTLASS_DEVICE f(...)`)."""
        text, kind = self.t.text, self.t.kind
        tok = text[i]
        return (self.tp[i + 2] == b"(" and kind[i + 1] == _IDENT and i > 0
                and (kind[i - 1] == _IDENT or text[i - 1] in (b">", b"*", b"&", b"&&"))
                and (tok in self.local or self.is_attr(tok)))

    def name(self, i: int, start: bool, tag: bool, lambda_attr: bool) -> tuple[int, bool, bool, bool]:
        """A name at token i that may decide something: (next index, start, tag, lambda_attr)."""
        text = self.t.text
        tok, nxt = text[i], self.tp[i + 1]
        if tok in _ALWAYS_CALLS and nxt == b"(":
            close = self.match_close(i + 1, b"(", b")")
            self.blank(i, close)
            return close + 1, start, tag, lambda_attr
        if (lambda_attr or (i and text[i - 1] == b"]")) and (tok in _LAMBDA_ATTRS or (
                self.is_macro(tok) and nxt in (b"(", b"{", b"mutable", b"->"))):
            self.blank(i, i)
            return i + 1, start, tag, True
        if start or tag:
            end = self.classify(i, tag)
            if end is not None:
                self.blank(i, end - 1)
                return end, start, tag, False
        if self.attribute_before_name(i):
            self.blank(i, i)
            return i + 1, start, tag, False
        if tok == b"template" and nxt == b"<":
            return self.match_angle(i + 1) + 1, True, False, False
        if tok in _ACCESS and nxt == b":":
            return i + 2, True, False, False
        if tok == b"__launch_bounds__" and nxt == b"(":
            return self.match_close(i + 1, b"(", b")") + 1, start, tag, False  # like a decl specifier
        if tok in _TAGS:
            return i + 1, False, True, False
        if tok in _DECL_SPECIFIERS:
            return i + 1, start, tag, False
        return i + 1, False, False, False

    def punctuator(self, i: int, start: bool, tag: bool) -> tuple[int, bool, bool]:
        """`=`, `[` or a string at token i: (next index, start, tag)."""
        tok = self.t.text[i]
        if tok == b"=":
            end = self.default_value(i)
            if end is not None:
                self.blank(i, end - 1)
                return end, False, False
        elif tok == b"[" and self.tp[i + 1] == b"[":
            return self.match_close(i, b"[", b"]") + 1, start, tag  # a C++ attribute keeps the state
        elif self.t.kind[i] == _STRING and i and self.t.text[i - 1] == b"extern":
            return i + 1, start, tag  # `extern "C"`
        return i + 1, False, False

    def default_value(self, i: int) -> int | None:
        """End index (exclusive) of a default argument from the `=` at token i that tree-sitter-cuda 0.21 cannot
        read: `T x = {}`, and the default of an unnamed parameter (`T* = nullptr`; the parameter stays)."""
        text, kind = self.t.text, self.t.kind
        if not i:
            return None
        if self.tp[i + 1] == b"{" and kind[i - 1] == _IDENT:
            close = self.match_close(i + 1, b"{", b"}")
            return close + 1 if text[close] == b"}" and self.tp[close + 1] in (b",", b")") else None
        if text[i - 1] in (b"*", b"&", b"&&") and self.t.end(i - 1) < self.t.start[i]:
            return self.default_end(i + 1)
        return None


def neutralise(source: bytes, macros: MacroSettings = MacroSettings()) -> bytes:
    """`source` with the macros tree-sitter cannot read blanked; same length, same line breaks."""
    toks = _tokens(source)
    walker = _Walker(source, toks, macros)
    spans = walker.run()
    if not spans and not toks.pp:
        return source
    buf = bytearray(source)
    _neutralise_pp(buf, source, toks)
    for a, b in spans:
        _blank(buf, a, b)
    if walker.ends:  # a declaration-end macro: `f(int x) __DEF_IF_HOST` -> `f(int x) ;`
        for k, a, name in zip(toks.kind, toks.start, toks.text):
            if k == _IDENT and name in walker.ends:
                _blank(buf, a, a + len(name))
                buf[a : a + 1] = b";"
    out = bytes(buf)
    assert len(out) == len(source)
    return out


_OPEN = {b"(": b")", b"[": b"]", b"{": b"}"}
_CLOSE = {v: k for k, v in _OPEN.items()}
_BRACKETS = _OPEN.keys() | _CLOSE.keys()


def bracket_problem(source: bytes) -> tuple[int, int, str] | None:
    """The first unbalanced bracket as (0-based byte offset, 0, message), or None.

    Only the first branch of each `#if`/`#ifdef` is read (the `#else`/`#elif`
    branches often repeat an opening line), so code that compiles is balanced.
    When brackets fail inside the first branch of one conditional (not the one
    wrapping the whole file, and under half of its bytes), that conditional is
    read the other way (its `#else`, or nothing): the file compiles when its
    condition is false (libcu++ keeps Clang-only code nvcc never sees that way).
    """
    toks = _tokens(source)
    groups = _conditionals(source, toks)
    skipped = sorted(rng for g in groups for rng in g[1:])
    found = _unbalanced(toks, skipped)
    if found is None:
        return None
    wrapper = {a for a, _ in _wrapper(source, toks)}
    first_at, closer_at, _ = found
    for g in sorted(groups, key=lambda g: g[0][1] - g[0][0]):  # innermost (shortest) first
        (a, b), others = g[0], g[1:]
        if a in wrapper or 2 * (b - a) > len(source) or not any(a <= x < b for x in (first_at, closer_at)):
            continue
        flipped = sorted([rng for rng in skipped if rng not in others] + [(a, b)])
        if _unbalanced(toks, flipped) is None:
            return None
        break
    return first_at, 0, found[2]


def _conditionals(source: bytes, toks: _Tokens) -> list[list[tuple[int, int]]]:
    """Each `#if`...`#endif`: [its first branch (the `#if` line's start to the next branch line), then each later
    branch (from its `#else`/`#elif` line's end to the next branch line)]."""
    out: list[list[tuple[int, int]]] = []
    stack: list[tuple[list[tuple[int, int]], list[int]]] = []  # (branches so far, [start of the open branch])
    for a, b in toks.pp:
        m = _PP_DIRECTIVE.match(source, a, b)
        word = m.group(1) if m else b""
        if word in (b"if", b"ifdef", b"ifndef"):
            stack.append(([], [a]))
        elif word in (b"elif", b"else", b"elifdef", b"elifndef") and stack:
            branches, start = stack[-1]
            branches.append((start[0], a))
            start[0] = b
        elif word == b"endif" and stack:
            branches, start = stack.pop()
            branches.append((start[0], a))
            out.append(branches)
    return out


def _unbalanced(toks: _Tokens, skipped: list[tuple[int, int]]) -> tuple[int, int, str] | None:
    """The first bracket problem outside the `skipped` byte ranges (sorted): (where to report it, where it showed,
    message)."""
    open_: list[tuple[bytes, int]] = []
    si = 0
    for tok, pos in compress(zip(toks.text, toks.start), map(_BRACKETS.__contains__, toks.text)):
        while si < len(skipped) and skipped[si][1] <= pos:
            si += 1
        if si < len(skipped) and skipped[si][0] <= pos:
            continue
        if tok in _OPEN:
            open_.append((tok, pos))
            continue
        if not open_:
            return pos, pos, f"unmatched `{tok.decode()}`"
        opener, at = open_.pop()
        if _OPEN[opener] != tok:
            return at, pos, f"`{opener.decode()}` is closed by `{tok.decode()}`"
    if open_:
        opener, at = open_[-1]
        return at, at, f"`{opener.decode()}` is never closed"
    return None


_GUARD_IFNDEF = re.compile(rb"[ \t]*\#[ \t]*(?:ifndef[ \t]+(\w+)|if[ \t]+!\s*defined\s*\(?\s*(\w+)\s*\)?)\s*$")
_GUARD_DEFINE = re.compile(rb"[ \t]*\#[ \t]*define[ \t]+(\w+)\s*(?:1\s*)?$")
_PRAGMA_ONCE = re.compile(rb"[ \t]*\#[ \t]*pragma[ \t]+once\b")


def first_code_offset(source: bytes) -> int:
    """Byte offset of the first code, past comments, `#pragma once` and an include guard.

    A header block may stand anywhere before this offset.
    """
    guard: bytes | None = None
    for m in TOKEN.finditer(source):
        k = m.lastgroup
        if k is None or k == "z":
            break
        if k == "p":
            line = m.group(k)
            if _PRAGMA_ONCE.match(line):
                continue
            g = _GUARD_IFNDEF.match(line)
            if g and guard is None:
                guard = g.group(1) or g.group(2)
                continue
            d = _GUARD_DEFINE.match(line)
            if d and guard is not None and d.group(1) == guard:
                guard = b""  # the guard is complete
                continue
        return m.start(k) if guard in (None, b"") else _guard_start(source)
    return len(source)


def _guard_start(source: bytes) -> int:
    """An `#ifndef X` not followed by `#define X` is code: the offset of that line."""
    for m in TOKEN.finditer(source):
        if m.lastgroup == "p" and _GUARD_IFNDEF.match(m.group("p")):
            return m.start("p")
    return 0  # pragma: no cover - only called when such a line exists
