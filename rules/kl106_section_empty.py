from karpathy_lint.rule import Invalid, Rule, Valid

from ._examples import CU_F, cuda_header, header


class SectionEmpty(Rule):
    """## What it does
    Checks that every header section holds text.

    ## Why is this bad?
    An empty section promises an explanation and delivers nothing.

    ## Example
    ```
    ** Technical Deep Dive **
    </karpathys_code_comments>
    ```

    ## Use instead
    Write the section, or run `karpathy-scaffold` to get placeholders that
    the linter keeps flagging until they are filled.
    """

    code = "KL106"
    name = "section-empty"
    summary = "A header section has no text"
    languages = ("python", "cuda")

    VALID = [Valid(header())]
    INVALID = [Invalid(header(deep=""), line=11,
                       column=1,
                       message='section `** Technical Deep Dive **` is empty'), Invalid(header(entries=""), line=8,
                                                          column=1,
                                                          message='section `** Function List **` is empty'),
        Invalid(cuda_header(deep="") + CU_F, language="cuda",
                line=11, column=2,
                message='section `** Technical Deep Dive **` is empty'),
    ]

    def check(self, model, settings):
        h = model.header
        if h is None:
            return
        for s in h.sections:
            if s.kind != "unknown" and not any(hl.text.strip() for hl in s.body):
                yield self.finding_at_line(model, s.line, f"section `** {s.title} **` is empty",
                                           symbol=f"<section:{s.kind}>")
