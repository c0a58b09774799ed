from karpathy_lint.rule import Invalid, Rule, Valid


class ModuleLineMissing(Rule):
    """## What it does
    Checks that the header starts with a `Module: <title>` line before the
    opening tag, and that the title is not empty.

    ## Why is this bad?
    The title is the one-line answer to "what is this file?" that indexes,
    tables of contents and readers skim for.

    ## Example
    ```python
    \"\"\"
    <karpathys_code_comments>
    ...
    \"\"\"
    ```

    ## Use instead
    ```python
    \"\"\"
    Module: DeepSeek-MoE top-k router

    <karpathys_code_comments>
    ...
    \"\"\"
    ```
    """

    code = "KL102"
    name = "module-line-missing"
    summary = "Header has no `Module:` title line"
    languages = ("python", "cuda")

    VALID = [
        Valid('"""\nModule: Router\n\n<karpathys_code_comments>\n</karpathys_code_comments>\n"""\n'),
        # a docstring or licence written for something else is no header (KL101 says the header is missing):
        # a bold line is no section title, nor is a banner's row of stars
        Valid('"""Launch helpers.\n\n**How to use this module:**\n\nCall main().\n"""\nx = 1\n'),
        Valid("/*****************\n * Copyright (c) 2024, A. Author.\n *****************/\nint x;\n", language="cuda"),
    ]
    INVALID = [
        Invalid('"""\n<karpathys_code_comments>\n</karpathys_code_comments>\n"""\n', line=2,
                column=1,
                message='header has no `Module: <title>` line before the opening tag'),
        Invalid('"""\nModule:\n<karpathys_code_comments>\n</karpathys_code_comments>\n"""\n', line=2,
                column=1,
                message='`Module:` line has an empty title'),
        Invalid('"""\n<karpathys_code_comments>\nModule: too late\n</karpathys_code_comments>\n"""\n', line=2,
                column=1,
                message='header has no `Module: <title>` line before the opening tag'),
        Invalid("/*\n * <karpathys_code_comments>\n * </karpathys_code_comments>\n */\nint x;\n", language="cuda",
                line=2, column=2,
                message='header has no `Module: <title>` line before the opening tag'),
    ]

    def check(self, model, settings):
        h = model.header
        if h is None or not h.is_convention_header:  # any other docstring: KL101 says the header is missing
            return
        if h.module_line is None:
            line = h.open_tags[0].line if h.open_tags else h.line
            yield self.finding_at_line(model, line, "header has no `Module: <title>` line before the opening tag",
                                       symbol="<module>")
        elif not h.module_title:
            yield self.finding_at_line(model, h.module_line.line, "`Module:` line has an empty title",
                                       symbol="<module>")
