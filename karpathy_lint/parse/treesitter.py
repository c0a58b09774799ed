"""Small helpers over tree-sitter nodes shared by both parsers."""
from __future__ import annotations


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
