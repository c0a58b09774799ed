"""The language-neutral model of one source file.

Parsing (tree-sitter, once per file) fills a `SourceModel`; every rule reads
only this model. Positions are byte offsets into `SourceModel.source` plus
1-based line numbers; `SourceModel.position` turns a byte offset into the
1-based (line, column) pair that reports show (columns count characters).

The values are NamedTuples and the two mutable holders plain `__slots__`
classes: this module is imported by every run, and a dataclass (or a string
annotation, hence no `from __future__ import annotations` here) costs compiled
code at class creation, a large part of a one-file run's start-up.
"""
import bisect
from collections.abc import Callable
from itertools import accumulate, repeat
from operator import add
from typing import Any, Literal, NamedTuple, Protocol, TypeVar

T = TypeVar("T")

Language = str  # a key of karpathy_lint.languages.LANGUAGES
Applicability = Literal["safe", "unsafe"]
HeaderForm = Literal["docstring", "block_comment", "markdown_cell"]
SectionKind = Literal["role", "function_list", "deep_dive", "unknown"]
DefinitionKind = Literal["function", "class", "method", "property", "kernel", "device", "host", "nested", "declaration"]
NoteStatus = Literal["ok", "malformed", "empty"]


class Edit(NamedTuple):
    """Replace source[start:end] (bytes) with `content`."""

    start: int
    end: int
    content: str
    # 1-based positions for reports, filled in when the finding is made
    line: int = 0
    column: int = 0
    end_line: int = 0
    end_column: int = 0
    cell: int | None = None  # notebooks: the 1-based cell the positions are in


class Fix(NamedTuple):
    applicability: Applicability
    edits: tuple[Edit, ...]
    message: str = ""


class HeaderLine(NamedTuple):
    """One line of the header block, decoration (` * `) already stripped.

    `start` is the byte offset in the file where `text` begins; `prefix` is the
    decoration that stood before it (empty in Python docstrings).
    """

    line: int
    text: str
    start: int
    prefix: str = ""


class Section(NamedTuple):
    title: str
    kind: SectionKind
    line: int
    body: tuple[HeaderLine, ...]
    project: str | None = None  # the <project> of "This File's Role in <project>"
    title_line: HeaderLine | None = None

    @property
    def words(self) -> int:
        return sum(len(hl.text.split()) for hl in self.body)


class ListEntry(NamedTuple):
    """One Function List entry: `name(params) - description`."""

    name: str
    params: tuple[str, ...] | None  # None: written without parentheses
    description: str
    line: int
    end_line: int
    start: int  # byte offset of the entry's first character
    end: int  # byte offset just past the entry's last line (continuations included)
    params_start: int | None = None  # byte offset just inside "("
    params_end: int | None = None  # byte offset of ")"
    name_end: int = 0
    malformed: str | None = None  # why the line does not parse as an entry


class Header:
    """The header block: its lines, tags, sections and Function List entries (filled in by parse/header.py)."""

    __slots__ = ("kind", "start", "end", "lines", "line", "end_line", "newline", "module_line", "module_title",
                 "open_tags", "close_tags", "sections", "entries")

    def __init__(self, kind: HeaderForm, start: int, end: int, lines: tuple[HeaderLine, ...], line: int,
                 end_line: int, newline: str = "\n") -> None:
        self.kind = kind
        self.start, self.end = start, end  # byte offsets of the whole block
        self.lines = lines
        self.line, self.end_line = line, end_line
        self.newline = newline
        self.module_line: HeaderLine | None = None
        self.module_title = ""
        self.open_tags: list[HeaderLine] = []
        self.close_tags: list[HeaderLine] = []
        self.sections: list[Section] = []
        self.entries: list[ListEntry] = []

    def __repr__(self) -> str:
        return (f"Header(kind={self.kind!r}, lines {self.line}-{self.end_line}, module_title={self.module_title!r}, "
                f"sections={[s.title for s in self.sections]!r}, entries={len(self.entries)})")

    @property
    def is_convention_header(self) -> bool:
        """Written for the convention: a `Module:` line, a tag or a known section title (not just any
        docstring or leading comment). The one test the rules and the scaffold share."""
        return bool(self.module_line or self.open_tags or self.close_tags
                    or any(s.kind != "unknown" for s in self.sections))

    def section(self, kind: str) -> Section | None:
        for section in self.sections:
            if section.kind == kind:
                return section
        return None


class Definition(NamedTuple):
    """A real definition found in the code: what the parser saw, no verdicts.

    `kind` says where it sits ("nested": inside a function or a nested class,
    or a property's setter/deleter); `calls` are the callees (as written, `@`
    for a matrix product) and their lines, whose innermost enclosing function
    this is. Which
    definitions the Function List must hold (parity.py) and what counts as
    tensor work (KL306) are decided by the rules.
    """

    name: str
    qualname: str
    kind: DefinitionKind
    params: tuple[str, ...] | None  # None: not checked (class without own __init__)
    display: str  # the real signature as a Function List would spell it
    line: int
    end_line: int
    start: int
    end: int
    body_start: int
    statements: int
    decorators: tuple[str, ...] = ()
    calls: tuple[tuple[str, int], ...] = ()  # (callee as written or "@", line), in source order
    type_checking: bool = False  # under `if TYPE_CHECKING:`
    overload: bool = False  # a typing.overload stub
    aliases: tuple[str, ...] = ()  # other names an entry may use for it (C++: `ns.f` for `f`), in key form
    uncertain: bool = False  # inside a region the parser could not read: never demanded, params not checked


class Comment(NamedTuple):
    """One comment as written: `text` includes the `#` or `//` or `/*`."""

    line: int
    col: int  # 0-based byte column
    start: int
    end: int
    text: str
    own_line: bool


class Note(NamedTuple):
    """An inline marker comment plus its continuation lines.

    `status` is "ok" for `# Karpathy: text`, "malformed" for a misspelt marker,
    "empty" for a marker with no text on its line.
    """

    line: int
    end_line: int
    start: int
    end: int
    text: str  # the text after the marker, continuation lines joined by newlines
    status: NoteStatus
    fixed_marker_line: str | None = None  # the first line as it should read
    comments: tuple[Comment, ...] = ()
    own_line: bool = True


class SyntaxProblem(NamedTuple):
    line: int
    col: int
    message: str


def _line_starts(source: bytes) -> list[int]:
    """Byte offset of the start of every line: 0, then the running sum of the line lengths, each with its
    `\n` (in C, no Python step per line)."""
    return list(accumulate(map(add, map(len, source.split(b"\n")[:-1]), repeat(1)), initial=0))


class CellPlacement(Protocol):
    """Where positions of a notebook's virtual source lie in its cells (`notebook.virtual.CellMap`
    implements it); the core asks it only to move a finding into its cell."""

    def place(self, model: "SourceModel", finding: "Finding") -> "Finding": ...


class SourceModel:
    """One parsed file. `tree` is the tree-sitter tree the parser built, kept so that derived views
    (parse/names.py) are computed lazily from it instead of re-parsing; `views` holds those views
    (see `view`); `cells` maps a notebook's virtual source back to its cells. None of the three is
    ever pickled or sent between processes (only findings are)."""

    __slots__ = ("path", "language", "source", "text", "header", "definitions", "comments", "notes", "code_lines",
                 "last_code_line", "syntax_error", "newline", "line_starts", "unparsed", "tree", "views", "cells")

    def __init__(self, path: str, language: Language, source: bytes, text: str) -> None:
        self.path = path
        self.language = language
        self.source = source
        self.text = text
        self.header: Header | None = None
        self.definitions: list[Definition] = []
        self.comments: list[Comment] = []
        self.notes: list[Note] = []
        self.code_lines = 0
        self.last_code_line = 0
        self.syntax_error: SyntaxProblem | None = None
        self.newline = "\n"
        self.line_starts = _line_starts(source)
        # byte ranges the parser could not read (CUDA/C++ ERROR nodes); rules stay conservative next to them
        self.unparsed: list[tuple[int, int]] = []
        self.tree: Any = None
        self.views: dict[str, Any] = {}
        self.cells: CellPlacement | None = None

    def __repr__(self) -> str:
        return f"SourceModel(path={self.path!r}, language={self.language!r}, {len(self.line_starts)} lines)"

    def view(self, key: str, compute: Callable[["SourceModel"], T]) -> T:
        """The derived view `key` of this file, computed by `compute(self)` on first use and kept."""
        if key not in self.views:
            self.views[key] = compute(self)
        return self.views[key]

    def longest_gap(self) -> tuple[int, int]:
        """(first, last) line of the longest stretch of code without a note."""
        marks = sorted({n.line for n in self.notes})
        best = (1, 1)
        prev = 0
        for m in marks + [self.last_code_line + 1]:
            if m - prev > best[1] - best[0] + 1:
                best = (prev + 1, m - 1)
            prev = m
        return best

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.line_starts, offset)

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a byte offset; columns count characters."""
        line = bisect.bisect_right(self.line_starts, offset)
        start = self.line_starts[line - 1]
        prefix = self.source[start:offset]
        col = len(prefix) if prefix.isascii() else len(prefix.decode("utf-8", "replace"))
        return line, col + 1

    def line_text(self, line: int) -> str:
        start = self.line_starts[line - 1]
        end = self.line_starts[line] if line < len(self.line_starts) else len(self.source)
        return self.source[start:end].decode("utf-8", "replace").rstrip("\r\n")

    def line_start(self, line: int) -> int:
        return self.line_starts[line - 1]

    def line_end(self, line: int) -> int:
        """Byte offset of the end of `line`, before its line ending."""
        end = self.line_starts[line] if line < len(self.line_starts) else len(self.source)
        while end > self.line_starts[line - 1] and self.source[end - 1 : end] in (b"\n", b"\r"):
            end -= 1
        return end


class Finding(NamedTuple):
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    code: str
    name: str
    message: str
    severity: str = "error"
    fix: Fix | None = None
    symbol: str = ""  # a stable key for baselines: the definition or section it is about
    cell: int | None = None  # notebooks: the 1-based cell (every cell counts); line and column are inside it
    cell_id: str | None = None  # notebooks: that cell's `id`, when it has one

    def sort_key(self) -> tuple:
        return (self.path, self.cell or 0, self.line, self.column, self.code)
