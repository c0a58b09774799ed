"""The language-neutral model of one source file.

Parsing (tree-sitter, once per file) fills a `SourceModel`; every rule reads
only this model. Positions are byte offsets into `SourceModel.source` plus
1-based line numbers; `SourceModel.position` turns a byte offset into the
1-based (line, column) pair that reports show (columns count characters).
"""
from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field
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


@dataclass(slots=True)
class Header:
    kind: HeaderForm
    start: int
    end: int
    lines: tuple[HeaderLine, ...]
    line: int
    end_line: int
    newline: str = "\n"
    module_line: HeaderLine | None = None
    module_title: str = ""
    open_tags: list[HeaderLine] = field(default_factory=list)
    close_tags: list[HeaderLine] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    entries: list[ListEntry] = field(default_factory=list)

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


class CellPlacement(Protocol):
    """Where positions of a notebook's virtual source lie in its cells (`notebook.virtual.CellMap`
    implements it); the core asks it only to move a finding into its cell."""

    def place(self, model: SourceModel, finding: Finding) -> Finding: ...


@dataclass
class SourceModel:
    path: str
    language: Language
    source: bytes
    text: str
    header: Header | None = None
    definitions: list[Definition] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    code_lines: int = 0
    last_code_line: int = 0
    syntax_error: SyntaxProblem | None = None
    newline: str = "\n"
    line_starts: list[int] = field(default_factory=list)
    # byte ranges the parser could not read (CUDA/C++ ERROR nodes); rules stay conservative next to them
    unparsed: list[tuple[int, int]] = field(default_factory=list)
    # the tree-sitter tree the parser built, kept so that derived views (parse/names.py) are computed lazily
    # from it instead of re-parsing; never pickled or sent between processes (only findings are)
    tree: Any = field(default=None, repr=False, compare=False)
    # derived views (Function List parity, the name index), computed on first use by `view`
    views: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    # notebooks: the map from this (virtual) source back to the notebook's cells (notebook.virtual.CellMap)
    cells: CellPlacement | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.line_starts:
            starts = [0]
            find = self.source.find
            pos = find(b"\n")
            while pos != -1:
                starts.append(pos + 1)
                pos = find(b"\n", pos + 1)
            self.line_starts = starts

    def view(self, key: str, compute: Callable[[SourceModel], T]) -> T:
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
