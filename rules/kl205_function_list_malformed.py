from karpathy_lint.rule import Invalid, Rule, Valid

from ._examples import CU_F, cuda_header, header


class FunctionListMalformed(Rule):
    """## What it does
    Checks that every Function List line is an entry of the form
    `qualified_name(params) - description`, or a continuation of the previous
    entry's description indented deeper than the entries.

    ## Why is this bad?
    A line the linter cannot read is a line it cannot keep in sync with the
    code.

    ## Example
    ```
    route tokens to experts
    f(x): return x
    ```

    ## Use instead
    ```
    route(x, k) - Route tokens to experts
    f(x) - Return x
    ```
    """

    code = "KL205"
    name = "function-list-malformed"
    summary = "Function List line is not `name(params) - description`"
    languages = ("python", "cuda")

    VALID = [
        Valid(header("f(x) - Return x,\n    and a wrapped second line") + "def f(x):\n    return x\n"),
        Valid(header("C.size - A property needs no parens") + "class C:\n    @property\n    def size(self):\n"
              "        return 1\n"),
    ]
    INVALID = [
        Invalid(header("f(x) - Return x\nroute tokens to experts") + "def f(x):\n    return x\n", line=10,
                column=1,
                message=("cannot read Function List line 'route tokens to experts': unexpected text 'tokens to experts'; write "
                         '`name(params) - description`')),
        Invalid(header("f(x): return x") + "def f(x):\n    return x\n", line=9,
                column=1,
                message=("cannot read Function List line 'f(x): return x': unexpected text ': return x'; write `name(params) - "
                         'description`')),
        Invalid(header("f(x -") + "def f(x):\n    return x\n", line=9,
                column=1,
                message="cannot read Function List line 'f(x -': unclosed parenthesis; write `name(params) - description`"),
        Invalid(cuda_header("f(x) - Return x\nroute tokens to experts") + CU_F, language="cuda",
                line=10, column=4,
                message=("cannot read Function List line '* route tokens to experts': unexpected text 'tokens to experts'; write "
                         '`name(params) - description`')),
    ]

    def check(self, model, settings):
        h = model.header
        if h is None:
            return
        for entry in h.entries:
            if entry.malformed:
                line_text = model.line_text(entry.line).strip()
                yield self.finding(model, entry.start, entry.end,
                                   f"cannot read Function List line {line_text[:50]!r}: {entry.malformed}; "
                                   "write `name(params) - description`", symbol=entry.name or line_text[:40])
