"""The corpus speaks to the reader about DeepSeek, not about this project or the machine it was written on.

- No reader-facing mention of project-internal documents (the guide the project started from, the
  facts sheet, file paths of this workspace): a file states the fact and its DeepSeek source.
- No remarks about the machine ("2 busy cores", "written without a GPU") and no pinned tool versions
  in prose: say what the code needs.
- The closing marker comment is one line that ends on the file's technical takeaway, not on praise.
"""
from __future__ import annotations

import re

import pytest
from corpus_helpers import CORPUS, corpus_files

FORBIDDEN = {
    "project-internal document": r"seed guide|\bin the seed\b|\bthe seed's\b|\bseeds/|facts? sheet|deepseek-facts"
                                 r"|convention\.md|/work/|guide this corpus|corpus started from",
    "remark about the machine": r"\b(?:2|two) (?:busy )?cores\b|busy cores|this machine|our machine"
                                r"|written without a GPU|no GPU here|we have no (?:GPU|H800|H100)",
    "tool version pinned in prose": r"\btorch \d+\.\d+",
}
PRAISE = re.compile(r"\b(?:lovely|neat|nice|cool|elegant|beautiful|well engineered|impressive|tbh|pretty|"
                    r"amazing|clever|gorgeous)\b|¯\\_\(ツ\)_/¯", re.I)


def voice_problems(text: str) -> list[str]:
    found = []
    for kind, pattern in FORBIDDEN.items():
        for m in re.finditer(pattern, text, re.I):
            line = text.count("\n", 0, m.start()) + 1
            found.append(f"line {line}: {kind}: {m.group(0)!r}")
    return found


def closing_comment(text: str, suffix: str) -> list[str]:
    """The comment lines after the file's last line of code."""
    marker = "#" if suffix == ".py" else "//"
    lines = [line for line in text.rstrip("\n").splitlines() if line.strip()]
    tail = []
    while lines and lines[-1].lstrip().startswith(marker):
        tail.insert(0, lines.pop().strip())
    return tail


@pytest.mark.parametrize("rel", corpus_files())
def test_no_internal_documents_machine_remarks_or_version_pins(rel):
    problems = voice_problems((CORPUS / rel).read_text(encoding="utf-8"))
    assert not problems, f"{rel}:\n" + "\n".join(problems)


@pytest.mark.parametrize("rel", corpus_files())
def test_closing_line_is_one_technical_line(rel):
    path = CORPUS / rel
    tail = closing_comment(path.read_text(encoding="utf-8"), path.suffix)
    marker = "# Karpathy: " if path.suffix == ".py" else "// Karpathy: "
    assert len(tail) == 1 and tail[0].startswith(marker), f"{rel}: closing comment is {tail!r}"
    assert not PRAISE.search(tail[0]), f"{rel}: closing line praises instead of stating the takeaway: {tail[0]!r}"
    assert len(tail[0].split()) >= 8, f"{rel}: closing line too short to carry a takeaway: {tail[0]!r}"


def test_the_checks_catch_what_they_are_for():
    assert voice_problems("As the seed guide says, on 2 busy cores with torch 2.13 it works.") == [
        "line 1: project-internal document: 'seed guide'",
        "line 1: remark about the machine: '2 busy cores'",
        "line 1: tool version pinned in prose: 'torch 2.13'",
    ]
    assert voice_problems("the inode keeps the range and the seed") == []  # a random seed is fine
    tail = closing_comment("x = 1\n# Karpathy: Two all-to-alls and careful counting.\n# Very well engineered.\n", ".py")
    assert len(tail) == 2 and PRAISE.search(tail[1])
