"""`karpathy-scaffold`: write the header block, never lose a word.

Three cases, one entry point (`scaffold_source` for bytes, `create_new` for a
path that does not exist):

* a file without a header gets one: a module docstring (Python) or a `/* */`
  block comment (CUDA/C++) with the `Module:` line, the tag pair, the three
  section titles and placeholder text. An existing plain module docstring is
  kept byte for byte inside the new header (as the Role text); a leading
  licence comment and the `#include` order stay where they are;
* a file that already has a header is merged only: exactly the linter's safe
  Function List fixes (KL202 missing entries, KL203 params, KL206 renames) are
  applied through `karpathy_lint.fixer`, so scaffold and `--fix` never disagree;
* the Function List of a new header is filled the same way (the skeleton is
  written with an empty list, then KL202 fills it), so its entries are exactly
  what the linter asks for.

Edits are byte-level insertions. Every result is checked before it is
returned: the bytes outside the header are the original bytes, Python code
compiles to the same AST (docstring aside), the original docstring text is
still there, and the linter reads the new block as the header. Anything that
fails a check raises `ScaffoldError` (one line) and the file is left alone.
"""
from __future__ import annotations

import ast
import os
import re
import warnings
from importlib import resources

from karpathy_lint.engine import build_model, checked_model
from karpathy_lint.files import InputError, detect_newline, split_bom
from karpathy_lint.fixer import fix_source
from karpathy_lint.languages import CPP_SUFFIXES, LANGUAGES, language_for
from karpathy_lint.model import Header, SourceModel
from karpathy_lint.parse.header import SECTION_RE

from .harvest import fill_descriptions, module_title
from .header_parts import (  # noqa: F401  (ScaffoldError and Result are this module's API too)
    ROLE_PLACEHOLDER,
    Result,
    ScaffoldError,
    check_title,
    default_title,
    header_lines,
    merge_settings,
)

SENTINEL = "\0scaffold-old-docstring\0"


def _model(path: str, body: bytes, settings) -> SourceModel:
    try:
        return checked_model(path, body, settings)
    except InputError as exc:
        raise ScaffoldError(str(exc)) from None


def _merge(path: str, body: bytes, settings) -> bytes:
    settings = merge_settings(settings)
    fixed = fix_source(path, body, settings, unsafe=False)
    new = fixed.source
    if new != body:
        # the fixes must settle: an entry the linter cannot read back (e.g. `operator&&`) would be
        # added again on every run
        left = [f for f in fixed.result.findings if f.fix is not None]
        if left:
            raise ScaffoldError(f"the Function List does not settle: line {left[0].line}: {left[0].message}; "
                                "write those entries by hand")
    return new


# -- Python ---------------------------------------------------------------------------------------

_PREFIX_RE = re.compile(rb"^([A-Za-z]*)('''|\"\"\"|'|\")")


def _python_first_statement(body: bytes) -> int | None:
    """Byte offset of the first statement (tree-sitter), or None for a file of comments only."""
    from karpathy_lint.parse.python import parser

    root = parser().parse(body).root_node
    for child in root.children:
        if child.type != "comment":
            return child.start_byte
    return None


def _ast_docstring(text: str) -> str | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        raise ScaffoldError(f"Python does not compile it: {exc}") from None
    return ast.get_docstring(tree, clean=False)


def _python_add_header(model: SourceModel, body: bytes, title: str, settings) -> tuple[bytes, int, int, bytes]:
    """(new body, insertion offset, bytes of blank lines before the header, old docstring body or b"").

    The docstring is written as the first statement: after a shebang, an
    encoding cookie and leading comments, before `from __future__` imports.
    """
    nl = detect_newline(body)
    header = model.header
    if header is None:
        if _ast_docstring(model.text) is not None:
            raise ScaffoldError("the module docstring is not a plain string literal (parenthesised or "
                                "concatenated); write the header by hand")
        doc = _docstring_text(header_lines(title, settings), nl, '"""', "")
        first = _python_first_statement(body)
        if first is None:  # comments only, or empty
            lead = nl if body and not body.endswith(b"\n") else ""
            trail = nl if not body or body.endswith(b"\n") else ""
            at = len(body)
        else:
            at = model.line_start(model.line_of(first))
            lead, trail = "", nl + nl
        block = (lead + doc + trail).encode("utf-8")
        return body[:at] + block + body[at:], at, len(lead.encode("utf-8")), b""
    # extend the existing docstring in place
    raw = body[header.start : header.end]
    m = _PREFIX_RE.match(raw)
    if m is None:
        raise ScaffoldError("the module docstring is not a plain string literal; write the header by hand")
    prefix, quote = m.group(1), m.group(2)
    if set(prefix.decode("ascii").lower()) - {"r", "u"}:
        kind = "an f-string" if b"f" in prefix.lower() else "a bytes literal"
        raise ScaffoldError(f"the module docstring is {kind}; write the header by hand")
    if not raw.endswith(quote) or len(raw) < len(prefix) + 2 * len(quote):
        raise ScaffoldError("the module docstring is concatenated from several literals; write the header by hand")
    old_doc = raw[len(prefix) + len(quote) : len(raw) - len(quote)]
    if _string_literal_count(raw) != 1:
        raise ScaffoldError("the module docstring is concatenated from several literals; write the header by hand")
    triple = quote if len(quote) == 3 else quote * 3
    old_text = old_doc.decode("utf-8")
    free: list[str] | None = None
    if not old_text.strip():
        role = [SENTINEL, ROLE_PLACEHOLDER.format(project=settings.project)]
    elif any(SECTION_RE.match(line.rstrip("\r")) for line in old_text.split("\n")):
        # it holds lines that would read as section titles: keep it as free text before the tag
        role, free = None, [SENTINEL]
    else:
        role = [SENTINEL]
    text = _docstring_text(header_lines(title, settings, role=role, free=free), nl, "", "")
    before, after = text.split(SENTINEL)
    # `after` starts with the line ending of the sentinel line: the old text ends a line instead
    after = after[len(nl):]
    last = old_text.rsplit("\n", 1)[-1]
    join = "" if "\n" in old_text and not last.strip() else nl
    new_raw = (prefix + triple + before.encode("utf-8") + old_doc
               + join.encode() + after.encode("utf-8") + triple)
    return body[: header.start] + new_raw + body[header.end :], header.start, 0, old_doc


def _string_literal_count(raw: bytes) -> int:
    import io
    import tokenize

    try:
        toks = list(tokenize.tokenize(io.BytesIO(raw).readline))
    except (tokenize.TokenError, SyntaxError):
        return 0
    return sum(1 for t in toks if t.type == tokenize.STRING)


def _docstring_text(lines: list[str], nl: str, quote: str, prefix: str) -> str:
    return prefix + quote + nl + nl.join(lines) + nl + quote


def _python_raw_prefix(path: str, body: bytes, settings, old_doc: bytes) -> bytes:
    """Make the docstring raw when the header we wrote holds a backslash (e.g. a default `'\\n'`).

    Only when the original docstring held none, so its value is unchanged.
    """
    if b"\\" in old_doc:
        return body
    model = _model(path, body, settings)
    h = model.header
    if h is None:
        return body
    raw = body[h.start : h.end]
    m = _PREFIX_RE.match(raw)
    if m is None or b"\\" not in raw or b"r" in m.group(1).lower():
        return body
    prefix = m.group(1).replace(b"u", b"").replace(b"U", b"") + b"r"
    return body[: h.start] + prefix + raw[len(m.group(1)) :] + body[h.end :]


def _compile_quietly(text: str, path: str) -> tuple[ast.Module, int]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tree = ast.parse(text, filename=path)
    return tree, len(caught)


def _strip_docstring(tree: ast.Module) -> str:
    body = tree.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    return ast.dump(ast.Module(body=body, type_ignores=tree.type_ignores))


def _verify_python(path: str, old_text: str, new_text: str, keeps_old_docstring: bool = True) -> None:
    try:
        old_tree, old_warn = _compile_quietly(old_text, path)
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        raise ScaffoldError(f"Python does not compile it: {exc}") from None
    try:
        new_tree, new_warn = _compile_quietly(new_text, path)
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        raise ScaffoldError(f"the header would not compile ({exc}); write it by hand") from None
    if new_warn > old_warn:
        raise ScaffoldError("the header would add an invalid escape sequence to the docstring; write it by hand")
    if _strip_docstring(old_tree) != _strip_docstring(new_tree):
        raise ScaffoldError("internal check failed: the code would change; file left untouched")
    old_doc = ast.get_docstring(old_tree, clean=False)
    new_doc = ast.get_docstring(new_tree, clean=False)
    if new_doc is None or (keeps_old_docstring and old_doc is not None and old_doc not in new_doc):
        raise ScaffoldError("internal check failed: the docstring text would change; file left untouched")


# -- CUDA -------------------------------------------------------------------------------------------


def _cuda_first_code(body: bytes) -> int | None:
    import tree_sitter as ts

    from karpathy_lint.parse.cuda import grammar

    lang, _ = grammar()
    root = ts.Parser(lang).parse(body).root_node
    for child in root.children:
        if child.type != "comment":
            return child.start_byte
    return None


def block_comment(lines: list[str], nl: str) -> str:
    body = [(" * " + line) if line else " *" for line in lines]
    return nl.join(["/*", *body, " */"])


def _cuda_add_header(model: SourceModel, body: bytes, title: str, settings) -> tuple[bytes, int, int]:
    nl = detect_newline(body)
    block = block_comment(header_lines(title, settings), nl)
    first = _cuda_first_code(body)
    if first is None:
        at = len(body)
        lead = nl if body and not body.endswith(b"\n") else ""
        trail = nl if not body or body.endswith(b"\n") else ""
    else:
        at = model.line_start(model.line_of(first))
        lead, trail = "", nl + nl
    if at > 0 and lead == "":
        # a blank line between a leading licence comment and the header
        prev_start = model.line_start(model.line_of(at - 1))
        if body[prev_start:at].strip():
            lead = nl
    chunk = (lead + block + trail).encode("utf-8")
    return body[:at] + chunk + body[at:], at, len(lead.encode("utf-8"))


# -- the entry points --------------------------------------------------------------------------------


def scaffold_source(path: str, source: bytes, settings, module: str | None = None) -> Result:
    """Scaffold one file's bytes; raises ScaffoldError (and changes nothing) when it cannot."""
    settings = with_project_name(path, settings)
    spec = language_for(path)
    if spec is not None and spec.name == "notebook":
        from .scaffold_notebook import scaffold_notebook  # lazy: notebooks need the optional nbformat

        return scaffold_notebook(path, source, settings, module)
    bom, body = split_bom(source)
    model = _model(path, body, settings)
    docstring = LANGUAGES[model.language].header_form == "docstring"
    if model.header is not None and model.header.is_convention_header:
        new = _merge(path, body, settings)
        new = _harvest_descriptions(path, new, settings, model, {e.name for e in model.header.entries})
        if docstring:
            old_doc = body[model.header.start : model.header.end]
            new = _python_raw_prefix(path, new, settings, old_doc)
        _verify_merge(path, body, new, model, settings)
        return Result(path, "merged" if new != body else "unchanged", source, bom + new)

    title = check_title(module if module is not None else _harvest_title(model) or default_title(path))
    if docstring:
        skeleton, at, lead, old_doc = _python_add_header(model, body, title, settings)
    else:
        skeleton, at, lead = _cuda_add_header(model, body, title, settings)
        old_doc = b""
    new = _merge(path, skeleton, settings)
    new = _harvest_descriptions(path, new, settings, model, set())
    if docstring:
        new = _python_raw_prefix(path, new, settings, old_doc)
    _verify_added(path, body, new, at, lead, model, settings)
    return Result(path, "header added", source, bom + new)


# -- harvest: what the file already says (issue 20; the work is in codemods/harvest.py) -------------------------


def _harvest_title(model: SourceModel) -> str | None:
    """The module docstring's first sentence, for the `Module:` line (None: use the file name)."""
    return module_title(model)


def _harvest_descriptions(path: str, new: bytes, settings, model: SourceModel, listed: set[str]) -> bytes:
    """Placeholder descriptions of entries this run added (not those in `listed`) -> docstring first lines."""
    return fill_descriptions(path, new, settings, model, skip=listed)


def _verify_common(path: str, new: bytes, settings) -> tuple[SourceModel, Header]:
    try:
        model = build_model(path, new, settings)
    except InputError as exc:  # pragma: no cover - we only insert UTF-8 text
        raise ScaffoldError(f"internal check failed: {exc}") from None
    if model.syntax_error is not None:
        raise ScaffoldError(f"the header would break parsing (line {model.syntax_error.line}); "
                            "file left untouched")
    if model.header is None or not model.header.is_convention_header or model.header.module_line is None:
        raise ScaffoldError("the linter would not read the new block as the header (an earlier comment "
                            "mentions `Module:` or the tag, or the parser reads the file differently); "
                            "write it by hand")
    return model, model.header


def _verify_added(path: str, old: bytes, new: bytes, at: int, lead: int, old_model: SourceModel, settings) -> None:
    model, h = _verify_common(path, new, settings)
    if h.start != at + lead:
        raise ScaffoldError("the linter would read another comment as the header "
                            "(an earlier comment mentions `Module:` or the tag); write it by hand")
    docstring = LANGUAGES[model.language].header_form == "docstring"
    if old_model.header is not None and docstring:
        # the old docstring was extended in place: everything outside it is unchanged
        oh = old_model.header
        ok = new[: h.start] == old[: oh.start] and new[h.end :] == old[oh.end :]
    else:
        # a block was inserted at `at`: around it only line endings were added
        rest = old[at:]
        gap = new[h.end : len(new) - len(rest)]
        ok = (new[:at] == old[:at] and not new[at : at + lead].strip(b"\r\n")
              and new.endswith(rest) and len(new) - len(rest) >= h.end and not gap.strip(b"\r\n"))
    if not ok:
        raise ScaffoldError("internal check failed: bytes outside the header would change; file left untouched")
    if docstring:
        _verify_python(path, old_model.text, model.text)


def _verify_merge(path: str, old: bytes, new: bytes, old_model: SourceModel, settings) -> None:
    if new == old:
        return
    model, h = _verify_common(path, new, settings)
    oh = old_model.header
    assert oh is not None  # merging needs a header
    if new[: h.start] != old[: oh.start] or new[h.end :] != old[oh.end :]:
        raise ScaffoldError("internal check failed: bytes outside the header would change")
    if LANGUAGES[model.language].header_form == "docstring":
        # merging edits Function List entries (params, names): the old text is not a substring any more
        _verify_python(path, old_model.text, model.text, keeps_old_docstring=False)


# -- new files ---------------------------------------------------------------------------------------


def template_text(name: str) -> str:
    """A template under codemods/templates (the language registry names one per language)."""
    return resources.files(__package__ or "karpathy_lint.codemods").joinpath("templates").joinpath(name).read_text(encoding="utf-8")


def with_project_name(path: str, settings):
    """Settings naming a project: the configured or pyproject name, else the repository folder's name."""
    if settings.project:
        return settings

    from karpathy_lint.config import repository_name

    return settings._replace(project=repository_name(path))


def create_new(path: str, settings, module: str | None = None) -> Result:
    """The contents of a new annotated file for `path` (which must not exist)."""
    settings = with_project_name(path, settings)
    language = language_for(path)
    if language is None or not language.template:
        suffix = os.path.splitext(path)[1].lower()
        kinds = ", ".join(s for spec in LANGUAGES.values() if spec.template for s in spec.suffixes)
        raise ScaffoldError(f"no template for {suffix or 'a file without an extension'!r} "
                            f"(new files: {kinds})")
    if path.lower().endswith(CPP_SUFFIXES):
        raise ScaffoldError(f"no template for {os.path.splitext(path)[1]!r} (new files: .py, .pyi, .cu, .cuh); "
                            "existing C++ files are scaffolded")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise ScaffoldError(f"cannot create it: folder {os.path.dirname(path) or '.'!r} does not exist")
    title = check_title(module if module is not None else default_title(path))
    text = template_text(language.template)
    text = (text.replace("{{module}}", title).replace("{{project}}", settings.project)
            .replace("{{tag}}", settings.tag))
    new = _merge(path, text.encode("utf-8"), settings)
    _verify_common(path, new, settings)
    return Result(path, "created", None, new)
