"""Per-cell unified diffs of two versions of a notebook, with `path:cell N` headers.

A notebook's JSON diff is unreadable; what changed is cell sources. Cells
are matched in order by type and source (difflib); a changed cell is a hunk
`--- a/nb.ipynb:cell 3` / `+++ b/nb.ipynb:cell 4` (numbers as a reader counts
cells, in the old and the new notebook), an inserted cell comes from
`/dev/null`.
"""
from __future__ import annotations

import difflib

from karpathy_lint.diff import text_diff
from karpathy_lint.files import split_bom
from karpathy_lint.notebook.document import Notebook, read_notebook


def notebook_diff(path: str, old: bytes | None, new: bytes) -> str:
    """The per-cell diff from `old` (None: no notebook yet) to `new`."""
    before = read_notebook(split_bom(old)[1].decode("utf-8")) if old is not None else None
    after = read_notebook(split_bom(new)[1].decode("utf-8"))
    return cells_diff(path, before, after)


def cells_diff(path: str, before: Notebook | None, after: Notebook) -> str:
    a = before.cells if before is not None else []
    b = after.cells
    key = [(c.cell_type, c.source) for c in a], [(c.cell_type, c.source) for c in b]
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, *key, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        pairs = min(i2 - i1, j2 - j1)
        for k in range(pairs):
            old, new = a[i1 + k], b[j1 + k]
            out.append(text_diff(f"a/{path}:cell {old.number}", f"b/{path}:cell {new.number}", old.source, new.source))
        for old in a[i1 + pairs : i2]:
            out.append(text_diff(f"a/{path}:cell {old.number}", "/dev/null", old.source, ""))
        for new in b[j1 + pairs : j2]:
            out.append(text_diff("/dev/null", f"b/{path}:cell {new.number}", "", new.source))
    return "".join(out)
