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


@lru_cache(maxsize=256)
def _rules_for(codes: frozenset[str]) -> tuple:
    from karpathy_lint.registry import all_rules

    return tuple(r for r in all_rules() if r.code in codes)


def build_model(path: str, source: bytes, settings) -> SourceModel:
    """Decode and parse; raises InputError for undecodable input."""
    language = language_for(path)
    if language is None:
        raise InputError(not_readable_message())
    text = decode(source)
    return language.parse(path, source, text, settings)


def lint_source(path: str, source: bytes, settings) -> FileResult:
    result = FileResult(path=path)
    _, source = split_bom(source)
    try:
        model = build_model(path, source, settings)
    except InputError as exc:
        result.error = str(exc)
        return result
    result.syntax_error = model.syntax_error is not None
    result.findings = check_model(model, settings)
    return result


def check_model(model: SourceModel, settings) -> list[Finding]:
    """The findings of every enabled rule on a parsed model, suppressions applied, sorted.

    Notebook findings come back placed in their cells (`Finding.cell`); their
    fix edits keep offsets into the model's (virtual) source.
    """
    path = model.path
    codes, rules = enabled_rules(settings, path)
    findings: list[Finding] = []
    if model.syntax_error is not None:
        if "KL001" in codes:
            e = model.syntax_error
            findings.append(
                Finding(path=path, line=e.line, column=e.col, end_line=e.line, end_column=e.col,
                        code="KL001", name="syntax-error", message=f"syntax error: {e.message}")
            )
    elif model.text.strip():
        for rule in rules:
            if model.language in rule.languages:
                findings.extend(rule().check(model, settings))
        if findings:
            from karpathy_lint.suppressions import collect

            sup = collect(model)
            findings = [f for f in findings if not sup.hides(f)]
    if model.cells is not None:
        findings = [model.cells.place(model, f) for f in findings]
    findings.sort(key=Finding.sort_key)
    return findings


def lint_path(path: str, settings) -> FileResult:
    try:
        source = read_bytes(path)
    except InputError as exc:
        return FileResult(path=path, error=str(exc))
    return lint_source(path, source, settings)
