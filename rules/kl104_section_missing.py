from karpathy_lint.rule import Invalid, Rule, Valid

from ._examples import CU_F, cuda_header, header

EXPECTED = (("role", "This File's Role in {project}"), ("function_list", "Function List"),
            ("deep_dive", "Technical Deep Dive"))


class SectionMissing(Rule):
    """## What it does
    Checks that the header holds the three sections, each titled on its own
    line as `** Title **`: `This File's Role in <project>`, `Function List`,
    `Technical Deep Dive`.

    ## Why is this bad?
    Readers learn where to look: the role first, the index second, the long
    explanation last. A missing section is a missing piece of that map.

    ## Example
    ```python
    \"\"\"
    Module: Router
    <karpathys_code_comments>
    ** Function List **
    route(x) - pick experts
    </karpathys_code_comments>
    \"\"\"
    ```

    ## Use instead
    Add `** This File's Role in DeepSeek **` and `** Technical Deep Dive **`
    with their text.
    """

    code = "KL104"
    name = "section-missing"
    summary = "A required header section is missing"
    languages = ("python", "cuda")

    VALID = [Valid(header() + "def f(x):\n    return x\n")]
    INVALID = [
        Invalid('"""\nModule: M\n<karpathys_code_comments>\n** Function List **\nf(x) - y\n'
                '</karpathys_code_comments>\n"""\n', line=3, count=2,
                column=1,
                message="header has no `** This File's Role in <project> **` section"),
        Invalid(header().replace("** Technical Deep Dive **", "** Deep Dive **"), line=4,
                column=1,
                message="header has no `** Technical Deep Dive **` section (found unknown section(s): 'Deep Dive')"),
        Invalid(cuda_header().replace(" * ** Function List **\n * f(x) - Return x\n", "") + CU_F, language="cuda",
                line=4, column=2,
                message='header has no `** Function List **` section'),
    ]

    def check(self, model, settings):
        h = model.header
        if h is None or not h.open_tags:
            return
        present = {s.kind for s in h.sections}
        unknown = [s.title for s in h.sections if s.kind == "unknown"]
        for kind, title in EXPECTED:
            if kind not in present:
                hint = f" (found unknown section(s): {', '.join(repr(u) for u in unknown)})" if unknown else ""
                yield self.finding_at_line(
                    model, h.open_tags[0].line,
                    f"header has no `** {title.format(project=settings.project or '<project>')} **` section{hint}",
                    symbol=f"<section:{kind}>",
                )
