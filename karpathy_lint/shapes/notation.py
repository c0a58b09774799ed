"""Shapes written the common way, in any comment: what KL306, verify-shapes and `--adopt-comments` accept
besides the convention's own `name shape [dim, ...]`.

The notations (the text after `#` or `//`, a marker word and its colon allowed before it):

* `(B, T, C)` or `[batch, seq, d]`, the whole comment: the shape of the name the annotated statement
  assigns (a parenthesised shape needs two dims or a trailing comma, so `# (optional)` is not one);
* `x: [B, T, C]`, `x is (B, T)`: the shape of `x`;
* `shape (t)`, `of shape (b, t, n_embd)`, `shape: [B, T]` anywhere in the comment: the assigned name;
* `... -> (B, nh, T, hs)` ending the comment: the assigned name.

A dim is an integer, an identifier, arithmetic over them (`C // nh`, `2*d`) or `...`, as in the
convention's form.
"""
from __future__ import annotations

import re
from typing import NamedTuple

_DIM = r"(?:\.\.\.|\w+(?:\s*(?://|\*\*|[+\-*/])\s*\w+)*)"
_DIMS = rf"{_DIM}(?:\s*,\s*{_DIM})*(?:\s*,)?"
_BRACKET = rf"(?:\((?P<paren>\s*{_DIMS}\s*)\)|\[(?P<square>\s*{_DIMS}\s*)\])"
WHOLE = re.compile(rf"^{_BRACKET}$")
NAMED = re.compile(rf"^(?P<name>[A-Za-z_][\w.]*)\s*(?::|\s+is\s+)\s*{_BRACKET}$")
SHAPE_WORD = re.compile(rf"(?P<lead>\bof\s+)?\bshape\b\s*(?:[:=]\s*)?{_BRACKET}", re.IGNORECASE)
ARROW = re.compile(rf"->\s*(?P<target>{_BRACKET})\s*$")
CONVENTION = re.compile(r"[A-Za-z_][\w.]*\s+shape\s+\[")  # `x shape [B, T]`: the convention's own form


class Notation(NamedTuple):
    """One shape in a common notation: `name` is None when the assigned name must supply it; `start` and
    `end` are character offsets into the text given to `find` of what a rewrite replaces."""

    name: str | None
    dims: tuple[str, ...]
    start: int
    end: int

    def convention(self, name: str | None = None) -> str:
        """The same shape in the convention's form (`name` stands in when the notation names nothing)."""
        return f"{self.name or name} shape [{', '.join(self.dims)}]"


def _dims(m, single: bool = False) -> tuple[str, ...] | None:
    paren, square = m.group("paren"), m.group("square")
    body = paren if paren is not None else square
    parts = [d.strip() for d in body.split(",")]
    trailing = parts[-1] == ""
    dims = tuple(" ".join(d.split()) for d in parts if d)
    if not dims or any(not d for d in dims):
        return None
    if paren is not None and len(dims) < 2 and not trailing and not single:
        return None  # `(t)` alone reads as prose: `(optional)`, `(see above)`
    return dims


def find(text: str, marker: str | None = None) -> Notation | None:
    """The common shape notation in one comment's text (without its `#`), or None; `marker` is the marker
    word (`Karpathy`) that may stand before it with its colon."""
    body = text.strip()
    if CONVENTION.search(body):
        return None  # the convention's own form (shapes/format.py reads it)
    offset = text.find(body) if body else 0
    if marker:
        m = re.match(rf"{re.escape(marker)}\s*:\s*", body)
        if m is not None:
            offset += m.end()
            body = body[m.end():]
    m = WHOLE.match(body)
    if m is not None:
        dims = _dims(m)
        return Notation(None, dims, offset, offset + len(body)) if dims else None
    m = NAMED.match(body)
    if m is not None and m.group("name").lower() != "shape":
        dims = _dims(m)
        return Notation(m.group("name"), dims, offset, offset + len(body)) if dims else None
    m = SHAPE_WORD.search(body)
    if m is not None:
        dims = _dims(m, single=True)
        if dims:
            return Notation(None, dims, offset + m.start(), offset + m.end())
    m = ARROW.search(body)
    if m is not None:
        dims = _dims(m)
        if dims:
            return Notation(None, dims, offset + m.start("target"), offset + m.end("target"))
    return None
