"""Jupyter notebooks (`.ipynb`): one more language on the same engine.

* `document`: read and validate a notebook (nbformat 4) and find the JSON
  span of every cell and of its `source`, so writes touch only those bytes;
* `magics`: mask IPython syntax (magics, `!shell`, `?` help) with
  same-length Python, so positions stay exact;
* `virtual`: the header markdown cell and the Python code cells as one
  virtual Python source, parsed by the Python parser, plus the map from its
  offsets back to (cell, line, column);
* `write`: write changed cell sources back without touching another byte
  (re-serialise only when that reproduces the file exactly, else splice);
* `fix`: `--fix` for notebooks; `diff`: per-cell diffs.
"""
