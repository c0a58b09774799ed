"""Plain comments (no marker) as messages name them: KL303, KL305 and KL306 say that they do not count."""
from karpathy_lint.shapes.format import LOOSE, shapes


def prefix(model) -> str:
    return "#" if model.language == "python" else "//"


def marker(model, settings) -> str:
    """`# Karpathy:` or `// Karpathy:`, as the message should spell it."""
    return f"{prefix(model)} {settings.marker}:"


def plain_comments(model, lo: int = 1, hi: int | None = None):
    """Line comments between lines lo and hi that are not part of a marker comment."""
    in_notes = {c.start for n in model.notes for c in n.comments}
    p = prefix(model)
    for c in model.comments:
        if c.start not in in_notes and c.text.startswith(p) and lo <= c.line <= (hi if hi is not None else c.line):
            if "karpathy-lint:" not in c.text and not c.text.startswith("#!"):
                yield c


def plain_note(model, lo: int = 1, hi: int | None = None) -> str:
    """` (plain `#` comments do not count)` when plain comments stand in the range, else ``."""
    return f" (plain `{prefix(model)}` comments do not count)" if any(True for _ in plain_comments(model, lo, hi)) \
        else ""


def plain_shape_comment(model, lo: int, hi: int):
    """The first plain comment in the range that states a shape (well-formed or not), or None."""
    for c in plain_comments(model, lo, hi):
        if any(True for _ in shapes(c.text)) or LOOSE.search(c.text):
            return c
    return None
