"""Edits on an open notebook's cells: a fix's byte edits moved into the cells they fall in.

A notebook is fixed the way `--fix` fixes an `.ipynb` (`notebook.fix`): each edit
the rules make on the notebook's virtual Python source is moved into the one
cell it falls in, then converted through that cell's own text. A fix with an
edit that no cell holds (the docstring quotes around the header), that spans
cells or touches masked IPython syntax is not offered at all: an editor never
gets an edit that could damage a cell.
"""
from __future__ import annotations

from lsprotocol import types

from karpathy_lint.engine import lint_source
from karpathy_lint.files import InputError
from karpathy_lint.server.edits import diff_edits, documents_edit, fix_edits
from karpathy_lint.server.notebooks import NotebookView, notebook_json
from karpathy_lint.server.positions import TextIndex


def _cell_index(view: NotebookView, i: int, encoding: str) -> TextIndex:
    return TextIndex(view.cells[i].text, encoding, strip_bom=False)


def fix_edit(view: NotebookView, settings, edits, encoding: str, capabilities) -> types.WorkspaceEdit | None:
    """A fix's edits (offsets into the virtual source) as one workspace edit on the cells, or None."""
    from karpathy_lint.notebook.document import read_notebook
    from karpathy_lint.notebook.fix import cell_edits
    from karpathy_lint.notebook.virtual import build_virtual

    _, cmap, _ = build_virtual(read_notebook(view.text), settings.tag)  # the source the findings were made on
    mapped = cell_edits(cmap, edits, strict=True)
    if not mapped:
        return None
    docs = []
    for i in sorted(mapped):
        cell = view.cells[i]
        docs.append((cell.uri, cell.version, fix_edits(_cell_index(view, i, encoding), mapped[i])))
    return documents_edit(docs, capabilities)


def fix_all_edit(view: NotebookView, path: str, settings, encoding: str,
                 capabilities) -> tuple[types.WorkspaceEdit, int] | None:
    """Every safe fix, as `--fix` applies them to the `.ipynb`, as edits on the cells that change."""
    from karpathy_lint.notebook.document import read_notebook
    from karpathy_lint.notebook.fix import fix_notebook

    try:
        fixed, applied = fix_notebook(path, view.text.encode("utf-8"), settings, unsafe=False)
        cells = read_notebook(fixed.decode("utf-8")).cells
    except InputError:
        return None
    if not applied or len(cells) != len(view.cells):
        return None
    docs = []
    for i, (old, new) in enumerate(zip(view.cells, cells)):
        if new.source != old.text:
            docs.append((old.uri, old.version, diff_edits(_cell_index(view, i, encoding), new.source.encode("utf-8"))))
    return (documents_edit(docs, capabilities), applied) if docs else None


def relint_with_cell(view: NotebookView, path: str, settings, cell_uri: str):
    """`body -> FileResult`: the notebook linted with the cell's text replaced by `body` (for suppressions)."""
    import dataclasses

    def relint(body: bytes):
        cells = [dataclasses.replace(c, text=body.decode("utf-8", "surrogatepass")) if c.uri == cell_uri else c
                 for c in view.cells]
        return lint_source(path, notebook_json(cells).encode("utf-8"), settings)

    return relint

