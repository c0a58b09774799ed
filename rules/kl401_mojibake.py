from karpathy_lint.model import Edit
from karpathy_lint.rule import Invalid, Rule, Valid


def repaired(text: str) -> str | None:
    """The repaired text when `text` holds mojibake, else None."""
    if text.isascii():
        return None
    import ftfy
    from ftfy.badness import is_bad

    if not is_bad(text):
        return None
    fixed = ftfy.fix_encoding(text)
    return fixed if fixed != text else None


class Mojibake(Rule):
    """## What it does
    Finds mojibake in comments and in the header: UTF-8 text that was decoded
    with the wrong codec somewhere on its way (`â€™` for `’`, `¬Ø\\_(„ÉÑ)_/¬Ø`
    for `¯\\_(ツ)_/¯`). Detection and repair use `ftfy`.

    ## Why is this bad?
    Garbled characters in teaching text look like a broken file, and copy
    into every fork.

    ## Example
    ```python
    # Karpathy: itâ€™s a router
    ```

    ## Use instead
    ```python
    # Karpathy: it’s a router
    ```

    ## Fix safety
    Safe: ftfy reverses the wrong decoding; text that is not mojibake is left
    alone.
    """

    code = "KL401"
    name = "mojibake"
    summary = "Garbled characters (mojibake) in a comment or the header"
    languages = ("python", "cuda")
    fix_applicability = "safe"

    VALID = [
        Valid("# Karpathy: it’s fine, ¯\\_(ツ)_/¯\nx = 1\n"),
        Valid("// Karpathy: café au lait\nint x;\n", language="cuda"),
    ]
    INVALID = [
        Invalid("# Karpathy: itâ€™s broken\nx = 1\n", line=1, expected_fix="# Karpathy: it’s broken\nx = 1\n",
                column=1,
                message="mojibake in comment: '# Karpathy: itâ€™s broken' should read '# Karpathy: it’s broken'"),
        Invalid('"""\nModule: Caf\u00c3\u00a9 router\n"""\nx = 1\n', line=2,
                expected_fix='"""\nModule: Café router\n"""\nx = 1\n',
                column=1,
                message="mojibake in header: 'Module: CafÃ© router' should read 'Module: Café router'"),
        Invalid("// Karpathy: it\u00e2\u20ac\u2122s broken\nint x = 1;\n", language="cuda",
                line=1, column=1,
                message="mojibake in comment: '// Karpathy: itâ€™s broken' should read '// Karpathy: it’s broken'"),
    ]

    def check(self, model, settings):
        if model.source.isascii():
            return  # mojibake is non-ASCII text: nothing to look at
        for c in model.comments:
            fixed = repaired(c.text)
            if fixed is not None:
                fix = self.make_fix([Edit(c.start, c.end, fixed)], "Repair the text with ftfy")
                yield self.finding(model, c.start, c.end, f"mojibake in comment: {c.text.strip()[:40]!r} should read "
                                   f"{fixed.strip()[:40]!r}", fix=fix, symbol=f"<mojibake:{fixed[:40]}>")
        if model.header is not None and model.header.kind == "docstring":
            for hl in model.header.lines:
                fixed = repaired(hl.text)
                if fixed is not None:
                    end = hl.start + len(hl.text.encode("utf-8"))
                    fix = self.make_fix([Edit(hl.start, end, fixed)], "Repair the text with ftfy")
                    yield self.finding(model, hl.start, end, f"mojibake in header: {hl.text.strip()[:40]!r} should "
                                       f"read {fixed.strip()[:40]!r}", fix=fix, symbol=f"<mojibake:{fixed[:40]}>")
