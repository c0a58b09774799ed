"""Writing notebooks back: scaffold and --fix change only the cells they must, in every layout, validly.

Each write is checked here independently of the writer's own checks: every
cell whose source did not change is the same JSON text, a changed cell
differs only in its `source` value, the text around the cells is the same,
nbformat validates the result, and a second run writes identical bytes.
"""
from __future__ import annotations

import json
import os
import stat
import warnings
from pathlib import Path

import nbformat
import pytest
from clihelp import lint
from clihelp import scaffold as scaffold_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nbhelp import CLEAN_CELLS, cell_texts, jupyter_text, laid_out, notebook

from karpathy_lint.codemods.scaffold import ScaffoldError, scaffold_source
from karpathy_lint.config import Settings
from karpathy_lint.engine import lint_source
from karpathy_lint.fixer import fix_source
from karpathy_lint.notebook.document import read_notebook, scan_cells
from karpathy_lint.notebook.write import detect_layout

DATA = Path(__file__).resolve().parent / "data" / "notebooks"
LECTURES = sorted(DATA.glob("*.ipynb"))
SETTINGS = Settings()

# a notebook without a header: code with a malformed marker (a fix) and definitions (the Function List)
PLAIN = [
    ("markdown", "# Scaling — naïve and fast\n\nThe *idea* in one line: $y = k\\,x$, see `\\alpha`."),
    ("code", "%matplotlib inline\nimport torch\n!pip install einops"),
    ("code", "def scale(x, k=2):\n    #karpathy: every element times k\n    return x * k"),
    ("markdown", "Between the code."),
    ("code", "class Scaler:\n    def __init__(self, k):\n        self.k = k\n\n    def apply(self, x):\n"
             "        return scale(x, self.k)"),
]
OUTPUTS = {2: [nbformat.v4.new_output("execute_result", data={"text/plain": "0.00001 1e-05 ünïcode"},
                                      metadata={"threshold": 1e-05, "big": 1.5e300}, execution_count=3)]}


def _source_spans(text: str):
    _, cells = scan_cells(text)
    return cells


def assert_only_sources_changed(old: str, new: str, inserted: int = 0) -> set[int]:
    """Independent check of a write; returns the (old) indices of the cells whose source changed."""
    old_data, new_data = json.loads(old), json.loads(new)
    assert len(new_data["cells"]) == len(old_data["cells"]) + inserted
    for key in old_data:
        if key != "cells":
            assert old_data[key] == new_data[key]
    old_cells, new_cells = _source_spans(old), _source_spans(new)
    # the spans found are the real values (the span finder itself is checked)
    for text, data, cells in ((old, old_data, old_cells), (new, new_data, new_cells)):
        for (a, b), (sa, sb), _ in cells:
            assert json.loads(text[sa:sb]) == data["cells"][cells.index(((a, b), (sa, sb), _))]["source"]
    changed = set()
    for i, ((a, b), (sa, sb), _) in enumerate(old_cells):
        (c, d), (sc, sd), _ = new_cells[i + inserted]
        if old[a:b] == new[c:d]:
            continue
        changed.add(i)
        assert old[a:sa] == new[c:sc] and old[sb:b] == new[sd:d], f"cell {i + 1} changed beyond its source"
        assert type(old_data["cells"][i]["source"]) is type(new_data["cells"][i + inserted]["source"])
    # around the cells: identical text once the cell objects are cut out
    def skeleton(text, cells, skip):
        parts, pos = [], 0
        for k, ((a, b), _, _) in enumerate(cells):
            if k in skip:
                continue
            parts.append(text[pos:a])
            pos = b
        parts.append(text[pos:])
        return parts
    old_skel = skeleton(old, old_cells, set())
    new_skel = skeleton(new, new_cells, set(range(inserted)))
    if inserted:  # the inserted cell and its separator sit before the first old cell
        assert new_skel[0].startswith(old_skel[0].rstrip()) and new_skel[1:] == old_skel[1:]
    else:
        assert new_skel == old_skel
    return changed


def _validate(text: str, strict: bool) -> None:
    data = json.loads(text)
    if strict:
        assert nbformat.validator.isvalid(data), "not strictly valid"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the repair warnings for missing/duplicate ids the input already had
        nbformat.validate(data)  # what Jupyter accepts on load (ids repaired in memory)


def scaffold_and_fix(tmp_path: Path, text: str, name: str = "nb.ipynb", cli: bool = False) -> tuple[str, str]:
    """(after scaffold, after scaffold + --fix), each run twice for idempotency; `cli`: through the commands
    and the file system, else in-process."""
    if not cli:
        scaffolded = scaffold_source(name, text.encode("utf-8"), SETTINGS).new
        assert scaffold_source(name, scaffolded, SETTINGS).new == scaffolded  # a second run: nothing
        fixed = fix_source(name, scaffolded, SETTINGS).source
        assert fix_source(name, fixed, SETTINGS)[0] == fixed
        return scaffolded.decode("utf-8"), fixed.decode("utf-8")
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    proc = scaffold_cli("-q", path)
    assert proc.returncode == 0, proc.stderr
    scaffolded = path.read_bytes()
    assert scaffold_cli("-q", path).returncode == 0 and path.read_bytes() == scaffolded  # a second run: nothing
    lint("--no-cache", "--fix", path)
    fixed = path.read_bytes()
    lint("--no-cache", "--fix", path)
    assert path.read_bytes() == fixed
    return scaffolded.decode("utf-8"), fixed.decode("utf-8")



LAYOUTS = {
    "jupyter": dict(indent=1),
    "indent2": dict(indent=2),
    "indent4": dict(indent=4),
    "minified": dict(indent=None, final=""),
    "crlf": dict(indent=1, crlf=True, final="\r\n"),
    "no-final-newline": dict(indent=1, final=""),
    "escaped-non-ascii": dict(indent=1, ensure_ascii=True),
    "string-sources": dict(indent=1, lists=False),
    "unsorted-keys": dict(indent=2, sort_keys=False),
}


@pytest.mark.parametrize("minor", [0, 4, 5])
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_scaffold_and_fix_in_every_layout(tmp_path, layout, minor):
    nb = notebook(PLAIN, minor=minor, outputs=OUTPUTS)
    text = laid_out(nb, **LAYOUTS[layout])
    strict = nbformat.validator.isvalid(json.loads(text))
    scaffolded, fixed = scaffold_and_fix(tmp_path, text, cli=layout in ("jupyter", "crlf") and minor == 5)
    assert assert_only_sources_changed(text, scaffolded, inserted=1) == set()
    assert assert_only_sources_changed(scaffolded, fixed) == {3}  # the marker fix, nothing else
    for out in (scaffolded, fixed):
        _validate(out, strict)
    data = json.loads(fixed)
    header = data["cells"][0]
    assert header["cell_type"] == "markdown" and data["nbformat_minor"] == minor
    assert ("id" in header) == (minor >= 5) and header.get("id", "karpathy-header") == "karpathy-header"
    assert [c.get("id") for c in data["cells"][1:]] == [c.get("id") for c in json.loads(text)["cells"]]
    source = "".join(header["source"])
    assert source.startswith("Module: Scaling — naïve and fast\n")  # the first markdown heading
    assert "scale(x, k) - TODO: describe" in source and "Scaler.apply(x) - TODO: describe" in source
    assert "    # Karpathy: every element times k\n" in "".join(data["cells"][3]["source"])
    findings = lint_source("nb.ipynb", fixed.encode(), SETTINGS).findings
    assert not [f for f in findings if f.code.startswith("KL2")]  # the written Function List is accepted
    if layout == "crlf":
        assert "\n" not in fixed.replace("\r\n", "")
    if layout in ("no-final-newline", "minified"):
        assert not fixed.endswith("\n")


def test_jupyter_layout_is_reserialised_and_odd_numbers_are_spliced(tmp_path):
    nb = notebook(PLAIN, outputs=OUTPUTS)
    text = jupyter_text(nb)
    assert detect_layout(read_notebook(text)) is not None
    js = text.replace('"threshold": 1e-05', '"threshold": 0.00001')  # how a browser writes that float
    assert js != text and detect_layout(read_notebook(js)) is None
    scaffolded, fixed = scaffold_and_fix(tmp_path, js, cli=True)
    assert '"threshold": 0.00001' in fixed and "1e-05," not in fixed.split('"threshold"')[1][:20]
    assert assert_only_sources_changed(js, scaffolded, inserted=1) == set()
    _validate(fixed, strict=True)


def test_missing_and_duplicate_ids_are_left_as_they_are(tmp_path):
    nb = notebook(PLAIN, outputs=OUTPUTS)
    data = json.loads(jupyter_text(nb))
    del data["cells"][1]["id"]
    data["cells"][4]["id"] = data["cells"][2]["id"]  # duplicate
    text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    scaffolded, fixed = scaffold_and_fix(tmp_path, text)
    out = json.loads(fixed)
    assert "id" not in out["cells"][2] and out["cells"][5]["id"] == out["cells"][3]["id"]
    _validate(fixed, strict=False)


def test_crlf_inside_a_source_and_escapes_of_kept_lines_survive(tmp_path):
    nb = notebook(PLAIN)
    data = json.loads(jupyter_text(nb))
    data["cells"][2]["source"] = ["def scale(x, k=2):\r\n", "    #karpathy: caf\u00e9 times k\r\n", "    return x * k"]
    text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    text = text.replace('"def scale(x, k=2):\\r\\n"', '"def scal\\u0065(x, k=2):\\r\\n"')  # escaped, kept as is
    _, fixed = scaffold_and_fix(tmp_path, text)
    cell = json.loads(fixed)["cells"][3]["source"]
    assert cell == ["def scale(x, k=2):\r\n", "    # Karpathy: caf\u00e9 times k\r\n", "    return x * k"]
    assert '"def scal\\u0065(x, k=2):\\r\\n"' in fixed  # the unchanged line keeps its exact JSON text


def test_existing_header_cell_gets_the_function_list_merged(tmp_path):
    cells = [list(c) for c in CLEAN_CELLS]
    cells[3][1] += "\n\ndef shift(x, b=1):\n    # Karpathy: add b\n    return x + b"
    text = jupyter_text(notebook([tuple(c) for c in cells]))
    scaffolded, _ = scaffold_and_fix(tmp_path, text)
    assert assert_only_sources_changed(text, scaffolded) == {1}
    assert "shift(x, b) - TODO: describe" in "".join(json.loads(scaffolded)["cells"][1]["source"])


def test_scaffold_diff_shows_cells_and_writes_nothing(tmp_path):
    path = tmp_path / "nb.ipynb"
    path.write_text(jupyter_text(notebook(PLAIN)), encoding="utf-8")
    before = path.read_bytes()
    proc = scaffold_cli("--diff", path)
    assert proc.returncode == 1 and path.read_bytes() == before
    assert proc.stdout.startswith(f"--- /dev/null\n+++ b/{path}:cell 1\n")
    assert '"cell_type"' not in proc.stdout  # cell sources, never the JSON
    lint_diff = lint("--no-cache", "--diff", path)
    assert lint_diff.returncode == 1 and path.read_bytes() == before
    assert f"--- a/{path}:cell 3\n+++ b/{path}:cell 3\n" in lint_diff.stdout
    assert "+    # Karpathy: every element times k" in lint_diff.stdout


def test_unwritable_layout_is_refused_with_one_line(tmp_path):
    text = laid_out(notebook(PLAIN), indent=1).replace("\n ", "\n\t")  # tab-indented JSON
    text = text.replace('"threshold"', '"threshold"')
    path = tmp_path / "tabs.ipynb"
    path.write_text(text.replace("1e-05", "0.00001"), encoding="utf-8")
    before = path.read_bytes()
    if detect_layout(read_notebook(path.read_text(encoding="utf-8"))) is not None:
        pytest.skip("tab layout reproduced")  # pragma: no cover - json.dumps never writes tabs for indent=int
    proc = scaffold_cli("-q", path)
    assert proc.returncode == 2 and path.read_bytes() == before
    assert "cannot tell how this notebook's JSON is laid out" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_file_mode_is_kept_and_non_python_kernel_is_refused(tmp_path):
    path = tmp_path / "nb.ipynb"
    path.write_text(jupyter_text(notebook(PLAIN)), encoding="utf-8")
    os.chmod(path, 0o640)
    assert scaffold_cli("-q", path).returncode == 0
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    r_nb = tmp_path / "r.ipynb"
    r_nb.write_text(jupyter_text(notebook([("code", "x <- 1")], language="R")), encoding="utf-8")
    with pytest.raises(ScaffoldError, match="not a Python notebook"):
        scaffold_source(str(r_nb), r_nb.read_bytes(), SETTINGS)


@pytest.mark.parametrize("path", LECTURES, ids=[p.name for p in LECTURES])
def test_lecture_notebooks_scaffold_and_fix_losslessly(tmp_path, path):
    text = path.read_bytes().decode("utf-8")
    strict = nbformat.validator.isvalid(json.loads(text))
    scaffolded, fixed = scaffold_and_fix(tmp_path, text, path.name)
    assert assert_only_sources_changed(text, scaffolded, inserted=1) == set()
    assert assert_only_sources_changed(scaffolded, fixed) <= {i for i, _ in enumerate(json.loads(scaffolded)["cells"])}
    _validate(fixed, strict)
    findings = lint_source(path.name, fixed.encode(), SETTINGS).findings
    assert not [f for f in findings if f.code.startswith("KL2") or f.code == "KL001"]
    assert len(cell_texts(fixed)) == len(cell_texts(text)) + 1


# -- generated notebooks -------------------------------------------------------------------------

WORDS = st.sampled_from(["attention", "naïve", "café", "注意力", "$\\sqrt{d_k}$", "\\alpha", '"""quoted"""', "`x`",
                         "*bold*", "Module", "🤖", "tab\there", "back\\slash"])
CODE_LINES = st.sampled_from([
    "x = 1", "%matplotlib inline", "!pip install einops", "files = !ls", "y = %timeit -o abs(-1)", "abs?",
    "??abs", "pip install torch", "#karpathy: a misspelt marker", "# Karpathy: a fine marker", "z = (1\n     % 2)",
    "print('it''s')", "w = 'a' \\\n    'b'",
])
DEFS = st.sampled_from(["def f{n}(a, b=2):\n    return a + b", "class C{n}:\n    def run(self, x):\n        return x",
                        "async def g{n}(q, *, k):\n    return q"])


@st.composite
def cells(draw):
    out = []
    for n in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["markdown", "code", "code", "raw"]))
        if kind == "markdown":
            heading = draw(st.sampled_from(["", "# ", "## "]))
            out.append(("markdown", heading + " ".join(draw(st.lists(WORDS, min_size=1, max_size=6)))))
        elif kind == "raw":
            out.append(("raw", " ".join(draw(st.lists(WORDS, max_size=3)))))
        else:
            body = draw(st.lists(CODE_LINES, max_size=4))
            if draw(st.booleans()):
                body.append(draw(DEFS).format(n=n))
            if draw(st.booleans()):
                body.insert(0, "%%time")
            out.append(("code", "\n".join(body) + draw(st.sampled_from(["", "\n"]))))
    return out


@st.composite
def notebooks(draw):
    spec = draw(cells())
    minor = draw(st.sampled_from([4, 5]))
    nb = nbformat.v4.new_notebook()
    nb.nbformat_minor = minor
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    for i, (kind, source) in enumerate(spec):
        if kind == "markdown":
            cell = nbformat.v4.new_markdown_cell(source)
        elif kind == "raw":
            cell = nbformat.v4.new_raw_cell(source)
        else:
            cell = nbformat.v4.new_code_cell(source, execution_count=draw(st.one_of(st.none(), st.integers(1, 99))))
            if draw(st.booleans()):
                cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=draw(WORDS) + "\n"),
                                nbformat.v4.new_output("execute_result", execution_count=1,
                                                       data={"text/plain": "1e-05", "image/png": "iVBORw0KGgo=\n"},
                                                       metadata={"scale": draw(st.sampled_from([1e-05, 0.5, 3.0e8]))})]
        cell["id"] = f"c{i}"
        if minor < 5:
            del cell["id"]
        nb.cells.append(cell)
    layout = draw(st.sampled_from(sorted(LAYOUTS)))
    text = laid_out(nb, **LAYOUTS[layout])
    if draw(st.booleans()):
        text = text.replace("1e-05", "0.00001")  # numbers as a browser writes them: the splice path
    return text


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(text=notebooks())
def test_generated_notebooks_scaffold_and_fix_never_break_or_lose_bytes(text):
    source = text.encode("utf-8")
    strict = nbformat.validator.isvalid(json.loads(text))
    result = scaffold_source("gen.ipynb", source, SETTINGS)
    scaffolded = result.new.decode("utf-8")
    again = scaffold_source("gen.ipynb", result.new, SETTINGS)
    assert again.new == result.new  # idempotent
    inserted = len(json.loads(scaffolded)["cells"]) - len(json.loads(text)["cells"])
    assert inserted in (0, 1)
    assert assert_only_sources_changed(text, scaffolded, inserted) <= set()
    fixed = fix_source("gen.ipynb", result.new, SETTINGS, unsafe=False).source
    changed = assert_only_sources_changed(scaffolded, fixed.decode("utf-8"))
    before, after = json.loads(scaffolded)["cells"], json.loads(fixed)["cells"]
    for i in changed:  # a fix only touches code cells with a misspelt marker, or the header cell
        assert "#karpathy:" in "".join(before[i]["source"]) or i == 0
        assert before[i]["cell_type"] == after[i]["cell_type"]
    for out in (scaffolded, fixed.decode("utf-8")):
        _validate(out, strict)
    assert fix_source("gen.ipynb", fixed, SETTINGS)[0] == fixed


def test_scaffold_stdin_notebook_writes_json(tmp_path):
    source = jupyter_text(notebook(PLAIN)).encode()
    proc = scaffold_cli("--stdin-filename", "lecture.ipynb", "-", input=source)
    assert proc.returncode == 0, proc.stderr
    nb = nbformat.reads(proc.stdout, as_version=4)
    assert nb.cells[0].source.startswith("Module: Scaling")
    assert assert_only_sources_changed(source.decode(), proc.stdout, inserted=1) == set()
    new_file = scaffold_cli("--new", tmp_path / "new.ipynb")
    assert new_file.returncode == 2 and "no template for '.ipynb'" in new_file.stderr
