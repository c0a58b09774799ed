"""A notebook's page, as data: its cells in order, from the linter's model of the notebook.

The model of a notebook is its Python code cells as one virtual source
(karpathy_lint/notebook/virtual.py); `cell_map` takes its lines back to the
cells. The page's lines are every code cell's source lines, cell after cell,
unchanged (a cell the linter skips, `%%bash` and the like, is shown too).
Markdown cells are prose: the header cell is the page's header, any other
markdown cell is the prose of the first block of the code cell after it (a
markdown cell with no code after it gets a block with no lines). Inside a
code cell, each own-line `Karpathy:` note starts a block, as in a `.py` file.
"""
from __future__ import annotations

from karpathy_lint.files import InputError
from karpathy_lint.model import Finding, SourceModel
from karpathy_lint.notebook.virtual import CellMap
from karpathy_lint.render.page import Aside, Block, Page, badges_of, entries_of, header_parts, source_lines


def _cell_lines(source: str) -> list[str]:
    """A cell's lines as the DOM contract states them: `\\n` splits, line endings dropped."""
    if not source:
        return []
    lines = source.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def _to_page_line(model: SourceModel, cmap: CellMap, first_of: dict[int, int], vline: int) -> int | None:
    """The page line of a virtual line, or None when it is not in a code cell (the header, `if 1:`)."""
    start = model.line_start(vline)
    seg = cmap.segment_of(start, start)
    if seg is None or seg.cell not in first_of:
        return None
    _, line, _ = cmap.position(start)
    return first_of[seg.cell] + line - 1


def build_notebook_page(model: SourceModel, cmap: CellMap, rel: str, findings: list[Finding],
                        error: str | None = None) -> Page:
    """The page of a notebook (`cmap`: its `cell_map`); InputError for a notebook whose kernel is not Python."""
    notebook = cmap.notebook
    if not notebook.is_python:
        raise InputError(f"not a Python notebook (kernel language: {notebook.language}): not rendered")
    lines: list[str] = []
    first_of: dict[int, int] = {}  # code cell index -> its first page line
    for cell in notebook.cells:
        if cell.cell_type == "code":
            first_of[cell.index] = len(lines) + 1
            lines.extend(_cell_lines(cell.source))

    def page_line(vline: int) -> int | None:
        return _to_page_line(model, cmap, first_of, vline)

    anchors, badges = _anchors_and_badges(model, page_line)
    notes = [(page_line(note.line), note) for note in model.notes if note.status == "ok"]
    final = model.notes[-1] if model.notes else None
    closing = final if final is not None and final.own_line and final.line > model.last_code_line else None
    title, header = header_parts(model)
    blocks: list[Block] = []
    if cmap.header_cell is not None:
        blocks.append(Block(1, 0, kind="header"))
    pending: list[str] = []  # markdown cells waiting for the code cell they introduce
    for cell in notebook.cells:
        if cell.index == cmap.header_cell:
            continue
        if cell.cell_type == "markdown":
            if cell.source.strip():
                pending.append(cell.source.strip())
            continue
        if cell.cell_type != "code":
            continue  # raw cells are neither code nor prose
        first = first_of[cell.index]
        cell_blocks = _cell_blocks(lines, first, first + len(_cell_lines(cell.source)) - 1, notes, closing)
        if pending:
            cell_blocks[0].prose = "\n\n".join(pending + ([cell_blocks[0].prose] if cell_blocks[0].prose else []))
            pending = []
        blocks.extend(cell_blocks)
    if pending:
        blocks.append(Block(len(lines) + 1, len(lines), prose="\n\n".join(pending), kind="markdown"))
    return Page(
        path=model.path, rel=rel, language="python", lines=lines, title=title or rel, header=header,
        entries=entries_of(model, anchors), blocks=blocks, anchors=anchors, badges=badges,
        findings=findings, error=error, code_lines=model.code_lines, notes=len(model.notes),
        cell_starts={index + 1: line for index, line in first_of.items()},
    )


def _anchors_and_badges(model: SourceModel, page_line) -> tuple[dict[int, str], dict[int, list[str]]]:
    """Page line -> the anchor of the definition there (first wins), and -> its finding badges."""
    anchors: dict[int, str] = {}
    seen: set[str] = set()
    for d in model.definitions:
        n, ident = page_line(d.line), f"def-{d.qualname}"
        if n is not None and ident not in seen and n not in anchors:
            seen.add(ident)
            anchors[n] = ident
    badges: dict[int, list[str]] = {}
    for vline, found in badges_of(model, source_lines(model)).items():
        n = page_line(vline)
        if n is not None:
            badges.setdefault(n, []).extend(found)
    return anchors, badges


def _cell_blocks(lines: list[str], first: int, last: int, notes, closing) -> list[Block]:
    """One code cell (page lines first..last) cut at its own-line notes, each note the prose of the code below
    it; end-of-line notes become asides of the block that holds their line."""
    cuts = [(n, note) for n, note in notes if n is not None and first <= n <= last and note.own_line]
    blocks: list[Block] = []
    if not cuts or any(lines[k - 1].strip() for k in range(first, cuts[0][0])):
        blocks.append(Block(first, (cuts[0][0] - 1) if cuts else last))
    for i, (n, note) in enumerate(cuts):
        end = cuts[i + 1][0] - 1 if i + 1 < len(cuts) else last
        start = first if not blocks else n
        blocks.append(Block(start, end, prose=note.text, kind="closing" if note is closing else "code"))
    if not blocks:
        blocks.append(Block(first, last))
    for n, note in notes:
        if n is not None and not note.own_line:
            for block in blocks:
                if block.first <= n <= block.last:
                    block.asides.append(Aside(n, note.text))
                    break
    return blocks
