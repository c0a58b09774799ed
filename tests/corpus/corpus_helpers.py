"""Helpers shared by the corpus tests.

Corpus files are named like `01-moe_router.py` (a leading number and a dash),
which `import` cannot spell, so tests load them by path.
"""
from __future__ import annotations

import importlib.util
import subprocess
import sys
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


def run_demo(relpath: str, timeout: float = 60.0) -> subprocess.CompletedProcess:
    """Run corpus/<relpath> as `python <file>` and return the finished process."""
    return subprocess.run(
        [sys.executable, str(CORPUS / relpath)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def cuda_available() -> bool:
    try:
        import torch
    except ImportError:  # pragma: no cover - the test extra installs torch
        return False
    return torch.cuda.is_available()


requires_cuda = pytest.mark.skipif(not cuda_available(), reason="needs a CUDA GPU")
