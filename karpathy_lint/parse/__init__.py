"""Parsing: source bytes -> SourceModel, with tree-sitter, once per file.

One module per language (python.py, cuda.py), registered in
karpathy_lint/languages.py; the header, comment and tree-sitter helpers here
are shared by all of them.
"""
