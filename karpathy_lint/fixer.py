"""`--fix`: apply fixes, re-lint, repeat until nothing more applies."""
from __future__ import annotations

from karpathy_lint.engine import lint_source
from karpathy_lint.files import split_bom
from karpathy_lint.fixes import apply_edits, select_fixes

MAX_ROUNDS = 10


def fix_source(path: str, source: bytes, settings, unsafe: bool = False) -> tuple[bytes, int]:
    """(fixed source, number of fixes applied); the BOM, if any, is kept.

    A notebook (.ipynb) is fixed cell by cell and written back as JSON; it raises InputError (one line)
    when the notebook cannot be read or written back safely.
    """
    from karpathy_lint.languages import language_for

    spec = language_for(path)
    if spec is not None and spec.name == "notebook":
        from karpathy_lint.notebook.fix import fix_notebook

        return fix_notebook(path, source, settings, unsafe)
    bom, body = split_bom(source)
    applied = 0
    for _ in range(MAX_ROUNDS):
        result = lint_source(path, body, settings)
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
    return bom + body, applied
