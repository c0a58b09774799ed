"""`karpathy-scaffold nb.ipynb`: the header as a markdown cell, every other byte kept.

A notebook without a header cell gets one, inserted first: the `Module:`
line (the title from `--module`, else the notebook's first markdown heading,
else the file name), the tag pair, the three section titles with
placeholders, and the Function List that the linter asks for (KL202 fills
it, as for a Python file). A notebook with a header cell gets only its
Function List merged (KL202/KL203/KL206). The write goes through
`karpathy_lint.notebook.write`, which changes only the header cell's bytes
(plus the inserted cell), checks that, and validates the result with
nbformat. A second run changes nothing.
"""
from __future__ import annotations

import re

from karpathy_lint.engine import build_model, lint_source
from karpathy_lint.files import InputError, decode, split_bom
from karpathy_lint.notebook.document import Notebook, read_notebook
from karpathy_lint.notebook.fix import fix_notebook
from karpathy_lint.notebook.virtual import cell_map, header_index
from karpathy_lint.notebook.write import write_cells

from .header_parts import (
    Result,
    ScaffoldError,
    check_title,
    default_title,
    header_lines,
    merge_settings,
)

ATX_RE = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
SETEXT_RE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")


def first_heading(notebook: Notebook) -> str | None:
    """The text of the first markdown heading (`# Title` or a setext `Title\\n=====`), or None."""
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        lines = cell.source.replace("\r\n", "\n").split("\n")
        for i, line in enumerate(lines):
            m = ATX_RE.match(line)
            if m and m.group(1).strip():
                return m.group(1).strip()
            if i + 1 < len(lines) and line.strip() and SETEXT_RE.match(lines[i + 1]) and not line.startswith("    "):
                return line.strip()
    return None


def _read(body: bytes) -> Notebook:
    try:
        return read_notebook(decode(body))
    except InputError as exc:
        raise ScaffoldError(str(exc)) from None


def _merge(path: str, body: bytes, settings) -> bytes:
    settings = merge_settings(settings)
    try:
        new, _ = fix_notebook(path, body, settings, unsafe=False)
    except InputError as exc:
        raise ScaffoldError(str(exc)) from None
    if new != body:
        left = [f for f in lint_source(path, new, settings).findings if f.fix is not None]
        if left:
            raise ScaffoldError(f"the Function List does not settle: cell {left[0].cell} line {left[0].line}: "
                                f"{left[0].message}; write those entries by hand")
    return new


def _check(path: str, old: Notebook, new_body: bytes, settings, inserted: bool) -> None:
    """The linter reads the header cell back, and no cell but the header cell changed its source."""
    try:
        model = build_model(path, new_body, settings)
    except InputError as exc:  # pragma: no cover - write_cells validated it already
        raise ScaffoldError(f"internal check failed: {exc}") from None
    if model.syntax_error is not None:
        raise ScaffoldError(f"the header would break parsing (line {model.syntax_error.line}); file left untouched")
    if model.header is None or not model.header.is_convention_header or model.header.module_line is None:
        raise ScaffoldError("the linter would not read the new cell as the header; write it by hand")
    cmap = cell_map(model)
    new = cmap.notebook if cmap is not None else _read(new_body)
    h = header_index(new, settings.tag)
    shift = 1 if inserted else 0
    for cell in old.cells:
        if cell.index + shift != h and new.cells[cell.index + shift].source != cell.source:
            raise ScaffoldError(f"internal check failed: cell {cell.number} would change; file left untouched")


def scaffold_notebook(path: str, source: bytes, settings, module: str | None = None) -> Result:
    """Scaffold one notebook's bytes; raises ScaffoldError (and changes nothing) when it cannot."""
    bom, body = split_bom(source)
    notebook = _read(body)
    if not notebook.is_python:
        raise ScaffoldError(f"not a Python notebook (kernel language {notebook.language!r}): nothing to scaffold")
    try:
        model = build_model(path, body, settings)
    except InputError as exc:  # pragma: no cover - read above
        raise ScaffoldError(str(exc)) from None
    if model.syntax_error is not None:
        e = model.syntax_error
        cmap = cell_map(model)
        where = cmap.position(model.line_start(e.line)) if cmap is not None else None
        at = f"cell {where[0] + 1}, line {where[1]}" if where else f"line {e.line}"
        raise ScaffoldError(f"syntax error in {at}: {e.message}")
    if header_index(notebook, settings.tag) is not None:
        new = _merge(path, body, settings)
        if new != body:
            _check(path, notebook, new, settings, inserted=False)
        return Result(path, "merged" if new != body else "unchanged", source, bom + new)
    title = check_title(module if module is not None else (first_heading(notebook) or default_title(path)))
    try:
        text = write_cells(notebook, {}, header="\n".join(header_lines(title, settings)))
    except InputError as exc:
        raise ScaffoldError(str(exc)) from None
    new = _merge(path, text.encode("utf-8"), settings)
    _check(path, notebook, new, settings, inserted=True)
    return Result(path, "header added", source, bom + new)

