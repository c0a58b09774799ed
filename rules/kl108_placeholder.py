import re

from karpathy_lint.rule import Invalid, Option, Rule, Valid

from ._examples import CU_F, cuda_header, header


class PlaceholderLeft(Rule):
    """## What it does
    Checks that the header holds no placeholder: `TODO`, `FIXME`, `XXX` or
    `<describe>` (the `placeholders` setting).

    ## Why is this bad?
    `karpathy-scaffold` fills descriptions with placeholders so that a new
    file is never mistaken for a finished one; they must be replaced by real
    text before the file is done.

    ## Example
    ```
    route(x, k) - TODO: describe
    ```

    ## Use instead
    ```
    route(x, k) - Score every token against every expert and keep the top k
    ```
    """

    code = "KL108"
    name = "placeholder-left"
    summary = "Header still holds a scaffold placeholder"
    languages = ("python", "cuda")
    options = (Option("placeholders", "strings", ("TODO", "FIXME", "XXX", "<describe>"),
                      "words that mark unfinished header text"),)

    VALID = [Valid(header()), Valid(header(entries="f(x) - Return x, the TODOs of life")),]
    INVALID = [Invalid(header(entries="f(x) - TODO: describe"), line=9,
                       column=1,
                       message='placeholder `TODO` left in the header'),
               Invalid(header(deep="<describe> " * 70), line=12,
                       column=1,
                       message='placeholder `<describe>` left in the header'),
        Invalid(cuda_header(entries="f(x) - TODO: describe") + CU_F, language="cuda",
                line=9, column=2,
                message='placeholder `TODO` left in the header'),
    ]

    def check(self, model, settings):
        h = model.header
        if h is None or not settings.placeholders:
            return
        parts = [rf"\b{re.escape(p)}\b" if p[:1].isalnum() and p[-1:].isalnum() else re.escape(p)
                 for p in settings.placeholders]
        pattern = re.compile("|".join(parts))
        for hl in h.lines:
            m = pattern.search(hl.text)
            if m:
                yield self.finding_at_line(model, hl.line, f"placeholder `{m.group(0)}` left in the header",
                                           symbol=f"<placeholder:{hl.text.strip()[:40]}>")
