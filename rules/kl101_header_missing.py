from karpathy_lint.languages import LANGUAGES
from karpathy_lint.rule import Invalid, Rule, Valid


class HeaderMissing(Rule):
    """## What it does
    Checks that the file has a header block: a module docstring (Python) or a
    leading `/* ... */` comment (CUDA) holding `<karpathys_code_comments>`.

    ## Why is this bad?
    The header is where a learner starts: what the file is for, what is in it,
    and the long explanation. Without it the inline comments have no context.

    ## Example
    ```python
    import torch

    def f(x):
        return x
    ```

    ## Use instead
    ```python
    \"\"\"
    Module: A tiny example

    <karpathys_code_comments>
    ** This File's Role in DeepSeek **
    ...
    </karpathys_code_comments>
    \"\"\"
    ```
    `karpathy-scaffold FILE` writes a header for you.
    """

    code = "KL101"
    name = "header-missing"
    summary = "File has no header block"
    languages = ("python", "cuda")

    VALID = [
        Valid('"""\nModule: M\n\n<karpathys_code_comments>\n</karpathys_code_comments>\n"""\nx = 1\n'),
        Valid("/*\n * Module: M\n * <karpathys_code_comments>\n * </karpathys_code_comments>\n */\nint x;\n",
              language="cuda"),
        Valid('"""\nModule: only the title so far\n"""\n'),
    ]
    INVALID = [
        Invalid("import torch\n\ndef f(x):\n    return x\n", line=1,
                column=1,
                message='no header block: add a module docstring with `<karpathys_code_comments>` (karpathy-scaffold writes one)'),
        Invalid('"""Just a plain docstring."""\nx = 1\n', line=1,
                column=1,
                message='no header block: add a module docstring with `<karpathys_code_comments>` (karpathy-scaffold writes one)'),
        Invalid("// a line comment is not a header\nint main() { return 0; }\n", line=1, language="cuda",
                column=1,
                message=('no header block: add a leading /* ... */ comment with `<karpathys_code_comments>` (karpathy-scaffold writes '
                         'one)')),
        # a licence banner whose starred lines read like section titles is not a header
        Invalid("/**************************************************************\n * ** Copyright NVIDIA **\n"
                " **************************************************************/\nint x;\n", language="cuda", line=1,
                column=1,
                message=('no header block: add a leading /* ... */ comment with `<karpathys_code_comments>` (karpathy-scaffold writes '
                         'one)')),
    ]

    def check(self, model, settings):
        h = model.header
        if h is None or not h.is_convention_header:
            # a notebook's model reads as Python; its header is a markdown cell
            where = LANGUAGES["notebook" if model.cells is not None else model.language].header_description
            yield self.finding_at_line(
                model, h.line if h else 1,
                f"no header block: add a {where} with `<{settings.tag}>` (karpathy-scaffold writes one)",
                symbol="<header>",
            )
