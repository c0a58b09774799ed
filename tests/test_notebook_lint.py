"""Linting notebooks: cells found, IPython syntax masked, findings placed in their cells, every output format."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import nbformat
import pytest
from clihelp import lint, run_cli
from clihelp import scaffold as scaffold_cli
from nbhelp import CLEAN_CELLS, header_source, jupyter_text, notebook

from karpathy_lint.config import Settings
from karpathy_lint.engine import lint_source
from karpathy_lint.notebook.magics import mask_cell
from karpathy_lint.notebook.virtual import parse_notebook

DATA = Path(__file__).resolve().parent / "data"
LECTURES = sorted((DATA / "notebooks").glob("*.ipynb"))


def _write(tmp_path: Path, name: str, nb) -> Path:
    path = tmp_path / name
    path.write_text(jupyter_text(nb), encoding="utf-8")
    return path


def _json(proc) -> list[dict]:
    return json.loads(proc.stdout)


def test_clean_notebook_passes(tmp_path):
    path = _write(tmp_path, "clean.ipynb", notebook(CLEAN_CELLS))
    proc = run_cli("--no-cache", path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert b"All checks passed (1 file checked)." in proc.stdout


def test_folders_are_walked_for_notebooks(tmp_path):
    _write(tmp_path, "a.ipynb", notebook(CLEAN_CELLS))
    (tmp_path / "sub").mkdir()
    _write(tmp_path / "sub", "b.ipynb", notebook(CLEAN_CELLS))
    proc = lint("--no-cache", tmp_path)
    assert "All checks passed (2 files checked)." in proc.stdout, proc.output


SEEDED = [
    ("markdown", "# Scaling\n\nIntro."),  # cell 1
    ("markdown", header_source(entries="scale(x) - Multiply every element by k\nScaler(k) - Hold k for later\n"
                                       "Scaler.apply(x) - Scale x by the stored k")),  # cell 2: params of scale stale
    ("code", "import torch\n%time torch.zeros(1)"),  # cell 3
    ("code", "def scale(x, k=2):\n    #karpathy: every element times k\n    y = x * k\n    return y"),  # cell 4
    ("code", "class Scaler:\n    def __init__(self, k):\n        # Karpathy: keep k\n        self.k = k\n\n"
             "    def apply(self, x):\n        # Karpathy: the stored k\n        return scale(x, self.k)\n\n"
             "def extra(a, b):\n    return a + b"),  # cell 5: extra missing from the list
    ("markdown", "Notes between code cells."),  # cell 6
    ("code", "s = Scaler(3)\ny = s.apply(torch.ones(2, 4))"),  # cell 7: no closing marker
]


def test_seeded_defects_are_reported_in_their_cell_and_line(tmp_path):
    path = _write(tmp_path, "seeded.ipynb", notebook(SEEDED))
    proc = lint("--no-cache", "--format", "json", path)
    assert proc.returncode == 1, proc.stderr
    got = {(f["code"], f["cell"], f["line"], f["column"]) for f in _json(proc)}
    header_line = header_source().split("\n").index("scale(x, k=2) - Multiply every element by k") + 1
    assert ("KL301", 4, 2, 5) in got  # the malformed marker, cell 4 line 2 column 5
    assert ("KL203", 2, header_line, 1) in got  # the stale params, in the header cell
    assert ("KL202", 5, 10, 1) in got  # `extra` at cell 5 line 10
    assert ("KL308", 7, 2, 1) in got  # the last code line of the last code cell
    by_code = {f["code"]: f for f in _json(proc)}
    assert by_code["KL301"]["cell_id"] == "cell-3"  # ids travel with the finding
    # the fix of a finding in a code cell can edit the header cell: each edit names its cell
    assert {e["cell"] for e in by_code["KL202"]["fix"]["edits"]} == {2}
    text = lint("--no-cache", path).stdout
    assert f"{path}:cell 4:2:5: KL301 marker-malformed" in text


def test_sort_and_positions_use_cells_not_virtual_lines(tmp_path):
    path = _write(tmp_path, "seeded.ipynb", notebook(SEEDED))
    lines = lint("--no-cache", "--format", "concise", path).stdout.splitlines()[:-1]
    cells = [int(line.split(":cell ")[1].split(":")[0]) for line in lines]
    assert cells == sorted(cells) and min(cells) >= 1 and max(cells) <= len(SEEDED)


IPYTHON_CELLS = [
    ("code", "%matplotlib inline\n%load_ext autoreload\n%autoreload 2"),  # a cell made only of magics
    ("code", "%%time\nimport math\nx = math.sqrt(2)"),
    ("code", "!pip install -q einops\nfiles = !ls -la\ny = %timeit -o math.sqrt(2)"),
    ("code", "math.sqrt?\n??math\nmath.sqrt??"),
    ("code", "pip install torch\ncd ..\nls -la"),  # automagics; `ls -la` is also Python
    ("code", "for i in range(2):\n    %time math.sqrt(i)\n    !echo {i}"),  # indented magics
    ("code", "z = (x\n     % 2)\nw = x \\\n    % 3"),  # `%` inside brackets and after a backslash: Python
    ("code", "!echo one \\\n  two"),  # a shell line continued with a backslash
    ("code", "%time math.sqrt(2)  # Karpathy: not a comment of the convention"),
    ("code", "%%bash\nfor f in *; do echo $f; done"),
    ("code", "%%writefile helper.py\ndef broken(:\n    pass"),
    ("code", "%%html\n<b>bold</b>"),
]


def test_ipython_syntax_is_not_a_syntax_error(tmp_path):
    path = _write(tmp_path, "magic.ipynb", notebook(IPYTHON_CELLS))
    proc = lint("--no-cache", "--format", "json", path)
    codes = [f["code"] for f in _json(proc)]
    assert "KL001" not in codes and proc.returncode == 1, proc.stdout
    model = parse_notebook(str(path), b"", path.read_text(encoding="utf-8"), Settings())
    assert model.syntax_error is None
    # magic lines are not code; `x = ...`, `y = %timeit ...`, the brackets and `ls -la` are
    # cell 2: 2, cell 3: 2 (files, y), cell 5: 1 (ls -la), cell 6: 1 (for), cell 7: 4
    assert model.code_lines == 2 + 2 + 1 + 1 + 4
    assert not model.notes  # the comment on a magic line is masked with it
    assert {d.name for d in model.definitions} == set()  # `broken` lives in %%writefile: not Python here
    indented = notebook([("code", "    %time f()\n    x = 1")])  # IPython dedents a cell indented as a whole
    path.write_text(jupyter_text(indented), encoding="utf-8")
    assert lint("--no-cache", "--select", "KL001", path).returncode == 0


@pytest.mark.parametrize("source, lines", [
    ("%matplotlib inline", {0}),
    ("!ls\nx = 1", {0}),
    ("x = !ls", set()),
    ("y = %timeit -o f()", set()),
    ("foo?", {0}),
    ("??foo", {0}),
    ("pip install torch", {0}),
    ("if x:\n    %time f()", {1}),
    ("x = (1\n%2)", set()),
    ("x = 1 \\\n% 2", set()),
    ("!echo a \\\n  b", {0, 1}),
    ("s = '''\n%not a magic\n'''", set()),
    ("%%time\nx = 1", {0}),
    ("time = 3\nls -la", set()),
])
def test_mask_keeps_length_and_marks_magic_lines(source, lines):
    masked = mask_cell(source)
    assert masked is not None
    assert len(masked.text.encode()) == len(source.encode())
    assert masked.magic_lines == lines
    compile(masked.text, "<cell>", "exec")


def test_non_python_cells_and_kernels_are_not_linted(tmp_path):
    for magic in ("%%bash", "%%writefile x.py", "%%html", "%%javascript", "%%sh"):
        assert mask_cell(f"{magic}\ndef broken(:") is None
    r_nb = notebook([("markdown", "# R"), ("code", "x <- c(1, 2)\nfunction(x) x + 1")], language="R")
    path = _write(tmp_path, "r.ipynb", r_nb)
    proc = lint("--no-cache", path)
    assert proc.returncode == 0 and "All checks passed" in proc.stdout, proc.stdout


def test_unsupported_versions_and_broken_files_are_one_line_exit_2(tmp_path):
    v3 = tmp_path / "old.ipynb"
    v3.write_text(json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": []}))
    bad_json = tmp_path / "bad.ipynb"
    bad_json.write_text("{not json")
    invalid = tmp_path / "invalid.ipynb"
    invalid.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                                   "cells": [{"cell_type": "code", "source": "x"}]}))
    for path, needle in ((v3, "nbformat 3 notebooks are not supported"), (bad_json, "not valid JSON"),
                         (invalid, "not a valid nbformat 4 notebook")):
        proc = lint("--no-cache", path)
        err = proc.stderr
        assert proc.returncode == 2, err
        assert needle in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err


def test_without_nbformat_one_line_says_what_to_install(tmp_path):
    path = _write(tmp_path, "a.ipynb", notebook(CLEAN_CELLS))
    code = ("import sys; sys.modules['nbformat'] = None\n"  # what `import nbformat` meets when it is not installed
            "from karpathy_lint.cli import entry; sys.argv = ['karpathy-lint', '--no-cache', sys.argv[1]]; entry()")
    proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (f"karpathy-lint: error: {path}: reading notebooks needs nbformat: "
                                   "pip install 'karpathy-lint[notebook]'")


def test_github_and_sarif_name_the_cell(tmp_path):
    path = _write(tmp_path, "seeded.ipynb", notebook(SEEDED))
    gh = lint("--no-cache", "--format", "github", "seeded.ipynb", cwd=tmp_path).stdout.splitlines()
    marker = [line for line in gh if "KL301" in line][0]
    assert marker.startswith("::error title=karpathy-lint KL301 (cell 4),file=seeded.ipynb::")
    assert ",line=" not in marker and "cell 4, line 2, col 5: KL301" in marker  # file-level annotation
    log = json.loads(lint("--no-cache", "--format", "sarif", "seeded.ipynb", cwd=tmp_path).stdout)
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(log)
    result = [r for r in log["runs"][0]["results"] if r["ruleId"] == "KL301"][0]
    assert result["properties"]["cell"] == 4 and result["properties"]["line"] == 2
    assert result["locations"][0]["logicalLocations"] == [{"name": "cell 4", "kind": "module"}]
    assert "region" not in result["locations"][0]["physicalLocation"]
    assert result["message"]["text"].startswith("cell 4, line 2, col 5: ")
    assert path.exists()


def test_cache_keeps_cells(tmp_path):
    path = _write(tmp_path, "seeded.ipynb", notebook(SEEDED))
    cache = tmp_path / "cache"
    first = lint("--cache-dir", cache, "--format", "json", path).stdout
    second = lint("--cache-dir", cache, "--format", "json", path).stdout
    assert first == second and any(f.get("cell") for f in json.loads(second))
    assert any(cache.rglob("*.json"))


def test_baseline_matches_notebook_findings_after_cells_move(tmp_path):
    nb = notebook(SEEDED)
    path = _write(tmp_path, "seeded.ipynb", nb)
    base = tmp_path / "baseline.json"
    assert lint("--no-cache", "--baseline", base, "--write-baseline", path).returncode == 0
    nb.cells.insert(0, nbformat.v4.new_markdown_cell("A new first cell: every index shifts."))
    nb.cells[0]["id"] = "new-first"
    path.write_text(jupyter_text(nb), encoding="utf-8")
    proc = lint("--no-cache", "--baseline", base, path)
    assert proc.returncode == 0 and "All checks passed" in proc.stdout, proc.stdout


def test_stdin_notebook(tmp_path):
    source = jupyter_text(notebook(SEEDED)).encode()
    proc = lint("--no-cache", "--stdin-filename", "lecture.ipynb", "-", input=source)
    assert "lecture.ipynb:cell 4:2:5: KL301" in proc.stdout, proc.output
    fixed = lint("--no-cache", "--fix", "--stdin-filename", "lecture.ipynb", "-", input=source)
    out = fixed.stdout
    nb = nbformat.reads(out, as_version=4)  # the fixed notebook, as JSON, on stdout
    assert "# Karpathy: every element times k" in nb.cells[3].source
    assert "extra(a, b) - TODO: describe" in nb.cells[1].source


@pytest.mark.parametrize("path", LECTURES, ids=[p.name for p in LECTURES])
def test_lecture_notebooks_lint_without_syntax_errors(path):
    result = lint_source(str(path), path.read_bytes(), Settings())
    assert result.error is None and not result.syntax_error
    assert all(f.cell is not None and f.code != "KL001" for f in result.findings)


def test_lecture_notebook_positions_point_at_the_real_text():
    path = DATA / "notebooks" / "autograd_lecture.ipynb"
    nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
    for f in lint_source(str(path), path.read_bytes(), Settings()).findings:
        line = nb.cells[f.cell - 1].source.split("\n")[f.line - 1]
        if f.code == "KL305":  # a def line: the named function is there
            assert f"def {f.message.split('`')[1].rsplit('.', 1)[-1]}(" in line


def test_notebook_copy_keeps_lint_result(tmp_path):
    src = DATA / "notebooks" / "attention_walkthrough.ipynb"
    shutil.copy(src, tmp_path / "a.ipynb")
    a = lint("--no-cache", "--format", "json", "a.ipynb", cwd=tmp_path).stdout
    assert all(f["cell"] for f in json.loads(a))


def test_verify_shapes_runs_code_cells_in_order(tmp_path):
    pytest.importorskip("torch")
    nb = notebook([
        ("markdown", "# Shapes"),
        ("code", "%matplotlib inline\nimport torch\n!echo skipped"),
        ("code", "x = torch.randn(2, 3)  # Karpathy: x shape [batch, d]\n"
                 "y = x.sum(-1)  # Karpathy: y shape [batch, d]"),
        ("code", "%%bash\necho not run"),
        ("code", "z = torch.cat([x, x])  # Karpathy: z shape [4, 3]"),
    ])
    path = _write(tmp_path, "shapes.ipynb", nb)
    proc = run_cli("verify-shapes", "--format", "json", "shapes.ipynb", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    findings = json.loads(proc.stdout)
    assert [(f["code"], f["cell"], f["line"]) for f in findings] == [("KL601", 3, 2)]
    assert b"verified 2 of 3 shape comments" in proc.stderr
    assert path.exists()


@pytest.mark.slow
def test_masking_leaves_every_valid_python_source_alone():
    """Python code holds no IPython syntax: masking a valid module changes nothing (scanner, strings, brackets)."""
    import hypothesmith
    from hypothesis import HealthCheck, given, settings

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(source=hypothesmith.from_grammar())
    def check(source):
        masked = mask_cell(source)
        if source.lstrip().startswith("%%"):  # pragma: no cover - not valid Python
            return
        assert masked is not None and masked.text == source

    check()


@pytest.mark.slow
def test_masking_leaves_pytorch_sources_alone():
    """Code we did not write: every compiling module of torch.nn, masked, is the same text."""
    torch = pytest.importorskip("torch")
    files = sorted(Path(torch.__file__).parent.joinpath("nn").rglob("*.py"))
    checked = 0
    for f in files:
        source = f.read_text(encoding="utf-8")
        try:
            compile(source, str(f), "exec", flags=0x400)
        except SyntaxError:  # pragma: no cover - torch ships only valid Python
            continue
        masked = mask_cell(source)
        assert masked is not None and masked.text == source, f
        checked += 1
    assert checked > 100


def test_notebook_on_stdin_without_a_name_is_never_read_as_python(tmp_path):
    source = jupyter_text(notebook(SEEDED)).encode()
    for args in (("--no-cache", "-"), ("--no-cache", "--fix", "-")):
        proc = lint(*args, input=source)
        assert proc.returncode == 2
        assert "this is a Jupyter notebook: name it with --stdin-filename NAME.ipynb" in proc.stderr
        if "--fix" in args:
            assert proc.stdout_bytes == source  # echoed unchanged, not Python text
    scaffold = scaffold_cli("-", input=source)
    assert scaffold.returncode == 2 and "--stdin-filename NAME.ipynb" in scaffold.stderr and not scaffold.stdout


def test_render_shows_notebooks_and_the_server_lints_their_cells(tmp_path):
    """The site renders a notebook (walked or named) as a page of its cells. The language server lints a
    notebook the editor syncs as a notebook document (cells), with the command line's findings, each on
    its cell; the `.ipynb` opened as a JSON text document gets nothing (its positions would be JSON)."""
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(DATA / "clean" / "good.py", src / "good.py")
    nb = _write(src, "lecture.ipynb", notebook(SEEDED))
    walked = lint("render", src, "-o", tmp_path / "site", "--isolated")
    assert walked.returncode == 0, walked.output
    assert (tmp_path / "site" / "good.py.html").exists() and (tmp_path / "site" / "lecture.ipynb.html").exists()
    named = lint("render", src / "good.py", nb, "-o", tmp_path / "site2", "--isolated")
    assert named.returncode == 0, named.output
    assert (tmp_path / "site2" / "lecture.ipynb.html").exists()
    pytest.importorskip("pygls")
    from karpathy_lint.server.diagnostics import DiagnosticStyle
    from karpathy_lint.server.linting import lint_document, lint_notebook
    from karpathy_lint.server.notebooks import CellDoc, NotebookView, notebook_json
    from karpathy_lint.server.workspace_config import WorkspaceConfig

    outcome = lint_document(nb.as_uri(), 1, nb.read_text(encoding="utf-8"), str(nb), "utf-16", WorkspaceConfig(),
                            DiagnosticStyle(None))
    assert outcome.snapshot is None and outcome.diagnostics == []
    cells = tuple(CellDoc(f"cell-{i}", kind == "markdown", "markdown" if kind == "markdown" else "python", text, 3)
                  for i, (kind, text) in enumerate(SEEDED))
    view = NotebookView(nb.as_uri(), str(nb), 7, cells, notebook_json(cells))
    got = lint_notebook(view, "utf-16", WorkspaceConfig(), DiagnosticStyle(None))
    shown = {(c.uri, d.code, d.range.start.line + 1, d.range.start.character + 1)
             for c, _, diagnostics in got.cells for d in diagnostics}
    cli = lint("--no-cache", "--isolated", "--format", "json", nb)
    assert shown == {(f"cell-{f['cell'] - 1}", f["code"], f["line"], f["column"]) for f in _json(cli)}
    assert ("cell-3", "KL301", 2, 5) in shown
    # no header: "header missing" sits where the command line puts it, the first code cell, line 1
    bare = (CellDoc("title", True, "markdown", "# Title", 1), CellDoc("code", False, "python", "x = 1\n", 1))
    got = lint_notebook(NotebookView(nb.as_uri(), str(nb), 1, bare, notebook_json(bare)), "utf-16", WorkspaceConfig(),
                        DiagnosticStyle(None))
    placed = {(c.uri, d.code, d.range.start.line) for c, _, diagnostics in got.cells for d in diagnostics}
    assert ("code", "KL101", 0) in placed and not any(u == "title" for u, _, _ in placed)


def test_cell_edits_strict_refuses_a_fix_no_single_cell_holds():
    """The editor's quick fixes move a fix's edits into cells strictly: one edit on text no cell holds (the
    header docstring's quotes) or on masked IPython syntax voids the whole fix; `--fix` drops just that edit."""
    from karpathy_lint.model import Edit
    from karpathy_lint.notebook.document import read_notebook
    from karpathy_lint.notebook.fix import cell_edits
    from karpathy_lint.notebook.virtual import build_virtual

    nb = read_notebook(jupyter_text(notebook(SEEDED)))
    virtual, cmap, _ = build_virtual(nb, Settings().tag)
    assert virtual.startswith(b'r"""')
    marker = virtual.index(b"#karpathy")
    good = Edit(marker, marker + 1, "# K")
    assert cell_edits(cmap, [good], strict=True) == {3: [Edit(marker - cmap.segments[2].vstart,
                                                            marker - cmap.segments[2].vstart + 1, "# K")]}
    quotes = Edit(0, 4, "")
    magic = cmap.masked[0][0]  # the masked `%time torch.zeros(1)` of cell 3
    for bad in (quotes, Edit(magic, magic + 1, "x")):
        assert cell_edits(cmap, [good, bad], strict=True) is None
        assert set(cell_edits(cmap, [good, bad]) or {}) == {3}
