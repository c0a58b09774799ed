"""One reporter per output format. Each takes the run and writes to a stream."""
from __future__ import annotations

from dataclasses import dataclass, field

from karpathy_lint.model import Finding

FORMATS = ("text", "concise", "json", "json-lines", "github", "sarif")


@dataclass
class Run:
    findings: list[Finding] = field(default_factory=list)
    files_checked: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)  # (path, message)
    fixed: int = 0
    show_fixes: bool = False
    statistics: bool = False


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


def render(fmt: str, run: Run, stream, color: bool) -> None:
    if fmt in ("text", "concise"):
        from karpathy_lint.report.text import render_text

        render_text(run, stream, color=color, concise=fmt == "concise")
    elif fmt == "json":
        from karpathy_lint.report.json import render_json

        render_json(run, stream)
    elif fmt == "json-lines":
        from karpathy_lint.report.json import render_json_lines

        render_json_lines(run, stream)
    elif fmt == "github":
        from karpathy_lint.report.github import render_github

        render_github(run, stream)
    elif fmt == "sarif":
        from karpathy_lint.report.sarif import render_sarif

        render_sarif(run, stream)
    else:  # pragma: no cover - click validates the choice
        raise ValueError(fmt)
