"""The output-format registry and the machine formats' encoding."""
from __future__ import annotations

import io
import json

import click
import pytest

from karpathy_lint.cli import check, verify_shapes
from karpathy_lint.model import Edit, Finding, Fix
from karpathy_lint.report import FORMATS, Run, finding_dict, render

FINDINGS = [
    Finding("a.py", n, 1, n, 4, "KL202", "function-list-missing", f"finding {n} \u00e9",
            fix=Fix("safe", (Edit(0, 0, "x", n, 1, n, 1),), "add")) for n in range(1, 300)
]


class CountingStream(io.StringIO):
    def __init__(self):
        super().__init__()
        self.writes = 0

    def write(self, s):
        self.writes += 1
        return super().write(s)


@pytest.mark.parametrize("fmt", ["json", "json-lines", "sarif"])
def test_machine_formats_are_encoded_once_and_written_once(fmt):
    # one encoder call and one write per document: not one write per token (issue 14)
    stream = CountingStream()
    render(fmt, Run(findings=FINDINGS, files_checked=1), stream)
    assert stream.writes == 1
    text = stream.getvalue()
    if fmt == "json":
        assert json.loads(text) == [finding_dict(f) for f in FINDINGS]
    elif fmt == "json-lines":
        assert [json.loads(line) for line in text.splitlines()] == [finding_dict(f) for f in FINDINGS]
    else:
        assert len(json.loads(text)["runs"][0]["results"]) == len(FINDINGS)
    assert "\u00e9" in text  # not \\u-escaped


def test_cli_choices_come_from_the_registry():
    for command in (check, verify_shapes):
        fmt = next(p for p in command.params if p.name == "fmt")
        assert isinstance(fmt.type, click.Choice) and tuple(fmt.type.choices) == tuple(FORMATS)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_registered_format_renders(fmt):
    stream = io.StringIO()
    render(fmt, Run(findings=FINDINGS[:2], files_checked=1), stream)
    assert "a.py" in stream.getvalue()
