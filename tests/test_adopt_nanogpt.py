"""Adoption on a real small GPT written before the convention (tests/data/nano_gpt, MIT, see its README):
scaffold plus --adopt-comments leaves KL305 only on functions that had no comment at all, and the Function
List descriptions are the docstrings' first lines."""
from __future__ import annotations

import ast
import shutil
from pathlib import Path

from click.testing import CliRunner
from karpathy_lint.codemods.scaffold_cli import main as scaffold_main

from karpathy_lint.config import Settings
from karpathy_lint.engine import build_model, lint_source

FIXTURE = Path(__file__).resolve().parent / "data" / "nano_gpt" / "model.py"
DIRECTIVE = ("# type:", "# noqa")


def _uncommented(model) -> set[str]:
    """Functions of the original file whose bodies hold no comment at all (tool directives aside)."""
    tree = ast.parse(model.text)
    prose = [c.line for c in model.comments if not c.text.startswith(DIRECTIVE)]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for f in node.body:
                if isinstance(f, ast.FunctionDef) and not any(f.lineno < line <= f.end_lineno for line in prose):
                    out.add(f"{node.name}.{f.name}")
    for f in tree.body:
        if isinstance(f, ast.FunctionDef) and not any(f.lineno < line <= f.end_lineno for line in prose):
            out.add(f.name)
    return out


def test_scaffold_and_adopt_comments_on_a_real_gpt(tmp_path):
    path = tmp_path / "model.py"
    shutil.copy(FIXTURE, path)
    original = path.read_bytes()
    before = build_model("model.py", original, Settings())
    result = CliRunner().invoke(scaffold_main, ["--adopt-comments", "--isolated", str(path)])
    assert result.exit_code == 0, result.output
    new = path.read_bytes()
    # the code is the same code
    doc = ast.get_docstring(ast.parse(original), clean=False)
    assert doc in ast.get_docstring(ast.parse(new), clean=False)
    assert [ast.dump(n) for n in ast.parse(original).body[1:]] == [ast.dump(n) for n in ast.parse(new).body[1:]]

    settings = Settings(select=("KL305",))
    flagged = {f.symbol for f in lint_source("model.py", new, settings).findings}
    uncommented = _uncommented(before)
    assert flagged and flagged <= uncommented  # only functions that said nothing are still uncommented
    assert {"MLP.forward", "Block.forward", "Block.__init__"} <= flagged
    assert "CausalSelfAttention.forward" not in flagged and "sample" not in flagged

    text = new.decode()
    assert text.startswith('"""\nModule: This module defines the GPT model architecture\n')
    entries = text.split("** Function List **\n")[1].split("\n\n")[0].splitlines()
    assert "CausalSelfAttention(config) - Attention module." in entries
    assert "GPT(config, tokenizer) - This class defines the GPT model." in entries
    assert "GPT.forward(x, targets) - Perform the forward pass." in entries  # defaults left out
    assert ("sample(model, tokenizer, text, num_return_sequences, max_length, device, seed) - "
            "Sample from the model from text input.") in entries
    assert not [e for e in entries if "TODO" in e]  # every listed definition has a docstring here

    # shape notes became shapes, directives stayed, and the linter's other checks agree
    assert "logits = self.lm_head(x)  # Karpathy: logits shape [B, T, vocab_size]" in text
    assert "# Karpathy: pos_emb shape [T, n_emb]" in text
    assert "self.c_proj.SCALE_INIT = 1  # type: ignore[assignment]" in text
    other = Settings(select=("KL2", "KL301", "KL302", "KL307", "KL501"))
    assert lint_source("model.py", new, other).findings == []
