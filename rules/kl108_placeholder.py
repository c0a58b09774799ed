from karpathy_lint.rule import Invalid, Option, Rule, Valid

from ._examples import CU_F, cuda_header, header
from ._placeholders import placeholder_pattern


class PlaceholderLeft(Rule):
    """## What it does
    Checks that the header holds no placeholder: `TODO`, `FIXME`, `XXX` or
    `<describe>` (the `placeholders` setting). One finding per header, at
    the first placeholder, with the count: a fresh scaffold is one problem.

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

    VALID = [Valid(header()), Valid(header(entries="f(x) - Return x, the TODOs of life")),
             Valid(header(entries="f(x) - Return x for MASTODON_FIXME, size XXXL")),
             # a docstring written for something else is no header (KL101 reports the missing one)
             Valid('"""Old helpers.\n\nTODO: remove in the next release\n"""\nx = 1\n'),]
    INVALID = [Invalid(header(entries="f(x) - TODO: describe"), line=9,
                       column=1,
                       message='placeholder `TODO` left in the header'),
               Invalid(header(deep="<describe> " * 70), line=12,
                       column=1,
                       message='placeholder `<describe>` left in the header'),
        Invalid(cuda_header(entries="f(x) - TODO: describe") + CU_F, language="cuda",
                line=9, column=2,
                message='placeholder `TODO` left in the header'),
        Invalid(header(entries="f(x) - TODO: describe\ng(y) - TODO: describe", role="TODO: role"), line=6,
                column=1, count=1,
                message="3 placeholders left in the header (first: `TODO` on line 6; last on line 10): replace each "
                        "with real text"),
    ]

    def check(self, model, settings):
        h = model.header
        pattern = placeholder_pattern(tuple(settings.placeholders))
        if h is None or pattern is None or not h.is_convention_header:
            return
        if not pattern.search("\n".join(hl.text for hl in h.lines)):
            return  # one search over the whole header (a placeholder on a line is one there too), then per line
        hits = [(hl, m) for hl in h.lines for m in [pattern.search(hl.text)] if m]
        if not hits:
            return
        first, m = hits[0]
        if len(hits) == 1:
            message = f"placeholder `{m.group(0)}` left in the header"
        else:
            message = (f"{len(hits)} placeholders left in the header (first: `{m.group(0)}` on line {first.line}; "
                       f"last on line {hits[-1][0].line}): replace each with real text")
        yield self.finding_at_line(model, first.line, message, symbol="<placeholders>")
