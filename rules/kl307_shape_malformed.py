from karpathy_lint.rule import Invalid, Rule, Valid
from karpathy_lint.shapes.format import problems


class ShapeMalformed(Rule):
    """## What it does
    Checks that shapes in marker comments use the one format,
    `name shape [dim, dim, ...]`, with integer, identifier or `...` dims.

    ## Why is this bad?
    One format is what makes shapes checkable (`karpathy-lint verify-shapes`
    runs the code and compares) and scannable; `x: (B, T)` and
    `shape=(B, T*2)` are neither.

    ## Example
    ```python
    # Karpathy: x shape (batch, seq)
    ```

    ## Use instead
    ```python
    # Karpathy: x shape [batch, seq]
    ```
    """

    code = "KL307"
    name = "shape-malformed"
    summary = "Shape comment not in `name shape [dim, ...]` form"
    languages = ("python", "cuda")

    VALID = [
        Valid("# Karpathy: x shape [batch, seq, d_model]\nx = 1\n"),
        Valid("# Karpathy: the shape of things to come\nx = 1\n"),
        Valid("# Karpathy: h shape [..., 4, d]\nh = 1\n"),
        Valid("# Karpathy: s shape [K/128, seq_len + 1, 2*d]\ns = 1\n"),
    ]
    INVALID = [
        Invalid("# Karpathy: x shape (batch, seq)\nx = 1\n", line=1,
                column=1,
                message="shape written as 'x shape (batch, seq)': write `name shape [dim, dim]`"),
        Invalid("# Karpathy: x shape [batch, seq**2 % 3]\nx = 1\n", line=1,
                column=1,
                message="shape of `x` has dims 'seq**2 % 3': write integers, identifiers, arithmetic on them, or `...`"),
        Invalid("# Karpathy: shape: [batch, seq]\nx = 1\n", line=1,
                column=1,
                message="shape written as 'shape: [batch, seq]': write `name shape [dim, dim]`"),
        Invalid("// Karpathy: x shape (batch, dim)\nint x;\n", language="cuda",
                line=1, column=1,
                message="shape written as 'x shape (batch, dim)': write `name shape [dim, dim]`"),
    ]

    def check(self, model, settings):
        for note in model.notes:
            if "shape" not in note.text:
                continue
            for message in problems(note.text):
                c = note.comments[0]
                yield self.finding(model, c.start, c.end, message, symbol=f"<shape:{note.text[:40]}>")
