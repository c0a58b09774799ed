"""A pytest-lsp client for driving `karpathy-lint server` over stdio, as an editor would.

The client carries a real editor's recorded capabilities (pytest-lsp's VS Code
and Neovim profiles) and records what a real editor would act on: every
`publishDiagnostics` with its version, capability registrations, applied
workspace edits, the server's exit code. Whatever the server sends that the
client's capabilities do not allow is an `LspSpecificationWarning` (the tests
turn those into errors), on top of pytest-lsp's own checks.
"""
from __future__ import annotations

import asyncio
import sys
import warnings

from lsprotocol import types
from pytest_lsp import LanguageClient, LspSpecificationWarning
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

SERVER = [sys.executable, "-m", "karpathy_lint", "server"]
PROFILES = {"vscode": "visual-studio-code", "neovim": "neovim"}  # pytest-lsp's recorded client capabilities


class EditorClient(LanguageClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.published: list[types.PublishDiagnosticsParams] = []
        self.registrations: list[types.Registration] = []
        self.applied: list[types.WorkspaceEdit] = []
        self.exit_code: int | None = None
        self.texts: dict[str, str] = {}  # uri -> text, as the editor holds it (edits applied here)
        self.versions: dict[str, int] = {}
        self.negotiated = "utf-16"  # the positionEncoding the server chose (set by start())
        self._arrived = asyncio.Event()

    async def server_exit(self, server):
        self.exit_code = server.returncode
        await super().server_exit(server)

    async def start(self, capabilities: types.ClientCapabilities, folders: list[str] | None = None,
                    options: dict | None = None) -> types.InitializeResult:
        from pathlib import Path

        wf = [types.WorkspaceFolder(uri=Path(f).as_uri(), name=Path(f).name) for f in folders or []]
        result = await self.initialize_session(types.InitializeParams(
            capabilities=capabilities, workspace_folders=wf or None,
            root_uri=wf[0].uri if wf else None, initialization_options=options))
        encoding = result.capabilities.position_encoding
        offered = (capabilities.general.position_encodings if capabilities.general else None) or []
        if encoding is not None and encoding not in offered and encoding != "utf-16":
            warnings.warn(f"server chose {encoding}, which the client did not offer", LspSpecificationWarning)
        self.negotiated = str(getattr(encoding, "value", encoding) or "utf-16")
        # the server logs one line when its `initialized` work (registrations, settings) is done
        for _ in range(2000):
            if any(" ready (positions in " in m.message for m in self.log_messages):
                break
            await asyncio.sleep(0.01)
        return result

    # -- what an editor would hold -------------------------------------------------------------

    def open(self, uri: str, text: str, language_id: str = "python") -> None:
        self.texts[uri], self.versions[uri] = text, 1
        self.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id=language_id, version=1, text=text)))

    def replace(self, uri: str, text: str) -> int:
        """Send the whole new text as one change (what an editor sends after a paste or a fix)."""
        self.texts[uri] = text
        self.versions[uri] += 1
        self.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))
        return self.versions[uri]

    def edit(self, uri: str, edits: list[types.TextEdit]) -> int:
        """Apply text edits locally and send them as incremental changes (last first, as editors do)."""
        for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
            self.texts[uri] = apply_text_edit(self.texts[uri], e, self.negotiated)
        self.versions[uri] += 1
        changes = [types.TextDocumentContentChangePartial(range=e.range, text=e.new_text)
                   for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True)]
        self.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
            content_changes=changes))
        return self.versions[uri]

    def apply_workspace_edit(self, uri: str, edit: types.WorkspaceEdit) -> int:
        edits = edits_of(edit, uri, self.capabilities)
        return self.edit(uri, edits)

    async def diagnostics_for(self, uri: str, version: int | None = None, timeout: float = 20.0):
        """The first diagnostics published for `uri` at `version` (any version when None) from now on
        or already received."""
        async def wait():
            while True:
                for p in reversed(self.published):
                    if p.uri == uri and (version is None or p.version == version):
                        return list(p.diagnostics)
                self._arrived.clear()
                await self._arrived.wait()

        return await asyncio.wait_for(wait(), timeout)

    async def next_diagnostics(self, uri: str, timeout: float = 20.0):
        """Diagnostics for `uri` published after this call."""
        seen = len(self.published)

        async def wait():
            while True:
                for p in self.published[seen:]:
                    if p.uri == uri:
                        return list(p.diagnostics)
                self._arrived.clear()
                await self._arrived.wait()

        return await asyncio.wait_for(wait(), timeout)


def _check_diagnostic(client: EditorClient, d: types.Diagnostic) -> None:
    publish = client.capabilities.text_document.publish_diagnostics if client.capabilities.text_document else None
    if d.code_description is not None and not getattr(publish, "code_description_support", False):
        warnings.warn("codeDescription sent to a client without codeDescriptionSupport", LspSpecificationWarning)
    if d.tags:
        allowed = getattr(getattr(publish, "tag_support", None), "value_set", None) or []
        if any(t not in allowed for t in d.tags):
            warnings.warn(f"diagnostic tags {d.tags} outside the client's tagSupport", LspSpecificationWarning)


def _publish(client: EditorClient, params: types.PublishDiagnosticsParams):
    for d in params.diagnostics:
        _check_diagnostic(client, d)
    client.diagnostics[params.uri] = params.diagnostics
    client.published.append(params)
    client._arrived.set()


def _register(client: EditorClient, params: types.RegistrationParams):
    for r in params.registrations:
        dynamic = {
            types.WORKSPACE_DID_CHANGE_WATCHED_FILES: "workspace.did_change_watched_files",
            types.WORKSPACE_DID_CHANGE_CONFIGURATION: "workspace.did_change_configuration",
        }.get(r.method)
        obj = client.capabilities
        for part in (dynamic or "").split("."):
            obj = getattr(obj, part, None) if part else obj
        if dynamic is None or not getattr(obj, "dynamic_registration", False):
            warnings.warn(f"registerCapability for {r.method} without dynamicRegistration", LspSpecificationWarning)
    client.registrations.extend(params.registrations)


def _apply_edit(client: EditorClient, params: types.ApplyWorkspaceEditParams):
    client.applied.append(params.edit)
    for uri in client.texts:
        edits = edits_of(params.edit, uri, client.capabilities)
        if edits:
            client.edit(uri, edits)
    return types.ApplyWorkspaceEditResult(applied=True)


def make_client() -> EditorClient:
    from pygls.protocol import default_converter

    client = EditorClient(converter_factory=default_converter)
    features = dict(DEFAULT_CLIENT_FEATURES)
    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = _publish
    features[types.CLIENT_REGISTER_CAPABILITY] = _register
    features[types.WORKSPACE_APPLY_EDIT] = _apply_edit
    register_lsp_features(client, features)
    return client


async def code_actions(client: EditorClient, u: str, diags, only=None) -> list:
    """The code actions the server offers for `diags` of document `u` (at the first one's range, else 0:0)."""
    rng = diags[0].range if diags else types.Range(start=types.Position(line=0, character=0),
                                                   end=types.Position(line=0, character=0))
    return await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=u), range=rng,
        context=types.CodeActionContext(diagnostics=list(diags), only=only))) or []


def edits_of(edit: types.WorkspaceEdit, uri: str, capabilities) -> list[types.TextEdit]:
    """The text edits a workspace edit makes to `uri`, checked against the client's capabilities."""
    ws = getattr(getattr(capabilities, "workspace", None), "workspace_edit", None)
    out: list[types.TextEdit] = []
    if edit.document_changes:
        if not getattr(ws, "document_changes", False):
            warnings.warn("documentChanges sent to a client without documentChanges support", LspSpecificationWarning)
        for change in edit.document_changes:
            if isinstance(change, types.TextDocumentEdit) and change.text_document.uri == uri:
                out.extend(change.edits)
    if edit.changes:
        out.extend(edit.changes.get(uri, []))
    return out


# -- an editor's own position arithmetic (written here, independent of the server's) ----------------

def _line_starts(text: str) -> list[int]:
    starts, i = [0], 0
    while i < len(text):
        ch = text[i]
        if ch == "\r" and i + 1 < len(text) and text[i + 1] == "\n":
            i += 1
            starts.append(i + 1)
        elif ch in "\r\n":
            starts.append(i + 1)
        i += 1
    return starts


def _width(ch: str, encoding: str) -> int:
    if encoding == "utf-32":
        return 1
    if encoding == "utf-8":
        return len(ch.encode("utf-8"))
    return 2 if ord(ch) > 0xFFFF else 1


def units_of(text: str, encoding: str) -> int:
    """The length of `text` in `encoding` units (UTF-16: an emoji is two, a CJK character one)."""
    return sum(_width(ch, encoding) for ch in text)


def offset_of(text: str, pos: types.Position, encoding: str) -> int:
    """Index into `text` (code points) of an LSP position."""
    starts = _line_starts(text)
    if pos.line >= len(starts):
        return len(text)
    i = starts[pos.line]
    end = starts[pos.line + 1] if pos.line + 1 < len(starts) else len(text)
    used = 0
    while i < end and text[i] not in "\r\n" and used < pos.character:
        used += _width(text[i], encoding)
        i += 1
    return i


def column_of(line_text: str, needle: str, encoding: str) -> int:
    """The LSP character of `needle` in `line_text`, in `encoding` units."""
    return sum(_width(ch, encoding) for ch in line_text[: line_text.index(needle)])


def apply_text_edit(text: str, e: types.TextEdit, encoding: str) -> str:
    a, b = offset_of(text, e.range.start, encoding), offset_of(text, e.range.end, encoding)
    return text[:a] + e.new_text + text[b:]
