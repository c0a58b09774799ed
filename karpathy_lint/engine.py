"""One file: read -> decode -> parse -> rules -> suppressions.

Files that cannot be read or decoded are not findings: they come back as a
`FileResult` with `error` set, which the CLI prints as one line and turns into
exit code 2. A syntax error is a KL001 finding (and also exit code 2).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from karpathy_lint.files import InputError, decode, read_bytes, split_bom
from karpathy_lint.languages import language_for, not_readable_message
from karpathy_lint.model import Finding, SourceModel


@dataclass
class FileResult:
    path: str
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None  # one line: why the file could not be checked
    syntax_error: bool = False


def enabled_rules(settings, path: str):
    codes = _base_codes(tuple(settings.select), tuple(settings.extend_select), tuple(settings.ignore))
    if settings.per_file_ignores:
        from karpathy_lint.discovery import gitignore_spec, relative

        rel = relative(path, settings.root)
        for glob, ignored in settings.per_file_ignores:
            if gitignore_spec((glob,)).match_file(rel):
                codes = codes - _base_codes(tuple(ignored), (), ())
    return set(codes), list(_rules_for(codes))


# Per distinct selection, not per file: selectors resolve against every rule class.
@lru_cache(maxsize=256)
def _base_codes(select, extend_select, ignore) -> frozenset[str]:
    from karpathy_lint.registry import enabled_codes

    return enabled_codes(select, extend_select, ignore)


@lru_cache(maxsize=1)
def _all_codes() -> frozenset[str]:
    from karpathy_lint.registry import all_rules

    return frozenset(r.code for r in all_rules())


@lru_cache(maxsize=256)
def _rules_for(codes: frozenset[str]) -> tuple:
    from karpathy_lint.registry import all_rules

    return tuple(r for r in all_rules() if r.code in codes)


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


def lint_source(path: str, source: bytes, settings, utf8: bool = False) -> FileResult:
    """Lint one file's bytes (`utf8`: already transcoded from a declared encoding, see `to_utf8`)."""
    result = FileResult(path=path)
    _, source = split_bom(source)
    try:
        model = build_model(path, source, settings, utf8)
    except InputError as exc:
        result.error = str(exc)
        return result
    codes, rules = enabled_rules(settings, path)
    if model.syntax_error is not None:
        from karpathy_lint.suppressions import file_ignored_in_text

        if file_ignored_in_text(model.text, "KL001"):
            return result  # `karpathy-lint: file-ignore[KL001]`: skipped on purpose, not a failure
        e = model.syntax_error
        result.syntax_error = True
        # whatever the selection, a file that could not be checked is said (stderr, summary, exit 2)
        result.error = f"syntax error on line {e.line}: {e.message} (file not checked)"
        if "KL001" in codes:
            result.findings.append(
                Finding(path=path, line=e.line, column=e.col, end_line=e.line, end_column=e.col,
                        code="KL001", name="syntax-error", message=f"syntax error: {e.message}")
            )
        return result
    findings: list[Finding] = []
    if model.text.strip():
        for rule in rules:
            if model.language in rule.languages:
                findings.extend(rule().check(model, settings))
    if findings or "KL002" in codes:
        from karpathy_lint.suppressions import collect

        sup = collect(model)
        findings = [f for f in findings if not sup.hides(f)]
        for rule in rules:  # rules about the directives themselves (KL002) see what each one hid
            if hasattr(rule, "check_directives") and model.language in rule.languages:
                findings.extend(rule().check_directives(model, sup, codes, set(_all_codes())))
    findings.sort(key=Finding.sort_key)
    result.findings = findings
    return result


def lint_path(path: str, settings) -> FileResult:
    try:
        source = read_bytes(path)
    except InputError as exc:
        return FileResult(path=path, error=str(exc))
    return lint_source(path, source, settings)
