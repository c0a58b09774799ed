"""A notebook file as read: its JSON value, its cells, and where each sits in the text.

`read_notebook` parses the JSON (the standard library), checks the format
version (nbformat 4 only) and validates it with nbformat, accepting what
Jupyter itself accepts on load (a 4.5 notebook with missing or duplicate
cell ids is repaired in memory by nbformat; here it is read as it is).
`scan_cells` finds the character span of every cell object and of its
`source` value in the text, so a write can replace those bytes and no
others.
"""
from __future__ import annotations

import copy
import json
import re
import warnings
from dataclasses import dataclass, field

from karpathy_lint.files import InputError

INSTALL_HINT = "reading notebooks needs nbformat: pip install 'karpathy-lint[notebook]'"
PYTHON_KERNELS = ("python", "python2", "python3", "ipython", "ipython2", "ipython3", "")


@dataclass
class Cell:
    index: int  # 0-based; reports count from 1, as a reader counts cells in Jupyter
    cell_type: str
    source: str
    source_is_list: bool
    id: str | None
    span: tuple[int, int] = (0, 0)  # the cell object in the text (characters)
    source_span: tuple[int, int] = (0, 0)  # its `source` value
    element_spans: list[tuple[int, int]] = field(default_factory=list)  # list sources: each string

    @property
    def number(self) -> int:
        return self.index + 1


@dataclass
class Notebook:
    text: str  # the JSON text (no BOM)
    data: dict
    cells: list[Cell]
    minor: int
    language: str  # the kernel's language, lower case ("" when the notebook does not say)
    cells_span: tuple[int, int]  # the `cells` array value
    strict_valid: bool  # valid without nbformat's in-memory repairs (ids)

    @property
    def is_python(self) -> bool:
        return self.language in PYTHON_KERNELS


def _nbformat():
    try:
        import nbformat
    except ImportError:
        raise InputError(INSTALL_HINT) from None
    return nbformat


def check_valid(data: dict) -> bool:
    """Validate with nbformat; raise InputError when Jupyter would not load it.

    Returns whether it is valid as it stands (True) or only after the
    in-memory repairs nbformat makes on load (missing or duplicate cell ids).
    """
    nbformat = _nbformat()
    trial = copy.deepcopy(data)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            nbformat.validate(trial)
        except nbformat.ValidationError as exc:
            first = str(exc.message if hasattr(exc, "message") else exc).splitlines()[0]
            where = list(getattr(exc, "absolute_path", None) or getattr(exc, "path", None) or [])
            at = ""
            if len(where) >= 2 and where[0] == "cells" and isinstance(where[1], int):
                at = f" (cell {where[1] + 1})"
            elif where:
                at = f" (at {'/'.join(map(str, where))})"
            raise InputError(f"not a valid nbformat 4 notebook{at}: {first[:160]}") from None
        except (AttributeError, KeyError, ValueError, TypeError) as exc:  # no schema for an odd minor version
            raise InputError(f"not a valid nbformat 4 notebook: {exc}") from None
    repaired = trial != data or any("id" in str(w.message).lower() for w in caught)
    return not repaired


def _version(data) -> tuple[int, int]:
    if not isinstance(data, dict) or "nbformat" not in data:
        raise InputError("not a Jupyter notebook (no `nbformat` field)")
    major, minor = data.get("nbformat"), data.get("nbformat_minor", 0)
    if not isinstance(major, int) or not isinstance(minor, int):
        raise InputError("not a Jupyter notebook (`nbformat` is not a number)")
    if major != 4:
        raise InputError(f"nbformat {major} notebooks are not supported: karpathy-lint reads nbformat 4 "
                         "(convert with `jupyter nbconvert --to notebook --inplace`)")
    return major, minor


def _joined(source) -> tuple[str, bool]:
    if isinstance(source, list):
        return "".join(source), True
    return source if isinstance(source, str) else "", False


STDIN_HINT = "this is a Jupyter notebook: name it with --stdin-filename NAME.ipynb"


def looks_like_notebook(source: bytes) -> bool:
    """Whether bytes read without a file name are a notebook's JSON (so they are not read as Python)."""
    head = source.lstrip()[:1]
    if head not in (b"{", b"\xef") or b'"nbformat"' not in source:
        return False
    try:
        data = json.loads(source.decode("utf-8-sig"))
    except ValueError:
        return False
    return isinstance(data, dict) and "nbformat" in data and "cells" in data


def kernel_language(data: dict) -> str:
    meta = data.get("metadata") or {}
    spec = meta.get("kernelspec") or {}
    info = meta.get("language_info") or {}
    lang = spec.get("language") if isinstance(spec, dict) else None
    if not lang and isinstance(info, dict):
        lang = info.get("name")
    return str(lang or "").strip().lower()


def read_notebook(text: str) -> Notebook:
    """Parse, check the version, validate with nbformat and locate every cell; InputError when it cannot."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InputError(f"not valid JSON: {exc}") from None
    _, minor = _version(data)
    strict = check_valid(data)
    cells_span, spans = scan_cells(text)
    cells = []
    for i, raw in enumerate(data.get("cells", [])):
        source, is_list = _joined(raw.get("source", ""))
        cell = Cell(index=i, cell_type=raw.get("cell_type", ""), source=source, source_is_list=is_list,
                    id=raw.get("id") if isinstance(raw.get("id"), str) else None)
        if i < len(spans):
            cell.span, cell.source_span, cell.element_spans = spans[i]
        cells.append(cell)
    return Notebook(text=text, data=data, cells=cells, minor=minor, language=kernel_language(data),
                    cells_span=cells_span, strict_valid=strict)


# -- where things are in the text --------------------------------------------------------------

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def _ws(s: str, i: int) -> int:
    m = _WS.match(s, i)
    return m.end() if m else i


def _value_end(s: str, i: int) -> int:
    return _DECODER.raw_decode(s, i)[1]


def _object(s: str, i: int, on_key) -> int:
    """Walk the object starting at s[i] == '{'; `on_key(key, value_start)` returns the value's end or None."""
    i = _ws(s, i + 1)
    if s[i] == "}":
        return i + 1
    while True:
        key, i = _DECODER.raw_decode(s, i)
        i = _ws(s, i)
        i = _ws(s, i + 1)  # past ':'
        end = on_key(key, i)
        i = _ws(s, end if end is not None else _value_end(s, i))
        if s[i] == ",":
            i = _ws(s, i + 1)
            continue
        return i + 1  # '}'


def _array(s: str, i: int, on_item) -> int:
    i = _ws(s, i + 1)
    if s[i] == "]":
        return i + 1
    while True:
        i = _ws(s, on_item(i))
        if s[i] == ",":
            i = _ws(s, i + 1)
            continue
        return i + 1


def _cell_spans(s: str, start: int):
    found: dict = {"source": (0, 0), "elements": []}

    def on_key(key: str, i: int):
        if key != "source":
            return None
        end = _value_end(s, i)
        found["source"] = (i, end)
        elements: list[tuple[int, int]] = []

        def on_element(j: int) -> int:
            elements.append((j, _value_end(s, j)))
            return elements[-1][1]

        if s[i] == "[":
            _array(s, i, on_element)
        found["elements"] = elements  # a repeated key: the last one wins, as in json.loads
        return end

    end = _object(s, start, on_key)
    return (start, end), found["source"], found["elements"]


def scan_cells(text: str):
    """((start, end) of the `cells` array, [(cell span, source span, element spans), ...])."""
    result: dict = {"span": (0, 0), "cells": []}

    def on_top(key: str, i: int):
        if key != "cells" or text[i] != "[":
            return None
        cells: list = []

        def on_cell(j: int) -> int:
            if text[j] != "{":
                return _value_end(text, j)
            spans = _cell_spans(text, j)
            cells.append(spans)
            return spans[0][1]

        end = _array(text, i, on_cell)
        result["span"], result["cells"] = (i, end), cells
        return end

    _object(text, _ws(text, 0), on_top)
    return result["span"], result["cells"]
