from karpathy_lint.rule import Invalid, Rule, Valid

from ._examples import CU_F, header

ORDER = {"role": 0, "function_list": 1, "deep_dive": 2}


class SectionOrder(Rule):
    """## What it does
    Checks that the three sections come in the order Role, Function List,
    Technical Deep Dive, and that none appears twice.

    ## Why is this bad?
    Every file in a code base reads the same way when the order is fixed;
    a second Function List splits the index in two.

    ## Example
    ```
    ** Technical Deep Dive **
    ...
    ** Function List **
    ```

    ## Use instead
    Move the Deep Dive after the Function List.
    """

    code = "KL105"
    name = "section-order"
    summary = "Header sections out of order or repeated"
    languages = ("python", "cuda")

    VALID = [Valid(header())]
    INVALID = [
        Invalid('"""\nModule: M\n<karpathys_code_comments>\n** Technical Deep Dive **\nlong text\n'
                "** Function List **\nf(x) - y\n** This File's Role in DeepSeek **\nrole\n"
                '</karpathys_code_comments>\n"""\n', line=6, count=2,
                column=1,
                message='section `** Function List **` is out of order: expected Role, Function List, Technical Deep Dive'),
        Invalid(header().replace("** Technical Deep Dive **", "** Function List **\ng(x) - y\n** Technical Deep Dive **"),
                line=11,
                column=1,
                message='section `** Function List **` appears twice (first on line 8)'),
        Invalid("/*\n * Module: M\n * <karpathys_code_comments>\n * ** Technical Deep Dive **\n * long text\n"
                " * ** This File's Role in DeepSeek **\n * role\n * ** Function List **\n * f(x) - y\n"
                " * </karpathys_code_comments>\n */\n" + CU_F, language="cuda",
                line=6, column=2,
                message="section `** This File's Role in DeepSeek **` is out of order: expected Role, Function List, Technical Deep Dive"),
    ]

    def check(self, model, settings):
        h = model.header
        if h is None:
            return
        seen: dict[str, int] = {}
        highest = -1
        for s in h.sections:
            if s.kind not in ORDER:
                continue
            if s.kind in seen:
                yield self.finding_at_line(model, s.line, f"section `** {s.title} **` appears twice "
                                           f"(first on line {seen[s.kind]})", symbol=f"<section:{s.kind}>")
                continue
            seen[s.kind] = s.line
            rank = ORDER[s.kind]
            if rank < highest:
                yield self.finding_at_line(model, s.line, f"section `** {s.title} **` is out of order: expected "
                                           "Role, Function List, Technical Deep Dive", symbol=f"<section:{s.kind}>")
            highest = max(highest, rank)
