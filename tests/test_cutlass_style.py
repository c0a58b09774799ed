"""CUDA as kernel libraries write it (tests/data/cutlass_style/): nvcc compiles every fixture; the clean
one reports nothing, seeded defects are reported on their line; KL001 stays for unbalanced brackets;
the C++ Function List decisions; macro and include settings; the scaffold on real-style C++."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from karpathy_lint.codemods.scaffold import scaffold_source
from karpathy_lint.config import Settings
from karpathy_lint.engine import lint_source

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_roundtrip import _only_insertions  # noqa: E402  (the round trip's own check)

DATA = Path(__file__).resolve().parent / "data" / "cutlass_style"
FIXTURES = sorted(DATA.glob("*.cuh"))
HEADER = ("/*\n * Module: M\n * <karpathys_code_comments>\n * ** Function List **\n{entries}"
          " * </karpathys_code_comments>\n */\n")


def cli(*args, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "karpathy_lint", "--no-cache", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def kl2(src: str, name: str = "t.cuh") -> list[tuple[str, int]]:
    findings = lint_source(name, src.encode(), Settings(select=("KL001", "KL2")))
    return sorted((f.code, f.line) for f in findings.findings)


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.name)
def test_nvcc_compiles_the_fixture(fixture, tmp_path):
    nvcc = shutil.which("nvcc")
    if nvcc is None:
        pytest.skip("nvcc is not installed")
    proc = subprocess.run([nvcc, "-std=c++17", "-x", "cu", "-c", str(fixture), "-o", str(tmp_path / "f.o")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr


def test_clean_fixture_reports_nothing():
    proc = cli(DATA / "tile_scale.cuh")
    assert proc.returncode == 0, proc.stdout
    assert "All checks passed" in proc.stdout


def test_seeded_defects_on_their_lines():
    path = DATA / "tile_scale_defects.cuh"
    proc = cli("--format", "json", path)
    assert proc.returncode == 1
    got = {(f["code"], f["line"]) for f in json.loads(proc.stdout)}
    assert got >= {
        ("KL201", line_of(path, "Tile::store(dst)")),
        ("KL301", line_of(path, "//Karpathy: butterfly")),
        ("KL202", line_of(path, "inline cudaError_t launch_scale")),
        ("KL305", line_of(path, "inline cudaError_t launch_scale")),
    }
    assert not any(code == "KL001" for code, _ in got)


def test_unbalanced_braces_are_kl001_on_the_right_line(tmp_path):
    bad = tmp_path / "bad.cu"
    bad.write_text("/* licence */\n#pragma once\nCUTLASS_DEVICE void f(int x) {\n  if (x) {\n    g();\n}\n")
    proc = cli("--format", "json", bad)
    assert proc.returncode == 2
    assert [(f["code"], f["line"]) for f in json.loads(proc.stdout)] == [("KL001", 3)]


def test_a_grammar_gap_is_tolerated_and_kept_conservative():
    code = ("struct S : B {\n  using typename B::pack_t;\n  int v;\n};\n"
            "void run(int x) { }\n")
    src = HEADER.format(entries=" * run(x) - Run\n * pack_t - Named only inside the unreadable line\n") + code
    assert kl2(src) == []  # no KL001, `run` parity checked, `pack_t` not called stale
    assert kl2(HEADER.format(entries=" * pack_t - Named only inside the unreadable line\n") + code) == [("KL202", 12)]


@pytest.mark.parametrize("entries", [
    " * f(x) - Bare\n * Foo::bar(y) - Out of line\n",
    " * a::b::f(x) - Qualified\n * Foo.bar(y) - Python-style member\n",
    " * b::f(x) - Partly qualified\n * a::b::Foo::bar(y) - Fully qualified\n",
])
def test_function_list_names_in_namespaces_and_out_of_line(entries):
    code = ("namespace a::b {\nvoid f(int x) { }\nstruct Foo {\n  void bar(int y);\n  void inline_member() { }\n"
            "  Foo& operator+=(const Foo& o) { return *this; }\n};\n"
            "void Foo::bar(int y) { }\nvoid declared_only(int z);\nauto lam = [](int q) { return q; };\n}\n")
    assert kl2(HEADER.format(entries=entries) + code) == []


def test_declarations_are_accepted_not_demanded_and_params_compared():
    code = "void declared(int z);\ntemplate <class T> __global__ void k(T* p, int n);\n"
    assert kl2(HEADER.format(entries="") + code) == []
    assert kl2(HEADER.format(entries=" * declared(z) - Defined elsewhere\n * k<T>(p, n) - Kernel\n") + code) == []
    assert kl2(HEADER.format(entries=" * declared(w) - Wrong param\n") + code) == [("KL203", 5)]


def test_scaffold_on_the_fixture_without_its_header():
    path = DATA / "tile_scale.cuh"
    text = path.read_text()
    start = text.index("/*\n * Module:")
    body = (text[:start] + text[text.index("*/\n", start) + 3 :]).encode()
    result = scaffold_source("tile_scale.cuh", body, Settings())
    assert result.action == "header added"
    assert _only_insertions(body, result.new)
    assert kl2(result.new.decode()) == []
    assert scaffold_source("tile_scale.cuh", result.new, Settings()).new == result.new
    listed = result.new.decode()
    for name in ("detail::warp_sum(v)", "Tile::rows()", "Tile::load(src, n)", "scale_kernel(out, in, scale, n)",
                 "launch_scale(out, in, scale, n, stream)"):
        assert name.replace("detail::", "") in listed


def test_bad_macro_setting_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.karpathy-lint]\nattribute-macros = ["OK_NAME", "not a name"]\n')
    (tmp_path / "k.cu").write_text("int x;\n")
    proc = cli("k.cu", cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "attribute-macros" in lines[0]


def test_project_macros_from_config(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.karpathy-lint]\nselect = ["KL001", "KL2"]\nattribute-macros = ["dg_device"]\n'
        'namespace-macros = ["dg_begin", "dg_end"]\n')
    code = "dg_begin\ndg_device float twice(float x) { return 2 * x; }\ndg_end\n"
    (tmp_path / "k.cu").write_text(HEADER.format(entries=" * twice(x) - Double\n") + code)
    proc = cli("k.cu", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_extend_include_opts_in_cpp_files(tmp_path):
    (tmp_path / "a.h").write_text("int f(int x);\n")
    (tmp_path / "b.cpp").write_text("int f(int x) { return x; }\n")
    (tmp_path / "c.cu").write_text("int g(int x) { return x; }\n")
    files = lambda proc: sorted({Path(f["path"]).name for f in json.loads(proc.stdout)})  # noqa: E731
    assert files(cli("--format", "json", "--select", "KL101", ".", cwd=tmp_path)) == ["c.cu"]
    (tmp_path / "pyproject.toml").write_text('[tool.karpathy-lint]\nextend-include = ["*.h", "*.cpp"]\n')
    assert files(cli("--format", "json", "--select", "KL101", ".", cwd=tmp_path)) == ["a.h", "b.cpp", "c.cu"]
    (tmp_path / "pyproject.toml").write_text('[tool.karpathy-lint]\ninclude = ["*.cpp"]\n')
    assert files(cli("--format", "json", "--select", "KL101", ".", cwd=tmp_path)) == ["b.cpp"]


def test_header_after_licence_pragma_once_and_include_guard():
    src = ("// Copyright 2026\n#pragma once\n#ifndef K_H\n#define K_H\n" + HEADER.format(entries=" * f() - F\n")
           + "void f() { }\n#endif\n")
    findings = lint_source("k.cuh", src.encode(), Settings(select=("KL1", "KL2"), ignore=("KL104", "KL106")))
    assert [f.code for f in findings.findings] == []
