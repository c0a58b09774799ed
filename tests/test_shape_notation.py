"""Shapes written the common way: what counts as one, and what KL306 accepts."""
from __future__ import annotations

import pytest

from karpathy_lint.config import Settings
from karpathy_lint.engine import lint_source
from karpathy_lint.shapes.notation import find


@pytest.mark.parametrize("text, name, dims, span", [
    (" (B, nh, T, hs)", None, ("B", "nh", "T", "hs"), "(B, nh, T, hs)"),
    (" [batch, seq, d]", None, ("batch", "seq", "d"), "[batch, seq, d]"),
    (" x: [B, T, C]", "x", ("B", "T", "C"), "x: [B, T, C]"),
    (" x is (B, T)", "x", ("B", "T"), "x is (B, T)"),
    (" Shape (T)", None, ("T",), "Shape (T)"),
    (" token embeddings of shape (b, t, n_embd)", None, ("b", "t", "n_embd"), "of shape (b, t, n_embd)"),
    (" (B, nh, T, T) x (B, nh, T, hs) -> (B, nh, T, hs)", None, ("B", "nh", "T", "hs"), "(B, nh, T, hs)"),
    (" (8, )", None, ("8",), "(8, )"),
    (" (C // nh, 2*d, ...)", None, ("C // nh", "2*d", "..."), "(C // nh, 2*d, ...)"),
    (" Karpathy: (B, T)", None, ("B", "T"), "(B, T)"),
])
def test_common_notations(text, name, dims, span):
    got = find(text, "Karpathy")
    assert got is not None and got.name == name and got.dims == dims
    assert text[got.start:got.end] == span
    assert got.convention("y") == f"{name or 'y'} shape [{', '.join(dims)}]"


@pytest.mark.parametrize("text", [
    " (optional)", " see (a, b) above", " note: using list [-1] to preserve the time dim",
    " type: ignore[assignment]", " Note: important", " Karpathy: x shape [B, T]", " Flatten to (BxT, vocab)",
    " noqa: E501", " (x + y) * z",
])
def test_not_a_shape(text):
    assert find(text, "Karpathy") is None


def _kl306(code: str):
    s = Settings(select=("KL306",))
    return [f for f in lint_source("m.py", code.encode(), s).findings]


@pytest.mark.parametrize("comment", ["  # (B, T, C)", "  # Karpathy: (B, T, C)", "  # y: [B, T, C]",
                                     "  # scores of shape (B, T, C)", "  # (B, T) x (T, C) -> (B, T, C)"])
def test_kl306_accepts_common_notations(comment):
    code = f"import torch\n\n\ndef f(x):\n    y = torch.relu(x){comment}\n    return y\n"
    assert _kl306(code) == []


def test_kl306_still_wants_a_shape():
    code = "import torch\n\n\ndef f(x):\n    y = torch.relu(x)  # relu (see paper)\n    return y\n"
    assert [f.code for f in _kl306(code)] == ["KL306"]
