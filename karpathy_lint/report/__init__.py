"""Output formats: one registry that the CLI choices and the renderer both read.

Each format names its renderer (imported only when that format is used) and
whether it is for people (`human`: coloured on a terminal, summary line,
hidden by `--diff`) or for machines (stdout holds the report and nothing
else). Every renderer is called as `render(run, stream, color=..., summary=...)`.
Adding a format is one `OutputFormat` below plus its renderer.
"""
from __future__ import annotations

import importlib
from typing import NamedTuple, TextIO

from karpathy_lint.model import Finding


class OutputFormat(NamedTuple):
    name: str
    renderer: str  # "module:function"
    human: bool


FORMATS: dict[str, OutputFormat] = {
    f.name: f
    for f in (
        OutputFormat("text", "karpathy_lint.report.text:render_text", human=True),
        OutputFormat("concise", "karpathy_lint.report.text:render_concise", human=True),
        OutputFormat("json", "karpathy_lint.report.json:render_json", human=False),
        OutputFormat("json-lines", "karpathy_lint.report.json:render_json_lines", human=False),
        OutputFormat("github", "karpathy_lint.report.github:render_github", human=False),
        OutputFormat("sarif", "karpathy_lint.report.sarif:render_sarif", human=False),
    )
}
FORMAT_NAMES = tuple(FORMATS)


class Run:
    """What a run reports: its findings, the files it checked, the errors (path, message) and fixes."""

    __slots__ = ("findings", "files_checked", "errors", "fixed")

    def __init__(self, findings: list[Finding] | None = None, files_checked: int = 0,
                 errors: list[tuple[str, str]] | None = None, fixed: int = 0) -> None:
        self.findings = findings if findings is not None else []
        self.files_checked = files_checked
        self.errors = errors if errors is not None else []
        self.fixed = fixed


def finding_dict(f: Finding) -> dict:
    fix = None
    if f.fix is not None:
        fix = {
            "applicability": f.fix.applicability,
            "message": f.fix.message,
            "edits": [_edit_dict(e) for e in f.fix.edits],
        }
    out = {
        "path": f.path, "line": f.line, "column": f.column, "end_line": f.end_line, "end_column": f.end_column,
        "code": f.code, "name": f.name, "message": f.message, "severity": f.severity, "fix": fix,
    }
    if f.cell is not None:  # notebooks: line and column count inside this cell
        out["cell"] = f.cell
        if f.cell_id is not None:
            out["cell_id"] = f.cell_id
    return out


def _edit_dict(e) -> dict:
    out = {"line": e.line, "column": e.column, "end_line": e.end_line, "end_column": e.end_column,
           "content": e.content}
    if e.cell is not None:
        out["cell"] = e.cell
    return out


def cell_prefix(f: Finding) -> str:
    """`cell 4, line 6, col 5: ` for a notebook finding (formats without a cell field), else empty."""
    return f"cell {f.cell}, line {f.line}, col {f.column}: " if f.cell is not None else ""


def render(fmt: str, run: Run, stream: TextIO, color: bool = False, summary: bool = True) -> None:
    """Write `run` to `stream` in format `fmt` (a key of FORMATS)."""
    module, _, function = FORMATS[fmt].renderer.partition(":")
    getattr(importlib.import_module(module), function)(run, stream, color=color, summary=summary)
