import bisect

from karpathy_lint.rule import Invalid, Option, Rule, Valid

from ._plain import marker, plain_note

FUNCTION_KINDS = ("function", "method", "property", "kernel", "device", "host", "nested")


class FunctionUncommented(Rule):
    """## What it does
    Checks that every function or method with `function-min-statements` or
    more statements (default 3, counted recursively, docstring excluded) holds
    at least one marker comment inside its body.

    ## Why is this bad?
    Functions are where the logic lives. A file can meet its density target
    with comments in one place while its hardest function says nothing.

    ## Example
    ```python
    def route(x, k):
        scores = x @ w
        top = scores.topk(k)
        return top
    ```

    ## Use instead
    ```python
    def route(x, k):
        # Karpathy: scores shape [tokens, n_experts], one score per expert
        scores = x @ w
        top = scores.topk(k)
        return top
    ```
    """

    code = "KL305"
    name = "function-uncommented"
    summary = "Function with several statements has no inline comment"
    languages = ("python", "cuda")
    options = (Option("function-min-statements", "positive", 3,
                      "statements from which a function needs an inline comment"),)

    VALID = [
        Valid("def f(x):\n    # Karpathy: double then shift\n    y = x * 2\n    z = y + 1\n    return z\n"),
        Valid("def f(x):\n    return x\n"),
        Valid("__global__ void k(float* x) {\n  // Karpathy: one thread, one element\n  int i = threadIdx.x;\n"
              "  x[i] = 0;\n  x[i] += 1;\n}\n", language="cuda"),
    ]
    INVALID = [
        Invalid("def f(x):\n    y = x * 2\n    z = y + 1\n    return z\n", line=1,
                column=1,
                message='`f` has 3 statements and no `# Karpathy:` comment'),
        Invalid("class C:\n    def m(self, x):\n        y = x\n        z = y\n        return z\n", line=2,
                column=5,
                message='`C.m` has 3 statements and no `# Karpathy:` comment'),
        Invalid("__global__ void k(float* x) {\n  int i = threadIdx.x;\n  x[i] = 0;\n  x[i] += 1;\n}\n",
                language="cuda", line=1,
                column=1,
                message='`k` has 3 statements and no `// Karpathy:` comment'),
    ]

    def check(self, model, settings):
        lines = sorted(n.line for n in model.notes)
        for d in model.definitions:
            if d.kind not in FUNCTION_KINDS or d.statements < settings.function_min_statements:
                continue
            lo = bisect.bisect_left(lines, model.line_of(d.start))
            hi = bisect.bisect_right(lines, d.end_line)
            if lo == hi:
                yield self.finding_at_line(model, d.line,
                                           f"`{d.qualname}` has {d.statements} statements and no "
                                           f"`{marker(model, settings)}` comment"
                                           f"{plain_note(model, model.line_of(d.start), d.end_line)}",
                                           symbol=d.qualname)
