from karpathy_lint.model import Edit
from karpathy_lint.parity import parity
from karpathy_lint.rule import Invalid, Rule, Valid

from ._examples import CU_F, cuda_header, header


class FunctionListParams(Rule):
    """## What it does
    Checks that an entry's params match the definition's: the same names in
    the same order (defaults, stars and a bare `*` or `/` may be written or
    left out). The message shows the real signature.

    ## Why is this bad?
    A signature in the index that no longer matches the code teaches the
    wrong call.

    ## Example
    ```
    route(x, k) - pick experts        # but: def route(x, k, bias=None)
    ```

    ## Use instead
    ```
    route(x, k, bias=None) - pick experts
    ```

    ## Fix safety
    Safe: only the text between the parentheses changes; the description is
    kept.
    """

    code = "KL203"
    name = "function-list-params"
    summary = "Function List params differ from the definition"
    languages = ("python", "cuda")
    fix_applicability = "safe"

    VALID = [
        Valid(header("f(x, k=2) - Defaults may be written") + "def f(x, k=2):\n    return x\n"),
        Valid(header("f(x, k) - or left out") + "def f(x, k=2):\n    return x\n"),
        Valid(header("f(x, *args, **kwargs) - Stars") + "def f(x, *args, **kwargs):\n    return x\n"),
        Valid(header("f(x, *, k) - Bare star") + "def f(x, *, k):\n    return x\n"),
        Valid(header("f(x, k) - Bare star left out") + "def f(x, *, k):\n    return x\n"),
        Valid(header("Cfg(d_model, n_heads=4) - Dataclass fields") +
              "from dataclasses import dataclass\n@dataclass\nclass Cfg:\n    d_model: int = 64\n"
              "    n_heads: int = 4\n"),
    ]
    INVALID = [
        Invalid(header("f(x, k) - Keep me") + "def f(x, k, bias=None):\n    return x\n", line=9,
                expected_fix=header("f(x, k, bias) - Keep me") + "def f(x, k, bias=None):\n    return x\n",
                column=1,
                message='params of `f` differ: listed (x, k), defined `f(x, k, bias)`'),
        Invalid(header("f(k, x) - Order matters") + "def f(x, k):\n    return x\n", line=9,
                expected_fix=header("f(x, k) - Order matters") + "def f(x, k):\n    return x\n",
                column=1,
                message='params of `f` differ: listed (k, x), defined `f(x, k)`'),
        Invalid(header("C.m(self, x) - self is not written") +
                "class C:\n    def m(self, x):\n        return x\n", line=9,
                expected_fix=header("C.m(x) - self is not written") + "class C:\n    def m(self, x):\n        return x\n",
                column=1,
                message='params of `C.m` differ: listed (self, x), defined `C.m(x)`'),
        Invalid(cuda_header("f(k) - Return x") + CU_F, language="cuda",
                line=9, column=4,
                message='params of `f` differ: listed (k), defined `f(x)`'),
    ]

    def check(self, model, settings):
        for entry, d in parity(model).params:
            params = d.display[d.display.find("(") + 1 : -1] if d.display.endswith(")") else ""
            if entry.params_start is not None and entry.params_end is not None:
                fix = self.make_fix([Edit(entry.params_start, entry.params_end, params)],
                                    f"Write the params as `{params}`")
            else:
                fix = self.make_fix([Edit(entry.name_end, entry.name_end, f"({params})")],
                                    f"Write the params as `{params}`")
            listed = "(" + ", ".join(entry.params) + ")" if entry.params is not None else "no params"
            yield self.finding(model, entry.start, entry.end,
                               f"params of `{entry.name}` differ: listed {listed}, defined `{d.display}`",
                               fix=fix, symbol=d.qualname)
