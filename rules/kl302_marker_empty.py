from karpathy_lint.languages import LANGUAGES
from karpathy_lint.model import Edit
from karpathy_lint.rule import Invalid, Rule, Valid


class MarkerEmpty(Rule):
    """## What it does
    Checks that a marker has text on its own line.

    ## Why is this bad?
    `# Karpathy:` alone reads as a heading with nothing under it; the first
    sentence belongs on the marker line.

    ## Example
    ```python
    # Karpathy:
    # the text starts here
    ```

    ## Use instead
    ```python
    # Karpathy: the text starts here
    ```

    ## Fix safety
    Safe when a continuation line follows: it is pulled up onto the marker
    line. A marker with no text at all gets no fix.
    """

    code = "KL302"
    name = "marker-empty"
    summary = "Inline marker has no text"
    languages = ("python", "cuda")
    fix_applicability = "safe"

    VALID = [Valid("# Karpathy: text\nx = 1\n")]
    INVALID = [
        Invalid("# Karpathy:\n# the text\nx = 1\n", line=1, expected_fix="# Karpathy: the text\nx = 1\n",
                column=1,
                message='marker has no text on its line'),
        Invalid("x = 1  # Karpathy:\n", line=1,
                column=8,
                message='marker has no text on its line'),
        Invalid("// Karpathy\n// more\nint x;\n", line=1, language="cuda", expected_fix="// Karpathy: more\nint x;\n",
                column=1,
                message='marker has no text on its line'),
    ]

    def check(self, model, settings):
        prefix = LANGUAGES[model.language].line_comment
        for note in model.notes:
            if note.status != "empty":
                continue
            first = note.comments[0]
            fix = None
            if len(note.comments) > 1:
                nxt = note.comments[1]
                text = nxt.text[len(prefix):].strip()
                fix = self.make_fix([Edit(first.start, nxt.end, f"{prefix} {settings.marker}: {text}")],
                                    "Pull the next line up onto the marker")
            yield self.finding(model, first.start, first.end, "marker has no text on its line", fix=fix,
                               symbol="<marker-empty>")
