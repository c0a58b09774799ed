from karpathy_lint.model import Edit
from karpathy_lint.rule import Invalid, Rule, Valid

from ._examples import CU_F, cuda_header, header


class RoleProject(Rule):
    """## What it does
    Checks that the Role section's title names the configured project:
    `** This File's Role in <project> **` (setting `project`, default
    `DeepSeek`).

    ## Why is this bad?
    The title tells the reader which system the file belongs to; a copied
    header that names another project misleads.

    ## Example
    ```
    ** This File's Role in nanoGPT **
    ```

    ## Use instead
    ```
    ** This File's Role in DeepSeek **
    ```

    ## Fix safety
    Safe: only the project name in the title changes.
    """

    code = "KL109"
    name = "role-project"
    summary = "Role section title names another project"
    languages = ("python", "cuda")
    fix_applicability = "safe"

    VALID = [Valid(header()), Valid(header(project="MyLab"), settings={"project": "MyLab"})]
    INVALID = [Invalid(header(project="nanoGPT"), line=5, expected_fix=header(),
                       column=24,
                       message='Role title names `nanoGPT`; this project is `DeepSeek` (setting `project`)'),
        Invalid(cuda_header(project="nanoGPT") + CU_F, language="cuda",
                line=5, column=27,
                message='Role title names `nanoGPT`; this project is `DeepSeek` (setting `project`)'),
    ]

    def check(self, model, settings):
        h = model.header
        if h is None:
            return
        for s in h.sections:
            if s.kind == "role" and s.project != settings.project and s.title_line is not None:
                tl = s.title_line
                idx = tl.text.rfind(s.project)
                start = tl.start + len(tl.text[:idx].encode("utf-8"))
                end = start + len(s.project.encode("utf-8"))
                fix = self.make_fix([Edit(start, end, settings.project)], f"Rename to {settings.project}")
                yield self.finding(model, start, end, f"Role title names `{s.project}`; this project is "
                                   f"`{settings.project}` (setting `project`)", fix=fix, symbol="<section:role>")
