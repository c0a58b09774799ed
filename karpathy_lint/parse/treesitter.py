"""Small helpers over tree-sitter nodes shared by both parsers."""
from __future__ import annotations

from bisect import bisect_right
from operator import attrgetter


def node_text(source: bytes, node) -> str:
    return source[node.start_byte : node.end_byte].decode("utf-8", "replace")


def first_error(root):
    """The first ERROR or MISSING node in document order, or None."""
    cursor = root.walk()
    visited_children = False
    while True:
        node = cursor.node
        if not visited_children:
            if node.is_error or node.is_missing:
                return node
            if node.has_error and cursor.goto_first_child():
                continue
        if cursor.goto_next_sibling():
            visited_children = False
            continue
        if not cursor.goto_parent():
            return None
        visited_children = True


def collect_comments(nodes, source: bytes, line_starts: list[int], text: str | None = None):
    """tree-sitter comment nodes -> `Comment`s in file order (both languages).

    `text`, the decoded source, when given: for an ASCII file (one character per byte) a comment's text is
    sliced from it instead of decoded again."""
    from karpathy_lint.model import Comment

    comments: list[Comment] = []
    add, new = comments.append, tuple.__new__
    chars = text if text is not None and len(text) == len(source) else None  # UTF-8: same length, all ASCII
    for node in sorted(nodes, key=_START_BYTE):
        start, end = node.start_byte, node.end_byte
        line = bisect_right(line_starts, start)  # tree-sitter's row + 1: both count `\n` only
        line_start = line_starts[line - 1]
        while end > start and source[end - 1] in (13, 10):
            end -= 1  # CRLF files: the \r belongs to the line ending, not the comment
        # Comment(line, col (bytes), start, end, text, own_line), built as the tuple it is (`Comment._make` without
        # its Python frame: a big header holds tens of thousands of comments)
        add(new(Comment, (line, start - line_start, start, end,
                          chars[start:end] if chars is not None else source[start:end].decode("utf-8", "replace"),
                          start == line_start or source[line_start:start].isspace())))
    return comments


_START_BYTE = attrgetter("start_byte")


def split_lines(source: bytes, start: int, end: int, first_line: int):
    """Yield (line number, byte offset, text) for each line of source[start:end], line endings dropped."""
    pos, row = start, first_line
    while pos <= end:
        nl = source.find(b"\n", pos, end)
        stop = end if nl == -1 else nl
        chunk = source[pos:stop]
        if chunk.endswith(b"\r"):
            chunk = chunk[:-1]
        yield row, pos, chunk.decode("utf-8", "replace")
        if nl == -1:
            return
        pos, row = nl + 1, row + 1
