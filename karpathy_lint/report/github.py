"""`--format github`: GitHub Actions workflow commands, one annotation a finding."""
from __future__ import annotations

from karpathy_lint.report import Run, cell_prefix


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(run: Run, stream, *, color: bool = False, summary: bool = True) -> None:
    """One `::error` per finding. A notebook finding is a file-level annotation (no line: a line inside a
    cell is not a line of the .ipynb file) whose message starts with `cell N, line L, col C:`."""
    for f in run.findings:
        if f.cell is not None:
            stream.write(
                f"::error title={_escape_property(f'karpathy-lint {f.code} (cell {f.cell})')},"
                f"file={_escape_property(f.path)}::"
                f"{_escape_data(f'{cell_prefix(f)}{f.code} {f.name}: {f.message}')}\n"
            )
            continue
        stream.write(
            f"::error title={_escape_property('karpathy-lint ' + f.code)},file={_escape_property(f.path)},"
            f"line={f.line},col={f.column},endLine={f.end_line},endColumn={f.end_column}::"
            f"{_escape_data(f'{f.code} {f.name}: {f.message}')}\n"
        )
