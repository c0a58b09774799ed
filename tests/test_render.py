"""`karpathy-lint render` without a browser: the page model, the DOM contract read with the
standard library's HTML parser, the CLI's exit codes, the extra, and the colours' contrast.

The browser checks (console errors, links, layout, computed colours) are in
tests/test_render_browser.py.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from clihelp import run_cli
from render_dom import code_text, read_contract, source_lines
from wcag import contrast

from karpathy_lint.config import ConfigResolver
from karpathy_lint.engine import build_model
from karpathy_lint.files import read_bytes
from karpathy_lint.render.page import build_page

ROOT = Path(__file__).resolve().parents[1]
CORPUS = sorted(p for p in (ROOT / "corpus").rglob("*") if p.suffix in (".py", ".cu", ".cuh"))


def _model(path: Path):
    return build_model(str(path), read_bytes(str(path)), ConfigResolver().for_path(str(path)))


def test_corpus_has_files():
    assert len(CORPUS) >= 14


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_blocks_cover_every_line_once_in_order(path):
    model = _model(path)
    page = build_page(model, path.name, [])
    covered = [n for b in page.blocks for n in range(b.first, b.last + 1)]
    assert covered == list(range(1, len(page.lines) + 1))
    assert page.blocks[0].kind == "header" and page.blocks[-1].kind == "closing"
    # the closing block's prose is the file's last marker note, the page's last words
    assert page.blocks[-1].prose == model.notes[-1].text
    # each own-line note of the code is the prose of the block that holds it; the block starts at the
    # note, or at the definition whose body the note opens (so `def f(...):` sits beside its prose)
    def_starts = {model.line_of(d.start) for d in model.definitions}
    for note in model.notes:
        if note.own_line and note.status == "ok" and note.line > model.header.end_line:
            block = next(b for b in page.blocks if b.first <= note.line <= b.last)
            assert block.prose == note.text
            assert block.first == note.line or (block.first in def_starts and all(
                not model.line_text(n).strip().startswith(("#", "//")) for n in range(block.first, note.line)))
    moved = [b for b in page.blocks if b.kind == "code" and b.prose and b.first in def_starts]
    assert moved or path.suffix in (".cu", ".cuh")


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_every_function_list_entry_links_to_its_definition(path):
    model = _model(path)
    page = build_page(model, path.name, [])
    assert len(page.entries) == len(model.header.entries) > 0
    for entry in page.entries:
        # the corpus is lint-clean, so every entry names a real definition
        assert entry.target is not None, entry
        line = next(n for n, ident in page.anchors.items() if ident == entry.target)
        assert any(d.line == line and f"def-{d.qualname}" == entry.target for d in model.definitions)


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_page_html_keeps_every_source_line(site, path):
    rel = path.relative_to(ROOT / "corpus").as_posix()
    html = (site / f"{rel}.html").read_text(encoding="utf-8")
    assert code_text(html).split("\n")[:-1] == source_lines(path.read_bytes())
    contract = read_contract(html)
    assert contract.sections and all(s == {"prose": 1, "code": 1} for s in contract.sections)
    assert len(contract.ids) == len(set(contract.ids)), "duplicate ids"


def test_shape_badges_sit_on_the_line_they_describe(site):
    html = (site / "03-DeepSeek-MoE" / "01-moe_router.py.html").read_text(encoding="utf-8")
    shapes = read_contract(html).shapes
    text = (ROOT / "corpus" / "03-DeepSeek-MoE" / "01-moe_router.py").read_text().split("\n")
    # `# Karpathy: h shape [tokens, inter]. ...` stands above `h = F.silu(...)`
    n = next(i for i, t in enumerate(text, 1) if "# Karpathy: h shape [tokens, inter]" in t)
    assert text[n].strip().startswith("h = ")
    assert shapes[f"L{n + 1}"] == "h [tokens, inter]"
    # two statements in one note describe the same line
    m = next(i for i, t in enumerate(text, 1) if "weights shape [tokens, k], idx shape [tokens, k]" in t)
    assert shapes[f"L{m + 2}"] == "weights [tokens, k] · idx [tokens, k]"


def test_index_lists_every_file_with_its_status(site):
    html = (site / "index.html").read_text(encoding="utf-8")
    for path in CORPUS:
        rel = path.relative_to(ROOT / "corpus").as_posix()
        assert f'href="{rel}.html"' in html
    assert html.count(">clean</td>") == len(CORPUS)  # the real linter: the corpus is lint-clean
    assert "Every MoE layer of DeepSeekMoE 16B, V2 and V3 starts with this router." in html
    assert (site / "style.css").is_file()


TRICKY = (
    b'"""\nModule: tricky\n"""\r\n'
    b"# Karpathy: a note with <b>html</b> & `code`, and x shape [b, t]\r\n"
    b"x = '</pre><script>alert(1)</script>'\r\n"
    b"\tif x:\t# tabs kept\n"
    b"        y = '''\nmulti\nline\n'''  \n"
    b"z = '\xc3\xa9\xe2\x86\x92'\n"
    b"# Karpathy: the end"
)


def test_tricky_source_is_shown_unchanged(tmp_path):
    src = tmp_path / "tricky.py"
    src.write_bytes(b"\xef\xbb\xbf" + TRICKY)  # BOM, CRLF and LF mixed, tabs, no final newline
    out = tmp_path / "site"
    r = run_cli("render", src, "-o", out, "--isolated")
    assert r.returncode == 0, r.stderr
    html = (out / "tricky.py.html").read_text(encoding="utf-8")
    assert code_text(html).split("\n")[:-1] == source_lines(src.read_bytes())
    assert "<script>" not in html and "<b>html</b>" not in html  # shown as text, never run
    assert "&lt;b&gt;html&lt;/b&gt;" in html


@pytest.mark.parametrize("name", ["torch/nn/modules/linear.py", "torch/optim/adamw.py"])
def test_code_we_did_not_write(tmp_path, name):
    torch_dir = Path(__import__("torch").__file__).parent
    src = torch_dir.parent / name
    out = tmp_path / "site"
    r = run_cli("render", src, "-o", out, "--isolated")
    assert r.returncode == 0, r.stderr
    html = (out / f"{src.name}.html").read_text(encoding="utf-8")
    assert code_text(html).split("\n")[:-1] == source_lines(src.read_bytes())
    assert ">" in (out / "index.html").read_text()


def test_cuda_headers_we_did_not_write(tmp_path):
    cub = Path("/usr/local/cuda/include/cccl/cub/block")
    files = sorted(cub.glob("block_reduce.cuh")) + sorted(cub.glob("block_scan.cuh"))
    if not files:
        pytest.skip("no CUDA toolkit headers on this machine")
    out = tmp_path / "site"
    r = run_cli("render", *files, "-o", out, "--isolated")
    assert r.returncode == 0, r.stderr
    for f in files:
        html = (out / f"{f.name}.html").read_text(encoding="utf-8")
        assert code_text(html).split("\n")[:-1] == source_lines(f.read_bytes())


def test_bad_input_is_one_line_and_exit_2(tmp_path):
    good = tmp_path / "good.py"
    good.write_text("x = 1\n")
    bad = tmp_path / "bad.py"
    bad.write_bytes(b"x = '\xff'\n")
    r = run_cli("render", good, bad, "-o", tmp_path / "site", "--isolated")
    assert r.returncode == 2
    assert re.search(r"karpathy-lint: error: .*bad\.py: not valid UTF-8", r.stderr.decode())
    assert b"Traceback" not in r.stderr
    assert (tmp_path / "site" / "good.py.html").is_file()  # the other files are still rendered
    r = run_cli("render", tmp_path / "missing", "-o", tmp_path / "site2")
    assert r.returncode == 2 and r.stderr.count(b"\n") == 1 and b"no such file" in r.stderr
    assert not (tmp_path / "site2").exists()
    (tmp_path / "file").write_text("")
    r = run_cli("render", good, "-o", tmp_path / "file", "--isolated")
    assert r.returncode == 2 and b"Traceback" not in r.stderr
    # a page's folder blocked by a file in the output: one line, exit 2 (works as root too)
    (tmp_path / "src" / "sub").mkdir(parents=True)
    (tmp_path / "src" / "sub" / "m.py").write_text("x = 1\n")
    (tmp_path / "blocked").mkdir()
    (tmp_path / "blocked" / "sub").write_text("")
    r = run_cli("render", tmp_path / "src", "-o", tmp_path / "blocked", "--isolated")
    assert r.returncode == 2 and b"cannot write" in r.stderr and b"Traceback" not in r.stderr
    assert r.stderr.count(b"\n") == 1


def test_syntax_error_still_renders_with_its_status(tmp_path):
    src = tmp_path / "broken.py"
    src.write_text("def f(:\n    pass\n")
    r = run_cli("render", src, "-o", tmp_path / "site", "--isolated")
    assert r.returncode == 0, r.stderr
    html = (tmp_path / "site" / "broken.py.html").read_text(encoding="utf-8")
    assert code_text(html) == "def f(:\n    pass\n"
    assert "syntax error" in (tmp_path / "site" / "index.html").read_text()


def test_without_the_extra_one_line_and_exit_2(tmp_path):
    # the packages are made unimportable in that interpreter only: the real CLI then runs as it would
    # on an install without `karpathy-lint[render]`
    for blocked in ("pygments", "markdown_it", "jinja2"):
        code = (f"import sys; sys.modules[{blocked!r}] = None; "
                "from karpathy_lint.cli import entry; "
                f"sys.argv = ['karpathy-lint', 'render', {str(ROOT / 'corpus')!r}, '-o', {str(tmp_path)!r}]; entry()")
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
        assert r.returncode == 2
        assert r.stderr == f"karpathy-lint: error: render needs {blocked}: pip install 'karpathy-lint[render]'\n"


def test_plain_cli_does_not_import_render():
    code = "import sys, karpathy_lint.cli; print([m for m in ('pygments', 'jinja2', 'markdown_it') if m in sys.modules])"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert r.stdout.strip() == "[]"


# -- contrast of the stylesheet's colours (WCAG 2.x relative luminance) ------------------------------


def _variables(css: str) -> tuple[dict[str, str], dict[str, str]]:
    blocks = re.findall(r":root\s*\{([^}]*)\}", css)
    light, dark = (dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{3,6})", b)) for b in blocks[:2])
    return light, {**light, **dark}


PAIRS = [("fg", "bg"), ("muted", "bg"), ("link", "bg"), ("ok", "bg"), ("bad", "bg"), ("fg", "head-bg"),
         ("muted", "head-bg"), ("link", "head-bg"), ("badge-fg", "badge-bg"), ("fg", "target")]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_stylesheet_colours_pass_wcag_aa(scheme):
    css = (ROOT / "karpathy_lint" / "render" / "static" / "style.css").read_text()
    light, dark = _variables(css)
    colours = light if scheme == "light" else dark
    for fg, bg in PAIRS:
        assert contrast(colours[fg], colours[bg]) >= 4.5, (scheme, fg, bg)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_code_token_colours_pass_wcag_aa(scheme):
    from pygments.styles import get_style_by_name

    from karpathy_lint.render.highlight import DARK_STYLE, LIGHT_STYLE, stylesheet

    style = get_style_by_name(LIGHT_STYLE if scheme == "light" else DARK_STYLE)
    block = stylesheet().split("@media (prefers-color-scheme: ")[1 if scheme == "light" else 2]
    bg = re.search(r"--code-bg: (#\w+)", block).group(1)
    assert bg.lower() == style.background_color.lower()
    pairs = {(re.search(r"--code-fg: (#\w+)", block).group(1), bg)}
    for rule in re.findall(r"\{([^{}]*)\}", block.split("}", 1)[1]):
        fg = re.search(r"(?<![-\w])color: (#[0-9a-fA-F]{3,6})", rule)
        own_bg = re.search(r"background-color: (#[0-9a-fA-F]{3,6})", rule)
        if fg:
            pairs.add((fg.group(1), own_bg.group(1) if own_bg else bg))
    assert len(pairs) > 3
    for fg, on in pairs:
        assert contrast(fg, on) >= 4.5, (scheme, fg, on)
    css = (ROOT / "karpathy_lint" / "render" / "static" / "style.css").read_text()
    light, dark = _variables(css)
    muted = (light if scheme == "light" else dark)["muted"]  # line numbers sit on the code background
    assert contrast(muted, bg) >= 4.5


def test_comment_text_is_not_eaten_by_markdown():
    from karpathy_lint.render.prose import to_html

    html = to_html("Lovely. ¯\\_(ツ)_/¯ and FLOPs = 2*M*N*K, `a*b` and <b>bold</b>")
    assert "¯\\_(ツ)_/¯" in html and "2*M*N*K" in html  # no escapes, no emphasis
    assert "<code>a*b</code>" in html and "&lt;b&gt;" in html
    assert "<code>x shape [b, t]</code>" in to_html("so x shape [b, t] here")


def test_templates_and_css_ship_as_package_data():
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib

    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    tool = data["tool"]["setuptools"]
    assert "karpathy_lint.render" in tool["packages"]
    package = ROOT / "karpathy_lint" / "render"
    shipped = {p for pattern in tool["package-data"]["karpathy_lint.render"] for p in package.glob(pattern)}
    needed = {p for p in package.rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")}
    assert needed and needed <= shipped
    extras = data["project"]["optional-dependencies"]
    assert {"pygments", "markdown-it-py", "jinja2"} <= {re.split(r"[<>=\[]", r)[0] for r in extras["render"]}
    assert set(extras["render"]) <= set(extras["test"])


# -- notebooks: markdown cells are prose, code cells are code ------------------------------------

NOTEBOOKS = sorted((ROOT / "tests" / "data" / "notebooks").glob("*.ipynb"))


def _cells(path: Path) -> list[dict]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        src = cell.get("source", "")
        cell["text"] = "".join(src) if isinstance(src, list) else src
    return cells


@pytest.fixture(scope="module")
def notebook_site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("nbsite")
    r = run_cli("render", ROOT / "tests" / "data" / "notebooks", "-o", out, "--isolated")
    assert r.returncode == 0, r.stderr
    return out


def test_notebook_fixtures_exist():
    assert len(NOTEBOOKS) >= 5
    # outputs (images among them) are in the fixtures, so rendering them is rendering past outputs
    assert any(o.get("data", {}).get("image/png") for p in NOTEBOOKS for c in _cells(p) for o in c.get("outputs", []))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_code_is_its_code_cells_line_for_line(notebook_site, path):
    html = (notebook_site / f"{path.name}.html").read_text(encoding="utf-8")
    expected = [line for c in _cells(path) if c["cell_type"] == "code" and c["text"]
                for line in source_lines(c["text"].encode("utf-8"))]
    assert code_text(html).split("\n")[:-1] == expected
    contract = read_contract(html)
    assert contract.sections and all(s == {"prose": 1, "code": 1} for s in contract.sections)
    assert "data:image" not in html and "<img" not in html  # outputs are not the page
    assert f'href="{path.name}.html"' in (notebook_site / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_markdown_cells_are_prose(notebook_site, path):
    html = (notebook_site / f"{path.name}.html").read_text(encoding="utf-8")
    prose = "".join(re.findall(r'<div class="prose">(.*?)</div>\s*<pre', html, re.DOTALL))
    markdown = [c["text"] for c in _cells(path) if c["cell_type"] == "markdown" and c["text"].strip()]
    assert markdown
    for text in markdown:
        heading = re.search(r"^#+ (.+)$", text, re.MULTILINE)
        if heading:  # rendered by markdown-it as a heading, not shown as `# ...`
            assert re.search(rf"<h\d>{re.escape(heading.group(1).strip())}</h\d>", prose.replace("&#x27;", "'"))
        assert not re.search(r"^#+ ", prose, re.MULTILINE)


def _notebook(cells: list[dict], language: str = "python") -> str:
    def cell(kind: str, source: str, i: int) -> dict:
        c = {"cell_type": kind, "id": f"c{i}", "metadata": {}, "source": source}
        if kind == "code":
            c.update(execution_count=None, outputs=[])
        return c
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "cells": [cell(k, s, i) for i, (k, s) in enumerate(cells)],
                       "metadata": {"kernelspec": {"name": language, "display_name": language, "language": language},
                                    "language_info": {"name": language}}}, indent=1)


HEADER_CELL = ("Module: tiny notebook\n\n<karpathys_code_comments>\n** This File's Role in DeepSeek **\n"
               "Shows a notebook page. Nothing else.\n\n** Function List **\nf(x) - doubles x\n"
               "</karpathys_code_comments>\n")


def test_notebook_header_cell_is_the_header_and_notes_are_prose(tmp_path):
    nb = tmp_path / "tiny.ipynb"
    nb.write_text(_notebook([
        ("markdown", HEADER_CELL),
        ("markdown", "Some `code` words before the code."),
        ("code", "# Karpathy: double it\ndef f(x):\n    return 2 * x  # Karpathy: twice\n"),
        ("code", "%%bash\necho hi"),
        ("code", "# Karpathy: that was all"),
        ("markdown", "The end."),
    ]), encoding="utf-8")
    out = tmp_path / "site"
    r = run_cli("render", nb, "-o", out, "--isolated")
    assert r.returncode == 0, r.stderr
    html = (out / "tiny.ipynb.html").read_text(encoding="utf-8")
    assert "<h1>tiny notebook</h1>" in html and 'section header' in html
    assert "Shows a notebook page." in html and 'href="#def-f"' in html and 'id="def-f"' in html
    assert "<code>code</code> words" in html and "<p>The end.</p>" in html
    assert "double it" in html and "twice" in html
    assert code_text(html).split("\n")[:-1] == ["# Karpathy: double it", "def f(x):",
                                                "    return 2 * x  # Karpathy: twice", "%%bash", "echo hi",
                                                "# Karpathy: that was all"]
    # the real linter's findings, placed in the header cell (too short a header), listed by cell and line
    assert re.search(r">cell 1 line 3</a> <code>KL104</code>", html)
    assert "Module: tiny notebook" not in code_text(html)  # the header cell is prose, not code


def test_non_python_notebook_is_refused_with_one_line(tmp_path):
    nb = tmp_path / "r.ipynb"
    nb.write_text(_notebook([("markdown", "# R"), ("code", "x <- 1\n")], language="R"), encoding="utf-8")
    good = tmp_path / "good.py"
    good.write_text("x = 1\n")
    r = run_cli("render", nb, good, "-o", tmp_path / "site", "--isolated")
    assert r.returncode == 2 and b"Traceback" not in r.stderr
    errors = [line for line in r.stderr.decode().splitlines() if "error" in line]
    assert len(errors) == 1  # one line for the notebook (the other line is the summary of what was written)
    assert re.search(r"r\.ipynb: not a Python notebook \(kernel language: r\)", r.stderr.decode())
    assert not (tmp_path / "site" / "r.ipynb.html").exists()
    assert (tmp_path / "site" / "good.py.html").is_file()
