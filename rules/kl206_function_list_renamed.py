from karpathy_lint.model import Edit
from karpathy_lint.parity import parity
from karpathy_lint.rule import Invalid, Rule, Valid

from ._examples import cuda_header, header


class FunctionListRenamed(Rule):
    """## What it does
    Finds an entry whose function was renamed: the entry names nothing, and
    exactly one unlisted definition has the same params and a similar name.

    ## Why is this bad?
    The description is still right; only the name is stale. Reporting it as
    "stale" plus "missing" would invite deleting a good description.

    ## Example
    ```
    topk_route(x, k) - Keep the k best experts   # but: def route_topk(x, k)
    ```

    ## Use instead
    ```
    route_topk(x, k) - Keep the k best experts
    ```

    ## Fix safety
    Safe: only the name changes; the description is kept.
    """

    code = "KL206"
    name = "function-list-renamed"
    summary = "Function List entry names a function that was renamed"
    languages = ("python", "cuda")
    fix_applicability = "safe"

    VALID = [Valid(header("route_topk(x, k) - Keep the best") + "def route_topk(x, k):\n    return x\n")]
    INVALID = [
        Invalid(header("topk_route(x, k) - Keep the best") + "def route_topk(x, k):\n    return x\n", line=9,
                expected_fix=header("route_topk(x, k) - Keep the best") + "def route_topk(x, k):\n    return x\n",
                column=1,
                message='`topk_route` is not defined; `route_topk(x, k)` (line 15) has the same params and looks like its new name'),
        Invalid(cuda_header("topk_route(x, k) - Route") + "int route_topk(int x, int k) { return x; }\n",
                language="cuda",
                line=9, column=4,
                message='`topk_route` is not defined; `route_topk(x, k)` (line 15) has the same params and looks like its new name'),
    ]

    def check(self, model, settings):
        for entry, d in parity(model).renamed:
            name_start = entry.start
            name_end = name_start + len(entry.name.encode("utf-8"))
            written = d.display.split("(", 1)[0]  # C++ spells `Foo::bar` where the key is `Foo.bar`
            fix = self.make_fix([Edit(name_start, name_end, written)], f"Rename the entry to `{written}`")
            yield self.finding(model, entry.start, entry.end,
                               f"`{entry.name}` is not defined; `{d.display}` (line {d.line}) has the same params "
                               "and looks like its new name", fix=fix, symbol=d.qualname)
