"""The open documents: text and version as the editor has them.

The server keeps its own copy instead of pygls's workspace documents, which
split lines with `str.splitlines` (a form feed or U+2028 in a comment would
shift every later edit) and count columns before knowing the encoding.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

from karpathy_lint.server.positions import apply_changes


@dataclass
class Document:
    uri: str
    path: str | None  # None for documents that are not files (untitled buffers, remote schemes)
    text: str
    version: int | None
    language_id: str = ""


def uri_to_path(uri: str) -> str | None:
    """The file-system path of a `file:` URI, or None for any other scheme."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    path = unquote(parsed.path)
    if os.name == "nt" and len(path) >= 3 and path[0] == "/" and path[2] == ":":  # pragma: no cover
        path = path[1:]
    if parsed.netloc and parsed.netloc != "localhost":  # pragma: no cover - UNC paths
        path = f"//{parsed.netloc}{path}"
    return os.path.normpath(path)


def path_to_uri(path: str) -> str:
    from pathlib import Path

    return Path(os.path.abspath(path)).as_uri()


class Documents:
    def __init__(self):
        self._docs: dict[str, Document] = {}

    def open(self, uri: str, text: str, version: int | None, language_id: str = "") -> Document:
        doc = Document(uri, uri_to_path(uri), text, version, language_id)
        self._docs[uri] = doc
        return doc

    def change(self, uri: str, version: int | None, changes, encoding: str) -> Document | None:
        """Apply `didChange` content changes in order; None for a document that is not open."""
        doc = self._docs.get(uri)
        if doc is None:
            return None
        doc.text, doc.version = apply_changes(doc.text, changes, encoding), version
        return doc

    def close(self, uri: str) -> Document | None:
        return self._docs.pop(uri, None)

    def get(self, uri: str) -> Document | None:
        return self._docs.get(uri)

    def all(self) -> list[Document]:
        return list(self._docs.values())
