from karpathy_lint.rule import Invalid, Option, Rule, Valid
from karpathy_lint.shapes.format import problems, shapes

from ._plain import marker, plain_shape_comment

NO_SHAPE = "but no comment states a shape: add `# Karpathy: name shape [dim, ...]`"

TORCH_ROOTS = frozenset({"torch", "F"})
# torch.<these> are set-up calls, not tensor work
NOT_TENSOR_WORK = frozenset({"cuda", "backends", "manual_seed", "no_grad", "inference_mode", "device", "set_grad_enabled",
                             "get_default_dtype", "set_default_dtype", "is_tensor", "distributed", "multiprocessing",
                             "compile", "jit", "set_num_threads", "get_num_threads", "nn", "utils", "Generator",
                             "use_deterministic_algorithms", "set_printoptions", "finfo", "iinfo", "testing", "dtype"})
TENSOR_METHODS = frozenset(
    {"view", "reshape", "permute", "transpose", "einsum", "matmul", "bmm", "unsqueeze", "squeeze", "flatten",
     "softmax", "masked_fill", "expand", "repeat", "contiguous", "unflatten", "scatter_add_", "index_add_",
     "gather", "topk"}
)


def is_tensor_work(callee: str) -> bool:
    """A call (as written) or `@` that computes on tensors: torch/F functions other than set-up, tensor methods
    like `.view`, `einsum`, the matrix product."""
    if callee == "@":
        return True
    parts = "".join(callee.split()).split(".")
    callee = ".".join(parts)
    if len(parts) == 1:
        return callee == "einsum"
    if parts[0] in TORCH_ROOTS:
        return parts[0] == "F" or parts[1] not in NOT_TENSOR_WORK
    return parts[-1] in TENSOR_METHODS


class ShapeMissing(Rule):
    """## What it does
    Checks that a Python function doing tensor work (calling `torch.*`,
    `F.*`, `einsum`, `.view`, `.reshape`, `.permute`, `.transpose` and
    similar, or using `@`) states at least one shape in a marker comment, in
    the form `name shape [dim, dim, ...]`. The finding names the call or
    operator that made the function tensor work, on its line (a
    `# karpathy-lint: ignore[KL306]` there silences it). Checkpoint I/O
    (`torch.save`, `torch.load`, `.state_dict()`) is not tensor work; a thin
    one-statement wrapper around a single call (`return x.view(-1)`) is
    exempt unless `shape-exempt-wrappers = false`.

    ## Why is this bad?
    Shapes are the first thing a learner loses track of in tensor code; one
    line per function saying what the tensor looks like is the cheapest
    explanation there is.

    Shapes written the common way count too, in any comment, so a code base
    can adopt the rule before it rewrites its comments: `# (B, T, C)` or
    `# [batch, seq, d]` after an assignment, `# x: [B, T, C]`, `# x is (B, T)`,
    `# ... of shape (b, t, d)`, `# ... -> (B, T, C)`. `karpathy-scaffold
    --adopt-comments` rewrites them into the convention's form.

    ## Example
    ```python
    def attend(q, k):
        return torch.softmax(q @ k.T, dim=-1)
    ```

    ## Use instead
    ```python
    def attend(q, k):
        # Karpathy: att shape [seq, seq], one row of weights per query
        att = torch.softmax(q @ k.T, dim=-1)
        return att
    ```
    """

    code = "KL306"
    name = "shape-missing"
    summary = "Tensor function states no shape"
    languages = ("python",)
    options = (
        Option("require-shape-comments", "bool", True, "false turns this rule off"),
        Option("shape-exempt-wrappers", "bool", True,
               "a one-statement function around a single tensor call needs no shape comment"),
    )

    VALID = [
        Valid("def f(x):\n    # Karpathy: y shape [batch, d]\n    y = torch.relu(x)\n    return y\n"),
        Valid("def f(x):\n    return x + 1\n"),
        Valid("def f(x):\n    y = x.view(-1)\n    return y * 2\n", settings={"require_shape_comments": False}),
        Valid("def f(x):\n    y = torch.relu(x)  # (B, T, C)\n    return y\n"),
        Valid("def f(x):\n    # x: [batch, seq, d]\n    y = x.view(-1)\n    return y * 2\n"),
        # checkpoint I/O moves tensors to and from disk; it states no shape
        Valid("def save(model, path):\n    sd = model.state_dict()\n    torch.save(sd, path)\n"),
        # a thin one-line wrapper around one tensor call (setting `shape-exempt-wrappers`)
        Valid("def flat(x):\n    return x.view(-1)\n"),
    ]
    INVALID = [
        Invalid("def f(q, k):\n    return torch.softmax(q @ k.T, dim=-1)\n", line=2, column=5,
                message=f"`f` does tensor work (`torch.softmax(...)` on line 2) {NO_SHAPE}"),
        Invalid("def f(x):\n    # Karpathy: flatten it\n    y = x.view(-1)\n    return y * 2\n", line=3, column=5,
                message=f"`f` does tensor work (`x.view(...)` on line 3) {NO_SHAPE}"),
        Invalid("def f(x):\n    # (optional) flatten, see [-1]\n    y = x.view(-1)\n    return y * 2\n", line=3,
                column=5, message=f"`f` does tensor work (`x.view(...)` on line 3) {NO_SHAPE}"),
        Invalid("def flat(x):\n    return x.view(-1)\n", line=2, settings={"shape_exempt_wrappers": False},
                column=5, message=f"`flat` does tensor work (`x.view(...)` on line 2) {NO_SHAPE}"),
        Invalid("def load(path, w):\n    sd = torch.load(path)\n    return sd['x'] @ w\n", line=3, column=5,
                message=f"`load` does tensor work (the `@` operator on line 3) {NO_SHAPE}"),
    ]

    def check(self, model, settings):
        if not settings.require_shape_comments:
            return
        spans = [(n.line, n.end_line, n.text) for n in model.notes if "shape" in n.text]
        common: list[int] | None = None  # lines of comments with a shape in a common notation: read on first need
        for d in model.definitions:
            if d.name == "__init__":  # constructors build modules; shapes flow in forward
                continue
            calls = shape_work(d)
            if not calls or (settings.shape_exempt_wrappers and thin_wrapper(d, calls)):
                continue
            start_line = model.line_of(d.start)
            has = any(start_line <= lo <= d.end_line and states_shape(text) for lo, _, text in spans)
            if not has:
                if common is None:
                    common = _common_shape_lines(model, settings.marker)
                has = any(start_line <= line <= d.end_line for line in common)
            if not has:
                what, line = calls[0]
                hint = f"add `{marker(model, settings)} name shape [dim, ...]`"
                plain = plain_shape_comment(model, start_line, d.end_line)
                if plain is not None:
                    hint = (f"the comment on line {plain.line} states a shape but lacks the "
                            f"`{marker(model, settings)}` marker")
                yield self.finding_at_line(model, line, f"`{d.qualname}` does tensor work ({describe(what)} on line "
                                           f"{line}) but no comment states a shape: {hint}", symbol=d.qualname)


def _common_shape_lines(model, marker: str) -> list[int]:
    """The lines of the comments (plain or marker) that state a shape in a common notation."""
    # imported here for start-up speed: its large patterns compile only for a file with tensor work
    from karpathy_lint.shapes.notation import find as common_shape

    return sorted(c.line for c in model.comments if c.text.startswith("#") and common_shape(c.text[1:], marker) is not None)


# checkpoint I/O: tensors go to or come from disk whole; no shape is computed
CHECKPOINT_IO = frozenset({"torch.save", "torch.load"})


def shape_work(d) -> list[tuple[str, int]]:
    """The tensor calls of `d` that compute something a shape comment should describe, in source order."""
    named = [(call_name(callee), line) for callee, line in d.calls if is_tensor_work(callee)]
    return [(what, line) for what, line in named if what not in CHECKPOINT_IO and not what.endswith("state_dict")]


def call_name(callee: str) -> str:
    """`self.w_q(x).view` -> `.view` on a long receiver; `torch.nn.functional.softmax` as written."""
    callee = " ".join(callee.split())
    return callee if len(callee) <= 32 and "(" not in callee else "." + callee.rsplit(".", 1)[-1]


def thin_wrapper(d, calls) -> bool:
    """A one-statement function around a single tensor call (`return x.view(-1)`): the caller states the shape."""
    return d.statements == 1 and len(calls) == 1 and calls[0][0] != "@"


def states_shape(text: str) -> bool:
    """A marker comment states a shape, well-formed or not (a malformed one is KL307's finding, not also ours)."""
    return any(True for _ in shapes(text)) or any(True for _ in problems(text))


def describe(what: str) -> str:
    return "the `@` operator" if what == "@" else f"`{what}(...)`"
