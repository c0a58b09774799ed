"""Every rule's own VALID and INVALID examples, run through the real engine."""
from __future__ import annotations

import pytest

from karpathy_lint.config import Settings
from karpathy_lint.engine import lint_source
from karpathy_lint.fixes import apply_edits, select_fixes
from karpathy_lint.languages import LANGUAGES
from karpathy_lint.registry import all_rules

RULES = all_rules()


def _settings(case) -> Settings:
    return Settings().updated(**case.settings)


def _name(case) -> str:
    return "example.py" if case.language == "python" else "example.cu"


def _findings(rule, case, source: bytes):
    result = lint_source(_name(case), source, _settings(case))
    if rule.code != "KL001":  # a file that does not parse could not be checked: that is its error
        assert result.error is None, result.error
        assert not result.syntax_error, f"example does not parse: {case.code!r}"
    return [f for f in result.findings if f.code == rule.code]


def _cases(kind):
    for rule in RULES:
        for i, case in enumerate(getattr(rule, kind)):
            yield pytest.param(rule, case, id=f"{rule.code}-{rule.name}-{kind.lower()}{i}")


@pytest.mark.parametrize("rule,case", list(_cases("VALID")))
def test_valid_examples(rule, case):
    found = _findings(rule, case, case.code.encode())
    assert found == [], [f.message for f in found]


@pytest.mark.parametrize("rule,case", list(_cases("INVALID")))
def test_invalid_examples(rule, case):
    found = _findings(rule, case, case.code.encode())
    assert found, f"{rule.code} reported nothing on:\n{case.code}"
    # every INVALID example says where and what: line, column and the whole message
    assert None not in (case.line, case.column, case.message), "INVALID examples give line, column and message"
    assert (case.line, case.column, case.message) in [(f.line, f.column, f.message) for f in found], \
        [(f.line, f.column, f.message) for f in found]
    if case.count is not None:
        assert len(found) == case.count, [f.message for f in found]
    if case.expected_fix is not None:
        source = case.code.encode()
        for _ in range(10):
            edits = select_fixes(_findings(rule, case, source), unsafe=True)
            if not edits:
                break
            source = apply_edits(source, edits)
        assert source.decode() == case.expected_fix
        assert all(f.fix.applicability == rule.fix_applicability for f in found if f.fix is not None)


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_every_language_a_rule_claims_has_an_invalid_example(rule):
    assert rule.languages, f"{rule.code} states no languages"
    assert set(rule.languages) <= set(LANGUAGES), rule.languages
    shown = {case.language for case in rule.INVALID}
    assert set(rule.languages) <= shown, f"{rule.code} claims {sorted(set(rule.languages) - shown)} without an example"


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_rule_is_documented(rule):
    doc = rule.__doc__ or ""
    for heading in ("What it does", "Why is this bad?", "Example", "Use instead"):
        assert heading in doc, f"{rule.code} docstring lacks {heading!r}"
    assert rule.VALID and rule.INVALID, f"{rule.code} needs VALID and INVALID examples"
    if rule.fixable():  # fixable means: declares a fix applicability, and an example shows the fix
        assert "Fix safety" in doc
        assert rule.fix_applicability in ("safe", "unsafe")
        assert any(case.expected_fix is not None for case in rule.INVALID), f"{rule.code}: no example of its fix"
    else:
        assert all(case.expected_fix is None for case in rule.INVALID), f"{rule.code} fixes without applicability"
    assert rule.code.startswith("KL") and len(rule.code) == 5
    assert rule.name == rule.name.lower() and " " not in rule.name


def test_codes_and_names_unique():
    codes = [r.code for r in RULES]
    names = [r.name for r in RULES]
    assert len(set(codes)) == len(codes)
    assert len(set(names)) == len(names)
