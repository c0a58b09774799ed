"""The `placeholders` setting as one pattern, shared by KL107 (placeholder words do not count) and KL108."""
import re
from functools import lru_cache


@lru_cache(maxsize=16)
def placeholder_pattern(placeholders: tuple[str, ...]):
    """A regex matching any placeholder (`TODO` as a word, `<describe>` as written), or None when there are none."""
    if not placeholders:
        return None
    return re.compile("|".join(_part(p) for p in placeholders))


def _part(p: str) -> str:
    r"""`TODO` as a word: `\bTODO\b`, spelt `T(?<!\wT)ODO\b` so that every branch starts with a literal and the
    regex engine skips ahead to the next candidate letter instead of trying every branch at every position."""
    if not (p[:1].isalnum() and p[-1:].isalnum()):
        return re.escape(p)
    first = re.escape(p[0])
    return rf"{first}(?<!\w{first}){re.escape(p[1:])}\b"
