"""A notebook as one virtual Python source, and the map back to its cells.

The header markdown cell (the first markdown cell holding the `Module:`
line or the opening tag) becomes the module docstring, as a raw string so
LaTeX backslashes mean nothing; the Python code cells follow in order, their
IPython syntax masked (same length). The Python parser and every rule run on
that source unchanged; `CellMap` turns its byte offsets back into (cell,
line, column) of the notebook, and `place` moves findings there.

Cells that are not Python (markdown other than the header, raw cells,
`%%bash`/`%%writefile`/... cells, every cell of a non-Python kernel) are not
in the virtual source: neither linted nor counted.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from karpathy_lint.model import Edit, Finding, SourceModel
from karpathy_lint.notebook.document import Cell, Notebook, read_notebook
from karpathy_lint.notebook.magics import mask_cell

HEADER_OPEN = b'r"""'
MODULE_LINE_RE = re.compile(r"^\s*Module:", re.MULTILINE)
_TRIPLE_QUOTES = re.compile(r'"{3,}')


@dataclass(frozen=True)
class Segment:
    vstart: int  # byte range of the cell's source in the virtual source
    vend: int
    cell: int  # 0-based cell index


@dataclass
class CellMap:
    notebook: Notebook
    segments: list[Segment] = field(default_factory=list)
    masked: list[tuple[int, int]] = field(default_factory=list)  # virtual byte ranges of masked IPython syntax
    header_cell: int | None = None
    _starts: list[int] = field(default_factory=list)
    _sources: dict = field(default_factory=dict)

    def add(self, vstart: int, cell: Cell, length: int) -> None:
        self.segments.append(Segment(vstart, vstart + length, cell.index))
        self._starts.append(vstart)

    def cell_bytes(self, index: int) -> tuple[bytes, list[int]]:
        """A cell's source as UTF-8 and the offsets of its line starts."""
        if index not in self._sources:
            data = self.notebook.cells[index].source.encode("utf-8")
            starts = [0] + [m.end() for m in re.finditer(b"\n", data)]
            self._sources[index] = (data, starts)
        return self._sources[index]

    def locate(self, offset: int) -> tuple[int, int]:
        """(cell index, byte offset in its source) of a virtual offset; synthetic text snaps to the nearest cell."""
        k = bisect.bisect_right(self._starts, offset) - 1
        if k < 0:
            seg = self.segments[0]
            return seg.cell, 0
        seg = self.segments[k]
        return seg.cell, min(offset, seg.vend) - seg.vstart

    def segment_of(self, start: int, end: int) -> Segment | None:
        """The segment holding the whole range [start, end], or None (synthetic text, several cells)."""
        k = bisect.bisect_right(self._starts, start) - 1
        if k < 0:
            return None
        seg = self.segments[k]
        return seg if seg.vstart <= start and end <= seg.vend else None

    def position(self, offset: int) -> tuple[int, int, int]:
        """(cell index, 1-based line, 1-based column counted in characters) of a virtual offset."""
        index, at = self.locate(offset)
        data, starts = self.cell_bytes(index)
        line = bisect.bisect_right(starts, at)
        prefix = data[starts[line - 1] : at]
        col = len(prefix) if prefix.isascii() else len(prefix.decode("utf-8", "replace"))
        return index, line, col + 1

    def place(self, model: SourceModel, finding: Finding) -> Finding:
        """The finding with its positions in the notebook: cell number, cell id, line and column in the cell."""
        start = _offset(model, finding.line, finding.column)
        end = _offset(model, finding.end_line, finding.end_column)
        index, line, col = self.position(start)
        end_index, end_line, end_col = self.position(max(end, start))
        if end_index != index:  # a range that runs into the next cell ends with its first cell
            data, starts = self.cell_bytes(index)
            end_line = len(starts)
            end_col = len(data[starts[-1]:].decode("utf-8", "replace")) + 1
        fix = finding.fix
        if fix is not None:
            fix = fix._replace(edits=tuple(self._place_edit(e) for e in fix.edits))
        cell = self.notebook.cells[index]
        return finding._replace(line=line, column=col, end_line=end_line, end_column=end_col,
                                cell=cell.number, cell_id=cell.id, fix=fix)

    def _place_edit(self, e: Edit) -> Edit:
        index, line, col = self.position(e.start)
        _, end_line, end_col = self.position(e.end)
        return e._replace(line=line, column=col, end_line=end_line, end_column=end_col,
                         cell=index + 1)


def _offset(model: SourceModel, line: int, column: int) -> int:
    line = max(1, min(line, len(model.line_starts)))
    start = model.line_start(line)
    text = model.line_text(line)
    return start + len(text[: max(column - 1, 0)].encode("utf-8"))


def is_header_cell(cell: Cell, tag: str) -> bool:
    return cell.cell_type == "markdown" and (f"<{tag}>" in cell.source or bool(MODULE_LINE_RE.search(cell.source)))


def header_index(notebook: Notebook, tag: str) -> int | None:
    for cell in notebook.cells:
        if is_header_cell(cell, tag):
            return cell.index
    return None


def build_virtual(notebook: Notebook, tag: str) -> tuple[bytes, CellMap, set[int]]:
    """(virtual source, cell map, 1-based virtual lines that are IPython syntax rather than code)."""
    cmap = CellMap(notebook)
    parts: list[bytes] = []
    size = 0
    not_code: set[int] = set()
    lines_so_far = 0

    def emit(data: bytes) -> None:
        nonlocal size, lines_so_far
        parts.append(data)
        size += len(data)
        lines_so_far += data.count(b"\n")

    h = header_index(notebook, tag)
    if h is not None:
        cell = notebook.cells[h]
        # quotes that would end the docstring are masked (same length); nothing else of markdown can
        text = _TRIPLE_QUOTES.sub(lambda m: "'" * len(m.group(0)), cell.source).encode("utf-8")
        emit(HEADER_OPEN)
        cmap.add(size, cell, len(text))
        cmap.header_cell = h
        emit(text)
        emit((b"" if text.endswith(b"\n") else b"\n") + b'"""\n')
    if notebook.is_python:
        for cell in notebook.cells:
            if cell.cell_type != "code" or not cell.source.strip():
                continue
            masked = mask_cell(cell.source)
            if masked is None:
                continue
            data = masked.text.encode("utf-8")
            if data.lstrip(b"\r\n")[:1] in (b" ", b"\t"):
                emit(b"if 1:\n")  # IPython dedents a cell whose first line is indented; a block takes it as is
            first_line = lines_so_far + 1
            not_code.update(first_line + n for n in masked.magic_lines)
            cmap.masked.extend((size + a, size + b) for a, b in masked.spans)
            cmap.add(size, cell, len(data))
            emit(data)
            if not data.endswith(b"\n"):
                emit(b"\n")
    return b"".join(parts), cmap, not_code


def parse_notebook(path: str, source: bytes, text: str, settings) -> SourceModel:
    """The notebook's virtual Python source parsed into a SourceModel; `model.cells` maps it back."""
    from karpathy_lint.parse.python import parse_python

    notebook = read_notebook(text)
    virtual, cmap, not_code = build_virtual(notebook, settings.tag)
    model = parse_python(path, virtual, virtual.decode("utf-8"), settings, not_code=not_code)
    if cmap.header_cell is None and model.header is not None:
        model.header = None  # a docstring in a code cell is not the notebook's header
    # text a fix writes into the header cell takes that cell's line ending, not another cell's
    newline = "\r\n" if cmap.header_cell is not None and "\r\n" in notebook.cells[cmap.header_cell].source else "\n"
    model.newline = newline
    if model.header is not None:
        model.header.newline = newline
    model.cells = cmap if cmap.segments else None
    return model


def grammar():
    """The tree-sitter grammar a notebook is parsed with: Python's (loaded once; workers inherit it)."""
    from karpathy_lint.parse.python import grammar as python_grammar

    return python_grammar()


def cell_map(model: SourceModel) -> CellMap | None:
    """The model's map back to the notebook's cells (None for a file that is not a notebook)."""
    return model.cells if isinstance(model.cells, CellMap) else None
