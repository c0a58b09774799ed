"""karpathy-scaffold harvests what a file already says: the Module line from the module docstring, Function
List descriptions from the definitions' docstrings, and never a KL501 finding with them (issue 20)."""
from __future__ import annotations

from karpathy_lint.codemods.scaffold import scaffold_source

from karpathy_lint.config import Settings
from karpathy_lint.engine import lint_source

S = Settings(project="DeepSeek", project_from="config")  # the fixtures name their project

SOURCE = '''"""Top-k routing for a mixture of experts. Scores every token against every expert.

Built on ``torch.topk`` and :func:`torch.nn.functional.softmax`; ``make_fx`` traces it.
"""
import torch


class Router(torch.nn.Module):
    """The router module: a linear gate over `d_model` features, see ``make_fx``."""

    def __init__(self, d_model, n_experts):
        super().__init__()
        self.gate = torch.nn.Linear(d_model, n_experts)

    def forward(self, x):
        """Score tokens with `self.gate` and keep the best `k`.

        Second line, not harvested.
        """
        return self.gate(x)

    def route(self, x, k):
        return self.forward(x).topk(k)


class Expert:
    def __init__(self, width):
        """One feed-forward expert of `width` units."""
        self.width = width


def balance_loss(scores):
    """Auxiliary loss that keeps experts busy."""
    return scores.mean()
'''


def _kl501(data: bytes) -> list[str]:
    s = S._replace(select=("KL501",))
    return sorted(f.message for f in lint_source("router.py", data, s).findings)


def test_module_line_and_descriptions_come_from_the_docstrings():
    out = scaffold_source("router.py", SOURCE.encode(), S).new.decode()
    header = out.split('"""')[1]
    assert header.startswith("\nModule: Top-k routing for a mixture of experts\n")
    entries = header.split("** Function List **\n")[1].split("\n\n")[0].splitlines()
    assert entries == [
        "Router(d_model, n_experts) - The router module: a linear gate over `d_model` features, see make_fx.",
        "Router.forward(x) - Score tokens with `self.gate` and keep the best `k`.",
        "Router.route(x, k) - TODO: describe",  # nothing to harvest: the placeholder stays, KL108 flags it
        "Expert(width) - One feed-forward expert of `width` units.",  # the class has none: its __init__'s
        "balance_loss(scores) - Auxiliary loss that keeps experts busy.",
    ]
    # the module docstring stays, whole, as the Role text
    role = header.split("** This File's Role in DeepSeek **\n")[1].split("** Function List **")[0]
    assert role.startswith("Top-k routing for a mixture of experts. Scores every token")
    assert "``make_fx`` traces it." in role
    found = {f.code for f in lint_source("router.py", out.encode(), S).findings}
    assert "KL108" in found and not found & {"KL201", "KL202", "KL203", "KL205"}


def test_the_scaffold_creates_no_kl501_finding():
    out = scaffold_source("router.py", SOURCE.encode(), S).new
    assert _kl501(out) == _kl501(SOURCE.encode()) == []
    # a docstring naming a gone name keeps its one finding; the harvested copies add none
    stale = SOURCE.replace("Auxiliary loss that keeps experts busy.", "Like `balance_losses`, keeps experts busy.")
    stale = stale.replace("Top-k routing", "Top-k `balance_losses` routing")
    before = _kl501(stale.encode())
    after = _kl501(scaffold_source("router.py", stale.encode(), S).new)
    assert len(before) == 1 and after == before


def test_merge_fills_only_the_entries_it_adds():
    first = scaffold_source("router.py", SOURCE.encode(), S).new.decode()
    grown = first + '\n\ndef spread(x):\n    """Spread tokens evenly."""\n    return x\n'
    merged = scaffold_source("router.py", grown.encode(), S).new.decode()
    assert "spread(x) - Spread tokens evenly." in merged
    assert "Router.route(x, k) - TODO: describe" in merged  # an entry that was there is not rewritten


def test_no_docstring_keeps_the_file_name_and_placeholders():
    out = scaffold_source("router.py", b"def f(x):\n    return x\n", S).new.decode()
    assert "Module: router\n" in out and "f(x) - TODO: describe" in out


def test_unsafe_text_is_not_harvested():
    src = 'def f(x):\n    r"""Split on \\n and return x."""\n    return x\n'
    out = scaffold_source("m.py", src.encode(), S).new.decode()
    assert "f(x) - TODO: describe" in out


def test_cuda_comment_above_a_kernel_is_its_docstring():
    src = ("#include <cstdio>\n\n/**\n * @brief Scale every element by two.\n */\n__global__ void scale(float* x, int n) {\n"
           "    x[threadIdx.x] *= 2.0f;\n}\n\n// Host entry point.\nint main() {\n    return 0;\n}\n\n"
           "int helper(int a) {\n    return a;\n}\n")
    out = scaffold_source("k.cu", src.encode(), S).new.decode()
    assert " * scale(x, n) - Scale every element by two." in out
    assert " * main() - Host entry point." in out
    assert " * helper(a) - TODO: describe" in out
