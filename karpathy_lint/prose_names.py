"""Backticked names in prose, and whether they resolve against the file (KL501 and the scaffold's harvest).

`backticked(text)` finds the code spans of a line of prose (Markdown's rule: a run of N backticks is
closed by a run of exactly N, so reST's ``double`` literals pair up) and keeps the ones that read as an
identifier chain of the file's language: not a reST/Sphinx role (:class:`x`), not a hyperlink
reference (`x`_), not a file name (`model.py`), not a C++ scoped name in Python (`aten::topk`), not a
keyword or another language's literal (`None`, `false`).

`Resolver(model, settings)` answers whether such a chain names something of the file. Two modes:

* strict (marker comments, the Function List and the Technical Deep Dive, which describe this file's
  code): the first component must be defined, imported, a builtin, a parameter or local, or the file's own
  module or one of the packages it sits in (`torch.nn` inside torch/); an attribute reached from a class
  of the file or from `self` must exist; attributes of anything else (a local, a parameter, a module)
  are not checked. ALL_CAPS names the file does not define (environment variables, macros) are
  outside the file unless it defines a close ALL_CAPS name (a renamed constant).
* lenient (the Module line, the Role section and a module docstring that is not a header yet: prose
  about where the file sits, which names other files): a name that is not in the file is reported only
  when the file defines a close one (a likely rename) and the name is written nowhere else in the file
  outside backticks (not in code, strings, comments or a docstring's example; the Module line and the
  Function List do not count, they sum the file up) nor defined by a module of the file's package that the
  file imports (package_names.py); a missing member of one of the file's classes or of `self` is still
  reported. "Close" is one rename apart: similar as text, and at most one word changed (`one_word_apart`).

In both modes a name the prose defines in a code span of its own (``row_bytes = N * elem_size``) resolves.
"""
from __future__ import annotations

import builtins
import difflib
import keyword
import os
import re
from collections import Counter
from functools import lru_cache
from typing import NamedTuple

from karpathy_lint.package_names import package_names
from karpathy_lint.parse.names import NameIndex, python_names

# a run of backticks, its text, the same run again (Markdown code spans)
SPAN = re.compile(r"(?<!`)(?P<ticks>`+)(?!`)(?P<inner>[^`\n]+?)(?<!`)(?P=ticks)(?!`)")
ROLE_BEFORE = re.compile(r":[A-Za-z][\w.+:-]*:$")  # :func: :py:class: :math: just before the span
# an identifier, a dotted (or C++ `::`) chain of them, optionally called: `route`, `MoERouter.forward`,
# `self.bias`, `torch.topk(x, k)`, `cute::gemm`
TOKEN = re.compile(r"^(?P<chain>[A-Za-z_]\w*(?:(?:\.|::)[A-Za-z_]\w*)*)(?P<call>\([^()]*\))?$")
PART = re.compile(r"[A-Za-z_]\w*")
ALL_CAPS = re.compile(r"^[A-Z][A-Z0-9_]*$")
C_STRING = re.compile(r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'')
BUILTINS = frozenset(dir(builtins))
OTHER_LITERALS = frozenset({"true", "false", "null", "nullptr", "nil", "undefined", "this", "True", "False", "None"})
# the last component of a file name, not an attribute (`model.py`, `DataLoader.cpp`, `results.csv`)
FILE_EXTENSIONS = frozenset({
    "py", "pyi", "pyx", "pxd", "ipynb", "c", "cc", "cpp", "cxx", "h", "hh", "hpp", "hxx", "cu", "cuh", "inl", "ptx",
    "cubin", "so", "dll", "dylib", "a", "o", "md", "rst", "txt", "csv", "tsv", "json", "jsonl", "yaml", "yml",
    "toml", "ini", "cfg", "conf", "sh", "bash", "zsh", "bat", "ps1", "html", "css", "js", "ts", "xml", "proto",
    "pt", "pth", "ckpt", "safetensors", "bin", "npy", "npz", "pkl", "pickle", "onnx", "log", "lock", "whl",
    "zip", "gz", "tar", "tgz", "bz2", "xz", "png", "jpg", "jpeg", "gif", "svg", "pdf", "mlir", "ll", "s", "asm",
})
# members every `torch.nn.Module` subclass inherits: accepted after `self.` when a class of the file has a base
# from outside the file (the members of an outside base cannot be listed without importing it)
INHERITED = frozenset({
    "parameters", "named_parameters", "buffers", "named_buffers", "children", "named_children", "modules",
    "named_modules", "state_dict", "load_state_dict", "train", "eval", "to", "cuda", "cpu", "half", "float",
    "double", "bfloat16", "register_buffer", "register_parameter", "register_module", "zero_grad",
    "apply", "requires_grad_", "training", "extra_repr", "add_module", "get_submodule", "get_parameter",
})
SELF_NAMES = frozenset({"self", "cls"})
CLOSE = 0.75  # difflib ratio at or above which a name counts as "close" (a rename candidate)
CLOSE_WORD = 0.5  # ... and at or above which the one word a rename changed is an edit of the old word
WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
# a code span that defines a quantity of the prose: ``row_bytes = N * elem_size``
PROSE_DEFINITION = re.compile(r"^\s*(?P<name>[A-Za-z_]\w*)\s*(?::[^=]+)?=(?!=)\s*\S")


def backticked(text: str, language: str = "python"):
    """Yield (character index of the chain in `text`, chain) for every code span that reads as a name."""
    for m in SPAN.finditer(text):
        if ROLE_BEFORE.search(text, 0, m.start()) or text.startswith("_", m.end()):
            continue  # :class:`x` (a reST role: resolved by Sphinx), `x`_ (a hyperlink reference)
        inner = m.group("inner")
        stripped = inner.strip()
        t = TOKEN.match(stripped)
        if t is None:
            continue
        chain = t.group("chain")
        if keyword.iskeyword(chain) or chain in OTHER_LITERALS:
            continue
        if "::" in chain and language == "python":
            continue  # a C++ scoped name (`aten::topk`, `at::Tensor`): not a Python name at all
        comps = re.split(r"\.|::", chain)
        if len(comps) > 1 and t.group("call") is None and comps[-1].lower() in FILE_EXTENSIONS:
            continue  # a file name
        yield m.start("inner") + (len(inner) - len(inner.lstrip())), chain


def close_names(name: str, candidates) -> list[str]:
    """Candidates close enough to be a rename of `name`, best first: similar as text, and one edit apart
    as words (see `one_word_apart`)."""
    words = name_words(name)
    scored = []
    for c in candidates:
        if c == name:
            continue
        other = name_words(c)
        r = difflib.SequenceMatcher(None, name, c).ratio()
        if (r >= CLOSE or (len(words) > 1 and sorted(other) == sorted(words))) and one_word_apart(words, other):
            scored.append((-max(r, CLOSE), c))
    return [c for _, c in sorted(scored)]


def name_words(name: str) -> list[str]:
    """The words of a snake_case, camelCase or ALL_CAPS name, lower-cased (`_inner_tree_reduce` ->
    inner, tree, reduce; `TileLoader` -> tile, loader)."""
    return [w.lower() for w in WORD.findall(name)]


def one_word_apart(a: list[str], b: list[str]) -> bool:
    """Whether one rename turns the words `a` into `b`: the same words (reordered, an underscore added or
    dropped), one word added or dropped, or one word edited into a similar one (`nnodes` -> `nodes`,
    `tokens` -> `topk`, `num` -> `n`). Two changes (`try_inner_tree_reduction` against
    `_inner_tree_reduce`) or a word swapped for an unrelated one (`row_bytes` against `cur_bytes`) make
    another name of the same vocabulary: a port's original, a quantity of the prose, not a rename."""
    extra_a, extra_b = Counter(a) - Counter(b), Counter(b) - Counter(a)
    na, nb = sum(extra_a.values()), sum(extra_b.values())
    if na + nb <= 1:
        return True
    if na != 1 or nb != 1:
        return False
    x, y = next(iter(extra_a)), next(iter(extra_b))
    return x.startswith(y) or y.startswith(x) or difflib.SequenceMatcher(None, x, y).ratio() >= CLOSE_WORD


def nearest_name(name: str, candidates) -> str | None:
    got = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return got[0] if got else None


class Unresolved(NamedTuple):
    """The first component of a chain that names nothing, and the names it may have been renamed from."""

    part: int  # which component of the chain (0: its root)
    candidates: frozenset[str]


def path_names(path: str) -> frozenset[str]:
    """The module's own name and the packages it sits in (folders holding an `__init__.py`, innermost
    first): `linear`, `modules`, `nn` and `torch` for torch/nn/modules/linear.py."""
    if path in ("", "-"):
        return frozenset()
    path = os.path.abspath(path)
    stem = os.path.basename(path).split(".", 1)[0]
    return frozenset(n for n in (stem, *_packages(os.path.dirname(path))) if n.isidentifier())


@lru_cache(maxsize=256)
def _packages(folder: str) -> tuple[str, ...]:
    if not os.path.isfile(os.path.join(folder, "__init__.py")):
        return ()
    parent = os.path.dirname(folder)
    return (os.path.basename(folder),) + (_packages(parent) if parent != folder else ())


def cuda_names(model) -> NameIndex:
    """CUDA: every identifier-like token of the code (comments, the header and string literals blanked)."""
    n = NameIndex()
    text = bytearray(model.source)
    spans = [(c.start, c.end) for c in model.comments]
    if model.header is not None:
        spans.append((model.header.start, model.header.end))
    for s, e in spans:
        text[s:e] = b" " * (e - s)
    code = C_STRING.sub(" ", text.decode("utf-8", "replace"))
    names = set(PART.findall(code))
    n.bound = n.defined = n.attrs = names
    return n


class Resolver:
    """Resolves backticked chains against one parsed file (`names` is None for a file without an index)."""

    def __init__(self, model, allowed=()):
        self.language = model.language
        self.names = python_names(model) if model.language == "python" else cuda_names(model)
        self.allowed = frozenset(allowed)
        self.paths = path_names(model.path)
        self._model = model
        self._words: frozenset[str] | None = None
        self._prose_defined: frozenset[str] | None = None

    def unresolved(self, chain: str, strict: bool = True) -> Unresolved | None:
        """None when `chain` resolves (or is outside what the file can say), else the first bad component."""
        names = self.names
        if names is None or chain in self.allowed:
            return None
        comps = re.split(r"\.|::", chain)
        root = comps[0]
        if root in self.allowed or _dunder(root):
            return None
        if root not in names.bound and root not in names.attrs and root not in BUILTINS:
            return self._unknown_root(names, chain, root, strict)
        if root in names.imports or (root in BUILTINS and root not in names.defined):
            return None  # outside the file: resolved through the import (or the builtins)
        if self.language == "cuda":  # no types: every part must be a name of the code (`Tile::load`, `threadIdx.x`)
            bad = next((i for i, comp in enumerate(comps) if comp not in names.bound), None)
            return None if bad is None else Unresolved(bad, frozenset(names.defined))
        owner = names.classes.get(root)
        if owner is None and root not in SELF_NAMES:
            return None  # an attribute of a local, a parameter, a function or a module: its type is not known here
        for i, comp in enumerate(comps[1:], start=1):
            if _dunder(comp):
                return None
            if owner is not None:
                members, bases = owner
                inherited: set[str] = set()
                external = False
                for b in bases:
                    if b in names.classes:
                        inherited |= names.classes[b][0]
                    elif b and b != "object":
                        external = True
                ok = comp in members or comp in inherited or (external and (comp in names.attrs or comp in INHERITED))
                if not ok:
                    return Unresolved(i, frozenset(members | inherited))
            elif comp not in names.attrs and not (comp in INHERITED and names.external_bases()):
                return Unresolved(i, frozenset(names.attrs))
            owner = names.classes.get(comp)
            if owner is None:
                return None  # past a member that is not a class of the file: its type is not known here
        return None

    def _unknown_root(self, names: NameIndex, chain: str, root: str, strict: bool) -> Unresolved | None:
        if self.language == "cuda" and "::" in chain:
            return None  # a namespace of a header the file includes (`cute::gemm`, `std::max`)
        if root in self.paths:
            return None  # the file's own package or module: `torch.nn.functional` inside torch/
        if root in self.prose_defined():
            return None  # a quantity the prose itself defines (``row_bytes = N * elem_size``)
        if ALL_CAPS.match(root):
            # an environment variable or a macro of elsewhere, unless the file defines a close constant
            caps = [n for n in names.defined if ALL_CAPS.match(n) and len(n) > 1]
            if len(root) > 1 and close_names(root, caps):
                return Unresolved(0, frozenset(caps))
            return None
        if strict:
            return Unresolved(0, frozenset(names.defined | names.attrs))
        own = frozenset(names.defined)
        if root in self.words() or not close_names(root, own):
            return None
        if self.language == "python" and root in package_names(self._model.path, names.modules):
            return None  # defined by a module of the file's package that the file imports (`from .ops import`)
        return Unresolved(0, own)

    def prose_defined(self) -> frozenset[str]:
        """The names the file's prose defines in a code span of its own (``row_bytes = N * elem_size``)."""
        if self._prose_defined is None:
            found = (PROSE_DEFINITION.match(m.group("inner")) for m in SPAN.finditer(self._model.text))
            self._prose_defined = frozenset(d.group("name") for d in found if d is not None)
        return self._prose_defined

    def words(self) -> frozenset[str]:
        """Every word of the file outside code spans, the Module line and the Function List, and the parts of
        C++ scoped names:
        a name still written somewhere (code, strings, comments, a docstring's example) is not gone."""
        if self._words is None:
            model = self._model
            text = model.text
            h = model.header
            if h is not None:  # the Module line and the Function List sum up the file: not a second mention
                section = h.section("function_list")
                skip = [hl.line for hl in section.body] if section is not None else []
                if h.module_line is not None:
                    skip.append(h.module_line.line)
                if skip:
                    lines = text.split("\n")
                    for line in skip:
                        lines[line - 1] = ""
                    text = "\n".join(lines)
            words = set(PART.findall(SPAN.sub(" ", text)))
            # the parts of a C++ scoped name (`at::TensorIteratorConfig`) name that library's code, wherever
            # the prose repeats them without the scope
            for m in SPAN.finditer(text):
                if "::" in m.group("inner"):
                    words.update(PART.findall(m.group("inner")))
            self._words = frozenset(words)
        return self._words


def without_unresolved_backticks(text: str, resolver: Resolver, strict: bool) -> str:
    """`text` with the backticks taken off every name that would not resolve (for text the scaffold copies)."""
    spans = []
    for m in SPAN.finditer(text):
        got = list(backticked(m.group(0), resolver.language))
        if got and resolver.unresolved(got[0][1], strict) is not None and not ROLE_BEFORE.search(text, 0, m.start()):
            spans.append(m)
    for m in reversed(spans):
        text = text[: m.start()] + m.group("inner") + text[m.end():]
    return text


def _dunder(name: str) -> bool:
    return len(name) > 4 and name.startswith("__") and name.endswith("__")
