"""Numbers stated by the corpus prose are either computed by the file or cited with their source.

Two checks per corpus file:

1. HEADLINE: the numbers the prose leads with (parameter counts, C(64, 8), bubble sizes, token counts,
   3FS recovery shares, the MLA cache width, E4M3's limits) are listed below, each as the text the prose
   states and the text the demo must print when it computes it. The test asserts both, and the expected
   output is built here from first principles where that is possible (math.comb, fractions, arithmetic),
   so a demo that printed a wrong value would fail too.

2. SCAN: every number with a unit or magnitude in the prose (671B, 14.8T, 93.3%, 16x, 28,672,
   3000 GB/s, 77 us, 512 MiB, ...) is accepted only if
   - the demo prints it (computed by the file), or
   - its sentence names where it comes from: a DeepSeek paper (arXiv id, "paper", a section sign), a
     repository path or file (deepseek-ai/..., README, a .py/.md/.json/.cu file, docs/, config), or a
     paper abstract, or a named outside source (siboehm, NVIDIA's datasheet, the OCP FP8 spec), or an explicit
     `(source: ...)` note.
   Anything else fails with the sentence, so a new uncited figure cannot slip in.
   The CUDA file cannot run without a GPU, so all of its figures must be cited.
"""
from __future__ import annotations

import math
import re
from fractions import Fraction

import pytest
from corpus_helpers import CORPUS, corpus_files, prose_units, run_demo, sentences

NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
HEADLINE = re.compile(
    rf"(?<![\w.^/=-])~?({NUM}(?:[BKMT]\b|%|x\b)|{NUM}\s?(?:GB/s|TB/s|TiB/s|GiB/s|TFLOPS|GFLOP/s|us|ms|MiB|GiB)\b"
    rf"|\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?)"
)
SOURCE = re.compile(
    r"\(source: [^)]+\)|arXiv|paper|§|section \d|deepseek-ai/|README|\.py\b|\.md\b|\.json\b|\.cuh?\b|\.hpp\b"
    r"|docs/|config|design_notes|Hugging Face|siboehm|NVIDIA|datasheet|OCP|abstract",
    re.I,
)


# file -> [(text the prose states, text the demo prints when it computes it)]
HEADLINE_NUMBERS = {
    "00-3FS/02-chain_table_placement.py": [
        ("D takes 3/10 of its reads and E 1/10",
         f"A fails: B {Fraction(2, 10)}, C {Fraction(2, 10)}, D {Fraction(3, 10)}, E {Fraction(1, 10)}, F {Fraction(2, 10)}"),
        ("each\nsurvivor takes 1/5 of A's reads", "gives every survivor exactly 1/5"),
        ("1/1.2 = 83% balanced vs 1/1.5 = 67%",
         f"busiest survivor at 1.20x normal reads, cluster read throughput ~{1 / 1.2:.0%}"),
        ("1/1.2 = 83% balanced vs 1/1.5 = 67%",
         f"busiest survivor at 1.50x normal reads, cluster read throughput ~{1 / 1.5:.0%}"),
    ],
    "02-DeepGEMM/02-fp8_quantization.py": [
        ("span 448 / 2^-6 = 28,672x", f"normal down to {448 / 2**-6:,.0f}x"),
        ("~2.9e4x", f"({448 / 2**-6:.1e}x)"),
        ("~4.6e5x", f"zero beyond {448 * 2**10:,}x ({448 * 2**10:.1e}x)"),
    ],
    "03-DeepSeek-MoE/01-moe_router.py": [
        ("C(16,2) = 120", f"16 experts top-2 = {math.comb(16, 2)}"),
        ("C(64,8), about 4.4 billion", f"64 experts top-8 = {math.comb(64, 8):,}"),
    ],
    "04-DeepSeek-OCR/01-visual_compression.py": [
        ("Tiny 512 -> 64", f"Tiny     512 {(512 // 64) ** 2:7d}"),
        ("Small 640 -> 100", f"Small    640 {(640 // 64) ** 2:7d}"),
        ("Base 1024 -> 256", f"Base    1024 {(1024 // 64) ** 2:7d}"),
        ("Large 1280 -> 400", f"Large   1280 {(1280 // 64) ** 2:7d}"),
        ("16 * 17 + 1 = 273", f"{16 * 17 + 1:8d}"),
        ("n x 100 + 256", f"n=2: {2 * 100 + 256}, n=6: {6 * 100 + 256}, n=9: {9 * 100 + 256}"),
    ],
    "05-DeepSeek-V3/01-model_architecture.py": [
        ("671.03B total", "671.03B"),
        ("36.63B", "36.63B"),
        ("MTP adds 11.61B", "11.61B"),
    ],
    "06-DeepSeek-VL2/01-vision_encoder.py": [
        ("421 for a 1x1 tiling", f"= {14 * 15} + 1 + {14 * 15} = {2 * 14 * 15 + 1} tokens"),
        ("2017 for\na 3x3 grid", f"3x3: {14 * 15 + 1 + 42 * 43}"),
        ("2101 for a 1-wide, 9-high one", f"9 high x 1 wide: {14 * 15 + 1 + 126 * 15}"),
    ],
    "07-DualPipe/01-dualpipe_scheduler.py": [
        ("F=1, B=3, W=1: 11 vs 12 at PP=8", f"worst idle 11 vs formula {(8 // 2 - 1) * ((1 + 3) + 3 - 3 * 1)}"),
        ("F=1, B=4, W=2: 14 vs 7", f"worst idle 14 vs formula {(8 - 1) * (1 + 4 - 2 * 2)}"),
    ],
    "09-FlashMLA/01-mla_attention.py": [
        ("576\nvalues per token per layer against 128 x (192 + 128) = 40960 for MHA",
         f"MLA caches {512 + 64} / {128 * (192 + 128)} = {576 / 40960:.2%}"),
        ("1.41%", f"{576 / 40960:.2%}"),
    ],
}


def _prose(rel: str) -> str:
    return "\n".join(prose_units(CORPUS / rel))


def _output(rel: str) -> str:
    if not rel.endswith(".py"):
        return ""
    proc = run_demo(rel)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize("rel", sorted(HEADLINE_NUMBERS))
def test_demo_prints_the_headline_numbers_its_prose_states(rel):
    prose, out = " ".join(_prose(rel).split()), _output(rel)
    for stated, printed in HEADLINE_NUMBERS[rel]:
        assert " ".join(stated.split()) in prose, f"{rel}: the prose no longer states {stated!r}"
        assert printed in out, f"{rel}: the demo does not print {printed!r}"


def _computed(number: str, out: str) -> bool:
    plain = number.lstrip("~").replace(",", "").replace(" ", "")
    core = re.match(r"[\d.]+", plain).group(0).rstrip(".")
    flat = re.sub(r"(?<=\d),(?=\d{3})", "", out)
    return re.search(rf"(?<![\d.]){re.escape(core)}(?![\d]|e[-+]\d)", flat) is not None


def uncited_numbers(rel: str) -> list[tuple[str, str]]:
    out = _output(rel)
    bad = []
    for unit in prose_units(CORPUS / rel):
        for sentence in sentences(unit):
            for m in HEADLINE.finditer(sentence):
                if not _computed(m.group(1), out) and not SOURCE.search(sentence):
                    bad.append((m.group(1), sentence))
    return bad


@pytest.mark.parametrize("rel", corpus_files())
def test_every_number_is_printed_by_the_demo_or_cited(rel):
    bad = uncited_numbers(rel)
    assert not bad, f"{rel}: numbers neither printed by the demo nor cited:\n" + "\n".join(
        f"  {num!r} in: {sentence[:160]}" for num, sentence in bad)


def test_the_demo_scan_catches_an_uncited_figure(monkeypatch):
    import corpus_helpers

    real = corpus_helpers.prose_units
    rel = "09-FlashMLA/01-mla_attention.py"
    monkeypatch.setattr(
        "test_corpus_numbers.prose_units",
        lambda path: real(path) + ["FlashMLA decodes 7.77x faster than everything else."])
    bad = uncited_numbers(rel)
    # "FlashMLA" is not a source; the figure is not printed: caught. With a source note it passes.
    assert [num for num, _ in bad] == ["7.77x"]
    monkeypatch.setattr(
        "test_corpus_numbers.prose_units",
        lambda path: real(path) + ["It decodes 7.77x faster (source: a made-up benchmark)."])
    assert uncited_numbers(rel) == []
