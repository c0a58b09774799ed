from karpathy_lint.rule import Invalid, Option, Rule, Valid

from ._examples import CU_F, cuda_header, header
from ._placeholders import placeholder_pattern


class SectionTooShort(Rule):
    """## What it does
    Checks that the Role section has at least `min-role-words` words
    (default 20) and the Technical Deep Dive at least `min-deep-dive-words`
    (default 60). Lines holding a placeholder (KL108) do not count; a
    section that holds only placeholders is KL108's finding, not also this
    rule's.

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
    options = (
        Option("min-role-words", "count", 20, "fewest words the Role section may hold"),
        Option("min-deep-dive-words", "count", 60, "fewest words the Technical Deep Dive may hold"),
    )

    VALID = [Valid(header()), Valid(header(deep="Short but allowed here."), settings={"min_deep_dive_words": 4})]
    VALID += [Valid(header(role="TODO: say where this file sits in the system and what calls it"))]
    INVALID = [
        Invalid(header(deep="It's a router."), line=11, column=1,
                message="section `** Technical Deep Dive **` has 3 words; write at least 60"),
        Invalid(header(role="Routes tokens."), line=5, column=1,
                message="section `** This File's Role in DeepSeek **` has 2 words; write at least 20"),
        Invalid(cuda_header(deep="It's a kernel.") + CU_F, language="cuda",
                line=11, column=2,
                message='section `** Technical Deep Dive **` has 3 words; write at least 60'),
        Invalid(header(role="Routes tokens.\nTODO: say more about where this file sits and what calls it"),
                line=5, column=1, message="section `** This File's Role in DeepSeek **` has 2 words; write at least 20"),
    ]

    def check(self, model, settings):
        h = model.header
        if h is None:
            return
        limits = {"role": settings.min_role_words, "deep_dive": settings.min_deep_dive_words}
        pattern = placeholder_pattern(tuple(settings.placeholders))
        for s in h.sections:
            need = limits.get(s.kind)
            if not need:
                continue
            real = [hl for hl in s.body if pattern is None or not pattern.search(hl.text)]
            words = sum(len(hl.text.split()) for hl in real)
            if len(real) < len(s.body) and words == 0:
                continue  # nothing but placeholders: KL108 reports it
            if 0 < words < need:
                yield self.finding_at_line(model, s.line, f"section `** {s.title} **` has {words} words; "
                                           f"write at least {need}", symbol=f"<section:{s.kind}>")
