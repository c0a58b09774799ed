"""Suppressions do what the README says; unused ones are reported (issue 19, item 4)."""
from __future__ import annotations


from karpathy_lint.config import Settings
from karpathy_lint.engine import lint_source
from karpathy_lint.fixer import fix_source
from karpathy_lint.rules._examples import header

S = Settings(project="DeepSeek", project_from="config")


def codes(source: str, **settings) -> list[str]:
    result = lint_source("example.py", source.encode(), S.updated(**settings))
    assert result.error is None, result.error
    return [f.code for f in result.findings]


FUNC = "def f(x, w):\n    y = x @ w{directive}\n    return y\n"


def test_readme_example_line_directive_silences_kl306():
    assert codes(FUNC.format(directive=""), select=("KL306",)) == ["KL306"]
    assert codes(FUNC.format(directive="  # karpathy-lint: ignore[KL306]"), select=("KL306", "KL002")) == []


def test_unused_directive_is_reported_with_a_safe_fix():
    src = "def f(x):\n    y = x + 1  # karpathy-lint: ignore[KL306]\n    return y\n"
    assert codes(src, select=("KL306", "KL002")) == ["KL002"]
    fixed, n, _ = fix_source("example.py", src.encode(), S.updated(select=("KL306", "KL002")))
    assert fixed.decode() == "def f(x):\n    y = x + 1\n    return y\n" and n == 1
    own_line = "# karpathy-lint: file-ignore[shape-missing]\nx = 1\n"
    fixed = fix_source("example.py", own_line.encode(), S.updated(select=("KL306", "KL002"))).source
    assert fixed.decode() == "x = 1\n"


def test_partly_used_directive_loses_only_the_unused_code():
    src = FUNC.format(directive="  # karpathy-lint: ignore[KL306, KL305]")
    assert codes(src, select=("KL305", "KL306", "KL002"), function_min_statements=9) == ["KL002"]
    fixed = fix_source("example.py", src.encode(),
                       S.updated(select=("KL305", "KL306", "KL002"), function_min_statements=9)).source
    assert fixed.decode() == FUNC.format(directive="  # karpathy-lint: ignore[KL306]")


def test_directive_for_a_rule_not_selected_is_not_called_unused():
    assert codes(FUNC.format(directive="  # karpathy-lint: ignore[KL306]"), select=("KL002",)) == []


def test_header_finding_suppressed_without_breaking_the_header():
    title = "** This File's Role in nanoGPT **"
    src = header(project="nanoGPT").replace(title, title + "  karpathy-lint: ignore[KL109]")
    src += "def f(x):\n    return x\n"
    assert codes(src, select=("KL1", "KL2", "KL002")) == []
    entry = "f(x) - Return x  karpathy-lint: ignore[KL108]"
    src = header(entries=entry.replace("Return x", "TODO: describe")) + "def f(x):\n    return x\n"
    assert codes(src, select=("KL1", "KL2", "KL002")) == []
    # the directive is not part of the entry: a param change is still found and fixed around it
    src = header(entries="f(x) - Return y  karpathy-lint: ignore[KL501]") + "def f(x, z):\n    return x\n"
    fixed = fix_source("example.py", src.encode(), S.updated(select=("KL203",))).source
    assert "f(x, z) - Return y  karpathy-lint: ignore[KL501]" in fixed.decode()


def test_directive_on_the_def_line_still_covers_the_function():
    src = "def f(x, w):  # karpathy-lint: ignore[KL306]\n    y = x @ w\n    return y\n"
    assert codes(src, select=("KL306", "KL002")) == []


def test_misspelt_rule_in_a_directive_is_reported_with_a_suggestion():
    result = lint_source("example.py", FUNC.format(directive="  # karpathy-lint: ignore[shape-mising]").encode(),
                         S.updated(select=("KL306", "KL002")))
    messages = {f.code: f.message for f in result.findings}
    assert set(messages) == {"KL306", "KL002"}
    assert "names no rule 'shape-mising'; did you mean `shape-missing`?" in messages["KL002"]


def test_cuda_header_directive_is_one_directive():
    head = ("/*\n * Module: K\n *\n * <karpathys_code_comments>\n"
            " * ** This File's Role in DeepSeek **  karpathy-lint: ignore[KL109]\n * Role.\n *\n"
            " * ** Function List **\n * main() - Entry\n *\n * ** Technical Deep Dive **\n * Deep.\n"
            " * </karpathys_code_comments>\n */\nint main() { return 0; }\n")
    result = lint_source("k.cu", head.encode(), S.updated(select=("KL109", "KL002")))
    assert [(f.code, f.line) for f in result.findings] == [("KL002", 5)]
    fixed = fix_source("k.cu", head.encode(), S.updated(select=("KL109", "KL002"))).source.decode()
    assert " * ** This File's Role in DeepSeek **\n" in fixed
