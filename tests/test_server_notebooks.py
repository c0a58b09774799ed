"""Notebooks in `karpathy-lint server`: LSP 3.17 notebook document sync, driven over stdio by pytest-lsp.

The client is VS Code's recorded profile (pytest-lsp ships VS Code 1.65.2, which predates notebook
sync) plus the `notebookDocument.synchronization` capability that vscode-languageclient 8+ declares;
it sends `notebookDocument/*` notifications with `vscode-notebook-cell:` cell uris, as VS Code does.
Every finding is compared with the command line's JSON report on the same notebook written to disk.
Real server process, real nbformat notebooks, no mocks; LSP specification warnings are errors.
"""
from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls")
pytest_lsp = pytest.importorskip("pytest_lsp")
pytest.importorskip("nbformat")

from lsp_client import PROFILES, SERVER, EditorClient, apply_text_edit, code_actions, edits_of, make_client, units_of
from lsprotocol import types
from nbhelp import header_source, jupyter_text, notebook
from pygls.exceptions import JsonRpcInvalidParams
from pytest_lsp import ClientServerConfig, client_capabilities

pytestmark = [pytest.mark.filterwarnings("error::pytest_lsp.LspSpecificationWarning")]

MARKER_LINE = '    s = "😀 中文 ok"  #karpathy: every element times k'
# the defects of tests/test_notebook_lint.py's SEEDED notebook, with emoji and CJK text before a finding
# in a code cell's comment and inside the header (a markdown cell)
CELLS = [
    ("markdown", "# Scaling 😀 中文\n\nIntro."),
    ("markdown", header_source(entries="scale(x) - Multiply every element by k 😀 中文\nScaler(k) - Hold k for later\n"
                                       "Scaler.apply(x) - Scale x by the stored k")),  # stale params of scale
    ("code", "import torch\n%time torch.zeros(1)"),
    ("code", f"def scale(x, k=2):\n{MARKER_LINE}\n    y = x * k\n    return y"),  # malformed marker
    ("code", "class Scaler:\n    def __init__(self, k):\n        # Karpathy: keep k\n        self.k = k\n\n"
             "    def apply(self, x):\n        # Karpathy: the stored k\n        return scale(x, self.k)\n\n"
             "def extra(a, b):\n    return a + b"),  # `extra` missing from the Function List
    ("markdown", "Notes between code cells."),
    ("code", "s = Scaler(3)\ny = s.apply(torch.ones(2, 4))"),  # no closing marker
]


def vscode_with_notebooks() -> types.ClientCapabilities:
    caps = client_capabilities(PROFILES["vscode"])
    caps.notebook_document = types.NotebookDocumentClientCapabilities(
        synchronization=types.NotebookDocumentSyncClientCapabilities(dynamic_registration=True,
                                                                     execution_summary_support=True))
    return caps


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER, client_factory=make_client))
async def client(lsp_client: EditorClient, tmp_path: Path):
    lsp_client.root = tmp_path
    yield
    if lsp_client.exit_code is None and lsp_client.capabilities is not None:
        await lsp_client.shutdown_session()


class Notebook:
    """An open notebook as the editor holds it: cells (uri, kind, text, version), sent as VS Code sends them."""

    def __init__(self, client: EditorClient, path: Path, cells):
        self.client, self.path, self.uri = client, path, path.as_uri()
        self.version = 1
        self._next = 0
        self.cells = [self._cell(kind, text) for kind, text in cells]

    def _cell(self, kind: str, text: str) -> dict:
        self._next += 1  # VS Code's cell uris: the notebook's path, a fragment naming the cell
        return {"uri": f"vscode-notebook-cell:{self.path}#W{self._next}sZmlsZQ%3D%3D", "kind": kind, "text": text,
                "version": 1}

    @staticmethod
    def _lsp_cell(c: dict) -> types.NotebookCell:
        kind = types.NotebookCellKind.Markup if c["kind"] == "markdown" else types.NotebookCellKind.Code
        return types.NotebookCell(kind=kind, document=c["uri"])

    @staticmethod
    def _item(c: dict) -> types.TextDocumentItem:
        lang = "markdown" if c["kind"] == "markdown" else "python"
        return types.TextDocumentItem(uri=c["uri"], language_id=lang, version=c["version"], text=c["text"])

    def uri_of(self, n: int) -> str:
        """The uri of cell `n` (1-based, as the command line counts cells)."""
        return self.cells[n - 1]["uri"]

    def open(self) -> None:
        self.client.notebook_document_did_open(types.DidOpenNotebookDocumentParams(
            notebook_document=types.NotebookDocument(uri=self.uri, notebook_type="jupyter-notebook", version=1,
                                                     cells=[self._lsp_cell(c) for c in self.cells]),
            cell_text_documents=[self._item(c) for c in self.cells]))

    def _change(self, cells: types.NotebookDocumentCellChanges) -> None:
        self.version += 1
        self.client.notebook_document_did_change(types.DidChangeNotebookDocumentParams(
            notebook_document=types.VersionedNotebookDocumentIdentifier(uri=self.uri, version=self.version),
            change=types.NotebookDocumentChangeEvent(cells=cells)))

    def edit(self, n: int, edits: list[types.TextEdit]) -> int:
        """Typing in cell `n`: the edits applied here, sent as incremental changes (last first)."""
        c = self.cells[n - 1]
        ordered = sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True)
        for e in ordered:
            c["text"] = apply_text_edit(c["text"], e, self.client.negotiated)
        c["version"] += 1
        self._change(types.NotebookDocumentCellChanges(text_content=[types.NotebookDocumentCellContentChanges(
            document=types.VersionedTextDocumentIdentifier(uri=c["uri"], version=c["version"]),
            changes=[types.TextDocumentContentChangePartial(range=e.range, text=e.new_text) for e in ordered])]))
        return c["version"]

    def apply(self, edit: types.WorkspaceEdit) -> dict[str, int]:
        """A workspace edit applied cell by cell, as the editor does; cell uri -> its new version."""
        out = {}
        for n, c in enumerate(list(self.cells), start=1):
            edits = edits_of(edit, c["uri"], self.client.capabilities)
            if edits:
                out[c["uri"]] = self.edit(n, edits)
        return out

    def insert(self, at: int, kind: str, text: str) -> str:
        c = self._cell(kind, text)
        self.cells.insert(at, c)
        self._change(types.NotebookDocumentCellChanges(structure=types.NotebookDocumentCellChangeStructure(
            array=types.NotebookCellArrayChange(start=at, delete_count=0, cells=[self._lsp_cell(c)]),
            did_open=[self._item(c)])))
        return c["uri"]

    def delete(self, at: int) -> str:
        c = self.cells.pop(at)
        self._change(types.NotebookDocumentCellChanges(structure=types.NotebookDocumentCellChangeStructure(
            array=types.NotebookCellArrayChange(start=at, delete_count=1),
            did_close=[types.TextDocumentIdentifier(uri=c["uri"])])))
        return c["uri"]

    def move(self, start: int, count: int, order: list[int]) -> None:
        """Reorder cells start..start+count (0-based) to `order` (their indices): one array change, no cell
        closed or opened, as VS Code sends a drag of a cell."""
        moved = [self.cells[i] for i in order]
        self.cells[start : start + count] = moved
        self._change(types.NotebookDocumentCellChanges(structure=types.NotebookDocumentCellChangeStructure(
            array=types.NotebookCellArrayChange(start=start, delete_count=count,
                                                cells=[self._lsp_cell(c) for c in moved]))))

    def close(self) -> None:
        self.client.notebook_document_did_close(types.DidCloseNotebookDocumentParams(
            notebook_document=types.NotebookDocumentIdentifier(uri=self.uri),
            cell_text_documents=[types.TextDocumentIdentifier(uri=c["uri"]) for c in self.cells]))

    def write(self) -> Path:
        """The notebook as the editor holds it, saved as Jupyter writes it (for the command line)."""
        self.path.write_text(jupyter_text(notebook([(c["kind"], c["text"]) for c in self.cells])), encoding="utf-8")
        return self.path


def cli(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "karpathy_lint", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, check=False)


def cli_findings(nb: Notebook) -> list[dict]:
    proc = cli("--no-cache", "--format", "json", nb.write(), cwd=nb.path.parent)
    return json.loads(proc.stdout)


def lsp_start(nb: Notebook, f: dict) -> tuple[str, int, int]:
    """Where the command line's finding `f` should be shown: (cell uri, 0-based line, character in UTF-16)."""
    text = nb.cells[f["cell"] - 1]["text"]
    line = text.split("\n")[f["line"] - 1]
    return nb.uri_of(f["cell"]), f["line"] - 1, units_of(line[: f["column"] - 1], nb.client.negotiated)


async def diagnostics(client: EditorClient, nb: Notebook) -> dict[str, list[types.Diagnostic]]:
    """The diagnostics of every cell at the cell's current version."""
    return {c["uri"]: await client.diagnostics_for(c["uri"], version=c["version"]) for c in nb.cells}


async def published_since(client: EditorClient, mark: int, uris: list[str]) -> dict[str, list]:
    """Wait until each uri has had a publish after the `mark`-th one; uri -> its latest diagnostics since then."""
    for _ in range(2000):
        if {p.uri for p in client.published[mark:]} >= set(uris):
            break
        await asyncio.sleep(0.01)
    return {p.uri: list(p.diagnostics) for p in client.published[mark:]}


@pytest.mark.asyncio
async def test_notebook_findings_land_on_their_cells(client: EditorClient):
    """Open a notebook: every finding of the command line, on its cell's uri, at the cell's own line and
    the UTF-16 column (emoji and CJK before it, in a code cell and in the markdown header), with the cell's
    version; cells without findings get an empty publish. Edit, add and remove cells; close."""
    root = client.root
    result = await client.start(vscode_with_notebooks(), folders=[str(root)])
    sync = result.capabilities.notebook_document_sync
    (selector,) = sync.notebook_selector
    assert selector.notebook == "jupyter-notebook" and {c.language for c in selector.cells} == {"python", "markdown"}
    assert client.negotiated == "utf-16"
    nb = Notebook(client, root / "lecture.ipynb", CELLS)
    nb.open()
    got = await diagnostics(client, nb)
    expected = cli_findings(nb)
    assert {f["code"] for f in expected} >= {"KL301", "KL203", "KL202", "KL308"}
    shown = sorted((u, d.range.start.line, d.range.start.character, d.code) for u, ds in got.items() for d in ds)
    assert shown == sorted((*lsp_start(nb, f), f["code"]) for f in expected)
    assert all(d.source == "karpathy-lint" for ds in got.values() for d in ds)
    assert got[nb.uri_of(1)] == [] and got[nb.uri_of(3)] == [] and got[nb.uri_of(6)] == []
    (kl301,) = [d for d in got[nb.uri_of(4)] if d.code == "KL301"]
    # the emoji is two UTF-16 units, each CJK character one: the marker starts at 20, the range runs to the line's end
    assert (kl301.range.start.line, kl301.range.start.character) == (1, 20)
    assert kl301.range.end == types.Position(line=1, character=units_of(MARKER_LINE, "utf-16"))
    (kl203,) = [d for d in got[nb.uri_of(2)] if d.code == "KL203"]
    entry = CELLS[1][1].split("\n")[kl203.range.start.line]
    assert entry.startswith("scale(x) - ") and kl203.range.start.character == 0

    # typing the fix in the cell (an incremental change): the cell's next publish, at its new version, is empty
    at = MARKER_LINE.index("#karpathy") + 1
    version = nb.edit(4, [types.TextEdit(range=types.Range(start=types.Position(line=1, character=units_of(
        MARKER_LINE[:at], "utf-16")), end=types.Position(line=1, character=units_of(MARKER_LINE[:at + 1], "utf-16"))),
        new_text=" K")])
    assert "# Karpathy: every element" in nb.cells[3]["text"]
    assert await client.diagnostics_for(nb.uri_of(4), version=version) == []

    # a new code cell with a defect: its own diagnostics; removing it clears them
    new = nb.insert(4, "code", "def helper(a):\n    #karpathy: half a thought\n    return a")
    got = await diagnostics(client, nb)
    assert {d.code for d in got[new]} >= {"KL301", "KL202"}
    assert sorted((u, d.range.start.line, d.range.start.character, d.code) for u, ds in got.items() for d in ds) \
        == sorted((*lsp_start(nb, f), f["code"]) for f in cli_findings(nb))
    mark = len(client.published)
    assert nb.delete(4) == new
    after = await published_since(client, mark, [new] + [c["uri"] for c in nb.cells])
    assert after[new] == [] and {d.code for d in after[nb.uri_of(5)]} >= {"KL202"}

    # dragging the last cell above the class: the findings follow the new order, as on the command line
    mark = len(client.published)
    nb.move(4, 3, [6, 4, 5])
    after = await published_since(client, mark, [c["uri"] for c in nb.cells])
    moved = sorted((u, d.range.start.line, d.range.start.character, d.code) for u, ds in after.items() for d in ds)
    assert moved == sorted((*lsp_start(nb, f), f["code"]) for f in cli_findings(nb))
    assert moved != sorted((u, d.range.start.line, d.range.start.character, d.code) for u, ds in got.items()
                           for d in ds if u != new)

    # saving re-checks the notebook; a config change (the client watches config files for the server) too
    mark = len(client.published)
    client.notebook_document_did_save(types.DidSaveNotebookDocumentParams(
        notebook_document=types.NotebookDocumentIdentifier(uri=nb.uri)))
    assert set(await published_since(client, mark, [c["uri"] for c in nb.cells])) == {c["uri"] for c in nb.cells}
    (root / "karpathy-lint.toml").write_text('ignore = ["KL308"]\n')
    assert any(r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES for r in client.registrations)
    mark = len(client.published)
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[types.FileEvent(
        uri=(root / "karpathy-lint.toml").as_uri(), type=types.FileChangeType.Created)]))
    after = await published_since(client, mark, [c["uri"] for c in nb.cells])
    assert "KL308" in {code for *_, code in moved}
    assert "KL308" not in {d.code for ds in after.values() for d in ds}
    assert {d.code for ds in after.values() for d in ds} >= {"KL202", "KL203"}

    # closing the notebook: an empty publish for every cell
    mark = len(client.published)
    nb.close()
    closing = await published_since(client, mark, [c["uri"] for c in nb.cells])
    assert set(closing) == {c["uri"] for c in nb.cells} and all(ds == [] for ds in closing.values())
    await client.shutdown_session()
    assert client.exit_code == 0


@pytest.mark.asyncio
async def test_quick_fixes_fix_all_and_hover_on_cells(client: EditorClient):
    """A quick fix on a cell repairs it; one whose edit lands in another cell (the header) edits that cell;
    fix-all gives the cells `karpathy-lint --fix` gives the .ipynb; hover shows the rule's documentation."""
    root = client.root
    await client.start(vscode_with_notebooks(), folders=[str(root)])
    nb = Notebook(client, root / "lecture.ipynb", CELLS)
    nb.open()
    got = await diagnostics(client, nb)

    (kl301,) = [d for d in got[nb.uri_of(4)] if d.code == "KL301"]
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=nb.uri_of(4)), position=kl301.range.start))
    assert hover.contents.value == cli("rule", "KL301", cwd=root).stdout

    actions = await code_actions(client, nb.uri_of(4), [kl301], only=[types.CodeActionKind.QuickFix])
    fix = next(a for a in actions if "KL301" in a.title and "suppress" not in a.title)
    assert fix.is_preferred is True
    versions = nb.apply(fix.edit)
    assert list(versions) == [nb.uri_of(4)]
    assert nb.cells[3]["text"].split("\n")[1] == MARKER_LINE.replace("#karpathy:", "# Karpathy:")
    assert "KL301" not in {d.code for d in await client.diagnostics_for(nb.uri_of(4), version=versions[nb.uri_of(4)])}

    # KL202 on `extra` (cell 5) is fixed by adding the entry to the Function List in the header (cell 2)
    got = await diagnostics(client, nb)
    (kl202,) = [d for d in got[nb.uri_of(5)] if d.code == "KL202"]
    actions = await code_actions(client, nb.uri_of(5), [kl202], only=[types.CodeActionKind.QuickFix])
    fix = next(a for a in actions if "KL202" in a.title and "suppress" not in a.title)
    (edited,) = fix.edit.document_changes
    assert edited.text_document.uri == nb.uri_of(2) and edited.text_document.version == nb.cells[1]["version"]
    header_before = nb.cells[1]["text"]
    nb.apply(fix.edit)
    assert "extra(a, b)" in nb.cells[1]["text"] and nb.cells[1]["text"] != header_before
    assert nb.cells[4]["text"] == CELLS[4][1]  # the code cell is untouched

    # suppress on this line, in a code cell: the directive as a comment; the finding goes
    got = await diagnostics(client, nb)
    (kl308,) = [d for d in got[nb.uri_of(7)] if d.code == "KL308"]
    actions = await code_actions(client, nb.uri_of(7), [kl308], only=[types.CodeActionKind.QuickFix])
    suppress = next(a for a in actions if "suppress KL308" in a.title)
    nb.apply(suppress.edit)
    assert "karpathy-lint: ignore[KL308]" in nb.cells[6]["text"].split("\n")[kl308.range.start.line]
    got = await diagnostics(client, nb)
    assert "KL308" not in {d.code for d in got[nb.uri_of(7)]}

    # fix-all from any cell: the cells as `karpathy-lint --fix` leaves the notebook
    nb2 = Notebook(client, root / "second.ipynb", CELLS)
    nb2.open()
    await diagnostics(client, nb2)
    (fix_all,) = await code_actions(client, nb2.uri_of(4), [], only=["source.fixAll.karpathy-lint"])
    nb2.apply(fix_all.edit)
    fixed_by_editor = [c["text"] for c in nb2.cells]
    path = Notebook(client, root / "third.ipynb", CELLS).write()
    cli("--no-cache", "--fix", path, cwd=root)
    import nbformat

    assert fixed_by_editor == [c.source for c in nbformat.read(path, as_version=4).cells]
    assert fixed_by_editor != [text for _, text in CELLS]

    # the scaffold command does not edit notebooks (a header cell is a structural change): a clear error
    with pytest.raises(JsonRpcInvalidParams, match="does not edit notebooks"):
        await client.workspace_execute_command_async(types.ExecuteCommandParams(
            command="karpathy-lint.scaffold", arguments=[nb.uri_of(4)]))


@pytest.mark.asyncio
async def test_excluded_notebook_and_clients_without_notebook_sync(client: EditorClient):
    """An excluded notebook gets only empty publishes; a cell also opened as a text document does not
    clear its notebook's diagnostics; the `.ipynb` file opened as JSON text gets nothing."""
    root = client.root
    (root / "gen").mkdir()
    (root / "karpathy-lint.toml").write_text('extend-exclude = ["gen/"]\n')
    await client.start(vscode_with_notebooks(), folders=[str(root)])
    excluded = Notebook(client, root / "gen" / "made.ipynb", CELLS)
    excluded.open()
    assert all(ds == [] for ds in (await diagnostics(client, excluded)).values())

    nb = Notebook(client, root / "lecture.ipynb", CELLS)
    nb.open()
    assert await client.diagnostics_for(nb.uri_of(4), version=1)
    seen = len(client.published)
    client.open(nb.uri_of(4), nb.cells[3]["text"])  # a client that also syncs cells as text documents
    client.text_document_did_close(types.DidCloseTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=nb.uri_of(4))))
    path = nb.write()
    client.open(path.as_uri(), path.read_text(encoding="utf-8"), "json")  # the notebook's JSON as a text file
    assert await client.diagnostics_for(path.as_uri(), version=1) == []
    assert all(p.uri != nb.uri_of(4) for p in client.published[seen:])
    # a cell whose text is not valid Unicode (a lone surrogate, escaped in the JSON-RPC message): one
    # diagnostic saying so, on the first cell; the server keeps serving
    broken = Notebook(client, root / "broken.ipynb", [("markdown", "# Title"), ("code", "x = '\ud800'\n")])
    broken.open()
    (said,) = await client.diagnostics_for(broken.uri_of(1), version=1)
    assert "not valid Unicode" in said.message and said.source == "karpathy-lint"
    assert await client.diagnostics_for(broken.uri_of(2), version=1) == []
    assert await client.diagnostics_for(nb.uri_of(4), version=1)


@pytest.mark.asyncio
async def test_neovim_is_offered_no_notebook_sync(client: EditorClient):
    """Neovim declares no notebook capability: the server does not advertise notebook sync to it."""
    result = await client.start(client_capabilities(PROFILES["neovim"]), folders=[str(client.root)])
    assert result.capabilities.notebook_document_sync is None
    assert result.capabilities.text_document_sync is not None


def vscode_with_pull() -> types.ClientCapabilities:
    """What vscode-languageclient 8+ declares on top of the recorded profile: notebook sync, pull
    diagnostics (`textDocument/diagnostic`) and `workspace/diagnostic/refresh`."""
    caps = vscode_with_notebooks()
    caps.text_document.diagnostic = types.DiagnosticClientCapabilities(dynamic_registration=True,
                                                                       related_document_support=False)
    caps.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
    return caps


async def pull(client: EditorClient, u: str) -> list[types.Diagnostic]:
    report = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
        text_document=types.TextDocumentIdentifier(uri=u), identifier="karpathy-lint"))
    assert report.kind == "full"
    return list(report.items)


@pytest.mark.asyncio
async def test_pull_diagnostics_for_clients_that_can_refresh(client: EditorClient):
    """A client that pulls and can be told to pull again gets pull diagnostics and no push at all: the
    same findings, for files and notebook cells; a config change asks it to pull again. (Neovim declares
    pull but not refresh, so it gets push: see test_server.py.)"""
    root = client.root
    result = await client.start(vscode_with_pull(), folders=[str(root)])
    assert result.capabilities.diagnostic_provider.identifier == "karpathy-lint"
    nb = Notebook(client, root / "lecture.ipynb", CELLS)
    nb.open()
    data = Path(__file__).parent / "data"
    py = (data / "clean_router.py").read_text().replace("# Karpathy: keep the best", "# karpathy: keep the best")
    path = root / "router.py"
    path.write_text(py)
    client.open(path.as_uri(), py)
    assert "KL301" in {d.code for d in await pull(client, path.as_uri())}
    cells = {c["uri"]: await pull(client, c["uri"]) for c in nb.cells}
    shown = sorted((u, d.range.start.line, d.range.start.character, d.code) for u, ds in cells.items() for d in ds)
    assert shown == sorted((*lsp_start(nb, f), f["code"]) for f in cli_findings(nb))
    # an edit, then a pull: the current text's findings
    at = MARKER_LINE.index("#karpathy") + 1
    col = units_of(MARKER_LINE[:at], "utf-16")
    nb.edit(4, [types.TextEdit(range=types.Range(start=types.Position(line=1, character=col),
                                                 end=types.Position(line=1, character=col + 1)), new_text=" K")])
    assert "KL301" not in {d.code for d in await pull(client, nb.uri_of(4))}
    # a config change: the server asks the client to pull again, and the pull sees the new settings
    refreshes = client.diagnostic_refresh_count
    (root / "karpathy-lint.toml").write_text('ignore = ["KL301"]\n')
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[types.FileEvent(
        uri=(root / "karpathy-lint.toml").as_uri(), type=types.FileChangeType.Created)]))
    for _ in range(2000):
        if client.diagnostic_refresh_count > refreshes:
            break
        await asyncio.sleep(0.01)
    assert client.diagnostic_refresh_count > refreshes
    assert "KL301" not in {d.code for d in await pull(client, path.as_uri())}
    nb.close()
    client.text_document_did_close(types.DidCloseTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=path.as_uri())))
    await client.shutdown_session()
    assert client.published == []  # never a push to a pull client
