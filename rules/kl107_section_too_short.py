from karpathy_lint.rule import Invalid, Rule, Valid
from karpathy_lint.rules._examples import header


class SectionTooShort(Rule):
    """## What it does
    Checks that the Role section has at least `min-role-words` words
    (default 20) and the Technical Deep Dive at least `min-deep-dive-words`
    (default 60).

    ## Why is this bad?
    "Routes tokens." is not an explanation. The Role says where the file sits
    and what it hands on; the Deep Dive explains how and why, with numbers.

    ## Example
    ```
    ** Technical Deep Dive **
    It's a router.
    ```

    ## Use instead
    Explain the mechanism step by step, the design choice, the trade-off.
    """

    code = "KL107"
    name = "section-too-short"
    summary = "Role or Deep Dive section below the word minimum"
    languages = ("python", "cuda")

    VALID = [Valid(header()), Valid(header(deep="Short but allowed here."), settings={"min_deep_dive_words": 4})]
    INVALID = [Invalid(header(deep="It's a router."), line=11), Invalid(header(role="Routes tokens."), line=5)]

    def check(self, model, settings):
        h = model.header
        if h is None:
            return
        limits = {"role": settings.min_role_words, "deep_dive": settings.min_deep_dive_words}
        for s in h.sections:
            need = limits.get(s.kind)
            words = s.words
            if need and 0 < words < need:
                yield self.finding_at_line(model, s.line, f"section `** {s.title} **` has {words} words; "
                                           f"write at least {need}", symbol=f"<section:{s.kind}>")
