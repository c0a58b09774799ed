"""Clean files written as a new user would write them, then each defect of the
convention seeded one at a time: the CLI (a real subprocess) must exit 1 and
report the right rule on the defect's line; the clean files give nothing."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
PY = (DATA / "clean_router.py").read_text()
CU = (DATA / "clean_kernel.cu").read_text()


def lint(path: Path) -> tuple[int, list[dict]]:
    proc = subprocess.run([sys.executable, "-m", "karpathy_lint", "--no-cache", "--format", "json", str(path)],
                          capture_output=True, text=True, check=False)
    return proc.returncode, json.loads(proc.stdout)


def line_of(text: str, needle: str) -> int:
    """1-based line of the first occurrence of `needle` (`LAST:needle`: the last one)."""
    if needle.startswith("LAST:"):
        needle = needle[5:]
        return text[: text.rindex(needle)].count("\n") + 1
    assert needle in text, needle
    return text[: text.index(needle)].count("\n") + 1


# (id, original, replacement, expected code, text on the expected line)
PY_DEFECTS = [
    ("no-header", PY[: PY.index("from dataclasses")], "", "KL101", "from dataclasses"),
    ("no-module-line", "Module: A tiny top-k router, written the way a new user would annotate it\n", "",
     "KL102", "<karpathys_code_comments>"),
    ("no-closing-tag", "</karpathys_code_comments>\n", "", "KL103", "<karpathys_code_comments>"),
    ("tag-twice", "** Function List **", "<karpathys_code_comments>\n** Function List **", "KL103",
     "<karpathys_code_comments>\n** Function"),
    ("no-role", "** This File's Role in DeepSeek **", "", "KL104", "<karpathys_code_comments>"),
    ("order", "** Technical Deep Dive **", "** This File's Role in DeepSeek **", "KL105",
     "** This File's Role in DeepSeek **\nRouting"),
    ("empty-deep-dive", PY[PY.index("Routing is a linear"): PY.index("</karpathys")], "", "KL106",
     "** Technical Deep Dive **"),
    ("short-role", PY[PY.index("This file is the gate"): PY.index("** Function List **")], "Gate.\n\n", "KL107",
     "** This File's Role"),
    ("placeholder", "Route a batch of tokens", "TODO: describe", "KL108", "Router.forward(x) - TODO"),
    ("other-project", "Role in DeepSeek", "Role in nanoGPT", "KL109", "Role in nanoGPT"),
    ("stale", "main() - A tiny demo", "gone(y) - Nothing\nmain() - A tiny demo", "KL201", "gone(y)"),
    ("missing", "def main():", "def helper(a, b):\n    return a\n\n\ndef main():", "KL202", "def helper"),
    ("params", "route(x, w, top_k) - Score", "route(x, top_k) - Score", "KL203", "route(x, top_k)"),
    ("duplicate", "main() - A tiny demo", "main() - A tiny demo\nmain() - Again", "KL204", "main() - Again"),
    ("malformed-entry", "main() - A tiny demo", "main: a tiny demo", "KL205", "main: a tiny demo"),
    ("renamed", "def route(x, w, top_k):", "def route_topk(x, w, top_k):", "KL206", "route(x, w, top_k) - Score"),
    ("marker-lower", "# Karpathy: keep the best", "# karpathy: keep the best", "KL301", "# karpathy: keep"),
    ("marker-empty", "# Karpathy: one column per expert", "# Karpathy:", "KL302", "# Karpathy:\n"),
    ("density", "def main():", "".join(f"TABLE_{i} = {i}\n" for i in range(100)) + "\n\ndef main():", "KL303",
     None),
    ("uncommented-function", "        # Karpathy: one column per expert\n", "", "KL305", "def __init__"),
    ("shape-missing", "    # Karpathy: x shape [6, d_model], six tokens\n", "", "KL306", "    x = torch.randn(6, config.d_model)"),
    ("shape-malformed", "x shape [6, d_model]", "x shape (6, d_model)", "KL307", "x shape (6"),
    ("signature", "\n# Karpathy: a linear layer and a top-k. Simple idea, big consequences.\n", "\n", "KL308",
     "    main()\n"),
    ("mojibake", "big consequences.", "big consequencesâ€™.", "KL401", "big consequences"),
    ("syntax", "def main():", "def main(:", "KL001", "def main(:"),
]

CU_DEFECTS = [
    ("no-header", CU[: CU.index("#include <cstdio>")], "", "KL101", "#include <cstdio>"),
    ("no-closing-tag", " * </karpathys_code_comments>\n", "", "KL103", "<karpathys_code_comments>"),
    ("no-function-list", " * ** Function List **", " * ** Functions **", "KL104", "<karpathys_code_comments>"),
    ("stale", " * main() - Allocate", " * gone(y) - Nothing\n * main() - Allocate", "KL201", "gone(y)"),
    ("missing-kernel", "void launch_scale", "__device__ float twice(float v) {\n  return 2 * v;\n}\n\nvoid launch_scale",
     "KL202", "__device__ float twice"),
    ("params", " * launch_scale(x, alpha, n) -", " * launch_scale(x, n) -", "KL203", "launch_scale(x, n)"),
    ("marker-malformed", "// Karpathy: copy back", "//Karpathy: copy back", "KL301", "//Karpathy: copy back"),
    ("uncommented-function", "  // Karpathy: 256 threads per block is a safe default on every GPU since Kepler\n", "",
     "KL305", "void launch_scale"),
    ("signature", "// Karpathy: one index per thread. Every GEMM kernel starts from this.\n", "", "KL308", "LAST:}"),
    ("syntax", "int blocks = (n + threads - 1) / threads;", "int blocks = (n + threads - 1 / threads;", "KL001", None),
]


@pytest.mark.parametrize("name,text", [("clean_router.py", PY), ("clean_kernel.cu", CU)])
def test_clean_files_are_clean(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    code, findings = lint(path)
    assert (code, findings) == (0, [])


@pytest.mark.parametrize("case", PY_DEFECTS + [("cu-" + c[0],) + c[1:] for c in CU_DEFECTS],
                         ids=lambda c: c[0])
def test_seeded_defect(tmp_path, case):
    ident, old, new, code, marker = case
    base, name = (CU, "kernel.cu") if ident.startswith("cu-") else (PY, "router.py")
    assert old in base, f"fixture no longer contains {old!r}"
    text = base.replace(old, new, 1)
    path = tmp_path / name
    path.write_text(text)
    (tmp_path / "karpathy-lint.toml").write_text('project = "DeepSeek"\n')  # the fixtures' project, as in corpus/
    rc, findings = lint(path)
    assert rc == (2 if code == "KL001" else 1)
    hits = [f for f in findings if f["code"] == code]
    assert hits, f"expected {code}, got {[(f['code'], f['line']) for f in findings]}"
    if marker is not None:
        expected = line_of(text, marker)
        assert expected in [f["line"] for f in hits], (expected, [(f["line"], f["message"]) for f in hits])
