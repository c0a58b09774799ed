"""Parsing: source bytes -> SourceModel, with tree-sitter, once per file."""
from __future__ import annotations

from karpathy_lint.model import Language, SourceModel

PYTHON_SUFFIXES = (".py", ".pyi")
CUDA_SUFFIXES = (".cu", ".cuh")
NOTEBOOK_SUFFIXES = (".ipynb",)


def language_for(path: str) -> Language | None:
    if path == "-":
        return "python"
    lower = path.lower()
    if lower.endswith(PYTHON_SUFFIXES):
        return "python"
    if lower.endswith(CUDA_SUFFIXES):
        return "cuda"
    if lower.endswith(NOTEBOOK_SUFFIXES):
        return "notebook"
    return None


def parse_source(path: str, source: bytes, text: str, language: Language, settings) -> SourceModel:
    if language == "python":
        from karpathy_lint.parse.python import parse_python

        return parse_python(path, source, text, settings)
    if language == "notebook":
        from karpathy_lint.notebook.virtual import parse_notebook

        return parse_notebook(path, source, text, settings)
    from karpathy_lint.parse.cuda import parse_cuda

    return parse_cuda(path, source, text, settings)
