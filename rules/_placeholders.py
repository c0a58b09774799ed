"""The `placeholders` setting as one pattern, shared by KL107 (placeholder words do not count) and KL108."""
import re
from functools import lru_cache


@lru_cache(maxsize=16)
def placeholder_pattern(placeholders: tuple[str, ...]):
    """A regex matching any placeholder (`TODO` as a word, `<describe>` as written), or None when there are none."""
    if not placeholders:
        return None
    parts = [rf"\b{re.escape(p)}\b" if p[:1].isalnum() and p[-1:].isalnum() else re.escape(p) for p in placeholders]
    return re.compile("|".join(parts))
