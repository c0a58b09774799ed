"""`--fix`: apply fixes, re-lint, repeat until nothing more applies."""
from __future__ import annotations

from karpathy_lint.engine import lint_source, to_utf8
from karpathy_lint.files import InputError, split_bom
from karpathy_lint.fixes import apply_edits, select_fixes

MAX_ROUNDS = 10


def fix_source(path: str, source: bytes, settings, unsafe: bool = False) -> tuple[bytes, int]:
    """(fixed source, number of fixes applied); the BOM and a declared encoding (PEP 263) are kept."""
    bom, body = split_bom(source)
    try:
        body, encoding = to_utf8(path, body)
    except InputError:
        return source, 0
    fixed, applied = _fix_utf8(path, body, settings, unsafe)
    if encoding is not None and applied:
        try:
            fixed = fixed.decode("utf-8").encode(encoding)
        except UnicodeEncodeError:  # a fix brought a character the declared encoding cannot hold
            return source, 0
    elif encoding is not None:
        return source, 0
    return bom + fixed, applied


def _fix_utf8(path: str, body: bytes, settings, unsafe: bool) -> tuple[bytes, int]:
    applied = 0
    for _ in range(MAX_ROUNDS):
        result = lint_source(path, body, settings, utf8=True)
        if result.error or result.syntax_error:
            break
        edits = select_fixes(result.findings, unsafe)
        if not edits:
            break
        new_body = apply_edits(body, edits)
        if new_body == body:
            break
        applied += len({(e.start, e.end, e.content) for e in edits})
        body = new_body
    return body, applied
