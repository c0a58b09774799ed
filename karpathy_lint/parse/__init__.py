"""Parsing: source bytes -> SourceModel, with tree-sitter, once per file."""
from __future__ import annotations

from karpathy_lint.model import Language, SourceModel

PYTHON_SUFFIXES = (".py", ".pyi")
CUDA_SUFFIXES = (".cu", ".cuh")
# what a folder must hold to have something to check, in words (the "0 files" warning)
CHECKED_KINDS = "Python or CUDA files (" + ", ".join(PYTHON_SUFFIXES + CUDA_SUFFIXES) + ")"


def language_for(path: str) -> Language | None:
    if path == "-":
        return "python"
    lower = path.lower()
    if lower.endswith(PYTHON_SUFFIXES):
        return "python"
    if lower.endswith(CUDA_SUFFIXES):
        return "cuda"
    return None


def parse_source(path: str, source: bytes, text: str, language: Language, settings) -> SourceModel:
    if language == "python":
        from karpathy_lint.parse.python import parse_python

        return parse_python(path, source, text, settings)
    from karpathy_lint.parse.cuda import parse_cuda

    return parse_cuda(path, source, text, settings)
