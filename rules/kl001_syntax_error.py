from karpathy_lint.model import Finding
from karpathy_lint.rule import Invalid, Rule, Valid


class SyntaxError_(Rule):
    """## What it does
    Reports a file that does not parse: for Python, tree-sitter finds an
    error and `compile()` agrees (so grammar gaps in tree-sitter never become
    false alarms). For CUDA/C++, macros are neutralised first and a tree with
    ERROR nodes is kept (the rules run on what parsed); KL001 is reported only
    when the structure cannot be recovered: a bracket that is never closed or
    closed by the wrong bracket (on the opening bracket's line), an unreadable
    region over the header block, or more than half of the code unparsed.
    No other rule runs on that file, and the exit code is 2; the other files
    are still checked. Whatever the selection (`--ignore KL001`, a baseline),
    the file is also reported on stderr and in the summary as one that could
    not be checked, so the exit code always matches what was printed;
    `# karpathy-lint: file-ignore[KL001]` in the file skips it on purpose.

    ## Why is this bad?
    Nothing else about a file can be checked until it parses.

    ## Example
    ```python
    def route(x, k:
        return x
    ```

    ## Use instead
    ```python
    def route(x, k):
        return x
    ```
    """

    code = "KL001"
    name = "syntax-error"
    summary = "The file does not parse"
    languages = ("python", "cuda")

    VALID = [
        Valid("def f(x):\n    return x\n"),
        Valid("int main() { return 0; }\n", language="cuda"),
        Valid("CUB_NAMESPACE_BEGIN\nCUTLASS_DEVICE void f(int x) { if (x and 1) return; }\nCUB_NAMESPACE_END\n",
              language="cuda"),
    ]
    INVALID = [
        Invalid("x = 1\ndef f(x:\n    return x\n", line=2,
                column=6,
                message="syntax error: '(' was never closed"),
        Invalid("int main() {\n  return (1 + ;\n}\n", language="cuda", line=2,
                column=10,
                message="syntax error: `(` is closed by `}`"),
        Invalid("void f(int x) {\n  if (x) {\n    x = 1;\n}\n", language="cuda", line=1, column=15,
                message="syntax error: `{` is never closed"),
    ]

    reads_broken_files = True

    def check(self, model, settings):
        e = model.syntax_error
        if e is not None:
            yield Finding(path=model.path, line=e.line, column=e.col, end_line=e.line, end_column=e.col,
                          code=self.code, name=self.name, message=f"syntax error: {e.message}")
