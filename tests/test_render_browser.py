"""`karpathy-lint render` in a real browser: headless Chromium opens the corpus site from file://.

Every page: no console errors, the DOM contract (sections, the code text equal to the source line
for line), every Function List link followed to an element that exists, the layout measured from
bounding boxes (prose left of code at 1280 px, stacked at 400 px), and the colours the browser
computes pass WCAG AA in light and dark.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from browser import browser_required, chromium_path, launch
from clihelp import run_cli
from render_dom import source_lines
from wcag import contrast

ROOT = Path(__file__).resolve().parents[1]
CORPUS = sorted(p for p in (ROOT / "corpus").rglob("*") if p.suffix in (".py", ".cu", ".cuh"))
RELS = [p.relative_to(ROOT / "corpus").as_posix() for p in CORPUS]


@pytest.fixture(scope="module")
def browser():
    if chromium_path() is None or not _has_playwright():
        if browser_required():
            pytest.fail("the browser tests need chromium and playwright: apt-get install chromium; "
                        "pip install '.[test]'")
        pytest.skip("no chromium or playwright here (required in CI: .ci/run installs them)")
    with launch() as b:
        yield b


def _has_playwright() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


class Tab:
    """A page plus the console errors and uncaught exceptions it produced."""

    def __init__(self, browser, width=1280, height=900, scheme="light"):
        self.context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("requestfailed", lambda r: self.errors.append(f"failed: {r.url}"))

    def open(self, path: Path):
        self.page.goto(path.as_uri())
        self.page.wait_for_load_state("load")
        return self.page

    def close(self):
        self.context.close()


@pytest.fixture
def tab(browser):
    t = Tab(browser)
    yield t
    t.close()


def test_index_opens_and_lists_every_file(site, tab):
    page = tab.open(site / "index.html")
    assert tab.errors == []
    rows = page.locator("table.files tbody tr")
    assert rows.count() == len(CORPUS)
    hrefs = page.eval_on_selector_all("table.files a", "els => els.map(a => a.getAttribute('href'))")
    assert sorted(hrefs) == sorted(f"{rel}.html" for rel in RELS)
    statuses = page.eval_on_selector_all("td.status", "els => els.map(e => e.textContent.trim())")
    assert statuses == ["clean"] * len(CORPUS)  # the real linter's verdict: the corpus is lint-clean
    # the stylesheet loaded: the table is styled (the browser would log a console error if it were missing)
    assert page.evaluate("getComputedStyle(document.querySelector('th')).textAlign") == "left"


@pytest.mark.parametrize("rel", RELS)
def test_page_contract_links_and_code_text(site, tab, rel):
    page = tab.open(site / f"{rel}.html")
    assert tab.errors == []
    # every source line in exactly one .code, in order, unchanged
    text = page.evaluate("Array.from(document.querySelectorAll('.code')).map(e => e.textContent).join('')")
    assert text.split("\n")[:-1] == source_lines((ROOT / "corpus" / rel).read_bytes())
    assert page.evaluate("document.querySelectorAll('.code .code').length") == 0
    counts = page.evaluate("""Array.from(document.querySelectorAll('.section')).map(s =>
        [s.querySelectorAll('.prose').length, s.querySelectorAll('.code').length])""")
    assert counts and all(c == [1, 1] for c in counts)
    assert page.evaluate("Array.from(document.querySelectorAll('.code')).every(c => c.closest('.section'))")
    # every Function List link: click it, the target exists, is a definition line, and is scrolled to
    results = page.evaluate("""() => Array.from(document.querySelectorAll('table.function-list a')).map(a => {
        a.click();
        const id = decodeURIComponent(a.hash.slice(1));
        const t = document.getElementById(id);
        return {id, exists: !!t, inCode: !!(t && t.closest('.code')), target: document.querySelector(':target') === t,
                top: t ? t.getBoundingClientRect().top : null};
    })""")
    entries = page.locator("table.function-list tbody tr").count()
    assert len(results) == entries > 0  # the corpus is lint-clean: every entry names a definition
    for r in results:
        assert r["id"].startswith("def-") and r["exists"] and r["inCode"] and r["target"], r
        assert -2 <= r["top"] <= 900, r
    # the closing marker note is the last section: the page's last words
    last = page.evaluate("""() => { const s = document.querySelectorAll('article .section');
        const l = s[s.length - 1]; return [l.classList.contains('closing'), l.nextElementSibling === null,
        l.querySelector('.prose').innerText]; }""")
    assert last[0] and last[1]
    source_last = [ln for ln in source_lines((ROOT / "corpus" / rel).read_bytes()) if ln.strip()][-1]
    tail = re.sub(r"^\s*(#|//)\s*(Karpathy:\s*)?", "", source_last)  # the note's last line, as written
    assert " ".join(tail.split()).replace("`", "") in " ".join(last[2].split())


@pytest.mark.parametrize("rel", RELS)
def test_layout_side_by_side_at_1280_stacked_at_400(site, browser, rel):
    for width in (1280, 400):
        tab = Tab(browser, width=width)
        try:
            page = tab.open(site / f"{rel}.html")
            boxes = page.evaluate("""Array.from(document.querySelectorAll('.section:not(.header)')).map(s => {
                const p = s.querySelector('.prose').getBoundingClientRect();
                const c = s.querySelector('.code').getBoundingClientRect();
                return {p: [p.left, p.top, p.right, p.bottom], c: [c.left, c.top, c.right, c.bottom]};
            })""")
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
        finally:
            tab.close()
        assert len(boxes) > 5
        for b in boxes:
            (pl, pt, pr, pb), (cl, ct, cr, _) = b["p"], b["c"]
            if width == 1280:
                assert pr <= cl, b  # prose left of code
                assert abs(pt - ct) < 1, b  # on the same row
                assert pr - pl >= 250 and cr - cl >= 600, b
            else:
                assert ct >= pb - 0.5, b  # code below prose
                assert abs(pl - cl) < 1 and abs((pr - pl) - (cr - cl)) < 1, b  # one column
                assert cr <= 400, b
        assert scroll_width <= width  # the page never scrolls sideways; long code lines scroll in their box


def _colour_pairs(page) -> list[tuple[str, str, str]]:
    """(what, text colour, background) for the page's text, with each background taken from the
    nearest ancestor that paints one."""
    return page.evaluate("""() => {
        const bgOf = el => { for (; el; el = el.parentElement) { const b = getComputedStyle(el).backgroundColor;
            if (b && b !== 'rgba(0, 0, 0, 0)' && b !== 'transparent') return b; } return 'rgb(255, 255, 255)'; };
        const out = [];
        const add = (what, el, pseudo) => { if (el) out.push([what, getComputedStyle(el, pseudo).color,
            pseudo === '::after' ? getComputedStyle(el, pseudo).backgroundColor : bgOf(el)]); };
        add('body', document.body); add('prose', document.querySelector('.section:not(.header) .prose p'));
        add('meta', document.querySelector('.meta')); add('link', document.querySelector('.prose a, td a'));
        add('table', document.querySelector('td')); add('th', document.querySelector('th'));
        add('nav', document.querySelector('header.site a'));
        add('line number', document.querySelector('.code .line'), '::before');
        add('shape badge', document.querySelector('.code .line[data-shape]'), '::after');
        const seen = new Set();
        for (const s of document.querySelectorAll('.section:not(.header) .code span.line > span')) {
            if (seen.has(s.className)) continue; seen.add(s.className); add('token .' + s.className, s); }
        return out; }""")


def _hex(rgb: str) -> str:
    r, g, b = (int(float(v)) for v in re.findall(r"[\d.]+", rgb)[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("rel", ["03-DeepSeek-MoE/01-moe_router.py", "02-DeepGEMM/01-gemm_kernel.cu"])
def test_computed_colours_pass_wcag_aa(site, browser, scheme, rel):
    tab = Tab(browser, scheme=scheme)
    try:
        page = tab.open(site / f"{rel}.html")
        pairs = _colour_pairs(page)
        body_bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    finally:
        tab.close()
    assert (_hex(body_bg) == "#ffffff") == (scheme == "light")  # the scheme really switched
    whats = {w for w, _, _ in pairs}
    assert {"body", "prose", "line number", "shape badge"} <= whats and len(pairs) > 12
    for what, fg, bg in pairs:
        assert contrast(_hex(fg), _hex(bg)) >= 4.5, (scheme, what, fg, bg)


def test_shape_badge_is_drawn_next_to_its_line(site, tab):
    page = tab.open(site / "03-DeepSeek-MoE" / "01-moe_router.py.html")
    info = page.evaluate("""() => { const l = Array.from(document.querySelectorAll('.code .line'))
        .find(e => e.textContent.trim().startsWith('h = F.silu'));
        const after = getComputedStyle(l, '::after');
        return [l.dataset.shape, after.content, after.display]; }""")
    assert info[0] == "h [tokens, inter]"
    assert info[1] == '"h [tokens, inter]"' and info[2] != "none"


def test_notebook_page_loads_with_cells_in_order(tmp_path, browser):
    nb = ROOT / "tests" / "data" / "notebooks" / "attention_walkthrough.ipynb"
    out = tmp_path / "site"
    r = run_cli("render", nb, "-o", out, "--isolated")
    assert r.returncode == 0, r.stderr
    t = Tab(browser)
    try:
        page = t.open(out / f"{nb.name}.html")
        assert t.errors == []
        text = page.evaluate("Array.from(document.querySelectorAll('.code')).map(e => e.textContent).join('')")
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        sources = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                   for c in cells if c["cell_type"] == "code"]
        assert text.split("\n")[:-1] == [ln for s in sources if s for ln in source_lines(s.encode("utf-8"))]
        # a markdown cell's heading is prose (a heading in the prose column), left of its code at 1280 px
        box = page.evaluate("""() => { const h = document.querySelector('.section .prose h1');
            const s = h.closest('.section'); const p = s.querySelector('.prose').getBoundingClientRect();
            const c = s.querySelector('.code').getBoundingClientRect();
            return [h.textContent, p.right <= c.left + 1, c.height > 0]; }""")
        assert box == ["Attention, one tensor at a time", True, True]
    finally:
        t.close()
