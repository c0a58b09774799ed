"""`--format text` (and `concise`): `path:line:col: CODE name message`.

Coloured with rich on a terminal only; plain text everywhere else.
"""
from __future__ import annotations

from karpathy_lint.report import Run


def _summary(run: Run) -> str:
    n = len(run.findings)
    fixable = sum(1 for f in run.findings if f.fix is not None and f.fix.applicability == "safe")
    unsafe = sum(1 for f in run.findings if f.fix is not None and f.fix.applicability == "unsafe")
    files = f"{run.files_checked} file{'s' if run.files_checked != 1 else ''}"
    parts = []
    if run.fixed:
        parts.append(f"Fixed {run.fixed} finding{'s' if run.fixed != 1 else ''}.")
    if n == 0 and not run.errors:
        parts.append(f"All checks passed ({files} checked).")
        return " ".join(parts)
    text = f"Checked {files}: {n} finding{'s' if n != 1 else ''}"
    if fixable:
        text += f" ({fixable} fixable with --fix"
        text += f", {unsafe} more with --unsafe-fixes)" if unsafe else ")"
    elif unsafe:
        text += f" ({unsafe} fixable with --fix --unsafe-fixes)"
    if run.errors:
        text += f", {len(run.errors)} file{'s' if len(run.errors) != 1 else ''} could not be checked"
    parts.append(text + ".")
    return " ".join(parts)


def _line(f, concise: bool) -> tuple[str, str, str, str]:
    mark = " [*]" if f.fix is not None and f.fix.applicability == "safe" else ""
    cell = f"cell {f.cell}:" if f.cell is not None else ""
    return f"{f.path}:{cell}{f.line}:{f.column}:", f.code, "" if concise else f.name, f"{f.message}{mark}"


def render_text(run: Run, stream, *, color: bool = False, summary: bool = True) -> None:
    """One line per finding, then the summary line (unless `summary=False`)."""
    _render(run, stream, color=color, concise=False, summary=summary)


def render_concise(run: Run, stream, *, color: bool = False, summary: bool = True) -> None:
    """As `render_text`, without the rule names."""
    _render(run, stream, color=color, concise=True, summary=summary)


def _render(run: Run, stream, *, color: bool, concise: bool, summary: bool) -> None:
    if color:
        from rich.console import Console
        from rich.markup import escape

        console = Console(file=stream, highlight=False, soft_wrap=True)
        for f in run.findings:
            where, code, name, message = _line(f, concise)
            name_part = f" [magenta]{escape(name)}[/]" if name else ""
            console.print(f"[bold]{escape(where)}[/] [red]{code}[/]{name_part} {escape(message)}")
        if summary:
            style = "green" if not run.findings and not run.errors else "bold"
            console.print(f"[{style}]{escape(_summary(run))}[/]")
        return
    for f in run.findings:  # streamed: a report of 100k findings is never held in memory
        where, code, name, message = _line(f, concise)
        stream.write(f"{where} {code}{' ' + name if name else ''} {message}\n")
    if summary:
        stream.write(_summary(run) + "\n")
