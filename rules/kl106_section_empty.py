from karpathy_lint.parity import requires_entry
from karpathy_lint.rule import Invalid, Rule, Valid

from ._examples import CU_F, cuda_header, header


class SectionEmpty(Rule):
    """## What it does
    Checks that every header section holds text. The Function List may be
    empty when the file defines nothing that must be listed (constants,
    re-exports, C++ members defined in a class body only): it then says,
    truly, that there is nothing to list.

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

    VALID = [Valid(header()),
             # nothing to list: the empty Function List is the truth (a line of prose there would be KL205)
             Valid(header(entries="") + "from os import path\nLIMIT = 3\n"),
             Valid(cuda_header(entries="") + "struct Tile {\n  int size() const { return 4; }\n};\n",
                   language="cuda")]
    INVALID = [
        Invalid(header(deep=""), line=11, column=1, message='section `** Technical Deep Dive **` is empty'),
        Invalid(header(entries="") + "def f(x):\n    return x\n", line=8, column=1,
                message='section `** Function List **` is empty'),
        Invalid(cuda_header(entries="") + CU_F, language="cuda",
                line=8, column=2,
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
                if s.kind == "function_list" and not any(map(requires_entry, model.definitions)):
                    continue  # nothing must be listed: empty is the truth
                yield self.finding_at_line(model, s.line, f"section `** {s.title} **` is empty",
                                           symbol=f"<section:{s.kind}>")
