"""Building notebooks for the notebook tests: real nbformat cells, laid out as Jupyter (or anything else) writes."""
from __future__ import annotations

import json

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROLE = ("This notebook stands in for a lecture of the course: it builds a scaling layer from nothing so that "
        "later notebooks can reuse it, and nothing imports it.")
DEEP = " ".join(["Scaling multiplies every element by one number; the layer stores that number so a later cell can "
                 "call it without passing it again, which is the whole trick."] * 3)


def header_source(entries: str = "scale(x, k=2) - Multiply every element by k\nScaler(k) - Hold k for later\n"
                  "Scaler.apply(x) - Scale x by the stored k", module: str = "Module: Scaling, one cell at a time") -> str:
    return (f"{module}\n\n<karpathys_code_comments>\n** This File's Role in DeepSeek **\n{ROLE}\n\n"
            f"** Function List **\n{entries}\n\n** Technical Deep Dive **\n{DEEP}\n</karpathys_code_comments>")


CLEAN_CELLS = [
    ("markdown", "# Scaling, one cell at a time\n\nA lecture in five cells."),
    ("markdown", header_source()),
    ("code", "%matplotlib inline\nimport torch"),
    ("code", "def scale(x, k=2):\n    # Karpathy: x shape [batch, d], every element times k\n    y = x * k\n    return y"),
    ("code", "class Scaler:\n    def __init__(self, k):\n        # Karpathy: keep k for every later call\n        self.k = k\n\n"
             "    def apply(self, x):\n        # Karpathy: the same scale, with the stored k\n        out = scale(x, self.k)\n"
             "        return out"),
    ("code", "s = Scaler(3)\n# Karpathy: y shape [2, 4], three times x\ny = s.apply(torch.ones(2, 4))\ny.shape\n"
             "# Karpathy: Simple idea, huge impact."),
]


def notebook(cells, minor: int = 5, language: str = "python", outputs: dict | None = None) -> nbformat.NotebookNode:
    """A notebook of (cell_type, source) pairs; `outputs` maps a 0-based index to that code cell's outputs."""
    nb = new_notebook()
    nb.nbformat_minor = minor
    nb.metadata["kernelspec"] = {"display_name": language, "language": language, "name": language}
    for i, (kind, source) in enumerate(cells):
        cell = new_markdown_cell(source) if kind == "markdown" else new_code_cell(source)
        cell["id"] = f"cell-{i}"
        if kind == "code" and outputs and i in outputs:
            cell.outputs = outputs[i]
        if minor < 5:
            del cell["id"]
        nb.cells.append(cell)
    return nb


def jupyter_text(nb) -> str:
    """What Jupyter writes (nbformat's own writer: one-space indent, sorted keys, raw non-ASCII, final newline)."""
    return nbformat.writes(nb)


def laid_out(nb, indent=1, ensure_ascii=False, crlf=False, final="\n", lists=True, sort_keys=True) -> str:
    """The notebook serialised some other way (what other tools and editors write)."""
    data = json.loads(nbformat.writes(nb))
    if not lists:
        for cell in data["cells"]:
            cell["source"] = "".join(cell["source"])
    seps = (",", ": ") if indent is not None else (",", ":")
    text = json.dumps(data, indent=indent, ensure_ascii=ensure_ascii, sort_keys=sort_keys, separators=seps)
    if crlf:
        text = text.replace("\n", "\r\n")
    return text + final


def cell_texts(text: str) -> list[str]:
    """The JSON text of every cell object, as it stands in the file."""
    from karpathy_lint.notebook.document import scan_cells

    _, spans = scan_cells(text)
    return [text[a:b] for (a, b), _, _ in spans]
