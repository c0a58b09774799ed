"""The language registry: one entry per language the linter reads.

Everything that differs between languages lives here: the file suffixes, the
parser (imported only when a file of that language is parsed), the line
comment marker, the form of the header block and the scaffold template for a
new file. Discovery, the engine, the rules and the scaffold read this table;
adding a language is one `LanguageSpec` below (plus its parser module and
template), nothing else.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, NamedTuple

from karpathy_lint.model import HeaderForm

if TYPE_CHECKING:  # pragma: no cover - typing only
    from karpathy_lint.model import SourceModel


class LanguageSpec(NamedTuple):
    name: str  # what `SourceModel.language`, `Rule.languages` and examples say
    label: str  # how messages name it
    suffixes: tuple[str, ...]  # lower case, with the dot
    # "module:function", called as function(path, source, text, settings) -> SourceModel; the module also
    # defines `grammar()`, which loads the tree-sitter grammar (once; worker processes inherit it)
    parser: str
    line_comment: str  # "#" or "//": the inline marker is `<line_comment> Karpathy: text`
    header_form: HeaderForm  # where the header block lives
    template: str  # file under codemods/templates for `karpathy-scaffold NEW_FILE` ("": none)
    # "module:function" writing `--diff` output, called as function(path, old, new) -> str ("": a unified diff
    # of the text); notebooks show per-cell hunks instead of their JSON
    differ: str = ""

    def parse(self, path: str, source: bytes, text: str, settings) -> SourceModel:
        module, _, function = self.parser.partition(":")
        return getattr(importlib.import_module(module), function)(path, source, text, settings)

    def load_grammar(self) -> None:
        importlib.import_module(self.parser.partition(":")[0]).grammar()

    def diff(self, path: str, old: bytes | None, new: bytes) -> str:
        module, _, function = self.differ.partition(":")
        return getattr(importlib.import_module(module), function)(path, old, new)

    @property
    def header_description(self) -> str:
        """How a message names the header's place."""
        return {"docstring": "module docstring", "block_comment": "leading /* ... */ comment",
                "markdown_cell": "markdown cell"}[self.header_form]


# C++ files are read by the CUDA parser (tree-sitter-cuda is a superset of tree-sitter-cpp). A folder walk picks
# them up only when the `include`/`extend-include` settings name them; the default include is .py/.pyi/.cu/.cuh.
CPP_SUFFIXES = (".h", ".hpp", ".hh", ".hxx", ".h++", ".cpp", ".cc", ".cxx", ".c++", ".inl", ".ipp", ".tpp")

LANGUAGES: dict[str, LanguageSpec] = {
    spec.name: spec
    for spec in (
        LanguageSpec("python", "Python", (".py", ".pyi"), "karpathy_lint.parse.python:parse_python", "#", "docstring",
                     "new.py.tmpl"),
        LanguageSpec("cuda", "CUDA/C++", (".cu", ".cuh") + CPP_SUFFIXES, "karpathy_lint.parse.cuda:parse_cuda", "//",
                     "block_comment", "new.cu.tmpl"),
        # a notebook's model is Python (its code cells, as one virtual source): Python's rules run on it
        LanguageSpec("notebook", "notebook", (".ipynb",), "karpathy_lint.notebook.virtual:parse_notebook", "#",
                     "markdown_cell", "", differ="karpathy_lint.notebook.diff:notebook_diff"),
    )
}
STDIN_LANGUAGE = "python"  # `-` without --stdin-filename


def language_for(path: str) -> LanguageSpec | None:
    """The language of a file, by suffix (case-insensitive); None for files the linter does not read."""
    if path == "-":
        return LANGUAGES[STDIN_LANGUAGE]
    lower = path.lower()
    for spec in LANGUAGES.values():
        if lower.endswith(spec.suffixes):
            return spec
    return None


def all_suffixes() -> tuple[str, ...]:
    return tuple(s for spec in LANGUAGES.values() for s in spec.suffixes)


def labels() -> str:
    """`Python, CUDA/C++ or notebook`: the languages, for messages."""
    names = [spec.label for spec in LANGUAGES.values()]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def not_readable_message() -> str:
    """Why a file of another kind is not checked: `not a Python, CUDA/C++ or notebook file (.py, ..., .ipynb)`."""
    return f"not a {labels()} file ({', '.join(all_suffixes())})"
