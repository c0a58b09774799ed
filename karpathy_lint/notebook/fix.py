"""`--fix` on a notebook: the rules' byte edits, moved from the virtual source into the cells.

Each round parses the notebook, takes the fixes the rules offer (as for a
Python file), maps every edit into the one cell it falls in and writes the
changed cell sources back with `write.write_cells` (nothing else changes).
An edit that touches text no cell holds (the docstring quotes around the
header) or masked IPython syntax is dropped.
"""
from __future__ import annotations

from karpathy_lint.engine import build_model, check_model
from karpathy_lint.files import split_bom
from karpathy_lint.fixes import apply_edits, select_fixes
from karpathy_lint.model import Edit
from karpathy_lint.notebook.virtual import CellMap, cell_map
from karpathy_lint.notebook.write import write_cells

MAX_ROUNDS = 10


def cell_edits(cmap: CellMap, edits, strict: bool = False) -> dict[int, list[Edit]] | None:
    """0-based cell index -> the edits that fall in that cell, as byte offsets into its source.

    An edit that touches text no cell holds, spans cells or touches masked IPython syntax is
    dropped; with `strict`, the answer is then None (a fix that cannot be moved whole is no fix).
    """
    by_cell: dict[int, list[Edit]] = {}
    for e in edits:
        end = e.end
        seg = cmap.segment_of(e.start, e.end)
        if seg is None:
            # a deletion that runs past the cell's end into the line ending the virtual source added
            seg = cmap.segment_of(e.start, e.start)
            if seg is None or e.start == e.end or end > seg.vend + 1:
                if strict:
                    return None
                continue
            end = seg.vend
        lo, hi = e.start, max(end, e.start + 1)
        if any(a < hi and lo < b for a, b in cmap.masked):
            if strict:
                return None
            continue
        by_cell.setdefault(seg.cell, []).append(Edit(e.start - seg.vstart, end - seg.vstart, e.content))
    return by_cell


def cell_changes(cmap: CellMap, edits: list[Edit]) -> dict[int, str]:
    """0-based cell index -> the cell's new source, for the edits that fall inside one cell each."""
    out = {}
    for index, edits_here in (cell_edits(cmap, edits) or {}).items():
        data, _ = cmap.cell_bytes(index)
        out[index] = apply_edits(data, edits_here).decode("utf-8")
    return out


def fix_notebook(path: str, source: bytes, settings, unsafe: bool = False) -> tuple[bytes, int]:
    """(fixed notebook bytes, fixes applied); raises InputError (one line) when it cannot write safely."""
    bom, body = split_bom(source)
    applied = 0
    for _ in range(MAX_ROUNDS):
        model = build_model(path, body, settings)
        cmap = cell_map(model)
        if model.syntax_error is not None or cmap is None:
            break
        edits = select_fixes(check_model(model, settings), unsafe)
        changes = cell_changes(cmap, edits)
        if not changes:
            break
        text = write_cells(cmap.notebook, changes)
        new_body = text.encode("utf-8")
        if new_body == body:
            break
        applied += len({(e.start, e.end, e.content) for e in edits})
        body = new_body
    return bom + body, applied
