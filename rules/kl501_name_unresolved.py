import re

from karpathy_lint.model import Edit
from karpathy_lint.rule import Invalid, Option, Rule, Valid

STRICT_SECTIONS = ("function_list", "deep_dive")  # sections that describe this file's own code


def _tokens(model):
    """(offset of the first char of the chain, chain, strict) for every backticked identifier in prose."""
    out: list[tuple[int, str, bool]] = []
    h = model.header
    if h is not None:
        strict_lines = {hl.line for s in h.sections if s.kind in STRICT_SECTIONS for hl in s.body}
        for hl in h.lines:
            if "`" in hl.text:
                out.extend((o, c, hl.line in strict_lines) for o, c in _scan(hl.text, hl.start, model.language))
    for note in model.notes:
        for c in note.comments:
            if "`" in c.text:
                out.extend((o, ch, True) for o, ch in _scan(c.text, c.start, model.language))
    return out


def _scan(text: str, base: int, language: str):
    from karpathy_lint.prose_names import backticked  # see `check`: loaded only for prose with a backtick

    for index, chain in backticked(text, language):
        yield base + len(text[:index].encode()), chain


class NameUnresolved(Rule):
    """## What it does
    Resolves every `` `backticked` `` identifier in the header and in marker
    comments against the file: its definitions, parameters, locals,
    attributes (`self.bias`), imports and config fields. `Class.member`
    must be a member of that class; `torch.topk` resolves through the import
    of `torch`, `torch.nn` also inside the `torch` package itself. What is
    not an identifier of the file's language is ignored: a path or file name
    (`model.py`), code with operators (`x @ w`), a number, a C++ scoped name
    in Python (`aten::topk`), a reST/Sphinx role (:class:`x`), keywords,
    dunder names and ALL_CAPS names the file does not define (environment
    variables, macros). Attributes of a local or a parameter (`att.shape`)
    are not checked: their type is not known. The Module line and the Role
    section (and a module docstring that is not a header yet) say where the
    file sits and name other files' code, so there only a name close to one
    the file defines (a likely rename) or a missing member of one of its
    classes is reported, and not a name that a module of the file's own
    package defines when the file imports that module (`from .ops import
    Scalar`; a parameter `param` of its hooks). Close means one rename
    apart: similar as text and at most one word changed (the words
    reordered, one added or dropped, or one edited into a similar word:
    `max_nnodes` for `max_nodes`, `inner_tree_reduce` for
    `_inner_tree_reduce`). Two changed words (a ported C++ kernel's
    `try_inner_tree_reduction` beside the port's `_inner_tree_reduce`) or an
    unrelated word (`row_bytes` beside `cur_bytes`) make another name of the
    same vocabulary, not a rename. A name the prose defines in a code span
    (``row_bytes = N * elem_size``) is a quantity of the prose and resolves
    everywhere. Names from other code bases go without backticks, or into
    `allowed-names` in the config.

    ## Why is this bad?
    Prose rots silently: a function is renamed, the comment that explains it
    still says the old name, and the learner searches the file for something
    that is not there.

    ## Example
    ```python
    def route_topk(x, k):
        # Karpathy: `topk_route` keeps the k best experts per token
        return x.topk(k)
    ```

    ## Use instead
    ```python
    def route_topk(x, k):
        # Karpathy: `route_topk` keeps the k best experts per token
        return x.topk(k)
    ```

    ## Fix safety
    When exactly one existing name is close to the unresolved one, `--fix
    --unsafe-fixes` renames it in the comment. It is unsafe because a close
    name is a guess: the prose may mean something that was deleted.
    """

    code = "KL501"
    name = "name-unresolved"
    summary = "Backticked name in prose does not exist in the file"
    languages = ("python", "cuda")
    options = (Option("allowed-names", "strings", (), "backticked names that need not exist in the file"),)
    fix_applicability = "unsafe"

    VALID = [
        Valid("import torch\n\ndef route(x, k):\n    # Karpathy: `route` calls `torch.topk` on `x`\n"
              "    return torch.topk(x, k)\n"),
        Valid("class Router:\n    def __init__(self):\n        self.bias = 0\n\n    def forward(self, x):\n"
              "        # Karpathy: `self.bias` shifts the choice; see `Router.forward`, `x @ w`, `a/b.py`\n"
              "        return x + self.bias\n"),
        Valid("def f(x):\n    # Karpathy: `deep_gemm.fp8_gemm` does this on GPUs\n    return x\n",
              settings={"allowed_names": ("deep_gemm",)}),
        Valid("__global__ void scale(float* x, int n) {\n    // Karpathy: `x` holds `n` floats; `threadIdx.x` picks one\n"
              "    x[threadIdx.x] *= 2.0f;\n}\n", language="cuda"),
    ]
    INVALID = [
        Invalid("def route_topk(x, k):\n    # Karpathy: `topk_route` keeps the best k\n    return x.topk(k)\n",
                line=2, expected_fix="def route_topk(x, k):\n    # Karpathy: `route_topk` keeps the best k\n"
                "    return x.topk(k)\n",
                column=18,
                message='names `topk_route`, which does not exist in this file (closest: `route_topk`)'),
        Invalid("class Router:\n    def forward(self, x):\n        return x\n\n"
                "# Karpathy: `Router.fwd` is gone and so is `dispatch`\n", line=5, count=2,
                column=21,
                message='`Router.fwd` names `fwd`, which does not exist in this file (closest: `forward`)'),
        Invalid("// Karpathy: `scale` doubles `x`\nint scael(int x) { return 2 * x; }\n", language="cuda",
                line=1, column=15,
                message='names `scale`, which does not exist in this file (closest: `scael`)'),
    ]

    def check(self, model, settings):
        if "`" not in model.text:
            return
        tokens = _tokens(model)
        if not tokens:
            return
        # imported here for start-up speed: a file whose header and notes hold no backtick never loads
        # the resolver, the parse/names walk or the package-name tables
        from karpathy_lint.prose_names import Resolver, close_names, nearest_name

        # the Python index comes from the tree the parser kept (one query, run only now); None when the
        # file is not Python 3 this interpreter parses (`print "x"`)
        resolver = Resolver(model, settings.allowed_names)
        for offset, chain, strict in tokens:
            found = resolver.unresolved(chain, strict)
            if found is None:
                continue
            index, candidates = found.part, found.candidates
            parts = re.split(r"(\.|::)", chain)
            comps = parts[::2]
            bad = comps[index]
            start = offset + len("".join(parts[: 2 * index]).encode())
            end = start + len(bad.encode())
            close = close_names(bad, candidates)
            best = close[0] if close else nearest_name(bad, candidates)
            what = f"`{chain}` names `{bad}`" if chain != bad else f"names `{bad}`"
            message = f"{what}, which does not exist in this file"
            if best:
                message += f" (closest: `{best}`)"
            fix = None
            if len(close) == 1:
                fix = self.make_fix([Edit(start, end, close[0])], f"rename to `{close[0]}`")
            yield self.finding(model, start, end, message, fix=fix, symbol=chain)
