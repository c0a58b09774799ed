"""`karpathy-lint render PATHS -o DIR`: discover, parse and lint once per file, write the site.

One process renders every page with one set of lexers, one markdown parser and
one template environment. Files are found exactly as `check` finds them
(config, excludes, `.gitignore`); each is parsed once, and the same model feeds
both the rules (the page's lint status) and the page.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import resources
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from karpathy_lint import __version__
from karpathy_lint.render.highlight import highlight_lines, stylesheet
from karpathy_lint.render.page import Page, build_page
from karpathy_lint.render.prose import to_html, to_inline_html


@dataclass
class SiteResult:
    pages: list[str] = field(default_factory=list)  # written page paths, relative to the output folder
    errors: list[tuple[str, str]] = field(default_factory=list)  # (path, why) for files not rendered


class RenderError(Exception):
    """The site cannot be written at all (bad output folder)."""


def _environment() -> Environment:
    return Environment(loader=PackageLoader("karpathy_lint.render", "templates"),
                       autoescape=select_autoescape(["html"]), keep_trailing_newline=True)


def _site_root(paths: list[str]) -> str:
    """The folder pages are placed relative to: the common folder of the given paths."""
    dirs = [os.path.abspath(p) if os.path.isdir(p) else os.path.dirname(os.path.abspath(p)) for p in paths]
    return os.path.commonpath(dirs) if dirs else os.getcwd()


def _fragment(ident: str) -> str:
    return quote(ident, safe="._~:-!$&'()*+,;=@")


def line_id(page: Page, line: int) -> str:
    """Every line has one id: `def-QUALNAME` on a definition's first line, else `L<n>`."""
    return page.anchors.get(line, f"L{line}")


def code_html(page: Page, first: int, last: int, highlighted: list[str]) -> Markup:
    """The inside of one `pre.code`: a span per line, each followed by `\\n` (docs/render.md)."""
    out = []
    for n in range(first, last + 1):
        shape = page.badges.get(n)
        attrs = f' data-shape="{Markup.escape(" · ".join(shape))}"' if shape else ""
        cls = "line def" if n in page.anchors else "line"
        out.append(f'<span class="{cls}" id="{Markup.escape(line_id(page, n))}" data-n="{n}"{attrs}>'
                   f"{highlighted[n - 1]}</span>\n")
    return Markup("".join(out))


def _status(findings, error: str | None) -> tuple[str, str]:
    if error:
        return "error", "syntax error"
    if findings:
        return "findings", f"{len(findings)} finding{'s' if len(findings) != 1 else ''}"
    return "clean", "clean"


def _finding_view(page: Page, f) -> dict:
    """A finding as the page lists it; in a notebook it says its cell and links to its page line."""
    where, line = f"line {f.line}", f.line
    if page.cell_starts is not None and f.cell is not None:
        where = f"cell {f.cell} line {f.line}"
        line = page.cell_starts[f.cell] + f.line - 1 if f.cell in page.cell_starts else 1
    line = min(max(line, 1), max(len(page.lines), 1))
    return {"line": f.line, "where": where, "code": f.code, "name": f.name, "message": f.message,
            "href": _fragment(line_id(page, line))}


def page_html(env: Environment, page: Page, text: str) -> str:
    """The page's HTML; `text` is what `page.lines` were split from (a notebook: its code cells, joined)."""
    highlighted = highlight_lines(text, page.language, page.lines)
    blocks = []
    for b in page.blocks:
        blocks.append({
            "kind": b.kind, "first": b.first, "last": b.last,
            "html": Markup(to_html(b.prose)),
            "code": code_html(page, b.first, b.last, highlighted),
            "asides": [{"line": a.line, "href": _fragment(line_id(page, a.line)),
                        "html": Markup(to_inline_html(a.text))} for a in b.asides],
        })
    header = [{"title": p.title, "kind": p.kind, "html": Markup(to_html(p.text))} for p in page.header]
    entries = [{"signature": e.signature, "target": e.target, "href": _fragment(e.target or ""),
                "malformed": e.malformed, "html": Markup(to_inline_html(e.description))} for e in page.entries]
    findings = [_finding_view(page, f) for f in page.findings]
    status_kind, status = _status(page.findings, page.error)
    up = "../" * page.rel.count("/")
    page_view = {"title": page.title, "rel": page.rel, "language": page.language, "lines": page.lines,
                 "density": page.density, "error": page.error, "header": header, "entries": entries}
    return env.get_template("page.html").render(
        page=page_view, blocks=blocks, findings=findings, status=status, status_kind=status_kind,
        up=up, version=__version__)


def _page(model, rel: str, findings, error: str | None, source: bytes) -> tuple[Page, str]:
    """The page of a parsed file and the text its lines come from; InputError for a notebook not in Python."""
    from karpathy_lint.notebook.virtual import CellMap, cell_map

    cmap = cell_map(model)
    if cmap is None and not model.path.lower().endswith(".ipynb"):
        return build_page(model, rel, findings, error), model.text
    from karpathy_lint.notebook.document import read_notebook
    from karpathy_lint.render.notebook_page import build_notebook_page

    if cmap is None:  # a notebook with no header cell and no Python code cell: its model is empty
        cmap = CellMap(read_notebook(source.decode("utf-8")))
    page = build_notebook_page(model, cmap, rel, findings, error)
    return page, "".join(line + "\n" for line in page.lines)


def _write(out_dir: str, rel: str, data: str) -> None:
    from karpathy_lint.files import write_atomic

    path = os.path.join(out_dir, *rel.split("/"))
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        write_atomic(path, data.encode("utf-8"))
    except OSError as exc:
        raise RenderError(f"{path}: cannot write ({exc.strerror or exc})") from None


def _prepare(out_dir: str) -> None:
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise RenderError(f"{out_dir}: output is not a folder")
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as exc:
        raise RenderError(f"{out_dir}: cannot create the output folder ({exc.strerror or exc})") from None


def render_site(paths: list[str], out_dir: str, config_file: str | None = None, isolated: bool = False,
                title: str | None = None) -> SiteResult:
    from karpathy_lint.config import ConfigResolver
    from karpathy_lint.discovery import discover
    from karpathy_lint.engine import build_model, check_model
    from karpathy_lint.files import InputError, read_bytes, split_bom

    resolver = ConfigResolver(config_file, isolated)
    found = discover(paths, resolver)
    result = SiteResult(errors=list(found.errors))
    if not found.files:
        return result  # nothing to write: the caller reports the errors, or that nothing was found
    _prepare(out_dir)
    env = _environment()
    root = _site_root(paths)
    rows: list[dict] = []
    for path in found.files:
        rel = os.path.relpath(os.path.abspath(path), root).replace(os.sep, "/")
        folder, _, name = rel.rpartition("/")
        try:
            _, source = split_bom(read_bytes(path))
            settings = resolver.for_path(path)
            model = build_model(path, source, settings)
        except InputError as exc:
            result.errors.append((path, str(exc)))
            rows.append({"folder": folder, "name": name, "href": None, "module": "", "role": "", "lines": "",
                         "density": "", "status_kind": "error", "status": str(exc)})
            continue
        findings = check_model(model, settings)
        error = f"syntax error: {model.syntax_error.message} (line {model.syntax_error.line})" \
            if model.syntax_error else None
        try:
            page, text = _page(model, rel, findings, error, source)
        except InputError as exc:
            result.errors.append((path, str(exc)))
            rows.append({"folder": folder, "name": name, "href": None, "module": "", "role": "", "lines": "",
                         "density": "", "status_kind": "error", "status": str(exc)})
            continue
        href = rel + ".html"
        _write(out_dir, href, page_html(env, page, text))
        result.pages.append(href)
        status_kind, status = _status(page.findings, error)
        rows.append({"folder": folder, "name": name, "href": quote(href), "module": page.title if page.title != rel
                     else "", "role": page.role_sentence, "lines": len(page.lines), "density": page.density,
                     "status_kind": status_kind, "status": status})
    css = resources.files("karpathy_lint.render").joinpath("static/style.css").read_text(encoding="utf-8")
    _write(out_dir, "style.css", css + "\n" + stylesheet())
    total = sum(r["lines"] for r in rows if isinstance(r["lines"], int))
    index = env.get_template("index.html").render(
        rows=rows, total_lines=total, title=title or os.path.basename(root) or "karpathy-lint", up="",
        version=__version__)
    _write(out_dir, "index.html", index)
    return result
