"""karpathy-scaffold: every case of the issue, before/after, and a second run that changes nothing."""
from __future__ import annotations

import ast
import os
import shutil
import stat
import subprocess
import sys

import pytest
from clihelp import scaffold as scaffold_in_process

from karpathy_lint.codemods.scaffold import ScaffoldError, create_new, scaffold_source
from karpathy_lint.config import Settings
from karpathy_lint.engine import build_model, lint_source

S = Settings(project="DeepSeek", project_from="config")  # the scaffold names the project the config states
TAG = "karpathys_code_comments"
PARITY = {"KL201", "KL202", "KL203", "KL204", "KL205", "KL206"}


# -- helpers ------------------------------------------------------------------------------------------


def scaffold(source: str | bytes, name: str = "m.py", **kw) -> bytes:
    data = source.encode() if isinstance(source, str) else source
    return scaffold_source(name, data, S, **kw).new


def assert_idempotent(result: bytes, name: str = "m.py") -> None:
    assert scaffold_source(name, result, S).new == result


def codes(source: bytes, name: str = "m.py") -> set[str]:
    result = lint_source(name, source, S)
    assert result.error is None and not result.syntax_error
    return {f.code for f in result.findings}


def assert_scaffold_header(result: bytes, name: str = "m.py") -> None:
    """The linter reads a header: only KL107/KL108 among the header rules, no parity finding."""
    found = codes(result, name)
    assert not found & PARITY, found
    assert {c for c in found if c.startswith("KL1")} <= {"KL107", "KL108"}, found
    assert "KL108" in found  # placeholders stay a finding: scaffolding never makes the lint pass


def strip_doc(text: str) -> str:
    tree = ast.parse(text)
    body = tree.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return ast.dump(ast.Module(body=body, type_ignores=[]))



PY_CODE = (
    "import os\n\n\n"
    "def route(x, k=2):\n    return x\n\n\n"
    "class Router:\n    def __init__(self, dim):\n        self.dim = dim\n\n"
    "    def forward(self, x):\n        return x\n\n    def _hidden(self):\n        pass\n\n"
    "    @property\n    def size(self):\n        return 1\n"
)


# -- Python: a file without a header -------------------------------------------------------------------


def test_python_no_docstring_gets_full_header():
    out = scaffold(PY_CODE, "router.py")
    text = out.decode()
    assert text.endswith(PY_CODE)  # the code, byte for byte, after the inserted header
    assert text.startswith('"""\nModule: router\n\n<karpathys_code_comments>\n** This File\'s Role in DeepSeek **\n')
    for entry in ("route(x, k) - TODO: describe", "Router(dim) - TODO: describe",
                  "Router.forward(x) - TODO: describe", "Router.size - TODO: describe"):
        assert entry in text
    assert "_hidden" not in text.split('"""')[1]
    assert "** Function List **" in text and "** Technical Deep Dive **" in text
    assert f"</{TAG}>" in text
    assert strip_doc(text) == strip_doc(PY_CODE)
    assert_scaffold_header(out)
    assert_idempotent(out)


def test_python_preamble_kept_and_docstring_first_statement():
    src = ("#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\n# Copyright 2024 Someone\n\n"
           "from __future__ import annotations\n\nimport sys\n\n\ndef f(a, *args, b=None, **kw):\n    return a\n")
    out = scaffold(src).decode()
    head, rest = out.split('"""\n\n', 1)
    assert out.startswith("#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\n# Copyright 2024 Someone\n\n\"\"\"\n")
    assert rest == "from __future__ import annotations\n\nimport sys\n\n\ndef f(a, *args, b=None, **kw):\n    return a\n"
    tree = ast.parse(out)
    assert isinstance(tree.body[0], ast.Expr) and "Module: m" in ast.get_docstring(tree)
    compile(out, "m.py", "exec")  # `from __future__` is still valid: the docstring is the first statement
    assert "f(a, *args, b, **kw) - TODO: describe" in out  # defaults left out
    assert_scaffold_header(out.encode())
    assert_idempotent(out.encode())


def test_python_existing_docstring_kept_in_full_in_role():
    doc = "Route tokens to experts.\n\nThe router scores every token against every expert\nand keeps the best k.\n"
    src = f'"""{doc}"""\nimport os\n\n\ndef route(x):\n    return x\n'
    out = scaffold(src).decode()
    assert doc in out
    role = out.split("** This File's Role in DeepSeek **\n", 1)[1].split("** Function List **")[0]
    assert role.startswith("Route tokens to experts.")
    assert ast.get_docstring(ast.parse(src), clean=False) in ast.get_docstring(ast.parse(out), clean=False)
    assert out.endswith('"""\nimport os\n\n\ndef route(x):\n    return x\n')
    assert_scaffold_header(out.encode())
    assert_idempotent(out.encode())


@pytest.mark.parametrize("literal", [
    "'''Single-quoted triple docstring with \"\"\" inside it.'''",
    "r'''Raw docstring with a \\d regex and \"\"\" inside.'''",
    "u\"Unicode prefix, one-line, double quotes\"",
    "'One line in single quotes with an \\' escape'",
    "\"\"\"Has a trailing backslash pair \\\\\"\"\"",
    "\"\"\"\n    Indented text\n    over lines\n    \"\"\"",
])
def test_python_docstring_quote_styles(literal):
    src = literal + "\n\ndef f(x):\n    return x\n"
    out = scaffold(src).decode()
    old_doc = ast.get_docstring(ast.parse(src), clean=False)
    new_doc = ast.get_docstring(ast.parse(out), clean=False)
    assert old_doc in new_doc
    assert strip_doc(out) == strip_doc(src)
    quote_char = literal.lstrip("ru")[0]
    assert out.lstrip("ru").startswith(quote_char * 3)  # the quote style is kept
    assert_scaffold_header(out.encode())
    assert_idempotent(out.encode())


def test_python_docstring_with_section_like_lines_goes_before_the_tag():
    src = '"""Tools.\n\n** Important **\nRead this.\n"""\n\ndef f(x):\n    return x\n'
    out = scaffold(src).decode()
    before_tag = out.split(f"<{TAG}>")[0]
    assert "Tools.\n\n** Important **\nRead this.\n" in before_tag
    assert_scaffold_header(out.encode())
    assert_idempotent(out.encode())


def test_python_empty_docstring_gets_placeholder_role():
    out = scaffold('""""""\nx = 1\n\ndef f():\n    return 1\n').decode()
    assert "TODO: say where this file sits in DeepSeek" in out
    assert_scaffold_header(out.encode())
    assert_idempotent(out.encode())


@pytest.mark.parametrize("src,why", [
    ('f"""Doc {1}"""\nx = 1\n', "f-string"),
    ('b"""Doc"""\nx = 1\n', "bytes"),
    ('"""One""" """Two"""\nx = 1\n', "concatenated"),
    ('("""One"""\n "Two")\nx = 1\n', "not a plain string literal"),
])
def test_python_docstring_that_cannot_be_extended_is_refused(src, why):
    with pytest.raises(ScaffoldError, match=why):
        scaffold(src)


def test_python_backslash_default_stays_out_of_the_docstring():
    src = "def split(text, sep='\\n', pat=r'\\d+'):\n    return text\n"
    out = scaffold(src).decode()
    assert out.startswith('"""')  # defaults are left out of the Function List: no backslash to escape
    assert "split(text, sep, pat) - TODO: describe" in out
    assert strip_doc(out) == strip_doc(src)
    assert_scaffold_header(out.encode())
    assert_idempotent(out.encode())


def test_python_nothing_listable_has_empty_function_list():
    out = scaffold("X = 1\nY = 2\n")
    found = codes(out)
    assert not found & PARITY
    # the Function List is empty, which is the truth (nothing must be listed): no KL106, only KL107/KL108
    assert {c for c in found if c.startswith("KL1")} <= {"KL107", "KL108"}
    assert "** Function List **" in out.decode()
    assert_idempotent(out)


@pytest.mark.parametrize("src", ["", "# just a comment\n", "# no final newline"])
def test_python_empty_and_comment_only_files(src):
    out = scaffold(src).decode()
    assert out.startswith(src.rstrip("\n"))
    assert out.endswith("\n") == (src.endswith("\n") or src == "")
    ast.parse(out)
    assert_idempotent(out.encode())


def test_python_crlf_bom_and_no_final_newline_kept():
    src = ("\ufeff# comment\r\nimport os\r\n\r\ndef f(x):\r\n    return x").encode("utf-8")
    out = scaffold(src)
    assert out.startswith(b"\xef\xbb\xbf# comment\r\n\"\"\"\r\nModule: m\r\n")
    assert out.count(b"\n") == out.count(b"\r\n")  # every line ending is still CRLF
    assert out.endswith(b"    return x")  # still no final newline
    assert_scaffold_header(out)
    assert_idempotent(out)


# -- Python: a file with a header: merge only -------------------------------------------------------------


HEADER = (
    '"""\nModule: Router\n\nFree text a person wrote.\n\n<karpathys_code_comments>\n'
    "** This File's Role in DeepSeek **\nThe role, written by hand.\n\n"
    "** Function List **\n{entries}\n\n** Technical Deep Dive **\nThe deep dive, by hand.\n"
    '</karpathys_code_comments>\n"""\n'
)


def test_python_merge_adds_missing_updates_params_keeps_words():
    entries = "route(x) - Keep the k best experts\n    (a wrapped description line)\nRouter(dim) - The module"
    src = HEADER.format(entries=entries) + PY_CODE
    result = scaffold_source("m.py", src.encode(), S)
    out = result.new.decode()
    assert result.action == "merged"
    assert "route(x, k) - Keep the k best experts\n    (a wrapped description line)\n" in out
    assert "Router(dim) - The module\n" in out
    assert "Router.forward(x) - TODO: describe" in out and "Router.size - TODO: describe" in out
    for words in ("Free text a person wrote.", "The role, written by hand.", "The deep dive, by hand."):
        assert words in out
    assert out.count("Module:") == 1 and out.count(f"<{TAG}>") == 1  # never a second header
    assert out.endswith(PY_CODE)
    assert not codes(result.new) & PARITY
    assert_idempotent(result.new)


def test_python_merge_renames_and_keeps_stale_entries():
    entries = "topk_route(x, k=2) - Keep the best\ngone(y) - A function that no longer exists"
    src = HEADER.format(entries=entries) + "def route_topk(x, k=2):\n    return x\n"
    out = scaffold(src).decode()
    assert "route_topk(x, k=2) - Keep the best" in out
    assert "gone(y) - A function that no longer exists" in out  # deleting is an unsafe fix: never in scaffold
    assert_idempotent(out.encode())


def test_python_complete_header_is_unchanged():
    src = HEADER.format(entries="f(x) - Return x") + "def f(x):\n    return x\n"
    result = scaffold_source("m.py", src.encode(), S)
    assert result.action == "unchanged" and not result.changed


# -- CUDA ----------------------------------------------------------------------------------------------------


CU_LICENCE = "/*\n * Copyright (c) 2024, Someone.\n * SPDX-License-Identifier: MIT\n */\n"
CU_CODE = (
    "#include <cuda_runtime.h>\n#include \"b.h\"\n#include \"a.h\"\n\n"
    "template <int BM>\n__global__ void scale(float* x, int n) { x[0] = n; }\n\n"
    "__device__ float twice(float v) { return 2 * v; }\n\n"
    "void launch(float* x, int n);\n\n"
    "int main() { return 0; }\n"
)


def test_cuda_header_after_licence_before_includes():
    src = CU_LICENCE + "\n" + CU_CODE
    out = scaffold(src, "k.cu").decode()
    assert out.startswith(CU_LICENCE + "\n/*\n * Module: k\n *\n * <karpathys_code_comments>\n")
    assert out.endswith(" */\n\n" + CU_CODE)  # include order and code intact
    for entry in (" * scale(x, n) - TODO: describe\n", " * twice(v) - TODO: describe\n",
                  " * main() - TODO: describe\n"):
        assert entry in out
    assert "launch(" not in out.split("*/", 2)[1]  # a declaration without a body is not listed
    model = build_model("k.cu", out.encode(), S)
    assert model.header.module_title == "k" and model.header.start == len(CU_LICENCE) + 1
    assert_scaffold_header(out.encode(), "k.cu")
    assert_idempotent(out.encode(), "k.cu")


def test_cuda_header_at_top_without_licence_and_with_line_comments():
    src = "// line comment licence\n// second line\n" + CU_CODE
    out = scaffold(src, "k.cuh", module="GEMM tile").decode()
    assert out.startswith("// line comment licence\n// second line\n\n/*\n * Module: GEMM tile\n")
    assert out.endswith(CU_CODE)
    assert_scaffold_header(out.encode(), "k.cuh")
    assert_idempotent(out.encode(), "k.cuh")


def test_cuda_crlf_kept():
    src = (CU_LICENCE + CU_CODE).replace("\n", "\r\n").encode()
    out = scaffold(src, "k.cu")
    assert out.count(b"\n") == out.count(b"\r\n")
    assert out.endswith(CU_CODE.replace("\n", "\r\n").encode())
    assert_scaffold_header(out, "k.cu")
    assert_idempotent(out, "k.cu")


def test_cuda_merge():
    header = ("/*\n * Module: K\n * Written by hand.\n *\n * <karpathys_code_comments>\n"
              " * ** This File's Role in DeepSeek **\n * Role text.\n *\n * ** Function List **\n"
              " * scale(x) - Scale x by n\n * main() - Entry\n *\n * ** Technical Deep Dive **\n * Deep text.\n"
              " * </karpathys_code_comments>\n */\n")
    out = scaffold(header + CU_CODE, "k.cu").decode()
    assert " * scale(x, n) - Scale x by n\n * twice(v) - TODO: describe\n * main() - Entry\n" in out
    assert "Written by hand." in out and "Role text." in out and "Deep text." in out
    assert out.count("Module:") == 1
    assert out.endswith(CU_CODE)
    assert not codes(out.encode(), "k.cu") & PARITY
    assert_idempotent(out.encode(), "k.cu")


def test_cuda_earlier_comment_naming_module_is_refused():
    src = "/* see Module: foo in the docs */\n" + CU_CODE
    with pytest.raises(ScaffoldError, match="earlier comment mentions"):
        scaffold(src, "k.cu")


def test_cuda_syntax_error_refused():
    with pytest.raises(ScaffoldError, match="syntax error"):
        scaffold("__global__ void k( {\n", "k.cu")


# -- new files ---------------------------------------------------------------------------------------------------


def test_new_python_file_from_template(tmp_path):
    path = tmp_path / "moe_router.py"
    (tmp_path / "karpathy-lint.toml").write_text('project = "DeepSeek"\n')
    r = scaffold_in_process(str(path), "--new", "--module", "DeepSeek-MoE top-k router")
    assert r.exit_code == 0, r.output
    text = path.read_text()
    assert text.startswith('"""\nModule: DeepSeek-MoE top-k router\n\n<karpathys_code_comments>\n')
    assert "@dataclass\nclass Config" in text and 'if __name__ == "__main__":' in text
    assert "Config(batch, seq_len, d_model, seed) - TODO: describe" in text
    assert_scaffold_header(path.read_bytes(), str(path))
    found = codes(path.read_bytes(), str(path))
    assert found <= {"KL107", "KL108"}, found  # the template itself is annotated to the convention
    assert_idempotent(path.read_bytes(), str(path))
    pytest.importorskip("torch")
    proc = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "ok" in proc.stdout, proc.stderr


def test_new_cuda_file_from_template(tmp_path):
    path = tmp_path / "scale.cu"
    (tmp_path / "karpathy-lint.toml").write_text('project = "DeepSeek"\n')
    r = scaffold_in_process(str(path), "--new")
    assert r.exit_code == 0, r.output
    data = path.read_bytes()
    assert data.startswith(b"/*\n * Module: scale\n")
    assert b"__global__ void scale_kernel" in data and b"int main()" in data
    assert b" * scale_kernel(x, y, alpha, n) - TODO: describe\n" in data
    assert codes(data, str(path)) <= {"KL107", "KL108"}
    assert_idempotent(data, str(path))
    nvcc = shutil.which("nvcc")
    if nvcc:
        proc = subprocess.run([nvcc, "-c", str(path), "-o", str(tmp_path / "scale.o")], capture_output=True,
                              text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr


def test_new_file_errors(tmp_path):
    r = scaffold_in_process(str(tmp_path / "no_such_dir" / "x.py"), "--new")
    assert r.exit_code == 2 and "does not exist" in r.stderr
    r = scaffold_in_process(str(tmp_path / "notes.txt"), "--new")
    assert r.exit_code == 2 and "no template" in r.stderr
    assert not (tmp_path / "notes.txt").exists()


def test_new_file_check_and_diff_write_nothing(tmp_path):
    path = tmp_path / "n.py"
    assert scaffold_in_process(str(path), "--new", "--check").exit_code == 1
    r = scaffold_in_process(str(path), "--new", "--diff")
    assert r.exit_code == 1 and "+++ b/" in r.stdout and "/dev/null" in r.stdout
    assert not path.exists()


def test_create_new_api_refuses_bad_title(tmp_path):
    with pytest.raises(ScaffoldError):
        create_new(str(tmp_path / "a.py"), S, module="two\nlines")


# -- the command line -----------------------------------------------------------------------------------------------


def test_cli_writes_atomically_keeps_mode_and_second_run_is_clean(tmp_path):
    path = tmp_path / "m.py"
    path.write_text(PY_CODE)
    os.chmod(path, 0o751)
    r = scaffold_in_process(str(path))
    assert r.exit_code == 0 and "header added" in r.stderr
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o751
    assert [p.name for p in tmp_path.iterdir()] == ["m.py"]  # no temp file left behind
    first = path.read_bytes()
    r = scaffold_in_process(str(path))
    assert r.exit_code == 0 and path.read_bytes() == first
    assert scaffold_in_process(str(path), "--check").exit_code == 0


def test_cli_check_and_diff(tmp_path):
    path = tmp_path / "m.py"
    path.write_text(PY_CODE)
    r = scaffold_in_process(str(path), "--check")
    assert r.exit_code == 1 and "would add a header" in r.stderr
    assert path.read_text() == PY_CODE
    r = scaffold_in_process(str(path), "--diff")
    assert r.exit_code == 1 and r.stdout.startswith(f"--- a/{path}") and "+Module: m" in r.stdout
    assert path.read_text() == PY_CODE
    r = scaffold_in_process(str(path), "--diff", "--quiet")
    assert r.stderr == ""


def test_cli_stdin_to_stdout():
    r = scaffold_in_process("-", input=PY_CODE.encode())
    assert r.exit_code == 0 and r.stdout.startswith('"""\nModule: Untitled\n') and r.stdout.endswith(PY_CODE)
    r = scaffold_in_process("-", "--stdin-filename", "k.cu", input=CU_CODE.encode())
    assert r.exit_code == 0 and r.stdout.startswith("/*\n * Module: k\n")
    r = scaffold_in_process("-", "--check", input=PY_CODE.encode())
    assert r.exit_code == 1 and r.stdout == ""
    r = scaffold_in_process("-", input=b"def f(:\n")
    assert r.exit_code == 2 and r.stdout == "" and "syntax error" in r.stderr


@pytest.mark.parametrize("content,message", [
    (b"def f(:\n    pass\n", "syntax error"),
    (b"x = '\xff'\n", "not valid UTF-8"),
    (b"\x00\x01binary", "binary"),
    (b'f"""{1}"""\n', "f-string"),
])
def test_cli_bad_input_one_line_error_file_untouched(tmp_path, content, message):
    bad = tmp_path / "bad.py"
    bad.write_bytes(content)
    good = tmp_path / "good.py"
    good.write_text(PY_CODE)
    r = scaffold_in_process(str(bad), str(good))
    assert r.exit_code == 2
    errors = [line for line in r.stderr.splitlines() if line.startswith("karpathy-scaffold: error:")]
    assert len(errors) == 1 and message in errors[0] and str(bad) in errors[0]
    assert bad.read_bytes() == content
    assert good.read_text() != PY_CODE  # the other file was still scaffolded


def test_cli_walks_directories_like_the_linter(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text(PY_CODE)
    (tmp_path / "pkg" / "k.cu").write_text(CU_CODE)
    (tmp_path / "pkg" / "notes.txt").write_text("not code\n")
    (tmp_path / "pkg" / "__pycache__").mkdir()
    (tmp_path / "pkg" / "__pycache__" / "c.py").write_text(PY_CODE)
    r = scaffold_in_process(str(tmp_path / "pkg"))
    assert r.exit_code == 0, r.output
    assert (tmp_path / "pkg" / "a.py").read_text().startswith('"""\nModule: a\n')
    assert (tmp_path / "pkg" / "k.cu").read_text().startswith("/*\n * Module: k\n")
    assert (tmp_path / "pkg" / "notes.txt").read_text() == "not code\n"
    assert (tmp_path / "pkg" / "__pycache__" / "c.py").read_text() == PY_CODE


def test_cli_config_project_and_tag(tmp_path):
    cfg = tmp_path / "karpathy-lint.toml"
    cfg.write_text('project = "Llama"\ntag = "teaching_notes"\n')
    path = tmp_path / "m.py"
    path.write_text(PY_CODE)
    r = scaffold_in_process(str(path), "--config", str(cfg))
    assert r.exit_code == 0
    text = path.read_text()
    assert "** This File's Role in Llama **" in text and "<teaching_notes>" in text
    bad = tmp_path / "bad.toml"
    bad.write_text("nonsense = 1\n")
    r = scaffold_in_process(str(path), "--config", str(bad))
    assert r.exit_code == 2 and "unknown key" in r.stderr


def test_cli_missing_directory_path_is_an_error(tmp_path):
    r = scaffold_in_process(str(tmp_path / "nope" / "deeper.cu"))
    assert r.exit_code == 2


def test_cli_symlink_stays_a_symlink(tmp_path):
    real = tmp_path / "real.py"
    real.write_text(PY_CODE)
    link = tmp_path / "link.py"
    link.symlink_to(real)
    r = scaffold_in_process(str(link))
    assert r.exit_code == 0, r.output
    assert link.is_symlink() and real.read_text().startswith('"""\nModule: link\n')


def test_cli_merge_diff_shows_only_function_list_lines(tmp_path):
    path = tmp_path / "m.py"
    src = HEADER.format(entries="route(x) - Keep the k best experts") + PY_CODE
    path.write_text(src)
    r = scaffold_in_process(str(path), "--diff")
    assert r.exit_code == 1 and path.read_text() == src
    changed = [l for l in r.stdout.splitlines() if l[:1] in "+-" and not l.startswith(("+++", "---"))]
    assert changed == ["-route(x) - Keep the k best experts", "+route(x, k) - Keep the k best experts",
                       "+Router(dim) - TODO: describe", "+Router.forward(x) - TODO: describe",
                       "+Router.size - TODO: describe"]


def test_cuda_entries_the_linter_cannot_read_back_are_refused_not_repeated():
    """`operator&&` is listed by KL202 but not read back as an entry: scaffold must not add it on every run."""
    src = "struct V { int x; };\nbool operator&&(V a, V b) { return a.x && b.x; }\nint main() { return 0; }\n"
    try:
        out = scaffold(src, "ops.cu")
    except ScaffoldError as exc:
        assert "does not settle" in str(exc)
    else:  # once the linter can read operator entries, the result must be settled and idempotent
        assert not codes(out, "ops.cu") & PARITY
        assert_idempotent(out, "ops.cu")


def test_cli_force_exclude_skips_excluded_files_named_explicitly(tmp_path, monkeypatch):
    (tmp_path / "karpathy-lint.toml").write_text('exclude = ["vendor"]\n')
    (tmp_path / "vendor").mkdir()
    vendored = tmp_path / "vendor" / "v.py"
    vendored.write_text(PY_CODE)
    monkeypatch.chdir(tmp_path)
    r = scaffold_in_process("--force-exclude", "vendor/v.py")
    assert r.exit_code == 0 and vendored.read_text() == PY_CODE
    r = scaffold_in_process("vendor/v.py")  # named without --force-exclude: scaffolded, like `karpathy-lint check`
    assert r.exit_code == 0 and vendored.read_text() != PY_CODE


def test_missing_path_without_new_is_refused(tmp_path):
    """A typo never creates a file: a missing path needs an explicit --new (issue 19, item 5)."""
    path = tmp_path / "atention.py"
    r = scaffold_in_process(str(path))
    assert r.exit_code == 2 and not path.exists()
    assert f"{path}: does not exist (use --new to create it from the template)" in r.stderr
    r = scaffold_in_process(str(path), "--new")
    assert r.exit_code == 0 and path.exists()
    assert scaffold_in_process(str(path), "--new", "--check").exit_code == 0  # it exists now: scaffolded as usual
