"""Positions: the linter's byte offsets and (line, column) pairs <-> LSP positions.

The linter counts lines by `\\n` and columns in characters, 1-based, on the
source without its BOM; fix edits are byte offsets into that source. An LSP
position is a 0-based line, where lines end at `\\n`, `\\r\\n` or `\\r` (and at
nothing else: not at form feeds or U+2028, which `str.splitlines` splits on),
and a character offset counted in the negotiated `positionEncoding` units
(UTF-16 code units unless the client offered UTF-8 or UTF-32). Every
conversion goes through a byte offset into the document, so both line models
meet in one place.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"
_BOM = "\ufeff"
_LSP_BREAK = re.compile(rb"\r\n|\n|\r")


def units(text: str, encoding: str) -> int:
    """The length of `text` in `encoding` code units."""
    if encoding == UTF32:
        return len(text)
    if text.isascii():
        return len(text)
    if encoding == UTF8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _prefix_for_units(text: str, count: int, encoding: str) -> str:
    """The longest prefix of `text` at most `count` units long (never splits a character)."""
    if encoding == UTF32 or text.isascii():
        return text[: max(count, 0)]
    used = 0
    for i, ch in enumerate(text):
        used += units(ch, encoding)
        if used > count:
            return text[:i]
    return text


@dataclass(frozen=True)
class Position:
    line: int  # 0-based
    character: int  # in the negotiated units


class TextIndex:
    """One document's text with both line models, for conversions in either direction."""

    def __init__(self, text: str, encoding: str = UTF16, strip_bom: bool = True):
        self.text = text
        self.encoding = encoding
        self.data = text.encode("utf-8", "surrogatepass")
        # the engine strips a file's BOM and reports offsets into the rest (a notebook cell's text is
        # not a file: a U+FEFF there is a character like any other, `strip_bom=False`)
        self.bom = 3 if strip_bom and text.startswith(_BOM) else 0
        self._nl_starts = [0]
        find = self.data.find
        pos = find(b"\n")
        while pos != -1:
            self._nl_starts.append(pos + 1)
            pos = find(b"\n", pos + 1)
        if b"\r" in self.data:
            self._lsp_starts = [0] + [m.end() for m in _LSP_BREAK.finditer(self.data)]
        else:
            self._lsp_starts = self._nl_starts

    @property
    def body(self) -> bytes:
        """The bytes the engine lints (BOM dropped; it puts the BOM back on fixes)."""
        return self.data[self.bom :]

    # -- linter -> document byte offsets ---------------------------------------------------

    def finding_offset(self, line: int, column: int) -> int:
        """Byte offset of a 1-based (line, column-in-characters) pair of a finding."""
        if line < 1:
            return self.bom
        body_starts = self._nl_starts  # the BOM sits on line 1, before column 1
        if line > len(body_starts):
            return len(self.data)
        start = body_starts[line - 1] + (self.bom if line == 1 else 0)
        end = body_starts[line] if line < len(body_starts) else len(self.data)
        chunk = self.data[start:end]
        if chunk.isascii():
            return start + min(max(column - 1, 0), len(chunk))
        prefix = chunk.decode("utf-8", "surrogatepass")[: max(column - 1, 0)]
        return start + len(prefix.encode("utf-8", "surrogatepass"))

    def edit_offset(self, offset: int) -> int:
        """A fix edit's byte offset (into the body) as a byte offset into the document."""
        return min(offset + self.bom, len(self.data))

    # -- document byte offsets <-> LSP positions -------------------------------------------

    def position(self, offset: int) -> Position:
        offset = max(0, min(offset, len(self.data)))
        line = bisect.bisect_right(self._lsp_starts, offset) - 1
        start = self._lsp_starts[line]
        if offset > start and self.data[offset - 1 : offset] == b"\r" and self.data[offset : offset + 1] == b"\n":
            offset -= 1  # inside a CRLF: the end of the line's text
        prefix = self.data[start:offset].decode("utf-8", "surrogatepass")
        return Position(line, units(prefix, self.encoding))

    def offset(self, position: Position) -> int:
        """Byte offset of an LSP position; a character past the line's end means its end."""
        if position.line >= len(self._lsp_starts):
            return len(self.data)
        if position.line < 0:
            return 0
        start = self._lsp_starts[position.line]
        end = self._lsp_starts[position.line + 1] if position.line + 1 < len(self._lsp_starts) else len(self.data)
        line = self.data[start:end]
        stripped = line.rstrip(b"\r\n") if line.endswith((b"\n", b"\r")) else line
        text = stripped.decode("utf-8", "surrogatepass")
        prefix = _prefix_for_units(text, position.character, self.encoding)
        return start + len(prefix.encode("utf-8", "surrogatepass"))

    def finding_range(self, line: int, column: int, end_line: int, end_column: int) -> tuple[Position, Position]:
        start = self.position(self.finding_offset(line, column))
        end = self.position(self.finding_offset(end_line, end_column))
        return start, max(start, end, key=lambda p: (p.line, p.character))

    def line_count(self) -> int:
        return len(self._lsp_starts)


def apply_change(text: str, start: Position | None, end: Position | None, new_text: str, encoding: str) -> str:
    """`text` after one `didChange` content change (a whole-text change when `start` is None)."""
    if start is None or end is None:
        return new_text
    index = TextIndex(text, encoding)
    a, b = index.offset(start), index.offset(end)
    if b < a:
        a, b = b, a
    data = index.data
    return (data[:a] + new_text.encode("utf-8", "surrogatepass") + data[b:]).decode("utf-8", "surrogatepass")


def apply_changes(text: str, changes, encoding: str) -> str:
    """`text` after a `didChange`'s content changes, in order (each with a `range`, or none for the whole text)."""
    for change in changes:
        rng = getattr(change, "range", None)
        if rng is None:
            text = change.text
        else:
            text = apply_change(text, Position(rng.start.line, rng.start.character),
                                Position(rng.end.line, rng.end.character), change.text, encoding)
    return text
