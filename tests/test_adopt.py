"""karpathy-scaffold --adopt-comments: plain comments in function bodies become marker comments (issue 20)."""
from __future__ import annotations

import ast
import difflib

from click.testing import CliRunner
from karpathy_lint.codemods.adopt import adopt_comments
from karpathy_lint.codemods.scaffold_cli import main as scaffold_main

from karpathy_lint.config import Settings
from karpathy_lint.engine import build_model, lint_source

S = Settings()

PY = '''#!/usr/bin/env python3
# -*- coding: utf-8 -*-
# Copyright 2024 Someone. Licensed under the MIT licence.
"""Attention, written before the convention."""
import torch  # noqa: F401

# a module-level comment stays plain


class Attention:
    # a class-level comment stays plain
    def forward(self, x, w):
        # project the input
        q = x @ w  # (B, T, C)
        # att: [B, T, T]
        att = q @ q.transpose(-2, -1)
        # [batch, seq, d]
        y = att @ q
        # scale, then normalise:
        # the two lines above and this one are one note
        y = y / 2  # type: ignore[operator]
        # noqa: E501 is a directive
        y = y + 0
        # fmt: off
        y = y + 0
        # pylint: disable=invalid-name
        y = y + 0
        # isort: skip
        y = y + 0
        # pragma: no cover
        y = y + 0
        # y = y * 2
        y = y + 0
        # return y
        y = y + 0
        # if y is None:
        #     y = x
        y = y + 0
        # else:
        y = y + 0  # explain the sum  # noqa: E501
        # ----------------
        y = y + 0
        # SPDX-License-Identifier: MIT
        # Copyright the authors, licensed under Apache-2.0
        z = y  # keep a copy
        logits, _ = y, z  # (B, T)
        # TODO
        return z
'''


def _changed(old: str, new: str) -> list[tuple[str, str]]:
    a, b = old.splitlines(), new.splitlines()
    assert len(a) == len(b)
    return [(x, y) for x, y in zip(a, b) if x != y]


def test_python_every_kind_of_comment():
    new = adopt_comments("m.py", PY.encode(), S).decode()
    assert _changed(PY, new) == [
        ("        # project the input", "        # Karpathy: project the input"),
        ("        q = x @ w  # (B, T, C)", "        q = x @ w  # Karpathy: q shape [B, T, C]"),
        ("        # att: [B, T, T]", "        # Karpathy: att shape [B, T, T]"),
        ("        # [batch, seq, d]", "        # Karpathy: y shape [batch, seq, d]"),
        ("        # scale, then normalise:", "        # Karpathy: scale, then normalise:"),
        ("        z = y  # keep a copy", "        z = y  # Karpathy: keep a copy"),
        ("        logits, _ = y, z  # (B, T)", "        logits, _ = y, z  # Karpathy: (B, T)"),  # whose shape? not said
        ("        # TODO", "        # Karpathy: TODO"),
    ]
    # lossless: the same code, and taking the markers out gives the file back (shape rewrites aside)
    assert ast.dump(ast.parse(PY)) == ast.dump(ast.parse(new))
    # idempotent
    assert adopt_comments("m.py", new.encode(), S).decode() == new
    # the linter reads them: one note per block, the continuation lines stay plain lines of it
    model = build_model("m.py", new.encode(), S)
    assert [n.status for n in model.notes] == ["ok"] * 8
    assert model.notes[4].text == "scale, then normalise:\nthe two lines above and this one are one note"


def test_shapes_rewritten_are_read_as_shapes():
    new = adopt_comments("m.py", PY.encode(), S)
    s = S._replace(select=("KL306", "KL307"))
    assert lint_source("m.py", new, s).findings == []


def test_a_form_feed_does_not_shift_the_line_a_shape_belongs_to():
    """A page break (^L) is whitespace to Python, not a line end: the shape above `y = ...` names `y`."""
    src = "import torch\n\x0c\ndef f(x):\n    # (B, T, C)\n\n    y = x * 2\n    return y\n"
    new = adopt_comments("m.py", src.encode(), S).decode()
    assert _changed(src, new) == [("    # (B, T, C)", "    # Karpathy: y shape [B, T, C]")]


CU = '''// Copyright 2024 Someone
// SPDX-License-Identifier: MIT
#include <cstdio>

/// Doxygen for the kernel stays as it is.
__global__ void scale(float* x, int n) {
    // one thread per element
    int i = blockIdx.x * blockDim.x + threadIdx.x;  // global index
    // x: [n]
    if (i < n) x[i] *= 2.0f;  // NOLINT(readability)
    // clang-format off
    // x[i] += 1.0f;
    // if (i == 0) {
    /* a block comment stays */
    #pragma unroll
    for (int k = 0; k < 4; ++k) x[i] += k;  // unrolled
}

// host code: a top-level comment stays plain
int main() {
    // nothing to launch here
    return 0;
}
'''


def test_cuda_every_kind_of_comment():
    new = adopt_comments("k.cu", CU.encode(), S).decode()
    assert _changed(CU, new) == [
        ("    // one thread per element", "    // Karpathy: one thread per element"),
        ("    int i = blockIdx.x * blockDim.x + threadIdx.x;  // global index",
         "    int i = blockIdx.x * blockDim.x + threadIdx.x;  // Karpathy: global index"),
        ("    // x: [n]", "    // Karpathy: x shape [n]"),
        ("    for (int k = 0; k < 4; ++k) x[i] += k;  // unrolled",
         "    for (int k = 0; k < 4; ++k) x[i] += k;  // Karpathy: unrolled"),
        ("    // nothing to launch here", "    // Karpathy: nothing to launch here"),
    ]
    assert adopt_comments("k.cu", new.encode(), S).decode() == new
    assert [n.status for n in build_model("k.cu", new.encode(), S).notes] == ["ok"] * 5


def test_cli_diff_first_then_write(tmp_path):
    path = tmp_path / "m.py"
    path.write_text(PY)
    runner = CliRunner()
    shown = runner.invoke(scaffold_main, ["--adopt-comments", "--diff", "--isolated", str(path)])
    assert shown.exit_code == 1
    assert "+        # Karpathy: project the input" in shown.output
    assert path.read_text() == PY  # --diff writes nothing
    done = runner.invoke(scaffold_main, ["--adopt-comments", "--isolated", str(path)])
    assert done.exit_code == 0, done.output
    text = path.read_text()
    assert "# Karpathy: project the input" in text and "Module: Attention, written before the convention" in text
    assert text.startswith("#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\n# Copyright 2024")
    again = runner.invoke(scaffold_main, ["--adopt-comments", "--check", "--isolated", str(path)])
    assert again.exit_code == 0  # nothing left to change
    diff = list(difflib.unified_diff(PY.splitlines(), text.splitlines(), lineterm="", n=0))
    assert not [d for d in diff if d.startswith("-") and not d.startswith("---") and "#" not in d
                and d[1:].strip() not in ('"""Attention, written before the convention."""',)]


def test_a_file_that_does_not_parse_is_refused(tmp_path):
    path = tmp_path / "bad.py"
    path.write_text("def f(:\n    # x\n    pass\n")
    result = CliRunner().invoke(scaffold_main, ["--adopt-comments", "--isolated", str(path)])
    assert result.exit_code == 2 and "bad.py" in result.output
    assert path.read_text() == "def f(:\n    # x\n    pass\n"
