from karpathy_lint.rule import Invalid, Option, Rule, Valid

from ._plain import marker, plain_note


class CommentDensity(Rule):
    """## What it does
    Checks that the file holds at least one marker comment per
    `lines-per-comment` lines of code (default 10). Lines of code are
    non-blank lines that are not comment-only and not in a docstring; a marker
    and its continuation lines count as one comment.

    ## Why is this bad?
    A teaching file explains itself throughout, not only at the top. The
    finding points at the longest stretch of code without a comment.

    ## Example
    Forty lines of tensor code with two comments.

    ## Use instead
    A comment every few lines: what this line does, the shapes, why.
    """

    code = "KL303"
    name = "comment-density"
    summary = "Too few inline comments for the lines of code"
    languages = ("python", "cuda")
    options = (Option("lines-per-comment", "positive", 10, "lines of code per marker comment, at most"),)

    VALID = [
        Valid("x = 1\ny = 2\n# Karpathy: z is the sum\nz = x + y\n", settings={"lines_per_comment": 3}),
    ]
    INVALID = [
        Invalid("# Karpathy: start\na = 1\nb = 2\nc = 3\nd = 4\ne = 5\nf = 6\n", settings={"lines_per_comment": 3},
                line=2,
                column=1,
                message='1 `# Karpathy:` comments for 6 lines of code: write at least 2 (one per 3); lines 2-7 have none'),
        Invalid("// Karpathy: start\nint a = 1;\nint b = 2;\nint c = 3;\nint d = 4;\nint e = 5;\nint f = 6;\n",
                settings={"lines_per_comment": 3}, language="cuda",
                line=2, column=1,
                message='1 `// Karpathy:` comments for 6 lines of code: write at least 2 (one per 3); lines 2-7 have none'),
    ]

    def check(self, model, settings):
        need = model.code_lines // settings.lines_per_comment
        have = len(model.notes)
        if have < need:
            first, last = model.longest_gap()
            yield self.finding_at_line(
                model, max(first, 1),
                f"{have} `{marker(model, settings)}` comments for {model.code_lines} lines of code"
                f"{plain_note(model)}: write at least {need} "
                f"(one per {settings.lines_per_comment}); lines {first}-{last} have none",
                symbol="<density>",
            )
