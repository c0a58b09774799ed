"""Writing changed cell sources back into a notebook without touching another byte.

nbformat's writer sorts keys and always adds a final newline, so it is never
used here. Two ways, tried in this order:

1. Re-serialise. The file's layout (indent 1/2/4 or one line, separators,
   escaped or raw non-ASCII, CRLF, final newline; key order is kept because
   the parsed value keeps it) is recorded only when serialising the unchanged
   notebook with it reproduces the file's text exactly. Then the changed
   notebook is serialised with that layout.
2. Splice. Otherwise only the `source` value of each changed cell is
   replaced in the text; a new cell is written like the existing first cell
   (whose text must be reproduced by one of the layouts), or the write is
   refused with one line.

Either way the result is checked before it is returned: every cell that was
not changed is the same text, every changed cell differs only in its
`source` value, the text around the cells is the same, and nbformat accepts
it (and, when the file was strictly valid, it still is). A `source` string
stays a string and a list a list (its unchanged lines keep their exact JSON
text); `\\r\\n` inside a source stays.
"""
from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass

from karpathy_lint.files import InputError
from karpathy_lint.notebook.document import Notebook, read_notebook

HEADER_CELL_ID = "karpathy-header"


class WriteError(InputError):
    """The notebook cannot be written back safely: one line; the file is left alone."""


@dataclass(frozen=True)
class Layout:
    indent: int | None  # None: the whole document on one line
    separators: tuple[str, str]
    ensure_ascii: bool
    newline: str  # between JSON lines: "\n" or "\r\n"
    final: str  # after the closing brace: "", "\n" or "\r\n"

    def dumps(self, value) -> str:
        text = json.dumps(value, indent=self.indent, ensure_ascii=self.ensure_ascii, separators=self.separators)
        return text.replace("\n", self.newline) if self.newline != "\n" else text

    def serialise(self, data) -> str:
        return self.dumps(data) + self.final


_NON_ASCII_ESCAPE = re.compile(r"\\u(?!00[0-7])[0-9a-fA-F]{4}")


def _ascii(text: str, default: bool = True) -> bool:
    """Whether `text` writes non-ASCII escaped (True) or as is (False); `default` when it holds neither."""
    if not text.isascii():
        return False
    return True if _NON_ASCII_ESCAPE.search(text) else default


def _candidates(text: str) -> list[Layout]:
    body = text.rstrip("\r\n")
    final = text[len(body):]
    newline = "\r\n" if "\r\n" in body else "\n"
    ensure_ascii = _ascii(text)
    m = re.match(r"\s*\{\r?\n( +)", body)
    if m:
        return [Layout(len(m.group(1)), sep, ensure_ascii, newline, final) for sep in ((",", ": "), (", ", ": "))]
    return [Layout(None, sep, ensure_ascii, newline, final) for sep in ((",", ":"), (", ", ": "))]


def detect_layout(notebook: Notebook) -> Layout | None:
    """The layout that reproduces the file's text exactly from its parsed value, or None."""
    for layout in _candidates(notebook.text):
        if layout.serialise(notebook.data) == notebook.text:
            return layout
    return None


def split_source(text: str) -> list[str]:
    """A source as Jupyter's list form: one string per line, each keeping its `\\n` (and a `\\r` before it)."""
    return [m.group(0) for m in re.finditer(r"[^\n]*\n|[^\n]+$", text)]


def new_elements(old: list[str], text: str) -> list[str]:
    """The list form of `text`, keeping the old elements (whole lines) before and after the changed lines."""
    pre = pos = 0
    while pre < len(old) and old[pre].endswith("\n") and text.startswith(old[pre], pos):
        pos += len(old[pre])
        pre += 1
    post, end = 0, len(text)
    while post < len(old) - pre:
        e = old[-1 - post]
        s = end - len(e)
        if not e or s < pos or text[s:end] != e or (s > pos and text[s - 1] != "\n"):
            break
        if post and not e.endswith("\n"):
            break
        end = s
        post += 1
    return old[:pre] + split_source(text[pos:end]) + (old[len(old) - post:] if post else [])


def _source_value(cell_raw, text: str) -> object:
    if isinstance(cell_raw.get("source"), list):
        return new_elements(list(cell_raw["source"]), text)
    return text


def new_header_cell(notebook: Notebook, source: str) -> dict:
    """A markdown cell; an `id` only when the notebook's minor version has ids (4.5+), stable across runs."""
    lists = sum(1 for c in notebook.cells if c.source_is_list)
    as_list = lists * 2 >= len(notebook.cells) if notebook.cells else True
    cell: dict = {"cell_type": "markdown"}
    if notebook.minor >= 5:
        taken = {c.id for c in notebook.cells if c.id}
        cell_id, n = HEADER_CELL_ID, 1
        while cell_id in taken:
            n += 1
            cell_id = f"{HEADER_CELL_ID}-{n}"
        cell["id"] = cell_id
    cell["metadata"] = {}
    cell["source"] = split_source(source) if as_list else source
    return cell


# -- the two ways of writing --------------------------------------------------------------------


def _reserialise(notebook: Notebook, layout: Layout, changes: dict[int, str], insert: dict | None) -> str:
    data = copy.deepcopy(notebook.data)
    for index, text in changes.items():
        raw = data["cells"][index]
        raw["source"] = _source_value(raw, text)
    if insert is not None:
        data["cells"].insert(0, insert)
    return layout.serialise(data)


def _encode_string(value: str, ensure_ascii: bool) -> str:
    return json.dumps(value, ensure_ascii=ensure_ascii)


def _splice_source(notebook: Notebook, index: int, text: str) -> tuple[tuple[int, int], str]:
    """(span to replace, its new JSON text) for cell `index`'s `source` value."""
    cell = notebook.cells[index]
    start, end = cell.source_span
    old_text = notebook.text[start:end]
    ensure_ascii = _ascii(old_text, default=_ascii(notebook.text))
    raw = notebook.data["cells"][index]
    if not isinstance(raw.get("source"), list):
        return (start, end), _encode_string(text, ensure_ascii)
    old = list(raw["source"])
    new = new_elements(old, text)
    spans = cell.element_spans
    if not new:
        return (start, end), "[]"
    if not old:
        raise WriteError(f"cannot tell how cell {cell.number}'s empty source list is laid out; "
                         "edit it in Jupyter first")
    pre = 0
    while pre < min(len(old), len(new)) and old[pre] == new[pre]:
        pre += 1
    post = 0
    while post < min(len(old), len(new)) - pre and old[-1 - post] == new[-1 - post]:
        post += 1
    if len(spans) >= 2:
        sep = notebook.text[spans[0][1] : spans[1][0]]
    else:
        sep = "," + notebook.text[start + 1 : spans[0][0]]
    pieces = [notebook.text[a:b] for a, b in spans[:pre]]
    pieces += [_encode_string(s, ensure_ascii) for s in new[pre : len(new) - post]]
    pieces += [notebook.text[a:b] for a, b in spans[len(old) - post :]] if post else []
    head = notebook.text[start : spans[0][0]]
    tail = notebook.text[spans[-1][1] : end]
    return (start, end), head + sep.join(pieces) + tail


def _cell_layout(notebook: Notebook) -> tuple[Layout, str, str] | None:
    """(layout, indentation of the cells' lines, text between `[` and the first cell) for a new cell.

    The layout is one that reproduces an existing cell's text exactly; when none does (a cell holds a
    number written another way), the layout of the file's own indentation, if it has a clear one.
    """
    first = notebook.cells[0]
    a = first.span[0]
    line_start = notebook.text.rfind("\n", 0, a) + 1
    base = notebook.text[line_start:a]
    if base.strip(" "):
        if base.strip():
            base = ""  # the cell does not start its line (one-line JSON)
        else:
            return None  # tabs or other white space: no layout we reproduce
    between = notebook.text[notebook.cells_span[0] + 1 : a]
    candidates = _candidates(notebook.text)
    for layout in candidates:
        for cell in notebook.cells:
            c0, c1 = cell.span
            text = layout.dumps(notebook.data["cells"][cell.index])
            if base:
                text = text.replace(layout.newline, layout.newline + base)
            if text == notebook.text[c0:c1]:
                return layout, base, between
    if candidates[0].indent is None and "\n" in notebook.text.strip():
        return None  # lines, but not indented with spaces
    return candidates[0], base, between


def _splice(notebook: Notebook, changes: dict[int, str], insert: dict | None) -> str:
    edits: list[tuple[int, int, str]] = []
    for index, text in changes.items():
        (a, b), value = _splice_source(notebook, index, text)
        edits.append((a, b, value))
    if insert is not None:
        if not notebook.cells:
            raise WriteError("cannot tell how this notebook's JSON is laid out (no cells to copy); "
                             "add the header cell in Jupyter")
        found = _cell_layout(notebook)
        if found is None:
            raise WriteError("cannot tell how this notebook's JSON is laid out (not indented with spaces, nor "
                             "on one line); add the header cell in Jupyter, then run again")
        layout, base, between = found
        text = layout.dumps(insert)
        if base:
            text = text.replace(layout.newline, layout.newline + base)
        sep = "," + (between if between.strip() == "" else "")
        at = notebook.cells[0].span[0]
        edits.append((at, at, text + sep))
    out = notebook.text
    for a, b, value in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        out = out[:a] + value + out[b:]
    return out


def write_cells(notebook: Notebook, changes: dict[int, str], header: str | None = None) -> str:
    """The notebook's new JSON text: `changes` maps 0-based cell indices to new sources; `header`, when
    given, is the source of a new markdown cell inserted first. Raises WriteError when it cannot be done
    without touching other bytes or when the result would not validate."""
    changes = {i: t for i, t in changes.items() if t != notebook.cells[i].source}
    if not changes and header is None:
        return notebook.text
    insert = new_header_cell(notebook, header) if header is not None else None
    layout = detect_layout(notebook)
    new = _reserialise(notebook, layout, changes, insert) if layout else _splice(notebook, changes, insert)
    verify(notebook, new, changes, header)
    return new


def _separators(nb: Notebook) -> list[str]:
    """The text between the cells array's brackets and cell objects: before the first, between, after the last."""
    a, b = nb.cells_span
    edges = [a + 1] + [x for c in nb.cells for x in c.span] + [b - 1]
    return [nb.text[edges[i] : edges[i + 1]] for i in range(0, len(edges), 2)]


def verify(old: Notebook, new_text: str, changes: dict[int, str], header: str | None) -> Notebook:
    """Check a write: untouched cells and the text around them the same, nbformat still accepts it."""
    try:
        new = read_notebook(new_text)
    except InputError as exc:
        raise WriteError(f"the written notebook would not validate ({exc}); file left untouched") from None
    if old.strict_valid and not new.strict_valid:
        raise WriteError("the written notebook would be less valid than before; file left untouched")
    shift = 0 if header is None else 1
    if len(new.cells) != len(old.cells) + shift:
        raise WriteError("internal check failed: the cell count would change; file left untouched")
    o0, o1 = old.cells_span
    n0, n1 = new.cells_span
    old_seps, new_seps = _separators(old), _separators(new)
    if shift:
        new_seps = new_seps[:1] + new_seps[2:] if old.cells else old_seps
    if old.text[:o0] != new_text[:n0] or old.text[o1:] != new_text[n1:] or old_seps != new_seps:
        raise WriteError("internal check failed: bytes outside the cells would change; file left untouched")
    if header is not None and (new.cells[0].cell_type != "markdown" or new.cells[0].source != header):
        raise WriteError("internal check failed: the header cell would not read back; file left untouched")
    for cell in old.cells:
        other = new.cells[cell.index + shift]
        a, b = cell.span
        c, d = other.span
        if cell.index not in changes:
            same = old.text[a:b] == new_text[c:d]
        else:
            (sa, sb), (sc, sd) = cell.source_span, other.source_span
            same = (old.text[a:sa] == new_text[c:sc] and old.text[sb:b] == new_text[sd:d]
                    and other.source == changes[cell.index] and other.source_is_list == cell.source_is_list)
        if not same:
            raise WriteError(f"internal check failed: cell {cell.number} would change beyond its source; "
                             "file left untouched")
    return new


