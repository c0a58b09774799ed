from karpathy_lint.rule import Invalid, Rule, Valid


class TagStructure(Rule):
    """## What it does
    Checks that the header holds exactly one opening tag
    `<karpathys_code_comments>` and one closing tag, opening first, and that
    the tag appears nowhere else in the file.

    ## Why is this bad?
    Tools (and this linter) find the sections between the tags; a missing,
    doubled or misplaced tag makes the header ambiguous.

    ## Example
    ```python
    \"\"\"
    Module: Router
    <karpathys_code_comments>
    ** Function List **
    \"\"\"
    ```

    ## Use instead
    Close the block with `</karpathys_code_comments>`.
    """

    code = "KL103"
    name = "tag-structure"
    summary = "Opening/closing tag missing, doubled, out of order or outside the header"
    languages = ("python", "cuda")

    VALID = [
        Valid('"""\nModule: M\n<karpathys_code_comments>\n</karpathys_code_comments>\n"""\n'),
    ]
    INVALID = [
        Invalid('"""\nModule: M\n<karpathys_code_comments>\n** Function List **\n"""\n', line=3,
                column=1,
                message='header has no closing `</karpathys_code_comments>`'),
        Invalid('"""\nModule: M\n</karpathys_code_comments>\n<karpathys_code_comments>\n"""\n', line=3,
                column=1,
                message='`</karpathys_code_comments>` comes before `<karpathys_code_comments>`'),
        Invalid('"""\nModule: M\n<karpathys_code_comments>\n<karpathys_code_comments>\n'
                '</karpathys_code_comments>\n"""\n', line=4,
                column=1,
                message='`<karpathys_code_comments>` appears more than once'),
        Invalid('"""\nModule: M\n<karpathys_code_comments>\n</karpathys_code_comments>\n"""\n'
                'x = 1  # <karpathys_code_comments>\n', line=6,
                column=10,
                message='`<karpathys_code_comments>` outside the header block'),
        Invalid("/*\n * Module: M\n * <karpathys_code_comments>\n */\nint x;\n", line=3, language="cuda",
                column=2,
                message='header has no closing `</karpathys_code_comments>`'),
    ]

    def check(self, model, settings):
        h = model.header
        if h is None or not h.is_convention_header:
            return
        open_tag, close_tag = f"<{settings.tag}>", f"</{settings.tag}>"
        if not h.open_tags:
            yield self.finding_at_line(model, h.module_line.line if h.module_line else h.line,
                                       f"header has no opening `{open_tag}`", symbol="<tags>")
        if not h.close_tags:
            line = h.open_tags[-1].line if h.open_tags else h.line
            yield self.finding_at_line(model, line, f"header has no closing `{close_tag}`", symbol="<tags>")
        for extra in h.open_tags[1:]:
            yield self.finding_at_line(model, extra.line, f"`{open_tag}` appears more than once", symbol="<tags>")
        for extra in h.close_tags[1:]:
            yield self.finding_at_line(model, extra.line, f"`{close_tag}` appears more than once", symbol="<tags>")
        if h.open_tags and h.close_tags and h.close_tags[0].line < h.open_tags[0].line:
            yield self.finding_at_line(model, h.close_tags[0].line, f"`{close_tag}` comes before `{open_tag}`",
                                       symbol="<tags>")
        # the tag anywhere outside the header
        needle = f"<{settings.tag}>".encode()
        needle_close = f"</{settings.tag}>".encode()
        for pattern in (needle, needle_close):
            pos = model.source.find(pattern)
            while pos != -1:
                if not (h.start <= pos < h.end):
                    yield self.finding(model, pos, pos + len(pattern),
                                       f"`{pattern.decode()}` outside the header block", symbol="<tags>")
                pos = model.source.find(pattern, pos + 1)
