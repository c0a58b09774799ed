"""Plain comments (no marker) as messages name them: KL303, KL305 and KL306 say that they do not count."""
import bisect

from karpathy_lint.shapes.format import LOOSE, shapes


def prefix(model) -> str:
    return "#" if model.language == "python" else "//"


def marker(model, settings) -> str:
    """`# Karpathy:` or `// Karpathy:`, as the message should spell it."""
    return f"{prefix(model)} {settings.marker}:"


def _plain_comments(model) -> list:
    """Line comments that are not part of a marker comment (nor directives, nor a shebang), in line order."""
    in_notes = {c.start for n in model.notes for c in n.comments}
    p = prefix(model)
    found = [c for c in model.comments if c.text.startswith(p)]
    # each further test only where it can remove something (a comment's text is its bytes in the source)
    if in_notes:
        found = [c for c in found if c.start not in in_notes]
    if b"karpathy-lint:" in model.source:
        found = [c for c in found if "karpathy-lint:" not in c.text]
    if p == "#":
        found = [c for c in found if not c.text.startswith("#!")]
    return found


def plain_comments(model, lo: int = 1, hi: int | None = None) -> list:
    """The plain comments between lines lo and hi (computed once per file)."""
    found = model.view("plain-comments", _plain_comments)
    lines = model.view("plain-comment-lines", lambda m: [c.line for c in found])
    end = len(found) if hi is None else bisect.bisect_right(lines, hi)
    return found[bisect.bisect_left(lines, lo):end]


def plain_note(model, lo: int = 1, hi: int | None = None) -> str:
    """` (plain `#` comments do not count)` when plain comments stand in the range, else ``."""
    return f" (plain `{prefix(model)}` comments do not count)" if plain_comments(model, lo, hi) else ""


def plain_shape_comment(model, lo: int, hi: int):
    """The first plain comment in the range that states a shape (well-formed or not), or None."""
    for c in plain_comments(model, lo, hi):
        if any(True for _ in shapes(c.text)) or LOOSE.search(c.text):
            return c
    return None
