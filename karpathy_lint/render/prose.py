"""Comment and header text -> HTML, with markdown-it (CommonMark, raw HTML off).

Comments are read as markdown because that is how they are written: backticked
names, `- ` lists, blank-line paragraphs; backslash escapes and `*`/`_` emphasis
are off, since comments use those characters as text (arithmetic, `¯\\_(ツ)_/¯`). Raw HTML in a comment is shown as
text, never interpreted. Shape statements (`h shape [tokens, inter]`) become
inline code so they read as the facts they are.
"""
from __future__ import annotations

import re
from functools import lru_cache

from markdown_it import MarkdownIt

from karpathy_lint.shapes.format import SHAPE

CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
    # comments are not written with markdown escapes or emphasis in mind: `¯\_(ツ)_/¯` keeps its
    # backslash and `K*N*2` stays arithmetic
    return md.disable(["escape", "emphasis"])


def _mark_shapes(text: str) -> str:
    """Wrap shape statements outside code spans in backticks."""
    out, pos = [], 0
    for m in CODE_SPAN.finditer(text):
        out.append(SHAPE.sub(r"`\g<0>`", text[pos:m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(SHAPE.sub(r"`\g<0>`", text[pos:]))
    return "".join(out)


def to_html(text: str) -> str:
    return _markdown().render(_mark_shapes(text)) if text.strip() else ""


def to_inline_html(text: str) -> str:
    """One line of markdown without the surrounding paragraph (table cells, asides)."""
    return _markdown().renderInline(_mark_shapes(text)) if text.strip() else ""
