"""Parsing: source bytes -> SourceModel, with tree-sitter, once per file."""
from __future__ import annotations

from karpathy_lint.model import Language, SourceModel

PYTHON_SUFFIXES = (".py", ".pyi")
CUDA_SUFFIXES = (".cu", ".cuh")
# C++ read by the same parser; folders are walked for them only when `include`/`extend-include` asks
CPP_SUFFIXES = (".h", ".hpp", ".hh", ".hxx", ".h++", ".cpp", ".cc", ".cxx", ".c++", ".inl", ".ipp", ".tpp")


def language_for(path: str) -> Language | None:
    if path == "-":
        return "python"
    lower = path.lower()
    if lower.endswith(PYTHON_SUFFIXES):
        return "python"
    if lower.endswith(CUDA_SUFFIXES) or lower.endswith(CPP_SUFFIXES):
        return "cuda"
    return None


def parse_source(path: str, source: bytes, text: str, language: Language, settings) -> SourceModel:
    if language == "python":
        from karpathy_lint.parse.python import parse_python

        return parse_python(path, source, text, settings)
    from karpathy_lint.parse.cuda import parse_cuda

    return parse_cuda(path, source, text, settings)
