from karpathy_lint.model import Edit
from karpathy_lint.parity import delete_range, parity
from karpathy_lint.rule import Invalid, Rule, Valid

from ._examples import CU_F, cuda_header, header


class FunctionListDuplicate(Rule):
    """## What it does
    Checks that no name is listed twice in the Function List.

    ## Why is this bad?
    Two entries for one function drift apart: one gets updated, the other
    lies.

    ## Example
    ```
    f(x) - Return x
    f(x) - Also return x
    ```

    ## Use instead
    Keep one entry.

    ## Fix safety
    Unsafe: the fix deletes the second entry and its description.
    """

    code = "KL204"
    name = "function-list-duplicate"
    summary = "Name listed twice in the Function List"
    languages = ("python", "cuda")
    fix_applicability = "unsafe"

    VALID = [Valid(header("f(x) - Return x") + "def f(x):\n    return x\n")]
    INVALID = [
        Invalid(header("f(x) - Return x\nf(x) - Again") + "def f(x):\n    return x\n", line=10,
                expected_fix=header("f(x) - Return x") + "def f(x):\n    return x\n",
                column=1,
                message='`f` is listed twice (first on line 9)'),
        Invalid(cuda_header("f(x) - Return x\nf(x) - Again") + CU_F, language="cuda",
                line=10, column=4,
                message='`f` is listed twice (first on line 9)'),
    ]

    def check(self, model, settings):
        for entry, first in parity(model).duplicates:
            start, end = delete_range(model, entry)
            fix = self.make_fix([Edit(start, end, "")], f"Remove the second `{entry.name}` entry")
            yield self.finding(model, entry.start, entry.end,
                               f"`{entry.name}` is listed twice (first on line {first.line})", fix=fix,
                               symbol=entry.name)
