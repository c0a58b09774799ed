from karpathy_lint.model import Edit
from karpathy_lint.parse.comments import marker_pattern
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
        Valid("# Karpathy style comments explain shapes (prose, not a marker)\nx = 1\n"),
        Valid("int x = 1;  // Karpathy: one\n", language="cuda"),
    ]
    INVALID = [
        Invalid("x = 1\n#Karpathy: tight\n", line=2, expected_fix="x = 1\n# Karpathy: tight\n",
                column=1,
                message='malformed marker `#Karpathy:`: write `# Karpathy:`'),
        Invalid("x = 1  # karpathy: lower\n", line=1, expected_fix="x = 1  # Karpathy: lower\n",
                column=8,
                message='malformed marker `# karpathy:`: write `# Karpathy:`'),
        Invalid("# KARPATHY: loud\nx = 1\n", line=1, expected_fix="# Karpathy: loud\nx = 1\n",
                column=1,
                message='malformed marker `# KARPATHY:`: write `# Karpathy:`'),
        Invalid("# Karpathy - dash\nx = 1\n", line=1, expected_fix="# Karpathy: dash\nx = 1\n",
                column=1,
                message='malformed marker `# Karpathy -`: write `# Karpathy:`'),
        Invalid("#  Karpathy :spaced\nx = 1\n", line=1, expected_fix="# Karpathy: spaced\nx = 1\n",
                column=1,
                message='malformed marker `#  Karpathy :`: write `# Karpathy:`'),
        Invalid("int x;  //karpathy: c\n", line=1, language="cuda", expected_fix="int x;  // Karpathy: c\n",
                column=9,
                message='malformed marker `//karpathy:`: write `// Karpathy:`'),
        Invalid("#karpathy pre-norm\nx = 1\n", line=1, expected_fix="# Karpathy: pre-norm\nx = 1\n",
                column=1,
                message='malformed marker `#karpathy`: write `# Karpathy:`'),
    ]

    def check(self, model, settings):
        for note in model.notes:
            if note.status == "malformed":
                c = note.comments[0]
                fix = self.make_fix([Edit(c.start, c.end, note.fixed_marker_line)], "Normalise the marker")
                yield self.finding(model, c.start, c.end,
                                   f"malformed marker `{written_marker(c.text, settings.marker)}`: write "
                                   f"`{note.fixed_marker_line.split(':', 1)[0]}:`",
                                   fix=fix, symbol=f"<marker:{note.text[:40]}>")


def written_marker(text: str, marker: str) -> str:
    """The marker as written, without the comment text: `#karpathy -` of `#karpathy - the text`."""
    m = marker_pattern(marker, "//" if text.startswith("//") else "#").match(text)
    return text[: m.start("rest")].rstrip() if m else text.split(" ", 1)[0]
