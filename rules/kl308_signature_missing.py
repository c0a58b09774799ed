from karpathy_lint.rule import Invalid, Rule, Valid


class SignatureMissing(Rule):
    """## What it does
    Checks that the file ends with a marker comment after its last line of
    code: the closing signature.

    ## Why is this bad?
    The closing comment is where the file sums itself up for the reader who
    got to the end: what the idea buys, in one or two lines.

    ## Example
    ```python
    if __name__ == "__main__":
        main()
    ```

    ## Use instead
    ```python
    if __name__ == "__main__":
        main()

    # Karpathy: Simple idea, huge impact. Pretty cool engineering tbh.
    ```
    """

    code = "KL308"
    name = "signature-missing"
    summary = "File does not end with a closing marker comment"
    languages = ("python", "cuda")

    VALID = [
        Valid("x = 1\n\n# Karpathy: that's all, folks.\n"),
        Valid("int main() { return 0; }\n// Karpathy: fin.\n", language="cuda"),
        # a form feed (a page break, as GNU-style sources and some of the standard library hold) ends no line
        Valid("x = 1\n\x0c\ny = 2\n\x0c\n# Karpathy: fin.\n"),
        Valid("int x = 1;\n\x0c\nint y = 2;\n\x0c\n// Karpathy: fin.\n", language="cuda"),
    ]
    INVALID = [
        Invalid("# Karpathy: start\nx = 1\n", line=2,
                column=1,
                message='file does not end with a closing `Karpathy:` comment after its last line of code'),
        Invalid("x = 1\n# Karpathy: not last\ny = 2\n", line=3,
                column=1,
                message='file does not end with a closing `Karpathy:` comment after its last line of code'),
        Invalid("// Karpathy: start\nint x = 1;\n", language="cuda",
                line=2, column=1,
                message='file does not end with a closing `Karpathy:` comment after its last line of code'),
    ]

    def check(self, model, settings):
        if model.code_lines == 0:
            return
        if not model.notes or model.notes[-1].line <= model.last_code_line:
            yield self.finding_at_line(model, model.last_code_line,
                                       f"file does not end with a closing `{settings.marker}:` comment after its "
                                       "last line of code", symbol="<signature>")
