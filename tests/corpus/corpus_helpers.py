"""Helpers shared by the corpus tests.

Corpus files are named like `01-moe_router.py` (a leading number and a dash),
which `import` cannot spell, so tests load them by path.
"""
from __future__ import annotations

import ast
import importlib.util
import io
import re
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def load_corpus(relpath: str):
    """Import corpus/<relpath> as a fresh module and return it."""
    path = CORPUS / relpath
    name = "corpus_" + path.stem.replace("-", "_") + "_" + path.parent.name.replace("-", "_")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


_DEMO_RUNS: dict[str, subprocess.CompletedProcess] = {}


def run_demo(relpath: str, timeout: float = 180.0) -> subprocess.CompletedProcess:
    """Run corpus/<relpath> as `python <file>` and return the finished process.

    Cached per test session by path: a demo is deterministic, and several test files read its output
    (the timeout is a hang guard; the first caller's applies)."""
    if relpath not in _DEMO_RUNS:
        _DEMO_RUNS[relpath] = subprocess.run(
            [sys.executable, str(CORPUS / relpath)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    return _DEMO_RUNS[relpath]


def cuda_available() -> bool:
    try:
        import torch
    except ImportError:  # pragma: no cover - the test extra installs torch
        return False
    return torch.cuda.is_available()


requires_cuda = pytest.mark.skipif(not cuda_available(), reason="needs a CUDA GPU")


def prose_units(path: Path) -> list[str]:
    """The reader-facing text of a corpus file: its header and every comment, one string per comment.

    Python: the module docstring plus each `#` comment (tokenize, so `#` inside strings is skipped).
    CUDA: the first block comment plus each `//` comment."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".py":
        units = [ast.get_docstring(ast.parse(text), clean=False) or ""]
        units += [tok.string.lstrip("#").strip() for tok in tokenize.generate_tokens(io.StringIO(text).readline)
                  if tok.type == tokenize.COMMENT]
        return units
    header, _, body = text.partition("*/")
    return [header] + [m.group(1).strip() for m in re.finditer(r"//(.*)", body)]


def sentences(unit: str) -> list[str]:
    """Split one prose unit into sentences (whitespace folded)."""
    return re.split(r"(?<=[.!?])\s+(?=[A-Z(`\"'])", " ".join(unit.split()))


SOURCE_SUFFIXES = (".py", ".cu", ".cuh")


def corpus_files() -> list[str]:
    return sorted(str(p.relative_to(CORPUS)) for p in CORPUS.glob("*/*") if p.suffix in SOURCE_SUFFIXES)
