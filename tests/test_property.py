"""Property tests: arbitrary valid Python (hypothesmith) and arbitrary text never
crash the linter, and every fix it offers keeps the file parseable."""
from __future__ import annotations

import ast

import hypothesmith
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from karpathy_lint.config import Settings
from karpathy_lint.engine import lint_source
from karpathy_lint.fixer import fix_source

pytestmark = pytest.mark.slow  # hypothesis: hundreds of generated programs

SETTINGS = Settings()


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(hypothesmith.from_grammar())
def test_any_valid_python_is_linted_without_crashing(source):
    result = lint_source("gen.py", source.encode("utf-8"), SETTINGS)
    assert result.error is None
    assert not result.syntax_error, "valid Python reported as a syntax error"
    for f in result.findings:
        assert f.line >= 1 and f.column >= 1


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(hypothesmith.from_grammar())
def test_fixes_keep_valid_python_valid(source):
    # seed a malformed marker and a header so that fixes have something to do
    text = '"""\nModule: M\n<karpathys_code_comments>\n** Function List **\n</karpathys_code_comments>\n"""\n'
    text += "#karpathy - hi\n" + source
    try:
        ast.parse(text)
    except SyntaxError:
        return  # e.g. a `from __future__` import that must come first
    fixed = fix_source("gen.py", text.encode(), SETTINGS, unsafe=True).source
    ast.parse(fixed.decode())


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400), st.sampled_from(["x.py", "x.cu"]))
def test_arbitrary_bytes_never_crash(data, name):
    # no exception, and the result is one of: an input error (no findings), a syntax error (KL001 only),
    # or findings sorted and placed inside the file
    result = lint_source(name, data, SETTINGS)
    assert result.path == name
    codes = [f.code for f in result.findings]
    if result.syntax_error:
        # a file that could not be checked is said (the error line) and is the KL001 finding
        assert codes == ["KL001"] and result.error is not None and "\n" not in result.error
    elif result.error is not None:
        assert result.findings == [] and "\n" not in result.error
        return
    else:
        assert "KL001" not in codes
    lines = data.count(b"\n") + 1
    assert all(1 <= f.line <= f.end_line <= lines and f.column >= 1 for f in result.findings)
    assert result.findings == sorted(result.findings, key=lambda f: f.sort_key())
