"""One file: read -> decode -> parse -> rules -> suppressions.

Files that cannot be read or decoded are not findings: they come back as a
`FileResult` with `error` set, which the CLI prints as one line and turns into
exit code 2. A file that does not parse gets only the rules that read broken
files (KL001, syntax-error) and sets `syntax_error` (exit code 2).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from karpathy_lint.files import InputError, decode, split_bom
from karpathy_lint.languages import language_for, not_readable_message
from karpathy_lint.model import Finding, SourceModel
from karpathy_lint.registry import all_rules, enabled_codes
from karpathy_lint.rule import Rule
from karpathy_lint.suppressions import collect as collect_suppressions


@dataclass
class FileResult:
    path: str
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None  # one line: why the file could not be checked
    syntax_error: bool = False
    source: bytes | None = None  # the bytes linted, kept only for `--fix` on a file with fixes


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


def build_model(path: str, source: bytes, settings) -> SourceModel:
    """Decode and parse; raises InputError for undecodable input."""
    language = language_for(path)
    if language is None:
        raise InputError(not_readable_message())
    text = decode(source)
    return language.parse(path, source, text, settings)


def lint_source(path: str, source: bytes, settings) -> FileResult:
    """Decode, parse once, run the enabled rules, drop suppressed findings."""
    result = FileResult(path=path)
    _, body = split_bom(source)
    try:
        model = build_model(path, body, settings)
    except InputError as exc:
        result.error = str(exc)
        return result
    result.syntax_error = model.syntax_error is not None
    result.findings = check_model(model, settings)
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
    if findings and model.syntax_error is None:
        sup = collect_suppressions(model)
        findings = [f for f in findings if not sup.hides(f)]
    if model.cells is not None:  # a notebook: positions move into the cells (fix edits keep their offsets)
        findings = [model.cells.place(model, f) for f in findings]
    findings.sort(key=Finding.sort_key)
    return findings
