"""Byte edits and rewritten texts -> LSP text edits and workspace edits."""
from __future__ import annotations

import difflib
from collections.abc import Sequence

from lsprotocol import types

from karpathy_lint.model import Edit
from karpathy_lint.server.diagnostics import lsp_position
from karpathy_lint.server.positions import TextIndex


def fix_edits(index: TextIndex, edits: list[Edit] | tuple[Edit, ...]) -> list[types.TextEdit]:
    """A fix's byte edits (offsets into the BOM-less body) as text edits on the document."""
    out = []
    for e in sorted(edits, key=lambda e: (e.start, e.end)):
        start = lsp_position(index.position(index.edit_offset(e.start)))
        end = lsp_position(index.position(index.edit_offset(e.end)))
        out.append(types.TextEdit(range=types.Range(start=start, end=end), new_text=e.content))
    return out


def diff_edits(index: TextIndex, new_body: bytes) -> list[types.TextEdit]:
    """Text edits that turn the document's body into `new_body`: one per changed run of lines."""
    old = index.body
    if b"\r" in old or b"\r" in new_body:
        # keep line endings out of the line model: compare on \n-terminated chunks
        a, b = old.split(b"\n"), new_body.split(b"\n")
        a = [x + b"\n" for x in a[:-1]] + [a[-1]]
        b = [x + b"\n" for x in b[:-1]] + [b[-1]]
    else:
        a, b = old.splitlines(keepends=True), new_body.splitlines(keepends=True)
    starts = [0]
    for chunk in a:
        starts.append(starts[-1] + len(chunk))
    out = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        start = lsp_position(index.position(index.edit_offset(starts[i1])))
        end = lsp_position(index.position(index.edit_offset(starts[i2])))
        out.append(types.TextEdit(range=types.Range(start=start, end=end),
                                  new_text=b"".join(b[j1:j2]).decode("utf-8", "surrogatepass")))
    return out


def workspace_edit(uri: str, version: int | None, edits: list[types.TextEdit],
                   capabilities: types.ClientCapabilities | None) -> types.WorkspaceEdit:
    """Versioned `documentChanges` where the client takes them (a stale edit is then refused), else `changes`."""
    return documents_edit([(uri, version, edits)], capabilities)


def documents_edit(docs: Sequence[tuple[str, int | None, list[types.TextEdit]]],
                   capabilities: types.ClientCapabilities | None) -> types.WorkspaceEdit:
    """`workspace_edit` over several documents at once (the cells of one notebook)."""
    workspace = getattr(capabilities, "workspace", None)
    ws_edit = getattr(workspace, "workspace_edit", None)
    if getattr(ws_edit, "document_changes", False):
        return types.WorkspaceEdit(document_changes=[
            types.TextDocumentEdit(text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
                                   edits=edits) for uri, version, edits in docs])
    return types.WorkspaceEdit(changes={uri: edits for uri, _, edits in docs})
