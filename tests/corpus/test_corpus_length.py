"""Every corpus source file is 150-400 lines, the project's length standard for a teaching file.

Long enough to hold a config, a demo and the self-checks; short enough to read in one sitting
(nanoGPT's model.py and minGPT's files are in that range). A file that outgrows it is split, as
02-DeepGEMM's ladder was into 01-gemm_kernel.cu and its host harness 01-gemm_host.cuh.
"""
from __future__ import annotations

import pytest
from corpus_helpers import CORPUS, corpus_files

MIN_LINES, MAX_LINES = 150, 400


def line_count(text: str) -> int:
    """Lines as an editor numbers them: a final line without a newline still counts."""
    return len(text.splitlines())


def test_the_corpus_has_python_and_cuda_files():
    suffixes = {rel.rsplit(".", 1)[1] for rel in corpus_files()}
    assert {"py", "cu", "cuh"} <= suffixes and len(corpus_files()) >= 14


@pytest.mark.parametrize("rel", corpus_files())
def test_file_is_150_to_400_lines(rel):
    n = line_count((CORPUS / rel).read_text(encoding="utf-8"))
    assert MIN_LINES <= n <= MAX_LINES, f"{rel}: {n} lines, the standard is {MIN_LINES}-{MAX_LINES}"


def test_line_count_counts_a_last_line_without_newline():
    assert line_count("a\nb\n") == 2 and line_count("a\nb") == 2 and line_count("") == 0
