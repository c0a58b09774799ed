"""`--fix` and `--diff`: apply fixes, re-lint, repeat until nothing more applies.

A file is parsed once by the check; the fixes of that parse are applied, the
result is parsed again (to find fixes that the first ones made possible, and
to report what is left), and that last parse is the file's final result.
"""
from __future__ import annotations

from typing import NamedTuple, TextIO

from karpathy_lint.diff import unified_diff
from karpathy_lint.engine import FileResult, lint_source, to_utf8
from karpathy_lint.files import InputError, read_bytes, split_bom, write_atomic
from karpathy_lint.fixes import apply_edits, select_fixes
from karpathy_lint.languages import language_for

MAX_ROUNDS = 10


class Fixed(NamedTuple):
    source: bytes  # the fixed file; the BOM, if any, kept
    applied: int  # number of fixes applied
    result: FileResult  # the lint of `source`


def fix_source(path: str, source: bytes, settings, unsafe: bool = False, first: FileResult | None = None) -> Fixed:
    """Fix `source`; `first` is its lint when the caller has it already (no second parse of the same bytes).

    A file with a PEP 263 coding cookie is fixed in UTF-8 (where every edit offset points) and written back
    in its declared encoding; if a fix brings a character that encoding cannot hold, nothing is changed.
    A notebook (.ipynb) is fixed cell by cell and written back as JSON; it raises InputError (one line)
    when the notebook cannot be written back safely.
    """
    spec = language_for(path)
    if spec is not None and spec.name == "notebook":
        from karpathy_lint.notebook.fix import fix_notebook

        new, applied = fix_notebook(path, source, settings, unsafe)
        return Fixed(new, applied, lint_source(path, split_bom(new)[1], settings))
    bom, body = split_bom(source)
    try:
        body, encoding = to_utf8(path, body)
    except InputError as exc:
        return Fixed(source, 0, FileResult(path=path, error=str(exc)))
    applied = 0
    result = first if first is not None else lint_source(path, body, settings, utf8=True)
    for _ in range(MAX_ROUNDS):
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
        result = lint_source(path, body, settings, utf8=True)
    if encoding is not None:
        if not applied:
            return Fixed(source, 0, result)
        try:
            body = body.decode("utf-8").encode(encoding)
        except UnicodeEncodeError:  # the declared encoding cannot hold what a fix wrote: keep the file
            return Fixed(source, 0, first if first is not None else result)
    return Fixed(bom + body, applied, result)


def fix_files(results: list[FileResult], resolver, *, unsafe: bool,
              diff_to: TextIO | None = None) -> tuple[list[FileResult], int]:
    """Fix every file whose result has applicable fixes; (results after fixing, fixes applied).

    Files are written atomically; with `diff_to`, nothing is written and a
    unified diff goes there instead. A result that kept the bytes it linted
    (`FileResult.source`) starts from its own findings when the file on disk
    still holds those bytes.
    """
    total = 0
    out: list[FileResult] = []
    for r in results:
        if r.error or r.syntax_error or not any(f.fix is not None and (unsafe or f.fix.applicability == "safe")
                                                for f in r.findings):
            out.append(r)
            continue
        try:
            source = read_bytes(r.path)
        except InputError as exc:
            out.append(FileResult(path=r.path, error=str(exc)))
            continue
        first = r if r.source == source else None  # edited since the check: lint what is there now
        try:
            fixed = fix_source(r.path, source, resolver.for_path(r.path), unsafe, first)
        except InputError as exc:  # a notebook that cannot be written back safely: left alone, one line
            out.append(FileResult(path=r.path, findings=r.findings, error=f"not fixed: {exc}"))
            continue
        if fixed.source == source:
            out.append(r)
            continue
        total += fixed.applied
        if diff_to is not None:
            diff_to.write(unified_diff(r.path, source, fixed.source))
            out.append(r)
        else:
            write_atomic(r.path, fixed.source)
            done = fixed.result
            out.append(FileResult(done.path, done.findings, done.error, done.syntax_error, reads=done.reads))  # no bytes
    return out, total
