"""One file: read -> decode -> parse -> rules -> suppressions.

Files that cannot be read or decoded are not findings: they come back as a
`FileResult` with `error` set, which the CLI prints as one line and turns into
exit code 2. A file that does not parse gets only the rules that read broken
files (KL001, syntax-error), sets `syntax_error` and, whatever the selection,
`error` (it could not be checked: exit code 2), unless the file says
`karpathy-lint: file-ignore[KL001]`. A Python file with a PEP 263 coding
cookie is decoded as Python decodes it.
"""
from __future__ import annotations

from functools import lru_cache

from karpathy_lint.files import InputError, decode, split_bom
from karpathy_lint.languages import language_for, not_readable_message
from karpathy_lint.model import Finding, SourceModel
from karpathy_lint.reads import Recorder, Stamp
from karpathy_lint.registry import all_rules, enabled_codes
from karpathy_lint.rule import Rule
from karpathy_lint.suppressions import collect as collect_suppressions
from karpathy_lint.suppressions import file_ignored_in_text


class FileResult:
    """One file's findings; `error` is one line saying why it could not be checked; `source` holds the
    bytes linted, kept only for `--fix` on a file with fixes; `reads` the other files the rules read
    (path, mtime_ns, size), e.g. an imported sibling module: the cache checks them."""

    __slots__ = ("path", "findings", "error", "syntax_error", "source", "reads")

    def __init__(self, path: str, findings: list[Finding] | None = None, error: str | None = None,
                 syntax_error: bool = False, source: bytes | None = None, reads: tuple[Stamp, ...] = ()) -> None:
        self.path = path
        self.findings = findings if findings is not None else []
        self.error = error
        self.syntax_error = syntax_error
        self.source = source
        self.reads = reads


def enabled_rules(settings, path: str) -> tuple[type[Rule], ...]:
    """The rules that run on `path`: the selection, less its per-file ignores."""
    codes = _base_codes(tuple(settings.select), tuple(settings.extend_select), tuple(settings.ignore))
    if settings.per_file_ignores:
        from karpathy_lint.discovery import gitignore_spec, relative

        rel = relative(path, settings.root)
        for glob, ignored in settings.per_file_ignores:
            if gitignore_spec((glob,)).match_file(rel):
                codes = codes - _base_codes(tuple(ignored), (), ())
    return _rules_for(codes)


# Per distinct selection, not per file: selectors resolve against every rule class.
@lru_cache(maxsize=256)
def _base_codes(select, extend_select, ignore) -> frozenset[str]:
    return enabled_codes(select, extend_select, ignore)


@lru_cache(maxsize=256)
def _rules_for(codes: frozenset[str]) -> tuple[type[Rule], ...]:
    return tuple(r for r in all_rules() if r.code in codes)


def preload(languages) -> None:
    """Import the rules and load the grammars of `languages` once (before forking workers, so they share them)."""
    from karpathy_lint.languages import LANGUAGES

    all_rules()
    for name in languages:
        LANGUAGES[name].load_grammar()


def declared_encoding(path: str, source: bytes) -> str | None:
    """The PEP 263 coding cookie of a Python file when it names something other than UTF-8, else None.

    Read as Python reads it (`tokenize.detect_encoding`); a cookie Python rejects is an InputError.
    """
    spec = language_for(path)
    if b"coding" not in source[:512] or spec is None or spec.name != "python":  # PEP 263 is Python's
        return None
    import codecs
    import io
    import tokenize

    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
    except SyntaxError as exc:
        message = str(exc)  # "unknown encoding for 'x.py': klingon" -> "unknown encoding: klingon"
        head, _, detail = message.partition(" for ")
        raise InputError(f"{head}: {detail.split(': ', 1)[-1]}" if detail else message) from None
    name = codecs.lookup(encoding).name
    return None if name in ("utf-8", "utf-8-sig") else encoding


def to_utf8(path: str, source: bytes) -> tuple[bytes, str | None]:
    """(UTF-8 bytes to parse, the declared encoding or None): every offset in a model is into these bytes."""
    encoding = declared_encoding(path, source)
    if encoding is None:
        return source, None
    try:
        return source.decode(encoding).encode("utf-8"), encoding
    except UnicodeDecodeError as exc:
        line = source.count(b"\n", 0, exc.start) + 1
        raise InputError(f"not valid {encoding}: byte 0x{source[exc.start]:02x} on line {line}") from None


def build_model(path: str, source: bytes, settings, utf8: bool = False) -> SourceModel:
    """Decode and parse; raises InputError for undecodable input.

    A Python file with a coding cookie is transcoded to UTF-8 first (unless `utf8`: already done).
    """
    language = language_for(path)
    if language is None:
        raise InputError(not_readable_message())
    if not utf8:
        source, _ = to_utf8(path, source)
    text = decode(source)
    return language.parse(path, source, text, settings)


def checked_model(path: str, source: bytes, settings) -> SourceModel:
    """`build_model` for the writers (scaffold, --adopt-comments): a file that does not parse is
    refused as an `InputError` too (one line), since nothing can be written into it safely."""
    model = build_model(path, source, settings)
    if model.syntax_error is not None:
        e = model.syntax_error
        raise InputError(f"syntax error on line {e.line}: {e.message}")
    return model


def lint_source(path: str, source: bytes, settings, utf8: bool = False) -> FileResult:
    """Decode, parse once, run the enabled rules, drop suppressed findings.

    `utf8`: the bytes were already transcoded from a declared encoding (see `to_utf8`).
    """
    result = FileResult(path=path)
    _, body = split_bom(source)
    try:
        model = build_model(path, body, settings, utf8)
    except InputError as exc:
        result.error = str(exc)
        return result
    e = model.syntax_error
    if e is not None:
        if file_ignored_in_text(model.text, "KL001"):
            return result  # `karpathy-lint: file-ignore[KL001]`: skipped on purpose, not a failure
        # whatever the selection, a file that could not be checked is said (stderr, summary, exit 2)
        result.error = f"syntax error on line {e.line}: {e.message} (file not checked)"
    result.syntax_error = e is not None
    with Recorder() as read:
        result.findings = check_model(model, settings)
    result.reads = tuple(read.values())
    return result


def check_model(model: SourceModel, settings) -> list[Finding]:
    """The findings of the enabled rules on a parsed file, suppressions applied, sorted.

    On a file that does not parse only the rules that read broken files run
    (KL001); an empty file is clean.
    """
    rules = [r for r in enabled_rules(settings, model.path) if model.language in r.languages]
    if model.syntax_error is not None:
        rules = [r for r in rules if r.reads_broken_files]
    elif not model.text.strip():
        return []
    findings = [f for rule in rules for f in rule().check(model, settings)]
    directive_rules = [r for r in rules if r.reads_directives]  # KL002: what each directive hid
    if (findings or directive_rules) and model.syntax_error is None:
        sup = collect_suppressions(model)
        findings = [f for f in findings if not sup.hides(f)]
        codes = {r.code for r in rules}
        for rule in directive_rules:
            findings.extend(rule().check_directives(model, sup, codes, _all_codes()))
    if model.cells is not None:  # a notebook: positions move into the cells (fix edits keep their offsets)
        findings = [model.cells.place(model, f) for f in findings]
    findings.sort(key=Finding.sort_key)
    return findings


@lru_cache(maxsize=1)
def _all_codes() -> frozenset[str]:
    return frozenset(r.code for r in all_rules())
