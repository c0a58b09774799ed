"""The one shape format, `name shape [dim, dim, ...]`, shared by KL306, KL307
and `verify-shapes`."""
import re

SHAPE = re.compile(r"(?P<name>[A-Za-z_][\w.]*)\s+shape\s+\[(?P<dims>[^\]\n]*)\]")
# a dim: `...`, an integer, an identifier, or arithmetic over them (`K/128`, `seq_len + 1`, `2*d`)
DIM = re.compile(r"^(\.\.\.|[\w\s+\-*/()]*\w[\w\s+\-*/()]*)$")
# `shape` followed by anything that opens a shape other than ` [`: `shape (B, T)`, `shape: [B]`, `shape=[..]`
LOOSE = re.compile(r"(?P<name>[A-Za-z_][\w.]*)?\s*\bshape\b\s*(?:[:=]\s*|)(?P<open>[\(\[])")


def shapes(text: str):
    """Yield (name, dims) for every well-formed shape statement in `text`."""
    for m in SHAPE.finditer(text):
        dims = [d.strip() for d in m.group("dims").split(",")]
        if dims == [""]:
            dims = []
        if all(DIM.match(d) for d in dims):
            yield m.group("name"), dims


def problems(text: str):
    """Yield a message for each shape written another way."""
    good_spans = []
    for m in SHAPE.finditer(text):
        dims = [d.strip() for d in m.group("dims").split(",")]
        bad = [d for d in dims if d and not DIM.match(d)]
        if bad:
            yield (f"shape of `{m.group('name')}` has dims {', '.join(repr(b) for b in bad)}: "
                   "write integers, identifiers, arithmetic on them, or `...`")
        good_spans.append((m.start(), m.end()))
    for m in LOOSE.finditer(text):
        if any(s <= m.start("open") < e for s, e in good_spans):
            continue
        if m.group("open") == "(" or text[m.start(): m.start("open")].rstrip().endswith((":", "=")) or not m.group("name"):
            yield f"shape written as {text[m.start(): m.start('open') + 12].strip()!r}: write `name shape [dim, dim]`"


def repairs(text: str):
    """Yield (as written, rewritten) for each loose shape with one obvious rewrite in the one format:
    `att shape (B, H, T, T)` -> `att shape [B, H, T, T]`, `x shape: [b, t]` -> `x shape [b, t]`."""
    for m in LOOSE.finditer(text):
        name = m.group("name")
        if not name or name == "shape":
            continue
        opener = m.group("open")
        closer = ")" if opener == "(" else "]"
        close = text.find(closer, m.end("open"))
        if close == -1:
            continue
        inner = text[m.end("open"): close]
        if "(" in inner or "[" in inner or "\n" in inner:
            continue
        dims = [d.strip() for d in inner.split(",") if d.strip()]
        fixed = f"{name} shape [{', '.join(dims)}]"
        written = text[m.start("name"): close + 1]
        if dims and all(DIM.match(d) for d in dims) and written != fixed:
            yield written, fixed
