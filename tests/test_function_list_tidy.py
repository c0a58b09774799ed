"""The Function List stays tidy when tools add to it (issue 19, "Things people expect")."""
from __future__ import annotations


from karpathy_lint.codemods.scaffold import scaffold_source
from karpathy_lint.config import Settings
from karpathy_lint.engine import lint_source
from karpathy_lint.fixer import fix_source
from karpathy_lint.rules._examples import header

S = Settings(project="DeepSeek", project_from="config", select=("KL2",))


def entries(source: bytes) -> list[str]:
    text = source.decode()
    body = text.split("** Function List **\n", 1)[1].split("\n\n", 1)[0]
    return body.splitlines()


def test_missing_entries_are_added_in_source_order():
    code = ("def a(x):\n    return x\n\ndef b(x):\n    return x\n\ndef c(x):\n    return x\n\n"
            "def d(x):\n    return x\n")
    src = header("b(x) - Second\nd(x) - Fourth") + code
    fixed = fix_source("m.py", src.encode(), S).source
    assert entries(fixed) == ["a(x) - TODO: describe", "b(x) - Second", "c(x) - TODO: describe", "d(x) - Fourth"]
    assert [f.code for f in lint_source("m.py", fixed, S).findings] == []


def test_defaults_are_left_out():
    src = header("f(x) - First") + "def f(x):\n    return x\n\ndef g(y, k=2, *, eps=1e-6):\n    return y\n"
    fixed = fix_source("m.py", src.encode(), S).source
    assert entries(fixed)[1] == "g(y, k, *, eps) - TODO: describe"


def test_long_entries_wrap_in_the_continuation_form():
    params = ", ".join(f"parameter_number_{i}" for i in range(6))
    code = f"def f(x):\n    return x\n\ndef long_function_name({params}):\n    return 1\n"
    src = header("f(x) - First") + code
    fixed = fix_source("m.py", src.encode(), S.updated(function_list_width=80)).source
    first, cont = entries(fixed)[1:3]
    assert first == f"long_function_name({params}) -"
    assert cont == "    TODO: describe"
    assert lint_source("m.py", fixed, S).findings == []  # the wrapped entry reads back as the same entry
    wide = fix_source("m.py", src.encode(), S.updated(function_list_width=200)).source
    assert entries(wide)[1] == f"long_function_name({params}) - TODO: describe"


def test_scaffold_lists_in_source_order():
    code = b"def zeta(x):\n    return x\n\nclass Alpha:\n    def run(self, y=3):\n        return y\n"
    new = scaffold_source("m.py", code, Settings(project="P", project_from="config")).new
    assert entries(new) == ["zeta(x) - TODO: describe", "Alpha(...) - TODO: describe", "Alpha.run(y) - TODO: describe"]
