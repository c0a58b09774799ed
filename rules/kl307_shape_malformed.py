from karpathy_lint.model import Edit
from karpathy_lint.rule import Invalid, Rule, Valid
from karpathy_lint.shapes.format import problems, repairs


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

    ## Fix safety
    Safe, where there is one obvious rewrite (`x shape (B, T)` or
    `x shape: [B, T]` -> `x shape [B, T]`): only the brackets and separator
    in the comment change.
    """

    code = "KL307"
    name = "shape-malformed"
    summary = "Shape comment not in `name shape [dim, ...]` form"
    languages = ("python", "cuda")
    fix_applicability = "safe"

    VALID = [
        Valid("# Karpathy: x shape [batch, seq, d_model]\nx = 1\n"),
        Valid("# Karpathy: the shape of things to come\nx = 1\n"),
        Valid("# Karpathy: h shape [..., 4, d]\nh = 1\n"),
        Valid("# Karpathy: s shape [K/128, seq_len + 1, 2*d]\ns = 1\n"),
    ]
    INVALID = [
        Invalid("# Karpathy: x shape (batch, seq)\nx = 1\n", line=1,
                expected_fix="# Karpathy: x shape [batch, seq]\nx = 1\n",
                column=1,
                message="shape written as 'x shape (batch, seq)': write `name shape [dim, dim]`"),
        Invalid("# Karpathy: att shape (B, H, T, T), one row per query\natt = 1\n", line=1,
                expected_fix="# Karpathy: att shape [B, H, T, T], one row per query\natt = 1\n",
                column=1, message="shape written as 'att shape (B, H, T, T)': write `name shape [dim, dim]`"),
        Invalid("# Karpathy: x shape [batch, seq**2 % 3]\nx = 1\n", line=1,
                column=1,
                message="shape of `x` has dims 'seq**2 % 3': write integers, identifiers, arithmetic on them, or `...`"),
        Invalid("# Karpathy: shape: [batch, seq]\nx = 1\n", line=1,
                column=1,
                message="shape written as 'shape: [batch, seq]': write `name shape [dim, dim]`"),
        Invalid("// Karpathy: x shape (batch, dim)\nint x;\n", language="cuda",
                line=1, column=1, expected_fix="// Karpathy: x shape [batch, dim]\nint x;\n",
                message="shape written as 'x shape (batch, dim)': write `name shape [dim, dim]`"),
    ]

    def check(self, model, settings):
        for note in model.notes:
            if "shape" not in note.text:
                continue
            fix = self._fix(note)
            for message in problems(note.text):
                c = note.comments[0]
                yield self.finding(model, c.start, c.end, message, fix=fix, symbol=f"<shape:{note.text[:40]}>")
                fix = None  # one fix per comment, on its first finding

    def _fix(self, note):
        edits = []
        for written, fixed in repairs(note.text):
            for c in note.comments:
                at = c.text.find(written)
                if at != -1:
                    start = c.start + len(c.text[:at].encode("utf-8"))
                    edits.append(Edit(start, start + len(written.encode("utf-8")), fixed))
                    break
        return self.make_fix(edits, "Write the shape as `name shape [dims]`") if edits else None
