from karpathy_lint.model import Edit
from karpathy_lint.rule import Invalid, Rule, Valid


class MarkerMalformed(Rule):
    """## What it does
    Checks the spelling of inline markers: exactly `# Karpathy: text` in
    Python and `// Karpathy: text` in CUDA (the `marker` setting names the
    word).

    ## Why is this bad?
    Tools that collect, count or verify the comments (this linter,
    `verify-shapes`, editors' search) find them by the exact marker.
    `#Karpathy:`, `# karpathy:`, `# KARPATHY:`, `# Karpathy -` slip through.

    ## Example
    ```python
    #karpathy - x shape [batch, d_model]
    ```

    ## Use instead
    ```python
    # Karpathy: x shape [batch, d_model]
    ```

    ## Fix safety
    Safe: only the marker is rewritten; the text is kept.
    """

    code = "KL301"
    name = "marker-malformed"
    summary = "Inline marker misspelt"
    languages = ("python", "cuda")
    fix_applicability = "safe"

    VALID = [
        Valid("x = 1  # Karpathy: one is enough\n"),
        Valid("# Karpathy's idea, in plain words (not a marker)\nx = 1\n"),
        Valid("int x = 1;  // Karpathy: one\n", language="cuda"),
    ]
    INVALID = [
        Invalid("x = 1\n#Karpathy: tight\n", line=2, expected_fix="x = 1\n# Karpathy: tight\n",
                column=1,
                message='malformed marker `#Karpathy: tight`: write `# Karpathy: tight`'),
        Invalid("x = 1  # karpathy: lower\n", line=1, expected_fix="x = 1  # Karpathy: lower\n",
                column=8,
                message='malformed marker `# karpathy: lower`: write `# Karpathy: lower`'),
        Invalid("# KARPATHY: loud\nx = 1\n", line=1, expected_fix="# Karpathy: loud\nx = 1\n",
                column=1,
                message='malformed marker `# KARPATHY: loud`: write `# Karpathy: loud`'),
        Invalid("# Karpathy - dash\nx = 1\n", line=1, expected_fix="# Karpathy: dash\nx = 1\n",
                column=1,
                message='malformed marker `# Karpathy - dash`: write `# Karpathy: dash`'),
        Invalid("#  Karpathy :spaced\nx = 1\n", line=1, expected_fix="# Karpathy: spaced\nx = 1\n",
                column=1,
                message='malformed marker `#  Karpathy :spaced`: write `# Karpathy: spaced`'),
        Invalid("int x;  //karpathy: c\n", line=1, language="cuda", expected_fix="int x;  // Karpathy: c\n",
                column=9,
                message='malformed marker `//karpathy: c`: write `// Karpathy: c`'),
    ]

    def check(self, model, settings):
        for note in model.notes:
            if note.status == "malformed":
                c = note.comments[0]
                fix = self.make_fix([Edit(c.start, c.end, note.fixed_marker_line)], "Normalise the marker")
                yield self.finding(model, c.start, c.end,
                                   f"malformed marker `{c.text[:24]}`: write `{note.fixed_marker_line[:40]}`",
                                   fix=fix, symbol=f"<marker:{note.text[:40]}>")
