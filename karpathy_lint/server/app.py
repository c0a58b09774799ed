"""The pygls wiring: LSP messages -> documents, lint scheduling, config, actions.

Everything the server says goes to the client over stdout as LSP messages;
logs go to the client's output (`window/logMessage`) or stderr, never stdout.
"""
from __future__ import annotations

import asyncio
import os
import sys

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from karpathy_lint import __version__
from karpathy_lint.config import CONFIG_NAMES, ConfigError
from karpathy_lint.server import actions, notebooks
from karpathy_lint.server import hover as hover_mod
from karpathy_lint.server.diagnostics import SOURCE, DiagnosticStyle
from karpathy_lint.server.documents import Documents, path_to_uri, uri_to_path
from karpathy_lint.server.edits import diff_edits, workspace_edit
from karpathy_lint.server.linting import NotebookOutcome, Outcome, Scheduler, lint_document, lint_notebook
from karpathy_lint.server.positions import UTF16, TextIndex
from karpathy_lint.server.workspace_config import (
    SECTION,
    WorkspaceConfig,
    editor_settings,
    locate_error,
)

SCAFFOLD_COMMAND = "karpathy-lint.scaffold"
DEFAULT_DEBOUNCE_MS = 15  # coalesces a burst of keystrokes; results for older versions are dropped anyway
POLL_SECONDS = 1.0  # config files' modification times, for clients that cannot watch files for us
WATCH_ID = "karpathy-lint/watch-config"


class Protocol(LanguageServerProtocol):
    """pygls's protocol with the document store replaced by ours (see documents.py)."""

    _server: KarpathyServer

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams):
        doc = params.text_document
        self._server.documents.open(doc.uri, doc.text, doc.version, doc.language_id)
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams):
        self._server.documents.change(params.text_document.uri, params.text_document.version,
                                      params.content_changes, self._server.encoding)
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams):
        self._server.documents.close(params.text_document.uri)
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None

    # notebooks: our own store too (pygls's workspace would keep a second copy of every cell)

    @lsp_method(types.NOTEBOOK_DOCUMENT_DID_OPEN)
    def lsp_notebook_document__did_open(self, params: types.DidOpenNotebookDocumentParams):
        self._server.notebooks.open(params)
        if (handler := self.fm.features.get(types.NOTEBOOK_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
    def lsp_notebook_document__did_change(self, params: types.DidChangeNotebookDocumentParams):
        removed = self._server.notebooks.change(params, self._server.encoding)
        self._server.clear_cells(removed)
        if (handler := self.fm.features.get(types.NOTEBOOK_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(types.NOTEBOOK_DOCUMENT_DID_CLOSE)
    def lsp_notebook_document__did_close(self, params: types.DidCloseNotebookDocumentParams):
        cells = self._server.notebooks.close(params.notebook_document.uri)
        cells += [c.uri for c in params.cell_text_documents if c.uri not in cells]
        self._server.scheduler.cancel(params.notebook_document.uri)
        self._server.clear_cells(cells)
        if (handler := self.fm.features.get(types.NOTEBOOK_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None


class KarpathyServer(LanguageServer):
    def __init__(self):
        super().__init__(SOURCE, __version__, protocol_cls=Protocol,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
                         notebook_document_sync=notebooks.SYNC_OPTIONS)
        self.documents = Documents()
        self.notebooks = notebooks.Notebooks()
        self.config = WorkspaceConfig()
        self.snapshots: dict[str, actions.Snapshot] = {}
        self.style = DiagnosticStyle(None)
        self.scheduler = Scheduler(self.current, self._job, self._publish, DEFAULT_DEBOUNCE_MS / 1000)
        self.config_problems: dict[str, str] = {}  # config file path -> the message published on it
        self.logged: set[str] = set()
        self._stamps: dict[str, tuple] = {}
        self._poller: asyncio.Task | None = None
        self.init_settings = self.config.global_settings  # from the initialization options
        self.shut_down = False  # `shutdown` came before `exit`: the exit code is 0, else 1
        # pull diagnostics (`textDocument/diagnostic`) for clients that can also be told to pull again
        # (`workspace/diagnostic/refresh`); every other client gets pushed ones: never both
        self.pull = False
        self.pulled: dict[str, list[types.Diagnostic]] = {}  # uri -> the latest diagnostics, for pulls
        self.config_diagnostics: dict[str, list[types.Diagnostic]] = {}  # config file uri -> its problem

    # -- plumbing ---------------------------------------------------------------------------------

    @property
    def encoding(self) -> str:
        try:
            value = self.workspace.position_encoding
        except RuntimeError:  # before initialize
            return UTF16
        return str(getattr(value, "value", value) or UTF16)

    @property
    def caps(self) -> types.ClientCapabilities:
        return self.client_capabilities

    def log(self, message: str, kind: types.MessageType = types.MessageType.Info, once: bool = False) -> None:
        if once:
            if message in self.logged:
                return
            self.logged.add(message)
        try:
            self.window_log_message(types.LogMessageParams(type=kind, message=f"{SOURCE}: {message}"))
        except Exception:  # noqa: BLE001 - no client yet (or gone): stderr, never stdout
            print(f"{SOURCE}: {message}", file=sys.stderr)

    def report_server_error(self, error: Exception, source) -> None:
        """pygls's handler for errors outside a request: log to the client, keep serving."""
        self.log(f"internal error ({getattr(source, '__name__', source)}): {error}", types.MessageType.Error)

    def current(self, uri: str):
        """The open text document or notebook (a `NotebookView`) with this uri, or None."""
        return self.documents.get(uri) or self.notebooks.get(uri)

    def _job(self, doc) -> Outcome | NotebookOutcome:
        if isinstance(doc, notebooks.NotebookView):
            return lint_notebook(doc, self.encoding, self.config, self.style)
        if self.notebooks.owner(doc.uri) is not None:
            return Outcome(None, [])  # a cell also opened as a text document: its notebook speaks for it
        return lint_document(doc.uri, doc.version, doc.text, doc.path, self.encoding, self.config, self.style)

    def send(self, uri: str, diagnostics: list[types.Diagnostic], version: int | None = None) -> None:
        """A document's diagnostics: published (push), or kept for the client's next pull."""
        diagnostics = diagnostics + self.config_diagnostics.get(uri, [])
        if self.pull:
            self.pulled[uri] = diagnostics
            return
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version))

    def schedule(self, uri: str, delay: float | None = None) -> None:
        """Lint after a change (push); a pull client asks when it wants them, and the lint runs then."""
        if not self.pull:
            self.scheduler.schedule(uri, delay)

    def forget(self, uri: str) -> None:
        """A document (or cell) left: its findings go (an empty publish; a pull client drops them itself)."""
        self.scheduler.cancel(uri)
        self.snapshots.pop(uri, None)
        if self.pull:
            self.pulled.pop(uri, None)
        else:
            self.send(uri, [])

    def clear_cells(self, uris) -> None:
        """Cells that left (closed, or removed from their notebook)."""
        for uri in uris:
            self.forget(uri)

    def _publish(self, doc, outcome: Outcome | NotebookOutcome) -> None:
        if isinstance(outcome, NotebookOutcome):
            self._publish_cells(doc, outcome)
            return
        if self.notebooks.owner(doc.uri) is not None:
            return
        if outcome.snapshot is not None:
            self.snapshots[doc.uri] = outcome.snapshot
        else:
            self.snapshots.pop(doc.uri, None)
        self.send(doc.uri, outcome.diagnostics, doc.version)
        if outcome.config_stamp and doc.path:
            self._stamps.setdefault(doc.path, outcome.config_stamp)
        if outcome.config_error is not None:
            self._report_config_error(outcome.config_error)

    def _publish_cells(self, view: notebooks.NotebookView, outcome: NotebookOutcome) -> None:
        for cell, snap, diagnostics in outcome.cells:
            if snap is not None:
                self.snapshots[cell.uri] = snap
            else:
                self.snapshots.pop(cell.uri, None)
            self.send(cell.uri, diagnostics, cell.version)
        if outcome.config_stamp and view.path:
            self._stamps.setdefault(view.path, outcome.config_stamp)
        if outcome.config_error is not None:
            self._report_config_error(outcome.config_error)

    async def snapshot(self, uri: str) -> actions.Snapshot | None:
        """The linted snapshot of the document's current version (linting it now if needed); for a
        notebook cell, the cell's part of its notebook's current version."""
        notebook = self.notebooks.owner(uri)
        if notebook is not None:
            return await self._cell_snapshot(notebook, uri)
        doc = self.documents.get(uri)
        if doc is None:
            return None
        snap = self.snapshots.get(uri)
        if snap is not None and snap.version == doc.version and snap.index.text == doc.text:
            return snap
        self.scheduler.cancel(uri)
        outcome = await self.scheduler.run(uri)
        return outcome.snapshot if outcome is not None else None

    async def _cell_snapshot(self, notebook: str, uri: str) -> actions.Snapshot | None:
        view = self.notebooks.get(notebook)
        cell = view.cell(uri) if view is not None else None
        if view is None or cell is None:
            return None

        def current(snap: actions.Snapshot | None) -> bool:
            now = self.notebooks.get(notebook)
            return (snap is not None and snap.notebook is not None and now is not None
                    and snap.notebook.version == now.version and snap.notebook.text == now.text)

        snap = self.snapshots.get(uri)
        if current(snap):
            return snap
        self.scheduler.cancel(notebook)
        await self.scheduler.run(notebook)
        snap = self.snapshots.get(uri)
        return snap if current(snap) else None

    def relint_all(self) -> None:
        if self.pull:  # the client pulls again, and each pull lints the document's current version
            self.snapshots.clear()
            self.pulled.clear()
            self.workspace_diagnostic_refresh(None)
            return
        for doc in self.documents.all():
            self.scheduler.schedule(doc.uri, 0)
        for view in self.notebooks.all():
            self.scheduler.schedule(view.uri, 0)

    # -- config files ------------------------------------------------------------------------------

    def _report_config_error(self, error: ConfigError) -> None:
        self.log(str(error), types.MessageType.Error, once=True)
        if not error.path or self.config_problems.get(error.path) == str(error):
            return
        try:
            with open(error.path, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
        except OSError:
            return
        line, start, end = locate_error(error, text)
        index = TextIndex(text, self.encoding)
        a = index.position(index.finding_offset(line + 1, start + 1))
        b = index.position(index.finding_offset(line + 1, end + 1))
        rng = types.Range(start=types.Position(line=a.line, character=a.character),
                          end=types.Position(line=b.line, character=b.character))
        message = str(error)
        if message.startswith(f"{error.path}: "):
            message = message[len(error.path) + 2:]
        diag = types.Diagnostic(range=rng, message=message, severity=types.DiagnosticSeverity.Error, source=SOURCE)
        self.config_problems[error.path] = str(error)
        uri = path_to_uri(error.path)
        self.config_diagnostics[uri] = [diag]
        self.send(uri, [])

    def reload_config(self, why: str) -> None:
        self.log(f"reloading configuration ({why})")
        self.config.reset()
        self.logged.clear()
        self.config_diagnostics.clear()
        for path in list(self.config_problems):
            self.send(path_to_uri(path), [])
        self.config_problems.clear()
        self._stamps = {}
        self.relint_all()

    async def poll_config(self) -> None:
        """Modification-time polling of the config files above every open document."""
        while True:
            await asyncio.sleep(POLL_SECONDS)
            try:
                # compared with the files as each document's last lint saw them (stamped on the lint thread)
                known = [(p, s) for p, s in self._stamps.items() if self.current(path_to_uri(p)) is not None]
                if any(self.config.stamp(p) != s for p, s in known):
                    self.reload_config("a config file changed on disk")
            except Exception as exc:  # noqa: BLE001 - keep polling whatever one round hit
                self.log(f"config polling: {exc}", types.MessageType.Warning, once=True)

    async def pull_settings(self) -> None:
        """Editor settings through `workspace/configuration`: one global item, one per workspace folder."""
        folders = list(self.config.folders)
        items = [types.ConfigurationItem(section=SECTION)]
        items += [types.ConfigurationItem(scope_uri=path_to_uri(f), section=SECTION) for f in folders]
        try:
            values = await self.workspace_configuration_async(types.ConfigurationParams(items=items))
        except Exception as exc:  # noqa: BLE001 - an error response or a client that went away
            self.log(f"workspace/configuration failed: {exc}", types.MessageType.Warning)
            return
        warn = self._settings_warning
        values = list(values or [])
        # a client with nothing under the section answers null: the initialization options stay in force
        if values and values[0] is not None:
            self.config.global_settings = editor_settings(values[0], warn)
        else:
            self.config.global_settings = self.init_settings
        for folder, value in zip(folders, values[1:]):
            self.config.folders[folder] = editor_settings(value, warn) if value is not None else self.config.global_settings

    def _settings_warning(self, message: str) -> None:
        self.log(message, types.MessageType.Warning, once=True)


server = KarpathyServer()


def _supports(path: str, default=False):
    obj: object = server.client_capabilities
    for part in path.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return default
    return obj


# -- lifecycle ----------------------------------------------------------------------------------------


@server.feature(types.INITIALIZE)
def initialize(ls: KarpathyServer, params: types.InitializeParams) -> None:
    ls.style = DiagnosticStyle(params.capabilities)
    options = params.initialization_options if isinstance(params.initialization_options, dict) else {}
    debounce = options.get("debounceMs", DEFAULT_DEBOUNCE_MS)
    if isinstance(debounce, (int, float)) and not isinstance(debounce, bool) and debounce >= 0:
        ls.scheduler.delay = debounce / 1000
    ls.config.global_settings = ls.init_settings = editor_settings(options, ls._settings_warning)
    caps = params.capabilities
    if (getattr(caps.text_document, "diagnostic", None) is not None
            and getattr(getattr(caps.workspace, "diagnostics", None), "refresh_support", False)):
        ls.pull = True  # pygls advertises the provider from this registration
    if ls.pull and types.TEXT_DOCUMENT_DIAGNOSTIC not in ls.protocol.fm.features:
        ls.feature(types.TEXT_DOCUMENT_DIAGNOSTIC, types.DiagnosticOptions(
            identifier=SOURCE, inter_file_dependencies=False, workspace_diagnostics=False))(pull_diagnostics)
    folders = [uri_to_path(f.uri) for f in params.workspace_folders or []]
    if not params.workspace_folders and (params.root_uri or params.root_path):
        folders = [uri_to_path(params.root_uri) if params.root_uri else params.root_path]
    # a folder that is the file-system root is no project: files there resolve from their own folder
    ls.config.set_folders([f for f in folders if f and os.path.dirname(f) != f])


@server.feature(types.INITIALIZED)
async def initialized(ls: KarpathyServer, params: types.InitializedParams) -> None:
    registrations = []
    if _supports("workspace.did_change_watched_files.dynamic_registration"):
        watchers = [types.FileSystemWatcher(glob_pattern=f"**/{name}") for name in CONFIG_NAMES]
        registrations.append(types.Registration(
            id=WATCH_ID, method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers)))
    else:
        ls._poller = asyncio.get_running_loop().create_task(ls.poll_config())
    if _supports("workspace.did_change_configuration.dynamic_registration"):
        registrations.append(types.Registration(id="karpathy-lint/configuration",
                                                method=types.WORKSPACE_DID_CHANGE_CONFIGURATION))
    if registrations:
        try:
            await ls.client_register_capability_async(types.RegistrationParams(registrations=registrations))
        except Exception as exc:  # noqa: BLE001 - the client refused: fall back to polling
            ls.log(f"client/registerCapability failed: {exc}; polling config files", types.MessageType.Warning)
            if ls._poller is None:
                ls._poller = asyncio.get_running_loop().create_task(ls.poll_config())
    if _supports("workspace.configuration"):
        await ls.pull_settings()
        ls.config.reset()
        ls.relint_all()
    ls.log(f"karpathy-lint {__version__} ready (positions in {ls.encoding})")


@server.feature(types.SHUTDOWN)
def shutdown(ls: KarpathyServer, params) -> None:
    ls.shut_down = True
    if ls._poller is not None:
        ls._poller.cancel()
    ls.scheduler.shutdown()


# -- documents -----------------------------------------------------------------------------------------


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: KarpathyServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri, 0)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: KarpathyServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: KarpathyServer, params: types.DidSaveTextDocumentParams) -> None:
    path = uri_to_path(params.text_document.uri)
    if path and os.path.basename(path) in CONFIG_NAMES:
        ls.reload_config(f"{os.path.basename(path)} saved")
    elif ls.documents.get(params.text_document.uri) is not None:
        ls.schedule(params.text_document.uri, 0)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: KarpathyServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    ls.scheduler.cancel(uri)
    if ls.notebooks.owner(uri) is not None:
        return  # a cell also opened as a text document: its notebook still speaks for it
    ls.forget(uri)


# -- notebooks (LSP 3.17 notebook document sync) -----------------------------------------------------------


@server.feature(types.NOTEBOOK_DOCUMENT_DID_OPEN)
def notebook_did_open(ls: KarpathyServer, params: types.DidOpenNotebookDocumentParams) -> None:
    ls.schedule(params.notebook_document.uri, 0)


@server.feature(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
def notebook_did_change(ls: KarpathyServer, params: types.DidChangeNotebookDocumentParams) -> None:
    ls.schedule(params.notebook_document.uri)


@server.feature(types.NOTEBOOK_DOCUMENT_DID_SAVE)
def notebook_did_save(ls: KarpathyServer, params: types.DidSaveNotebookDocumentParams) -> None:
    if ls.notebooks.get(params.notebook_document.uri) is not None:
        ls.schedule(params.notebook_document.uri, 0)


# -- workspace ------------------------------------------------------------------------------------------


@server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
async def did_change_folders(ls: KarpathyServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
    for f in params.event.removed:
        if (path := uri_to_path(f.uri)) is not None:
            ls.config.remove_folder(path)
    for f in params.event.added:
        if (path := uri_to_path(f.uri)) is not None and os.path.dirname(path) != path:
            ls.config.add_folder(path)
    if _supports("workspace.configuration"):
        await ls.pull_settings()
    ls.reload_config("workspace folders changed")


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def did_change_watched(ls: KarpathyServer, params: types.DidChangeWatchedFilesParams) -> None:
    names = {os.path.basename(uri_to_path(c.uri) or "") for c in params.changes}
    if names & set(CONFIG_NAMES):
        ls.reload_config("a config file changed")


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
async def did_change_configuration(ls: KarpathyServer, params: types.DidChangeConfigurationParams) -> None:
    if _supports("workspace.configuration"):
        await ls.pull_settings()
    elif isinstance(params.settings, dict):
        ls.config.global_settings = editor_settings(params.settings, ls._settings_warning)
        for folder in ls.config.folders:
            ls.config.folders[folder] = ls.config.global_settings
    ls.reload_config("editor settings changed")


# -- features ---------------------------------------------------------------------------------------------


@server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(code_action_kinds=actions.KINDS))
async def code_action(ls: KarpathyServer, params: types.CodeActionParams):
    snap = await ls.snapshot(params.text_document.uri)
    if snap is None:
        return None
    loop = asyncio.get_running_loop()
    found = await loop.run_in_executor(ls.scheduler.pool, actions.code_actions, snap, params, ls.caps, ls.style)
    return found or None


async def pull_diagnostics(ls: KarpathyServer, params: types.DocumentDiagnosticParams):
    """`textDocument/diagnostic`: the findings of the document's (or cell's) current version, linted now
    if needed; always a full report."""
    uri = params.text_document.uri
    if ls.current(uri) is not None or ls.notebooks.owner(uri) is not None:
        await ls.snapshot(uri)
    items = ls.pulled.get(uri)
    if items is None:
        items = ls.config_diagnostics.get(uri, [])
    return types.RelatedFullDocumentDiagnosticReport(items=items)


@server.feature(types.TEXT_DOCUMENT_HOVER)
async def hover(ls: KarpathyServer, params: types.HoverParams):
    snap = await ls.snapshot(params.text_document.uri)
    if snap is None:
        return None
    return hover_mod.hover(snap, params.position, ls.caps)


@server.command(SCAFFOLD_COMMAND)
async def scaffold(ls: KarpathyServer, *args):
    """`karpathy-lint.scaffold [uri]`: write or merge the header through `workspace/applyEdit`."""
    from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams

    def failed(message: str) -> JsonRpcException:
        return JsonRpcException(message, code=types.LSPErrorCodes.RequestFailed)

    uri = args[0] if args else None
    if isinstance(uri, dict):
        uri = uri.get("uri")
    if isinstance(uri, str) and (ls.notebooks.get(uri) is not None or ls.notebooks.owner(uri) is not None):
        # a new header cell is a change to the notebook's structure, which no workspace edit can make
        raise JsonRpcInvalidParams(f"{SCAFFOLD_COMMAND} does not edit notebooks: run `karpathy-scaffold` on the .ipynb")
    doc = ls.documents.get(uri) if isinstance(uri, str) else None
    if doc is None or doc.path is None or not isinstance(uri, str):
        raise JsonRpcInvalidParams(f"{SCAFFOLD_COMMAND} needs the URI of an open file, got {uri!r}")
    if not _supports("workspace.apply_edit"):
        raise failed("the client does not support workspace/applyEdit")
    version, text = doc.version, doc.text
    loop = asyncio.get_running_loop()
    try:
        action, edits = await loop.run_in_executor(ls.scheduler.pool, _scaffold_edits, ls, doc.path, text)
    except _ScaffoldFailed as exc:
        ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=f"{SOURCE}: {exc}"))
        raise failed(str(exc)) from None
    if not edits:
        return {"applied": False, "action": action}
    edit = workspace_edit(uri, version, edits, ls.caps)
    result = await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(edit=edit, label=f"{SOURCE}: scaffold"))
    return {"applied": bool(result.applied), "action": action}


class _ScaffoldFailed(Exception):
    pass


def _scaffold_edits(ls: KarpathyServer, path: str, text: str):
    from karpathy_lint.codemods.scaffold import ScaffoldError, scaffold_source

    index = TextIndex(text, ls.encoding)
    try:
        result = scaffold_source(path, index.body, ls.config.resolve(path).settings)
    except ScaffoldError as exc:
        raise _ScaffoldFailed(f"cannot scaffold {os.path.basename(path)}: {exc}") from None
    return result.action, (diff_edits(index, result.new) if result.changed else [])


def serve() -> int:
    """Run over stdio until the client says exit; stdout carries LSP messages only."""
    import logging

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print anywhere cannot corrupt the protocol stream
    server.start_io(stdin, stdout)
    return 0 if server.shut_down else 1
