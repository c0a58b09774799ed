from karpathy_lint.rule import Invalid, Option, Rule, Valid

from ._plain import marker, plain_note


class LongFileMinimum(Rule):
    """## What it does
    Checks that a file with `long-file-lines` or more lines of code (default
    150) holds at least `long-file-min-comments` marker comments (default 15).
    A file that already has too few comments for its length (KL303) is not
    reported twice.

    ## Why is this bad?
    A long file is where a learner gets lost; it needs a floor of
    explanation whatever the ratio says.

    ## Example
    A 200-line model file with 12 comments.

    ## Use instead
    15 or more comments spread through the file.
    """

    code = "KL304"
    name = "long-file-minimum"
    summary = "Long file with too few inline comments"
    languages = ("python", "cuda")
    options = (
        Option("long-file-lines", "count", 150, "lines of code from which a file counts as long"),
        Option("long-file-min-comments", "count", 15, "fewest marker comments a long file may hold"),
    )

    VALID = [Valid("# Karpathy: a\nx = 1\ny = 2\n", settings={"long_file_lines": 2, "long_file_min_comments": 1})]
    INVALID = [Invalid("# Karpathy: a\nx = 1\ny = 2\n", line=2,
                       settings={"long_file_lines": 2, "long_file_min_comments": 2},
                       column=1,
                       message='2 lines of code hold 1 `# Karpathy:` comments: a file of 2+ lines needs at least 2'),
        Invalid("// Karpathy: a\nint x = 1;\nint y = 2;\n", settings={"long_file_lines": 2, "long_file_min_comments": 2},
                language="cuda",
                line=2, column=1,
                message='2 lines of code hold 1 `// Karpathy:` comments: a file of 2+ lines needs at least 2'),
    ]

    def check(self, model, settings):
        if len(model.notes) < model.code_lines // settings.lines_per_comment:
            return  # KL303 already reports too few comments: one problem, one finding
        if model.code_lines >= settings.long_file_lines and len(model.notes) < settings.long_file_min_comments:
            first, _ = model.longest_gap()
            yield self.finding_at_line(
                model, max(first, 1),
                f"{model.code_lines} lines of code hold {len(model.notes)} `{marker(model, settings)}` comments"
                f"{plain_note(model)}: a file of "
                f"{settings.long_file_lines}+ lines needs at least {settings.long_file_min_comments}",
                symbol="<long-file>",
            )
