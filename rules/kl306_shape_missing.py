from karpathy_lint.rule import Invalid, Option, Rule, Valid
from karpathy_lint.shapes.format import shapes
from karpathy_lint.shapes.notation import find as common_shape


class ShapeMissing(Rule):
    """## What it does
    Checks that a Python function doing tensor work (calling `torch.*`,
    `F.*`, `einsum`, `.view`, `.reshape`, `.permute`, `.transpose` and
    similar, or using `@`) states at least one shape in a marker comment, in
    the form `name shape [dim, dim, ...]`.

    ## Why is this bad?
    Shapes are the first thing a learner loses track of in tensor code; one
    line per function saying what the tensor looks like is the cheapest
    explanation there is.

    Shapes written the common way count too, in any comment, so a code base
    can adopt the rule before it rewrites its comments: `# (B, T, C)` or
    `# [batch, seq, d]` after an assignment, `# x: [B, T, C]`, `# x is (B, T)`,
    `# ... of shape (b, t, d)`, `# ... -> (B, T, C)`. `karpathy-scaffold
    --adopt-comments` rewrites them into the convention's form.

    ## Example
    ```python
    def attend(q, k):
        return torch.softmax(q @ k.T, dim=-1)
    ```

    ## Use instead
    ```python
    def attend(q, k):
        # Karpathy: att shape [seq, seq], one row of weights per query
        att = torch.softmax(q @ k.T, dim=-1)
        return att
    ```
    """

    code = "KL306"
    name = "shape-missing"
    summary = "Tensor function states no shape"
    languages = ("python",)
    options = (Option("require-shape-comments", "bool", True, "false turns this rule off"),)

    VALID = [
        Valid("def f(x):\n    # Karpathy: y shape [batch, d]\n    y = torch.relu(x)\n    return y\n"),
        Valid("def f(x):\n    return x + 1\n"),
        Valid("def f(x):\n    return x.view(-1)\n", settings={"require_shape_comments": False}),
        Valid("def f(x):\n    y = torch.relu(x)  # (B, T, C)\n    return y\n"),
        Valid("def f(x):\n    # x: [batch, seq, d]\n    return x.view(-1)\n"),
    ]
    INVALID = [
        Invalid("def f(q, k):\n    return torch.softmax(q @ k.T, dim=-1)\n", line=1,
                column=1,
                message='`f` does tensor work but no comment states a shape: add `# Karpathy: name shape [dim, ...]`'),
        Invalid("def f(x):\n    # Karpathy: flatten it\n    return x.view(-1)\n", line=1,
                column=1,
                message='`f` does tensor work but no comment states a shape: add `# Karpathy: name shape [dim, ...]`'),
        Invalid("def f(x):\n    # (optional) flatten, see [-1]\n    return x.view(-1)\n", line=1,
                column=1,
                message='`f` does tensor work but no comment states a shape: add `# Karpathy: name shape [dim, ...]`'),
    ]

    def check(self, model, settings):
        if not settings.require_shape_comments:
            return
        spans = [(n.line, n.end_line, n.text) for n in model.notes if "shape" in n.text]
        # a shape in a common notation, in any comment (plain or marker)
        common = sorted(c.line for c in model.comments
                        if c.text.startswith("#") and common_shape(c.text[1:], settings.marker) is not None)
        for d in model.definitions:
            if not d.tensor_work or d.name == "__init__":  # constructors build modules; shapes flow in forward
                continue
            start_line = model.line_of(d.start)
            has = any(start_line <= lo <= d.end_line and any(True for _ in shapes(text)) for lo, _, text in spans) \
                or any(start_line <= line <= d.end_line for line in common)
            if not has:
                yield self.finding_at_line(model, d.line, f"`{d.qualname}` does tensor work but no comment states a "
                                           "shape: add `# Karpathy: name shape [dim, ...]`", symbol=d.qualname)
