from karpathy_lint.model import Edit, Fix
from karpathy_lint.rule import Invalid, Rule, Valid

from ._examples import CU_F, cuda_header, header


class RoleProject(Rule):
    """## What it does
    Checks that the Role section's title names the project:
    `** This File's Role in <project> **`. The name is the `project` setting,
    else the `[project].name` of the nearest `pyproject.toml`; with neither,
    any title is accepted (there is nothing to compare against).

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
    Safe when the `project` setting states the name: only the project name
    in the title changes. Unsafe when the name was taken from
    `pyproject.toml` (a guess: the title may be the right one).
    """

    code = "KL109"
    name = "role-project"
    summary = "Role section title names another project"
    languages = ("python", "cuda")
    fix_applicability = "safe"

    STATED = {"project": "DeepSeek", "project_from": "config"}
    VALID = [Valid(header(), settings=STATED), Valid(header(project="MyLab"), settings={"project": "MyLab"}),
             Valid(header(project="anything at all"))]
    INVALID = [Invalid(header(project="nanoGPT"), line=5, expected_fix=header(), settings=STATED,
                       column=24,
                       message='Role title names `nanoGPT`; this project is `DeepSeek` (setting `project`)'),
        Invalid(cuda_header(project="nanoGPT") + CU_F, language="cuda", settings=STATED,
                line=5, column=27,
                message='Role title names `nanoGPT`; this project is `DeepSeek` (setting `project`)'),
        Invalid(header(project="nanoGPT"), line=5, settings={"project": "tinygpt", "project_from": "pyproject"},
                column=24, message="Role title names `nanoGPT`; this project is `tinygpt` ([project].name in "
                                   "pyproject.toml; set `project` to choose)"),
    ]

    def check(self, model, settings):
        h = model.header
        if h is None:
            return
        for s in h.sections:
            if s.kind == "role" and settings.project and s.project != settings.project and s.title_line is not None:
                tl = s.title_line
                idx = tl.text.rfind(s.project)
                start = tl.start + len(tl.text[:idx].encode("utf-8"))
                end = start + len(s.project.encode("utf-8"))
                edits = [Edit(start, end, settings.project)]
                if settings.project_from == "config":
                    fix, origin = self.make_fix(edits, f"Rename to {settings.project}"), "setting `project`"
                else:  # guessed from [project].name: the title may be right, so never rewritten by a safe --fix
                    fix = Fix("unsafe", tuple(edits), f"Rename to {settings.project}")
                    origin = "[project].name in pyproject.toml; set `project` to choose"
                yield self.finding(model, start, end, f"Role title names `{s.project}`; this project is "
                                   f"`{settings.project}` ({origin})", fix=fix, symbol="<section:role>")
