from karpathy_lint.model import Edit
from karpathy_lint.parity import entry_line_text, insertion_point, parity
from karpathy_lint.rule import Invalid, Option, Rule, Valid

from ._examples import header

CU = ("/*\n * Module: K\n * <karpathys_code_comments>\n * ** Function List **\n{entries}"
      " * </karpathys_code_comments>\n */\n")
CU_CODE = "template <int BM>\n__global__ void scale(float* x, int n) { x[0] = n; }\nint main() { return 0; }\n"


class FunctionListMissing(Rule):
    """## What it does
    Checks that every definition the convention requires is listed: top-level
    functions and classes, public methods of top-level classes (`Class.method`),
    properties, and in CUDA every function with a body (kernels, device
    helpers, host launchers, templates, `main`).

    ## Why is this bad?
    The Function List is the file's index. A missing entry hides a piece of
    the file from the reader who starts at the top.

    ## Example
    ```python
    \"\"\"...
    ** Function List **
    f(x) - Return x
    ...\"\"\"
    def f(x): ...
    def g(y, k=2): ...
    ```

    ## Use instead
    ```
    ** Function List **
    f(x) - Return x
    g(y, k=2) - What g does
    ```

    ## Fix safety
    Safe: the fix adds `g(y, k) - TODO: describe` after the entry of the
    nearest listed definition above `g` (source order), without defaults;
    past `function-list-width` characters (default 100) the description
    continues on a line indented four spaces deeper. KL108 keeps flagging
    the placeholder until a person writes the description.
    """

    code = "KL202"
    name = "function-list-missing"
    summary = "Definition missing from the Function List"
    languages = ("python", "cuda")
    fix_applicability = "safe"
    options = (Option("function-list-width", "count", 100,
                      "entries the fix adds wrap their description past this many characters (0: never)"),)

    VALID = [
        Valid(header("f(x) - Return x") + "def f(x):\n    return x\n\ndef _private(y):\n    return y\n"),
        Valid(header("C(a) - A class\nC.run(x) - Run") +
              "class C:\n    def __init__(self, a):\n        self.a = a\n    def run(self, x):\n        return x\n"
              "    def _hidden(self):\n        pass\n    def __repr__(self):\n        return 'C'\n"),
        Valid(header("f(x) - One entry for both branches") +
              "try:\n    from fast import f\nexcept ImportError:\n    def f(x):\n        return x\n"),
        Valid(header("f(x) - Overloads plus implementation are one entry") +
              "from typing import overload\n@overload\ndef f(x: int) -> int: ...\n@overload\n"
              "def f(x: str) -> str: ...\ndef f(x):\n    return x\n"),
        Valid(CU.format(entries=" * scale<BM>(x, n) - Scale\n * main() - Entry\n") + CU_CODE, language="cuda"),
    ]
    INVALID = [
        Invalid(header("f(x) - Return x") + "def f(x):\n    return x\n\nasync def g(y, k=2):\n    return y\n",
                line=18,
                expected_fix=header("f(x) - Return x\ng(y, k) - TODO: describe") +
                "def f(x):\n    return x\n\nasync def g(y, k=2):\n    return y\n",
                column=1,
                message='function `g(y, k)` is missing from the Function List'),
        Invalid(header("C(a) - A class") + "class C:\n    def __init__(self, a):\n        self.a = a\n"
                "    @property\n    def size(self):\n        return 1\n", line=19,
                expected_fix=header("C(a) - A class\nC.size - TODO: describe") +
                "class C:\n    def __init__(self, a):\n        self.a = a\n    @property\n    def size(self):\n"
                "        return 1\n",
                column=5,
                message='property `C.size` is missing from the Function List'),
        Invalid(CU.format(entries=" * main() - Entry\n") + CU_CODE, language="cuda", line=8,
                expected_fix=CU.format(entries=" * scale(x, n) - TODO: describe\n * main() - Entry\n") + CU_CODE,
                column=1,
                message='kernel `scale(x, n)` is missing from the Function List'),
    ]

    def check(self, model, settings):
        result = parity(model)
        if not result.missing:
            return
        for d in result.missing:
            offset, lead = insertion_point(model, d)
            text = entry_line_text(d, width=settings.function_list_width, lead=lead)
            fix = self.make_fix([Edit(offset, offset, lead + text)], f"Add `{d.display}` to the Function List")
            what = {"method": "method", "property": "property", "class": "class", "kernel": "kernel",
                    "device": "device function"}.get(d.kind, "function")
            yield self.finding_at_line(model, d.line, f"{what} `{d.display}` is missing from the Function List",
                                       fix=fix, symbol=d.qualname)
