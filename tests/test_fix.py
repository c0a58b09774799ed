"""`karpathy-lint --fix / --diff / --unsafe-fixes` on the Function List (KL201-KL206), Python and CUDA."""
from __future__ import annotations

import json

import pytest
from clihelp import lint

from karpathy_lint.codemods.scaffold import scaffold_source
from karpathy_lint.config import Settings
from karpathy_lint.engine import lint_source
from karpathy_lint.fixer import fix_source

S = Settings()

ROLE = ("This router sits between the attention block and the experts of every MoE layer and "
        "decides which experts each token visits and with what weight.")
DEEP = " ".join(["Each token is scored against every expert, the best few are kept, and their scores become "
                 "the weights that mix the expert outputs back together."] * 3)


def py_header(entries: str) -> str:
    return (f'"""\nModule: Router\n\n<karpathys_code_comments>\n** This File\'s Role in DeepSeek **\n{ROLE}\n\n'
            f"** Function List **\n{entries}\n\n** Technical Deep Dive **\n{DEEP}\n</karpathys_code_comments>\n"
            '"""\n')


def cu_header(entries: str) -> str:
    body = "\n".join(f" * {line}" for line in entries.splitlines())
    return (f"/*\n * Module: Kernel\n *\n * <karpathys_code_comments>\n * ** This File's Role in DeepSeek **\n"
            f" * {ROLE}\n *\n * ** Function List **\n{body}\n *\n * ** Technical Deep Dive **\n * {DEEP}\n"
            " * </karpathys_code_comments>\n */\n")


PY_CODE = ("def route_topk(x, k=2):\n    return x\n\n\ndef mix(a, b):\n    return a\n\n\n"
           "def extra(z):\n    return z\n")
PY_BEFORE = py_header("topk_route(x, k=2) - Keep the best k\nmix(a) - Mix the outputs\n"
                      "gone(q) - Stale entry") + PY_CODE
PY_AFTER_SAFE = py_header("route_topk(x, k=2) - Keep the best k\nmix(a, b) - Mix the outputs\n"
                          "extra(z) - TODO: describe\ngone(q) - Stale entry") + PY_CODE  # added in source order
PY_AFTER_UNSAFE = py_header("route_topk(x, k=2) - Keep the best k\nmix(a, b) - Mix the outputs\n"
                            "extra(z) - TODO: describe") + PY_CODE

CU_CODE = ("#include <cstdio>\n\ntemplate <int BM>\n__global__ void scale(float* x, int n) { x[0] = n; }\n\n"
           "__device__ float twice(float v) { return 2 * v; }\n\nint main() { return 0; }\n")
CU_BEFORE = cu_header("scale(x) - Scale x\nmain() - Entry\nmain() - Entry again") + CU_CODE
CU_AFTER_SAFE = cu_header("scale(x, n) - Scale x\ntwice(v) - TODO: describe\nmain() - Entry\n"
                          "main() - Entry again") + CU_CODE
CU_AFTER_UNSAFE = cu_header("scale(x, n) - Scale x\ntwice(v) - TODO: describe\nmain() - Entry") + CU_CODE


def lint_cli(*args):
    return lint("--no-cache", *args)


def parity_codes(text: str | bytes, name: str) -> set[str]:
    data = text.encode() if isinstance(text, str) else text
    return {f.code for f in lint_source(name, data, S).findings if f.code.startswith("KL2")}


@pytest.mark.parametrize("name,before,after,unsafe", [
    ("m.py", PY_BEFORE, PY_AFTER_SAFE, False),
    ("m.py", PY_BEFORE, PY_AFTER_UNSAFE, True),
    ("k.cu", CU_BEFORE, CU_AFTER_SAFE, False),
    ("k.cu", CU_BEFORE, CU_AFTER_UNSAFE, True),
])
def test_fix_before_after_and_idempotent(tmp_path, name, before, after, unsafe):
    path = tmp_path / name
    path.write_text(before)
    flags = ["--fix"] + (["--unsafe-fixes"] if unsafe else [])
    lint_cli(*flags, str(path))
    assert path.read_text() == after
    lint_cli(*flags, str(path))
    assert path.read_text() == after  # a second run changes nothing
    # left for --unsafe-fixes: the stale entry (Python) and the duplicate (CUDA)
    expected_left = set() if unsafe else {"KL201"} if name == "m.py" else {"KL204"}
    assert parity_codes(after, name) == expected_left


def test_fix_api_matches_cli():
    fixed, count, _ = fix_source("m.py", PY_BEFORE.encode(), S)
    assert fixed.decode() == PY_AFTER_SAFE and count == 3


def test_fix_parses_the_file_twice_not_four_times(tmp_path, monkeypatch):
    # the check's parse feeds the fixes; one more parse reads the fixed file (and is its report)
    import karpathy_lint.parse.python as parse_python

    real, parses = parse_python.parse_python, []

    def counting(path, source, text, settings):
        parses.append(source)
        return real(path, source, text, settings)

    monkeypatch.setattr(parse_python, "parse_python", counting)
    path = tmp_path / "m.py"
    path.write_text(PY_BEFORE)
    result = lint_cli("--fix", "--select", "KL203", str(path))
    assert path.read_text() != PY_BEFORE and result.exit_code == 0
    assert [p.decode() for p in parses] == [PY_BEFORE, path.read_text()]


@pytest.mark.parametrize("name,before", [("m.py", PY_BEFORE), ("k.cu", CU_BEFORE)])
def test_fix_keeps_crlf_and_bom(tmp_path, name, before):
    path = tmp_path / name
    data = b"\xef\xbb\xbf" + before.replace("\n", "\r\n").encode()
    path.write_bytes(data)
    lint_cli("--fix", str(path))
    out = path.read_bytes()
    assert out.startswith(b"\xef\xbb\xbf")
    assert out.count(b"\n") == out.count(b"\r\n")
    expected = PY_AFTER_SAFE if name == "m.py" else CU_AFTER_SAFE
    assert out == b"\xef\xbb\xbf" + expected.replace("\n", "\r\n").encode()


def test_fix_exit_codes(tmp_path):
    path = tmp_path / "m.py"
    path.write_text(PY_BEFORE)
    # KL201/KL204 (unsafe) and other rules' findings remain: exit 1
    r = lint_cli("--fix", str(path))
    assert r.exit_code == 1
    # only the Function List rules, with unsafe fixes: everything is fixed, exit 0
    path.write_text(PY_BEFORE)
    r = lint_cli("--fix", "--unsafe-fixes", "--select", "KL2", str(path))
    assert r.exit_code == 0, r.output
    assert path.read_text() == PY_AFTER_UNSAFE
    # safe fixes only: the stale entry (KL201) is unfixable without --unsafe-fixes: exit 1
    path.write_text(PY_BEFORE)
    r = lint_cli("--fix", "--select", "KL2", str(path))
    assert r.exit_code == 1 and "KL201" in r.output


def test_diff_writes_nothing_and_exits_1(tmp_path):
    path = tmp_path / "m.py"
    path.write_text(PY_BEFORE)
    r = lint_cli("--diff", str(path))
    assert r.exit_code == 1
    assert path.read_text() == PY_BEFORE
    assert "-topk_route(x, k=2) - Keep the best k" in r.stdout
    assert "+route_topk(x, k=2) - Keep the best k" in r.stdout
    assert "+extra(z) - TODO: describe" in r.stdout
    assert "-gone(q)" not in r.stdout  # unsafe: not without --unsafe-fixes
    r = lint_cli("--diff", "--unsafe-fixes", str(path))
    assert r.exit_code == 1 and "-gone(q) - Stale entry" in r.stdout
    assert path.read_text() == PY_BEFORE
    path.write_text(PY_AFTER_UNSAFE)
    r = lint_cli("--diff", "--select", "KL2", str(path))
    assert r.exit_code == 0 and r.stdout == ""


def _apply_json_edits(text: str, edits: list[dict]) -> str:
    """Apply edits given as 1-based (line, column) character positions, as the JSON report writes them."""
    lines = text.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)

    def offset(line: int, col: int) -> int:
        return starts[line - 1] + col - 1

    for e in sorted(edits, key=lambda e: (e["line"], e["column"]), reverse=True):
        a, b = offset(e["line"], e["column"]), offset(e["end_line"], e["end_column"])
        text = text[:a] + e["content"] + text[b:]
    return text


@pytest.mark.parametrize("name,before", [("m.py", PY_BEFORE), ("k.cu", CU_BEFORE)])
def test_json_fix_field_carries_the_same_edits(tmp_path, name, before):
    path = tmp_path / name
    path.write_text(before)
    r = lint_cli("--format", "json", "--select", "KL202,KL203,KL206", str(path))
    findings = json.loads(r.stdout)
    assert findings and all(f["fix"] is not None and f["fix"]["applicability"] == "safe" for f in findings)
    api = {(f.code, f.line): f for f in lint_source(str(path), before.encode(), S).findings}
    for f in findings:
        mine = api[(f["code"], f["line"])]
        assert [e["content"] for e in f["fix"]["edits"]] == [e.content for e in mine.fix.edits]
        assert [(e["line"], e["column"], e["end_line"], e["end_column"]) for e in f["fix"]["edits"]] == \
            [(e.line, e.column, e.end_line, e.end_column) for e in mine.fix.edits]
    # applying every JSON edit at once gives exactly what --fix writes
    edits = [e for f in findings for e in f["fix"]["edits"]]
    assert _apply_json_edits(before, edits) == (PY_AFTER_SAFE if name == "m.py" else CU_AFTER_SAFE)


def test_scaffold_merge_equals_safe_function_list_fix():
    """Scaffold's merge mode is exactly the linter's safe KL202/KL203/KL206 fixes."""
    for name, before, after in (("m.py", PY_BEFORE, PY_AFTER_SAFE), ("k.cu", CU_BEFORE, CU_AFTER_SAFE)):
        result = scaffold_source(name, before.encode(), S)
        assert result.action == "merged" and result.new.decode() == after
