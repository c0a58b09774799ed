from karpathy_lint.model import Edit
from karpathy_lint.parity import delete_range, parity
from karpathy_lint.rule import Invalid, Rule, Valid

from ._examples import CU_F, cuda_header, header


class FunctionListStale(Rule):
    """## What it does
    Checks that every Function List entry names something the file defines.

    ## Why is this bad?
    A learner looks for `topk_route` and finds nothing: the function was
    renamed or deleted and the index still promises it.

    ## Example
    ```python
    \"\"\"...
    ** Function List **
    topk_route(x, k) - pick experts
    ...\"\"\"
    def route(x, k, bias): ...
    ```

    ## Use instead
    Remove the entry, or rename it to the function it now describes.

    ## Fix safety
    Unsafe: the fix deletes the entry with its human-written description.
    When a definition with the same params and a similar name exists, the
    safe KL206 rename applies instead.
    """

    code = "KL201"
    name = "function-list-stale"
    summary = "Function List entry names nothing defined in the file"
    languages = ("python", "cuda")
    fix_applicability = "unsafe"

    VALID = [
        Valid(header("f(x) - Return x") + "def f(x):\n    return x\n"),
        Valid(header("_helper(x) - Private, listed anyway") + "def _helper(x):\n    return x\n"),
        Valid(header("f(x) - Defined only for type checkers") +
              "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    def f(x): ...\n"),
    ]
    INVALID = [
        Invalid(header("f(x) - Return x\ngone(y) - Used to exist") + "def f(x):\n    return x\n", line=10,
                expected_fix=header("f(x) - Return x") + "def f(x):\n    return x\n",
                column=1,
                message='`gone` is listed in the Function List but not defined in this file'),
        Invalid(cuda_header("f(x) - Return x\ngone(y) - Used to exist") + CU_F, language="cuda",
                line=10, column=4,
                message='`gone` is listed in the Function List but not defined in this file'),
    ]

    def check(self, model, settings):
        for entry in parity(model).stale:
            start, end = delete_range(model, entry)
            fix = self.make_fix([Edit(start, end, "")], f"Remove `{entry.name}` from the Function List")
            yield self.finding(model, entry.start, entry.end,
                               f"`{entry.name}` is listed in the Function List but not defined in this file",
                               fix=fix, symbol=entry.name)
