"""KL501 name-unresolved: backticked names in prose must exist in the file."""
from __future__ import annotations

import dataclasses

from karpathy_lint.config import Settings
from karpathy_lint.engine import lint_source
from karpathy_lint.fixer import fix_source


def findings(code: str, name: str = "example.py", **settings):
    result = lint_source(name, code.encode(), dataclasses.replace(Settings(), **settings))
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
