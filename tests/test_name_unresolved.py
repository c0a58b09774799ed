"""KL501 name-unresolved: backticked names in prose must exist in the file."""
from __future__ import annotations

from karpathy_lint.config import Settings
from karpathy_lint.engine import lint_source
from karpathy_lint.fixer import fix_source
from karpathy_lint.prose_names import close_names, name_words, one_word_apart


def findings(code: str, name: str = "example.py", **settings):
    result = lint_source(name, code.encode(), Settings().updated(**settings))
    assert result.error is None and not result.syntax_error
    return [f for f in result.findings if f.code == "KL501"]


HEADER = '''"""
Module: router

<karpathys_code_comments>
** This File's Role in DeepSeek **
`route_tokens` scores tokens; `MoERouter.forward` calls it with `self.bias` added.

** Function List **
route_tokens(x, k) - pick experts with `torch.topk`

** Technical Deep Dive **
See `inference/model.py` and `x @ w`; `Config.d_model` sets the width.
</karpathys_code_comments>
"""
import torch
import torch.nn.functional as F
from dataclasses import dataclass


@dataclass
class Config:
    d_model: int = 64


def route_tokens(x, k):
    # Karpathy: `torch.topk` over `x`, `k` winners; `d_model` comes from `cfg.d_model`
    return torch.topk(x, k)


class MoERouter(torch.nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.bias = torch.zeros(cfg.d_model)

    def forward(self, x):
        # Karpathy: `self.bias` shifts, `self.parameters()` are learned, `F.linear` is not used
        return route_tokens(x + self.bias, 2)
'''


def test_a_clean_file_resolves_everything():
    assert findings(HEADER) == []


def test_renamed_function_in_the_header_is_found_with_a_suggestion():
    code = HEADER.replace("def route_tokens", "def route_topk").replace("return route_tokens", "return route_topk")
    found = findings(code)
    assert [f.line for f in found] == [6, 9] or [f.line for f in found][:1] == [6]
    assert "names `route_tokens`, which does not exist in this file" in found[0].message
    assert "(closest: `route_topk`)" in found[0].message


def test_renamed_method_and_attribute():
    code = HEADER.replace("def forward", "def fwd").replace("self.bias", "self.offset").replace(
        "# Karpathy: `self.offset`", "# Karpathy: `self.bias`")
    messages = [f.message for f in findings(code)]
    assert any("`MoERouter.forward` names `forward`" in m for m in messages)
    assert any("`self.bias` names `bias`" in m for m in messages)


def test_names_outside_the_file_need_an_import_or_the_allowlist():
    code = "def f(x):\n    # Karpathy: `deep_gemm.fp8_gemm_nt` does this on GPUs, `np.pad` too\n    return x\n"
    found = findings(code)
    assert [m.message.split(",")[0] for m in found] == ["`deep_gemm.fp8_gemm_nt` names `deep_gemm`", "`np.pad` names `np`"]
    assert findings("import numpy as np\n" + code, allowed_names=("deep_gemm",)) == []


def test_things_that_are_not_identifiers_are_ignored():
    code = ("def f(x):\n    # Karpathy: `x @ w`, `a/b.py`, `128`, `x[0]`, `--fix`, `None`, `__call__`, `len`\n"
            "    return x\n")
    assert findings(code) == []


def test_unsafe_fix_renames_when_exactly_one_close_name():
    code = "def route_topk(x, k):\n    # Karpathy: `topk_route` keeps the best k\n    return x.topk(k)\n"
    found = findings(code)
    assert found[0].fix is not None and found[0].fix.applicability == "unsafe"
    safe_only, _ = fix_source("example.py", code.encode(), Settings(), unsafe=False)[:2]
    assert b"`topk_route`" in safe_only  # not applied without --unsafe-fixes
    fixed = fix_source("example.py", code.encode(), Settings(), unsafe=True)[0]
    assert b"# Karpathy: `route_topk` keeps" in fixed


def test_no_fix_when_two_names_are_equally_close():
    code = ("def route_a(x):\n    return x\n\ndef route_b(x):\n    return x\n\n"
            "# Karpathy: `route_c` is gone\n")
    found = findings(code)
    assert len(found) == 1 and found[0].fix is None


def test_cuda_names_come_from_the_code():
    code = ("__global__ void scale(float* x, int n) {\n"
            "    // Karpathy: `x` holds `n` floats; `threadIdx.x` picks one; `scale_old` was renamed\n"
            "    x[threadIdx.x] *= 2.0f;\n}\n")
    found = findings(code, name="example.cu")
    assert len(found) == 1 and "`scale_old`" in found[0].message


def test_suppression_comment_silences_it():
    code = "def f(x):\n    # Karpathy: `gone` was here  # karpathy-lint: ignore[KL501]\n    return x\n"
    assert findings(code) == []


# -- the name index comes from the parser's tree, not from a second parse --------------------------------------

import ast  # noqa: E402  (only the test's reference implementation uses it)

from karpathy_lint.engine import build_model  # noqa: E402
from karpathy_lint.parse.names import python_names  # noqa: E402
from karpathy_lint.rules import kl501_name_unresolved as kl501  # noqa: E402

TRICKY = '''
import a.b.c, d as e
from .x.y import (z, w as v)
from __future__ import annotations
from m import *
g = h = 1
(paren) = 2
x: int = 3
a2, (b2, *c2) = 1, (2, 3)
del gone, (also_gone)
global glob
lam = lambda la, *lb, lc=1, **ld: la
def f(p1, p2: int, p3=1, p4: int = 2, *p5, p6, **p7) -> "Ret":
    nonlocal_free = [q for q1, q2 in p1 if (q := q1)]
    with open(p1) as fh, ctx() as (w1, w2):
        pass
    try:
        pass
    except OSError as err:
        pass
    return call(key=1, **p7).attr_used
match subject:
    case Point(kx=cap1, ky=0) | [cap2, *star_rest, _] as whole:
        pass
    case {"dict_key": cap3, **map_rest}:
        pass
    case Color.RED:
        pass
s1 = "ident_str"
s2 = "con" "cat"
s3 = f"lit_a{s1!r:>{width}d}lit_b{dbg=}"
s4 = "esc\\x41pe" + r"raw\\x41" + b"bytes_const".decode()
s5 = "x" * 70
class Base:
    attr_cls = 1
    ann_cls: int
    c1 = c2 = 0
    def __init__(self):
        self.inst = 1
        self.inst2 += 1
        (self.t1, self.t2) = 1, 2
        del self.not_a_member
    @property
    def prop(self):
        class Inner:
            def m(self):
                self.deep = 1
        return Inner
class Child(Base, mod.Ext, make().thing, metaclass=Meta):
    pass
class Ｆｕｌｌ:
    pass
'''


def _reference(text):
    """What KL501 used to compute with Python's ast (the behaviour the tree-sitter index must keep)."""
    bound, defined, imports, attrs, classes = set(), set(), set(), set(), {}

    def dotted(node):
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Attribute):
            return dotted(node.value) + "." + node.attr
        return ""

    def members(cls):
        out = set()
        for stmt in cls.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                out.add(stmt.name)
            elif isinstance(stmt, ast.Assign):
                out.update(t.id for t in stmt.targets if isinstance(t, ast.Name))
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                out.add(stmt.target.id)
        for node in ast.walk(cls):
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) \
                    and isinstance(node.value, ast.Name) and node.value.id == "self":
                out.add(node.attr)
        return out

    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
            if isinstance(node, ast.ClassDef):
                classes[node.name] = (members(node), [dotted(b) for b in node.bases])
        elif isinstance(node, ast.arg):
            defined.add(node.arg)
        elif isinstance(node, ast.Name):
            bound.add(node.id)
            if isinstance(node.ctx, (ast.Store, ast.Del)):
                defined.add(node.id)
        elif isinstance(node, ast.alias):
            name = node.asname or (node.name.split(".")[0] if node.name != "*" else None)
            if name:
                imports.add(name)
                defined.add(name)
        elif isinstance(node, ast.Attribute):
            attrs.add(node.attr)
        elif isinstance(node, ast.keyword) and node.arg:
            attrs.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            defined.add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            defined.update(node.names)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) <= 64 \
                and node.value.isidentifier():
            bound.add(node.value)
        elif isinstance(node, ast.MatchAs) and node.name:
            defined.add(node.name)
    bound |= defined
    for m, _ in classes.values():
        attrs |= m
    return bound, defined, imports, attrs, classes


def test_the_tree_sitter_index_matches_pythons_ast():
    model = build_model("tricky.py", TRICKY.encode(), Settings())
    assert model.syntax_error is None
    got = python_names(model)
    bound, defined, imports, attrs, classes = _reference(TRICKY)
    assert got.defined == defined
    assert got.bound == bound
    assert got.imports == imports
    assert got.attrs == attrs
    assert got.classes == classes
    assert "lit_a" in got.bound and "concat" in got.bound and "escApe" in got.bound and "d" in got.bound
    assert "star_rest" not in got.bound and "kx" not in got.bound and "Full" in got.defined


def test_the_index_is_built_once_and_only_when_prose_has_backticks():
    plain = build_model("plain.py", b"def f(x):\n    # Karpathy: no names here\n    return x\n", Settings())
    assert list(kl501.NameUnresolved().check(plain, Settings())) == []
    assert "names" not in plain.views  # nothing computed: no backticks
    ticked = build_model("t.py", b"def f(x):\n    # Karpathy: `f` returns `x`\n    return x\n", Settings())
    assert list(kl501.NameUnresolved().check(ticked, Settings())) == []
    index = ticked.views["names"]
    assert index is not None and python_names(ticked) is index


def test_the_rule_does_not_reparse():
    assert not hasattr(kl501, "ast")
    with open(kl501.__file__, encoding="utf-8") as fh:
        assert "ast.parse" not in fh.read()


def test_python_2_files_are_syntax_errors_not_name_findings():
    code = 'print "hello"\n# Karpathy: `missing` was never here\n'
    result = lint_source("example.py", code.encode(), Settings())
    assert result.syntax_error and [f.code for f in result.findings] == ["KL001"]
    # `print >> f, x` is Python 3 too (a shift of the name `print`), so that file is checked
    assert len(findings('import sys\nprint >> sys.stderr, "x"\n# Karpathy: `missing` was never here\n')) == 1


# -- precision on existing code (issue 20): external names of every kind are not findings ------------------------

EXTERNAL = '''"""Launch helpers for ``torch.distributed.launch``.

Reads ``LOCAL_RANK`` and `WORLD_SIZE` from the environment, like :func:`torch.distributed.init_process_group`
and :class:`torch.utils.data.DataLoader`; registers ``aten::topk`` and ``at::TensorIteratorConfig``.
See ``tune.csv``, `DataLoader.cpp`, ``model.py`` and ``--nproc-per-node`` to ``torchrun``; it returns ``false``.
The :math:`x` axis, ``make_fx`` and ``CompilerWrapper`` live in other modules.
"""
import os


def route_topk(scores, k):
    # Karpathy: `scores.shape` and `att.dtype` are read off locals; `TORCH_HOME` is an environment variable
    att = scores.softmax(-1)
    # Karpathy: `aten::topk` does the work; see `ops.py` and :func:`collate`
    return att.topk(k)
'''


def test_external_names_of_every_kind_are_silent():
    assert findings(EXTERNAL) == []


def test_a_name_renamed_away_is_still_caught_in_a_plain_module_docstring():
    code = EXTERNAL.replace("The :math:`x` axis", "`route_tokens` picks experts; the :math:`x` axis")
    found = findings(code)
    assert [f.message for f in found] == ["names `route_tokens`, which does not exist in this file "
                                          "(closest: `route_topk`)"]


def test_a_renamed_constant_is_still_caught():
    code = "MAX_EXPERTS = 8\n\n\ndef f(x):\n    # Karpathy: at most `MAX_EXPERT` experts; `HOME` is not ours\n    return x\n"
    assert [f.message.split(",")[0] for f in findings(code)] == ["names `MAX_EXPERT`"]


def test_double_backticks_pair_up():
    # reST literals: ``a`` to ``b`` holds two names, not the word "to" between them
    code = '"""Pass ``--rdzv-endpoint`` to ``torchrun`` via ``etcd``."""\n\n\ndef f(x):\n    return x\n'
    assert findings(code) == []


def test_attributes_of_the_files_own_classes_and_self_are_still_checked():
    code = ("class Router:\n    def __init__(self):\n        self.bias = 0\n\n    def forward(self, x):\n"
            "        # Karpathy: `self.offset` and `Router.fwd` are gone; `x.shape` is fine\n        return x\n")
    assert [f.message.split(",")[0] for f in findings(code)] == ["`self.offset` names `offset`",
                                                                  "`Router.fwd` names `fwd`"]


def test_the_files_own_package_resolves(tmp_path):
    pkg = tmp_path / "torchlet" / "nn"
    pkg.mkdir(parents=True)
    (tmp_path / "torchlet" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    code = "def f(x):\n    # Karpathy: same as `torchlet.nn.functional.relu` and `linear.Linear`\n    return x\n"
    assert findings(code, name=str(pkg / "linear.py")) == []
    assert len(findings(code, name=str(tmp_path / "linear.py"))) == 1  # not inside the package: unknown


def test_cuda_scoped_names_of_included_headers_are_silent():
    code = ("struct Tile { static void load(); };\n__global__ void scale(float* x, int n) {\n"
            "    // Karpathy: like `cute::gemm` and `std::max`; `CUDA_ARCH` is a macro; `scale_old` is gone;\n"
            "    // `Tile::load` is here, `Tile::store` is not\n"
            "    x[threadIdx.x] *= 2.0f;\n}\n")
    found = findings(code, name="example.cu")
    assert [f.message.split(",")[0] for f in found] == ["names `scale_old`", "`Tile::store` names `store`"]


# -- precision, second pass (issue 20): three classes of false alarm met in PyTorch's own sources ---------------

def test_a_quantity_the_prose_defines_is_not_a_renamed_name():
    # torch/_native/ops/scatter_add/tma_kernel.py: ``row_bytes`` is a quantity of the prose, defined by it
    doc = '"""Widens coverage to any ``row_bytes`` that is 16-byte aligned{}."""\n\n\n'
    code = "def copy(src, row_byte):\n    return src[:row_byte]\n"
    assert [f.message.split(",")[0] for f in findings(doc.format("") + code)] == ["names `row_bytes`"]
    assert findings(doc.format(" (``row_bytes = N * elem_size``)") + code) == []
    assert len(findings(doc.format(" (``row_bytes == N``)") + code)) == 1  # a comparison defines nothing


def test_a_name_of_the_code_a_port_mirrors_is_not_a_rename():
    # torch/_native/ops/sum/inner_tree_kernel.py ports C++ kernels whose names share the Python ones' words
    doc = ('"""Port of the kernels in ``ReduceSumProdKernel.cu``, selected as ``try_inner_tree_reduction`` does;\n'
           "the partials come from ``inner_tree_reduction_kernel``{}.\n\"\"\"\n\n\n")
    code = "def _inner_tree_reduce(vals):\n    return sum(vals)\n"
    assert findings(doc.format("") + code) == []
    # the same words with the underscore dropped are still the file's function, renamed: caught, fixable
    found = findings(doc.format(" and ``inner_tree_reduce``") + code)
    assert [f.message for f in found] == ["names `inner_tree_reduce`, which does not exist in this file "
                                          "(closest: `_inner_tree_reduce`)"]
    assert found[0].fix is not None


def test_one_word_apart():
    words = name_words
    assert one_word_apart(words("max_nnodes"), words("max_nodes"))  # a word edited
    assert one_word_apart(words("topk_route"), words("route_topk"))  # reordered
    assert one_word_apart(words("num_heads"), words("n_heads"))  # abbreviated
    assert one_word_apart(words("TileLoader"), words("tile_loader_v2")) is False  # two words added
    assert not one_word_apart(words("row_bytes"), words("cur_bytes"))  # an unrelated word
    assert not one_word_apart(words("try_inner_tree_reduction"), words("_inner_tree_reduce"))  # two changes
    # a reordering needs two words: a one-letter name is not a rename of its capital (networkx: `a` and `A`)
    assert close_names("a", {"A"}) == [] and close_names("route_topk", {"topk_route"}) == ["topk_route"]


def test_names_defined_by_an_imported_module_of_the_package_resolve(tmp_path):
    # torch/_vendor/quack/epi_composable.py: `param` is the parameter of the hooks in the sibling epi_ops.py
    pkg = tmp_path / "quack"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "epi_ops.py").write_text("class Scalar:\n    def begin(self, gemm, param):\n        return param\n")
    doc = '"""Each op\'s hooks can assume their `param` is non-None{}."""\n'
    code = "{}\n\ndef to_params(ops):\n    params = [op for op in ops]\n    return params\n"
    sibling = doc.format("") + code.format("from .epi_ops import Scalar")
    assert findings(sibling, name=str(pkg / "epi_composable.py")) == []
    assert findings(sibling.replace("from .epi_ops", "from quack.epi_ops"), name=str(pkg / "epi_composable.py")) == []
    # not imported, or not inside the package: nothing says where `param` lives
    assert len(findings(doc.format("") + code.format("import os"), name=str(pkg / "epi_composable.py"))) == 1
    assert len(findings(sibling, name=str(tmp_path / "epi_composable.py"))) == 1
    # a renamed-away name the imported module does not define either is still caught
    renamed = doc.format("; `to_param` builds them") + code.format("from .epi_ops import Scalar")
    assert [f.message.split(",")[0] for f in findings(renamed, name=str(pkg / "epi_composable.py"))] == [
        "names `to_param`"]
