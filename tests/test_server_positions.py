"""Position arithmetic of the language server (karpathy_lint/server/positions.py), on its own: the
LSP's line breaks (\\n, \\r\\n, \\r and nothing else) and its three position encodings."""
from __future__ import annotations

import pytest

from karpathy_lint.server.positions import Position, TextIndex, apply_change, units

TEXT = "a = 1  # 😀中\r\nb\x0c = 2  # x\u2028y\rc = 3\nd"


@pytest.mark.parametrize(("encoding", "emoji_end"), [("utf-8", 13), ("utf-16", 11), ("utf-32", 10)])
def test_units_per_encoding(encoding, emoji_end):
    line = TEXT.split("\r\n")[0]
    assert units(line[: line.index("中")], encoding) == emoji_end
    index = TextIndex(TEXT, encoding)
    offset = TEXT.encode().index("中".encode())
    assert index.position(offset) == Position(0, emoji_end)
    assert index.offset(Position(0, emoji_end)) == offset


def test_lines_break_at_lsp_breaks_only():
    index = TextIndex(TEXT, "utf-16")
    assert index.line_count() == 4  # \r\n, \r and \n; not the form feed, not U+2028
    data = TEXT.encode()
    assert index.position(data.index(b"c = 3")) == Position(2, 0)
    assert index.position(data.index(b"d")) == Position(3, 0)
    y = data.index(b"y")
    assert index.position(y) == Position(1, len("b\x0c = 2  # x\u2028"))
    # a character past the end of a line means the end of that line, before its break
    assert index.offset(Position(0, 999)) == data.index(b"\r\n")


def test_finding_columns_are_characters_on_newline_lines():
    """The linter counts lines by \\n only (a lone \\r stays inside its line) and columns in characters."""
    index = TextIndex(TEXT, "utf-16")
    line2 = "b\x0c = 2  # x\u2028y\rc = 3"
    start = index.finding_offset(2, line2.index("c = 3") + 1)
    assert index.position(start) == Position(2, 0)
    assert index.finding_offset(1, 10) == TEXT.encode().index("😀".encode())


def test_bom_is_outside_the_linted_body():
    index = TextIndex("\ufeffx = 1\n", "utf-16")
    assert index.body == b"x = 1\n"
    assert index.position(index.finding_offset(1, 1)) == Position(0, 1)
    assert index.position(index.edit_offset(0)) == Position(0, 1)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32"])
def test_incremental_change_after_odd_breaks(encoding):
    after = "b\x0c = 2  # x\u2028"
    col = units(after, encoding)
    new = apply_change(TEXT, Position(1, col), Position(1, col + 1), "Y", encoding)
    assert new == TEXT.replace("\u2028y", "\u2028Y")
    emoji_end = units("a = 1  # 😀", encoding)
    assert apply_change(TEXT, Position(0, emoji_end), Position(0, emoji_end), "!", encoding).startswith("a = 1  # 😀!中")
    assert apply_change(TEXT, None, None, "whole", encoding) == "whole"
