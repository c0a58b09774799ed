from karpathy_lint.model import Edit
from karpathy_lint.rule import Invalid, Rule, Valid


class UnusedSuppression(Rule):
    """## What it does
    Checks that every `karpathy-lint: ignore[...]` and `file-ignore[...]`
    directive hides a finding. A directive naming several rules is reported
    for the ones that hid nothing. Rules that are not selected in the run are
    never called unused (the run cannot tell); a bare `ignore` is checked
    only when every rule is selected. A name that is no rule at all (a typo:
    `shape-mising`) is always reported, with the nearest rule name.

    ## Why is this bad?
    A directive that hides nothing is noise that misleads: the reader thinks
    something is being excused, and a later finding on that line is silenced
    without anyone deciding it should be (as ruff's RUF100 says).

    ## Example
    ```python
    y = x + 1  # karpathy-lint: ignore[KL306]
    ```

    ## Use instead
    ```python
    y = x + 1
    ```

    ## Fix safety
    Safe: only the directive (or the unused names in it) is removed; a
    comment that held nothing else goes with it, and a line that held
    nothing else is removed.
    """

    code = "KL002"
    name = "unused-suppression"
    summary = "Suppression directive that hides nothing"
    languages = ("python", "cuda")
    fix_applicability = "safe"
    reads_directives = True

    VALID = [
        Valid("def f(x, w):\n    y = x @ w  # karpathy-lint: ignore[KL306]\n    return y\n",
              settings={"select": ("KL306", "KL002")}),
        Valid("x = 1  # karpathy-lint: ignore[KL306]\n", settings={"select": ("KL002",)}),
    ]
    INVALID = [
        Invalid("x = 1  # karpathy-lint: ignore[KL306]\n", line=1, expected_fix="x = 1\n",
                settings={"select": ("KL306", "KL002")}, column=10,
                message="`ignore` directive hides no finding of KL306: remove it"),
        Invalid("# karpathy-lint: file-ignore[shape-missing]\nx = 1\n", line=1, expected_fix="x = 1\n",
                settings={"select": ("KL306", "KL002")}, column=3,
                message="`file-ignore` directive hides no finding of shape-missing: remove it"),
        Invalid("int x = 1;  // karpathy-lint: ignore[KL305]\n", line=1, language="cuda",
                expected_fix="int x = 1;\n", settings={"select": ("KL305", "KL002")}, column=16,
                message="`ignore` directive hides no finding of KL305: remove it"),
        # a name that is no rule (a typo) hides nothing whatever the selection
        Invalid("x = 1  # karpathy-lint: ignore[shape-mising]\n", line=1, expected_fix="x = 1\n",
                settings={"select": ("KL002",)}, column=10,
                message="`ignore` directive names no rule 'shape-mising'; did you mean `shape-missing`?"),
    ]

    def check(self, model, settings):
        return iter(())  # the engine calls `check_directives` once the other rules' findings are filtered

    def check_directives(self, model, suppressions, enabled: set[str], all_codes: frozenset[str]):
        checked = enabled - {self.code}
        for d in suppressions.directives:
            unknown = [name for name, codes in d.names if name and not codes & all_codes]
            unused = unknown + [n for n in _unused_names(d, checked, all_codes) if n not in unknown]
            if not unused:
                continue
            what = ", ".join(n or "(all rules)" for n in unused)
            kept = [name for name, codes in d.names if name not in unused]
            if kept:
                text = f"karpathy-lint: {d.kind}[{', '.join(kept)}]"
                fix = self.make_fix([Edit(d.start, d.end, text)], f"Remove {what} from the directive")
            else:
                fix = self.make_fix([_removal(model, d)], "Remove the directive")
            if unknown:
                from karpathy_lint.config import rule_suggestion

                message = "; ".join(f"`{d.kind}` directive names no rule {n!r}{rule_suggestion(n)}" for n in unknown)
            else:
                message = f"`{d.kind}` directive hides no finding of {what}: remove it"
            yield self.finding(model, d.start, d.end, message, fix=fix, symbol=f"<directive:{d.kind}:{what}>")


def _unused_names(d, checked: set[str], all_codes: frozenset[str]) -> list[str]:
    out = []
    for name, codes in d.names:
        if not name:  # bare: every rule
            if not d.used and checked >= all_codes - {"KL002"}:
                out.append(name)
        elif codes <= checked and not (codes & d.used):
            out.append(name)
    return out


def _removal(model, d) -> Edit:
    """The edit that removes a directive: its whole line when it stood alone, else it and the space before it."""
    start, end = d.comment if d.comment is not None else (d.start, d.end)
    line = model.line_of(start)
    line_start, line_end = model.line_start(line), model.line_end(line)
    before = model.source[line_start:start]
    after = model.source[end:line_end]
    if not before.strip() and not after.strip():
        next_start = model.line_start(line + 1) if line < len(model.line_starts) else len(model.source)
        return Edit(line_start, next_start, "")
    while start > line_start and model.source[start - 1 : start] in (b" ", b"\t"):
        start -= 1
    return Edit(start, end, "")
