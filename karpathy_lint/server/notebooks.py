"""Open notebooks (LSP 3.17 notebook document sync): their cells, each a text document of its own.

The editor sends a notebook as a list of cells, each with the uri, version and
text of its cell text document (`vscode-notebook-cell:...`). Every version of
an open notebook is seen as a `NotebookView`: the cells in order and the
notebook they make, written as nbformat 4 JSON so the linter reads it exactly
as it reads an `.ipynb` file (same virtual source, same rules, findings in
cell coordinates). A finding's 1-based `cell` is then the index of the cell
document it belongs to.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from lsprotocol import types

from karpathy_lint.server.documents import uri_to_path
from karpathy_lint.server.positions import apply_changes

NOTEBOOK_TYPE = "jupyter-notebook"
# the cells the linter reads: Python code cells, and markdown cells (the header is one)
CELL_LANGUAGES = ("python", "markdown")
SYNC_OPTIONS = types.NotebookDocumentSyncOptions(
    notebook_selector=[types.NotebookDocumentFilterWithNotebook(
        notebook=NOTEBOOK_TYPE, cells=[types.NotebookCellLanguage(language=lang) for lang in CELL_LANGUAGES])],
    save=True,
)
_KERNEL = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
           "language_info": {"name": "python"}}


@dataclass(frozen=True)
class CellDoc:
    uri: str
    markup: bool  # a markdown cell (NotebookCellKind.Markup), else a code cell
    language_id: str
    text: str
    version: int


def _cell_json(cell: CellDoc) -> dict:
    if cell.markup:
        return {"cell_type": "markdown", "metadata": {}, "source": cell.text}
    if cell.language_id == "python":
        return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": cell.text}
    return {"cell_type": "raw", "metadata": {}, "source": cell.text}  # counted, never linted as Python


def notebook_json(cells) -> str:
    """The notebook the cells make, as nbformat 4 JSON (what the linter reads)."""
    data = {"cells": [_cell_json(c) for c in cells], "metadata": _KERNEL, "nbformat": 4, "nbformat_minor": 4}
    return json.dumps(data, ensure_ascii=False, indent=1)


@dataclass(frozen=True)
class NotebookView:
    """One version of one open notebook: what a lint job sees (immutable, safe on the worker thread)."""

    uri: str
    path: str | None
    version: int
    cells: tuple[CellDoc, ...]
    text: str = ""  # the notebook as JSON (set by `view`)
    language_id: str = NOTEBOOK_TYPE

    def cell(self, uri: str) -> CellDoc | None:
        return next((c for c in self.cells if c.uri == uri), None)


@dataclass
class _Open:
    uri: str
    version: int
    cells: list[types.NotebookCell]
    texts: dict[str, types.TextDocumentItem] = field(default_factory=dict)  # cell uri -> its text document
    view: NotebookView | None = None


class Notebooks:
    """The open notebooks, changed by the `notebookDocument/*` notifications (event loop only)."""

    def __init__(self):
        self._open: dict[str, _Open] = {}
        self._cell_owner: dict[str, str] = {}  # cell uri -> notebook uri

    def open(self, params: types.DidOpenNotebookDocumentParams) -> NotebookView:
        nb = params.notebook_document
        state = _Open(nb.uri, nb.version, list(nb.cells))
        for doc in params.cell_text_documents:
            self._put(state, doc)
        self._refresh(state)
        self._open[nb.uri] = state
        assert state.view is not None
        return state.view

    def _put(self, state: _Open, item: types.TextDocumentItem) -> None:
        state.texts[item.uri] = types.TextDocumentItem(uri=item.uri, language_id=item.language_id,
                                                       version=item.version, text=item.text)
        self._cell_owner[item.uri] = state.uri

    def _drop(self, state: _Open, uri: str) -> None:
        state.texts.pop(uri, None)
        if self._cell_owner.get(uri) == state.uri:
            del self._cell_owner[uri]

    def change(self, params: types.DidChangeNotebookDocumentParams, encoding: str) -> list[str]:
        """Apply one change (structure, then cell kinds, then text); returns the uris of cells it removed."""
        state = self._open.get(params.notebook_document.uri)
        if state is None:
            return []
        state.version = params.notebook_document.version
        try:
            return self._apply(state, params.change.cells, encoding)
        finally:
            self._refresh(state)

    def _apply(self, state: _Open, cells: types.NotebookDocumentCellChanges | None, encoding: str) -> list[str]:
        if cells is None:
            return []  # only the notebook's metadata changed: nothing the linter reads
        removed: list[str] = []
        if cells.structure is not None:
            array = cells.structure.array
            state.cells[array.start : array.start + array.delete_count] = list(array.cells or [])
            for ident in cells.structure.did_close or []:  # closed first: a moved cell may close and reopen
                self._drop(state, ident.uri)
                removed.append(ident.uri)
            for item in cells.structure.did_open or []:
                self._put(state, item)
        by_uri = {c.document: i for i, c in enumerate(state.cells)}
        for cell in cells.data or []:
            if cell.document in by_uri:
                state.cells[by_uri[cell.document]] = cell
        for content in cells.text_content or []:
            found = state.texts.get(content.document.uri)
            if found is None:
                continue
            found.text, found.version = apply_changes(found.text, content.changes, encoding), content.document.version
        return [u for u in removed if u not in by_uri]

    def close(self, uri: str) -> list[str]:
        """Forget the notebook; returns the uris of its cells (each gets an empty publish)."""
        state = self._open.pop(uri, None)
        if state is None:
            return []
        cells = [c.document for c in state.cells]
        for u in list(state.texts):
            self._drop(state, u)
        return cells

    def get(self, uri: str) -> NotebookView | None:
        """The notebook's current version (built on the event loop: a lint thread only reads it)."""
        state = self._open.get(uri)
        return state.view if state is not None else None

    @staticmethod
    def _refresh(state: _Open) -> None:
        cells = []
        for c in state.cells:
            item = state.texts.get(c.document)
            if item is None:
                continue  # a cell the client did not sync (another language): not in the notebook we lint
            cells.append(CellDoc(c.document, c.kind == types.NotebookCellKind.Markup, item.language_id,
                                 item.text, item.version))
        state.view = NotebookView(state.uri, uri_to_path(state.uri), state.version, tuple(cells), notebook_json(cells))

    def owner(self, cell_uri: str) -> str | None:
        """The uri of the open notebook holding the cell, or None."""
        return self._cell_owner.get(cell_uri)

    def all(self) -> list[NotebookView]:
        return [s.view for s in list(self._open.values()) if s.view is not None]
