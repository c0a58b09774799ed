"""Syntax highlighting with pygments, one HTML string per source line.

The whole file is tokenized once (a string or comment that spans lines keeps
its colour) with `get_tokens_unprocessed`, which neither strips nor rewrites
the text; tokens are then cut at line ends. Each line's HTML is checked to
hold exactly that line's text, so highlighting can never change the code a
page shows. Lexers are made once per language and shared by every page.
"""
from __future__ import annotations

import html
from functools import cache

from pygments.formatters import HtmlFormatter
from pygments.lexers import CudaLexer, PythonLexer, TextLexer, get_lexer_by_name
from pygments.styles import get_style_by_name
from pygments.token import STANDARD_TYPES, Token
from pygments.util import ClassNotFound

# both pass WCAG AA (4.5:1) for every token colour on their own background (tests/test_render_browser.py)
LIGHT_STYLE = "xcode"
DARK_STYLE = "monokai"


@cache
def lexer_for(language: str):
    """The lexer for a `languages.LANGUAGES` name; a language added later falls back to pygments'
    lexer of that name, or plain text."""
    options = {"stripnl": False, "ensurenl": False}
    if language == "python":
        return PythonLexer(**options)
    if language == "cuda":
        return CudaLexer(**options)
    try:
        return get_lexer_by_name(language, **options)
    except ClassNotFound:
        return TextLexer(**options)


@cache
def _css_class(ttype) -> str:
    while ttype not in STANDARD_TYPES:
        ttype = ttype.parent
    return STANDARD_TYPES[ttype]


def highlight_lines(text: str, language: str, lines: list[str]) -> list[str]:
    """HTML for each of `lines` (the file's lines, endings dropped), highlighted in context."""
    out: list[str] = []
    plain: list[str] = []
    current: list[str] = []
    current_plain: list[str] = []
    for _, ttype, value in lexer_for(language).get_tokens_unprocessed(text):
        cls = _css_class(ttype)
        pieces = value.split("\n")
        for k, piece in enumerate(pieces):
            if k:
                out.append("".join(current))
                plain.append("".join(current_plain))
                current, current_plain = [], []
            if piece:
                escaped = html.escape(piece, quote=False)
                current.append(f'<span class="{cls}">{escaped}</span>' if cls else escaped)
                current_plain.append(piece)
    out.append("".join(current))
    plain.append("".join(current_plain))
    result = []
    for i, line in enumerate(lines):
        # a line whose tokens do not spell it exactly (a stray `\r`) is shown plain: never altered
        if i < len(out) and plain[i] == line:
            result.append(out[i])
        else:
            result.append(html.escape(line, quote=False))
    return result


def _colours(style_name: str) -> tuple[str, str]:
    """(background, default text colour) of a pygments style."""
    style = get_style_by_name(style_name)
    fg = style.style_for_token(Token)["color"]
    return style.background_color, f"#{fg}" if fg else ("#000000" if style_name == LIGHT_STYLE else "#ffffff")


def stylesheet() -> str:
    """Token colours for light and dark (`prefers-color-scheme`), scoped to `.code`.

    Each scheme sits in its own media query, so no colour of one leaks into the other.
    """
    out = [f"/* pygments: {LIGHT_STYLE} (light), {DARK_STYLE} (dark) */"]
    for scheme, name in (("light", LIGHT_STYLE), ("dark", DARK_STYLE)):
        bg, fg = _colours(name)
        rules = HtmlFormatter(style=name).get_token_style_defs(".code")
        out.append(f"@media (prefers-color-scheme: {scheme}) {{\n"
                   f":root {{ --code-bg: {bg}; --code-fg: {fg}; }}\n" + "\n".join(rules) + "\n}")
    return "\n".join(out) + "\n"
