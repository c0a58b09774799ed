import builtins
import difflib
import keyword
import re

from karpathy_lint.model import Edit
from karpathy_lint.parse.names import NameIndex, python_names
from karpathy_lint.rule import Invalid, Option, Rule, Valid

BACKTICK = re.compile(r"`([^`\n]+)`")
# an identifier, a dotted (or C++ `::`) chain of them, optionally called: `route`, `MoERouter.forward`,
# `self.bias`, `torch.topk(x, k)`, `cute::gemm`
TOKEN = re.compile(r"^(?P<chain>[A-Za-z_]\w*(?:(?:\.|::)[A-Za-z_]\w*)*)(?P<call>\([^()]*\))?$")
PART = re.compile(r"[A-Za-z_]\w*")
BUILTINS = frozenset(dir(builtins))
C_STRING = re.compile(r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'')
# members every `torch.nn.Module` subclass inherits: accepted after `self.` when a class of the file has a base
# from outside the file (the members of an outside base cannot be listed without importing it)
INHERITED = frozenset({
    "parameters", "named_parameters", "buffers", "named_buffers", "children", "named_children", "modules",
    "named_modules", "state_dict", "load_state_dict", "train", "eval", "to", "cuda", "cpu", "half", "float",
    "double", "bfloat16", "register_buffer", "register_parameter", "register_module", "zero_grad",
    "apply", "requires_grad_", "training", "extra_repr", "add_module", "get_submodule", "get_parameter",
})
CLOSE = 0.75  # difflib ratio at or above which a name counts as "close" (a rename candidate)


def _tokens(model):
    """(offset of the first char of the chain, chain text) for every backticked identifier in prose."""
    out = []
    if model.header is not None:
        for hl in model.header.lines:
            if "`" in hl.text:
                out.extend(_scan(hl.text, hl.start))
    for note in model.notes:
        for c in note.comments:
            if "`" in c.text:
                out.extend(_scan(c.text, c.start))
    return out


def _scan(text: str, base: int):
    for m in BACKTICK.finditer(text):
        inner = m.group(1)
        t = TOKEN.match(inner.strip())
        if t is None:
            continue
        chain = t.group("chain")
        if keyword.iskeyword(chain) or chain in ("True", "False", "None"):
            continue
        lead = len(inner) - len(inner.lstrip())
        yield base + len(text[: m.start(1) + lead].encode()), chain


def _cuda_names(model) -> NameIndex:
    """CUDA: every identifier-like token of the code (comments, the header and string literals blanked)."""
    n = NameIndex()
    text = bytearray(model.source)
    spans = [(c.start, c.end) for c in model.comments]
    if model.header is not None:
        spans.append((model.header.start, model.header.end))
    for s, e in spans:
        text[s:e] = b" " * (e - s)
    code = C_STRING.sub(" ", text.decode("utf-8", "replace"))
    names = set(PART.findall(code))
    n.bound = n.defined = n.attrs = names
    return n


def _close(name: str, candidates) -> list[str]:
    """Candidates close enough to be a rename of `name`, best first."""
    parts = sorted(name.lower().split("_"))
    scored = []
    for c in candidates:
        if c == name:
            continue
        r = difflib.SequenceMatcher(None, name, c).ratio()
        if r >= CLOSE or (len(parts) > 1 and sorted(c.lower().split("_")) == parts):
            scored.append((-max(r, CLOSE), c))
    return [c for _, c in sorted(scored)]


def _nearest(name: str, candidates) -> str | None:
    got = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return got[0] if got else None


class NameUnresolved(Rule):
    """## What it does
    Resolves every `` `backticked` `` identifier in the header and in marker
    comments against the file: its definitions, parameters, locals,
    attributes (`self.bias`), imports and config fields. `Class.member`
    must be a member of that class; `torch.topk` resolves through the import
    of `torch`. Backticked text that is not an identifier (a path, code with
    operators such as `x @ w`, a number) is ignored, and so are Python
    keywords and dunder names. Names from other code bases go without
    backticks, or into `allowed-names` in the config.

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
        allowed = set(settings.allowed_names)
        # the Python index comes from the tree the parser kept (one query, run only now); None when the
        # file is not Python 3 this interpreter parses (`print "x"`)
        names = python_names(model) if model.language == "python" else _cuda_names(model)
        if names is None:
            return
        for offset, chain in tokens:
            if chain in allowed:
                continue
            found = self._unresolved(chain, names, allowed)
            if found is None:
                continue
            index, candidates = found
            parts = re.split(r"(\.|::)", chain)
            comps = parts[::2]
            bad = comps[index]
            start = offset + len("".join(parts[: 2 * index]).encode())
            end = start + len(bad.encode())
            close = _close(bad, candidates)
            best = close[0] if close else _nearest(bad, candidates)
            what = f"`{chain}` names `{bad}`" if chain != bad else f"names `{bad}`"
            message = f"{what}, which does not exist in this file"
            if best:
                message += f" (closest: `{best}`)"
            fix = None
            if len(close) == 1:
                fix = self.make_fix([Edit(start, end, close[0])], f"rename to `{close[0]}`")
            yield self.finding(model, start, end, message, fix=fix, symbol=chain)

    @staticmethod
    def _unresolved(chain: str, names: NameIndex, allowed: set[str]):
        """None when `chain` resolves, else (index of the first bad component, candidates for it)."""
        comps = re.split(r"\.|::", chain)
        root = comps[0]
        if root in allowed or _dunder(root):
            return None
        if root not in names.bound and root not in names.attrs and root not in BUILTINS:
            return 0, names.defined | names.attrs
        if root in names.imports or (root in BUILTINS and root not in names.defined):
            return None  # outside the file: resolved through the import (or the builtins)
        owner = names.classes.get(root)
        for i, comp in enumerate(comps[1:], start=1):
            if _dunder(comp):
                owner = None
                continue
            if owner is not None:
                members, bases = owner
                inherited = set()
                external = False
                for b in bases:
                    if b in names.classes:
                        inherited |= names.classes[b][0]
                    elif b and b != "object":
                        external = True
                ok = comp in members or comp in inherited or (external and (comp in names.attrs or comp in INHERITED))
                if not ok:
                    return i, members | inherited
            elif comp not in names.attrs and not (comp in INHERITED and names.external_bases()):
                return i, names.attrs
            owner = names.classes.get(comp)
        return None


def _dunder(name: str) -> bool:
    return len(name) > 4 and name.startswith("__") and name.endswith("__")
