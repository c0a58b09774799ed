"""parse/cpp_macros.py: what is blanked, what is never touched, and that every byte position is kept."""
from __future__ import annotations

import glob
import os
from pathlib import Path

import pytest

from karpathy_lint.parse.cpp_macros import MacroSettings, bracket_problem, first_code_offset, neutralise

DATA = Path(__file__).resolve().parent / "data" / "cutlass_style"
CUB = "/usr/local/cuda/include/cccl/cub"


def blanked(src: str, macros: MacroSettings | None = None) -> str:
    out = neutralise(src.encode(), macros or MacroSettings())
    assert len(out) == len(src.encode())
    return out.decode()


def same_shape(src: bytes, out: bytes) -> None:
    """Same length, newlines where they were, and only blanks (or the `1` of an #if, or the `;` a declaration-end
    macro stands for) where bytes differ."""
    assert len(out) == len(src)
    for a, b in zip(src, out):
        if a != b:
            assert b in b" 1;" and a not in b"\r\n", (chr(a), chr(b))


@pytest.mark.parametrize("src, gone, kept", [
    ("CUTLASS_DEVICE void f(int x) { }\n", "CUTLASS_DEVICE", "void f(int x)"),
    ("template <int N>\nCUTE_HOST_DEVICE static void f() {}\n", "CUTE_HOST_DEVICE", "static void f()"),
    ("_CCCL_HOST_DEVICE _CCCL_FORCEINLINE int g();\n", "_CCCL_FORCEINLINE", "int g();"),
    ("CUB_NAMESPACE_BEGIN\nnamespace detail {}\nCUB_NAMESPACE_END\n", "CUB_NAMESPACE_END", "namespace detail {}"),
    ("void f() {\n  NV_IF_TARGET(NV_IS_HOST, (g();), (h();))\n  return;\n}\n", "NV_IF_TARGET", "return;"),
    ("struct __align__(8) SumMax { float s; };\n", "__align__(8)", "struct "),
    ("__global__ void k() { extern __shared__ __align__(kAlign) char smem[]; }\n", "__align__", "char smem[]"),
    ("struct TORCH_API Foo {};\n", "TORCH_API", "struct "),
    ("#define HD __host__ __device__\nHD float twice(float x) { return 2 * x; }\n", "HD float", "#define HD"),
    ("void f() { auto g = [=] __host__ __device__ (int i) { return i; }; }\n", "__host__", "(int i)"),
    ("template <class T> void f(T x = {}) {}\n", "= {}", "T x"),
    ("void f() {\n  CUTLASS_PRAGMA_UNROLL\n  for (int i = 0; i < 4; ++i) {}\n}\n", "CUTLASS_PRAGMA_UNROLL", "for (int i"),
])
def test_blanked(src, gone, kept):
    out = blanked(src)
    assert gone not in out
    assert kept in out
    same_shape(src.encode(), out.encode())


@pytest.mark.parametrize("src", [
    "int n = CEIL_DIV(a, b);\n",  # a function-like macro used as an expression is code
    "void f() { x = MAX_VAL + 1; if (a and b) g(); }\n",  # alternative tokens in code: tree-sitter reads them
    "FOO_T x = 3;\n",  # a type macro declaring one variable
    'const char* s = "CUTLASS_DEVICE void f()"; // CUTLASS_DEVICE in a comment\n',
    "void f() { return CUDA_CHECK(x); }\n",
    "void f() {\n  CUDA_CHECK(cudaMalloc(&p, n));\n}\n",  # a call statement with its semicolon
])
def test_code_is_never_touched(src):
    assert blanked(src) == src


def test_if_conditions_become_one_and_keep_comments():
    src = "int z;\n#if _CCCL_HAS_INT128() and not defined(X) // why\nint x;\n#elif defined(A) or \\\n  B\n#endif\n"
    out = blanked(src)
    assert out.splitlines()[1].split("//")[0].split() == ["#if", "1"]
    assert out.splitlines()[1].endswith("// why")
    assert out.splitlines()[3].split() == ["#elif", "1", "\\"]
    assert "int x;" in out


def test_whole_file_wrapper_is_opened():
    src = "#if !defined(STABLE)\n#pragma once\nvoid f();\n#else\n#error no\n#endif  // STABLE\n"
    out = blanked(src)
    lines = out.splitlines()
    assert lines[0].strip() == "" and lines[3].strip() == "" and lines[5].strip() == "// STABLE"
    assert "void f();" in out and "#error no" in out


def test_configured_macros():
    src = "dg_device float f(float x) { return x; }\nmy_begin\nint y;\n"
    assert blanked(src) == src  # lower-case names are nobody's macros by default
    out = blanked(src, MacroSettings(attribute=("dg_device",), namespace=("my_*",)))
    assert "dg_device" not in out and "my_begin" not in out and "float f(float x)" in out


def test_attribute_macro_after_the_type():
    out = blanked("static cutlass::MatrixCoord CUTLASS_DEVICE get_offset(int lane);\n")
    assert "CUTLASS_DEVICE" not in out and "get_offset(int lane)" in out


def test_bracket_problem_points_at_the_bracket():
    src = b"int main() {\n  return (1 + 2;\n}\n"
    at, _, message = bracket_problem(src)
    assert src[:at].count(b"\n") + 1 == 2 and "(" in message
    src = b"void f() {\n  if (x) {\n    g();\n}\n"
    at, _, message = bracket_problem(src)
    assert src[:at].count(b"\n") + 1 == 1 and "never closed" in message
    # the #else branch repeats an opening line: compiles, so balanced
    assert bracket_problem(b"#ifdef A\nvoid f(int x) {\n#else\nvoid f(long x) {\n#endif\n}\n") is None


def test_first_code_offset_skips_licence_pragma_once_and_guard():
    src = b"/* licence */\n#pragma once\n#ifndef X_H\n#define X_H\n/* header */\nint x;\n#endif\n"
    assert src[first_code_offset(src):].startswith(b"int x;")
    src = b"// licence\n#ifndef X_H\n#include <a>\n"
    assert src[first_code_offset(src):].startswith(b"#ifndef X_H")


def test_fixtures_and_cub_keep_every_position():
    files = sorted(DATA.glob("*.cuh")) + [Path(p) for p in sorted(glob.glob(os.path.join(CUB, "**", "*.cuh"),
                                                                               recursive=True))[::20]]
    for path in files:
        src = path.read_bytes()
        same_shape(src, neutralise(src))


def test_the_python_3_10_tokenizer_reads_the_same_tokens():
    """Python 3.10 has no possessive quantifiers: it compiles TOKEN_PATTERN with plain greedy ones, which must
    split real headers (and the awkward corners: unterminated comments, continuations, raw strings) the same."""
    import re

    from karpathy_lint.parse.cpp_macros import TOKEN, TOKEN_PATTERN

    greedy = re.compile(TOKEN_PATTERN.replace(b"<+>", b""), re.S | re.X)
    corners = [b"a /* open", b"x // a \\\n b\nc", b"R\"x(a)x\" u8\"s\" L'c' a::b :: ~c", b"/**/ /***/ *//",
               b"  \t\n", b"#define A \\\n 1\nA", b"\xff\xfe f(\xc3\xa9)"]
    files = [Path(p).read_bytes() for p in sorted(glob.glob(os.path.join(CUB, "**", "*.cuh"), recursive=True))[::10]]
    assert files, "the CUB headers are missing"
    fixtures = [DATA.joinpath(p).read_bytes() for p in sorted(os.listdir(DATA)) if p.endswith((".cu", ".cuh"))]

    def spans(pattern, src):
        return [(m.lastindex, m.span(m.lastindex)) for m in pattern.finditer(src)]

    for src in corners + files + fixtures:
        assert spans(greedy, src) == spans(TOKEN, src)


def test_file_defined_macros_stay_in_their_file():
    """The name tables are kept across files; what one file `#define`s is not a macro in the next."""
    first = "#define HD __host__ __device__\nHD float twice(float x) { return 2 * x; }\n"
    second = "void f() {\n  HD g(int);\n  int HD = 3;\n}\n"
    assert "HD float" not in blanked(first)
    assert blanked(second) == second


def test_blanked_lines_keep_their_breaks_and_continuations():
    src = "void f() {\n  NV_IF_TARGET(NV_IS_HOST, (g(); \\\n  h();), (k();))\n  return;\n}\n"
    out = blanked(src)
    assert "NV_IF_TARGET" not in out and "return;" in out
    assert [i for i, ch in enumerate(out) if ch in "\\\n"] == [i for i, ch in enumerate(src) if ch in "\\\n"]



def test_a_name_the_file_defines_as_a_declarations_end_reads_as_a_semicolon(tmp_path):
    """The CUDA toolkit's intrinsics headers end hundreds of declarations with a macro that is `;` on the device
    and `{ }` on the host; read as `;`, each is a declaration without a body (not demanded in the Function List)."""
    src = ("#pragma once\n#if defined(ON_DEVICE)\n#define END_DECL ;\n#else\n#define END_DECL { }\n#endif\n"
           "static __device__ int clamp_add(int a, int b) END_DECL\n"
           "static __device__ float halve(float x) END_DECL\n\n"
           "__device__ int twice(int x) { return clamp_add(x, x); }\n")
    out = blanked(src)
    assert "int clamp_add(int a, int b) ;       \n" in out and "float halve(float x) ;       \n" in out
    assert "#define END_DECL ;" in out  # the definition itself is left alone
    same_shape(src.encode(), out.encode())
    # only what this file defines: elsewhere the name is an ordinary name
    other = "void f() {\n  int END_DECL = 3;\n}\n"
    assert blanked(other) == other
    # the whole file now parses (no KL001), and the scaffold lists only the one definition with a body
    path = tmp_path / "intrinsics.cuh"
    path.write_text(src)
    from clihelp import lint, scaffold

    assert lint("--no-cache", "--select", "KL001", "--format", "json", path).stdout.strip() == "[]"
    listed = [line for line in scaffold("--diff", path).stdout.splitlines() if "- TODO: describe" in line]
    assert listed == ["+ * twice(x) - TODO: describe"]


def test_brackets_broken_only_where_a_condition_is_false_are_not_a_syntax_error():
    """libcu++'s function.h keeps Clang-only code (a blocks runtime) that nvcc never compiles, and its brackets
    do not balance: read with that conditional false, the file balances, so it is not KL001."""
    body = "".join(f"int keep{i}(int x) {{ return x + {i}; }}\n" for i in range(8))
    clang_only = "#if defined(HAS_BLOCKS_RUNTIME)\nstruct B {\n  using ...); = R (^blk)(Args\n};\n#endif\n"
    src = ("#ifndef LIB_H\n#define LIB_H\n" + body + clang_only + body + "#endif\n").encode()
    assert bracket_problem(src) is None
    # the conditional's #else is read instead of its first branch
    with_else = clang_only.replace("#endif", "#else\nstruct B { int ok; };\n#endif")
    assert bracket_problem((body + with_else + body).encode()) is None
    assert bracket_problem((body + with_else.replace("int ok; }", "int ok;") + body).encode()) is not None
    # never the conditional that wraps the whole file, nor one holding most of it: those stay KL001
    broken = "int f(int x) {\n  return (x;\n}\n"
    assert bracket_problem(("#ifndef LIB_H\n#define LIB_H\n" + broken + body + "#endif\n").encode()) is not None
    assert bracket_problem(("#if defined(FEATURE)\n" + broken + body + body + "#endif\n" + body).encode()) is not None
    # a broken bracket outside every conditional stays KL001 too
    assert bracket_problem((body + broken + clang_only).encode()) is not None
