"""A file's page, as data: built from the linter's `SourceModel`, never by parsing again.

A page is a list of `Block`s. Each block pairs prose (markdown text) with a
run of source lines; together the blocks hold every source line once, in
order. For Python and CUDA the cuts come from the model: the header block
first, then a new block at each own-line `Karpathy:` note, the last note (the
closing signature) on its own. A notebook builder can produce the same blocks
from its cells (markdown cells as prose, code cells as lines) and reuse the
writer unchanged.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from karpathy_lint.model import Finding, Note, SourceModel
from karpathy_lint.shapes.format import shapes  # the one shape parser (KL306, KL307, verify-shapes)

FIRST_SENTENCE = re.compile(r"^(.+?[.!?])(?=\s+[A-Z(\"'`]|\s*$)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Aside:
    """A note written at the end of a code line: shown in the prose column with its line number."""

    line: int
    text: str


@dataclass(slots=True)
class Block:
    """One `.section`: prose beside the source lines `first`..`last` (1-based, inclusive)."""

    first: int
    last: int
    prose: str = ""  # markdown
    kind: str = "code"  # "header", "code", "closing", or "markdown" (a notebook's trailing prose, no lines)
    asides: list[Aside] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Entry:
    """One Function List row; `target` is the `id` of the definition it names, if any."""

    signature: str
    description: str
    line: int
    target: str | None
    malformed: str | None = None


@dataclass(frozen=True, slots=True)
class HeaderPart:
    """A header section (or the free text before the first one)."""

    title: str
    kind: str  # "intro", "docstring", "role", "function_list", "deep_dive", "unknown"
    text: str  # markdown; empty for the Function List, whose rows are in `Page.entries`


@dataclass
class Page:
    path: str  # as given to the renderer
    rel: str  # relative to the site root, with `/`
    language: str
    lines: list[str]  # source lines without their line endings
    title: str
    header: list[HeaderPart]
    entries: list[Entry]
    blocks: list[Block]
    anchors: dict[int, str]  # line -> `def-QUALNAME` id on that line
    badges: dict[int, list[str]]  # line -> shape statements that describe it
    findings: list[Finding]
    error: str | None  # the file parsed with a syntax error
    code_lines: int
    notes: int
    cell_starts: dict[int, int] | None = None  # a notebook: code cell number (1-based) -> its first page line

    @property
    def role_sentence(self) -> str:
        for part in self.header:
            if part.kind == "role":
                text = " ".join(part.text.split())
                m = FIRST_SENTENCE.match(text)
                return m.group(1) if m else text
        return ""

    @property
    def density(self) -> str:
        """Code lines per note, the quantity KL303 checks (`lines-per-comment`)."""
        if not self.notes:
            return "none" if self.code_lines else "-"
        return f"1 per {self.code_lines / self.notes:.1f} lines"


def source_lines(model: SourceModel) -> list[str]:
    """The file's lines as the DOM contract states them: `\\n` splits, line endings dropped."""
    n = len(model.line_starts)
    if model.source.endswith(b"\n") or not model.source:
        n -= 1  # the empty "line" after the last line ending is not a line
    return [model.line_text(i) for i in range(1, n + 1)]


def anchors_of(model: SourceModel) -> dict[int, str]:
    """`def-QUALNAME` for each definition's first line; a repeated qualname keeps its first id."""
    out: dict[int, str] = {}
    seen: set[str] = set()
    for d in model.definitions:
        ident = f"def-{d.qualname}"
        if ident not in seen and d.line not in out:
            seen.add(ident)
            out[d.line] = ident
    return out


def _comment_only_lines(model: SourceModel) -> set[int]:
    lines: set[int] = set()
    for c in model.comments:
        if c.own_line:
            lines.update(range(c.line, model.line_of(max(c.start, c.end - 1)) + 1))
    return lines


def badges_of(model: SourceModel, lines: list[str]) -> dict[int, list[str]]:
    """Shape statements -> the line they describe (docs/verify-shapes.md): a trailing note its own
    line, a note on lines of its own the next code line below it."""
    skip = _comment_only_lines(model)
    out: dict[int, list[str]] = {}
    for note in model.notes:
        if note.status != "ok":
            continue
        found = [f"{name} [{', '.join(dims)}]" for name, dims in shapes(note.text)]
        if not found:
            continue
        target = note.line
        if note.own_line:
            target = note.end_line + 1
            while target <= len(lines) and (target in skip or not lines[target - 1].strip()):
                target += 1
            if target > len(lines):
                continue
        out.setdefault(target, []).extend(found)
    return out


def header_parts(model: SourceModel) -> tuple[str, list[HeaderPart]]:
    header = model.header
    if header is None:
        return "", []
    parts: list[HeaderPart] = []
    skip = {id(hl) for hl in (header.module_line, *header.open_tags, *header.close_tags) if hl is not None}
    first_section = header.sections[0].line if header.sections else header.end_line + 1
    intro = [hl.text for hl in header.lines if hl.line < first_section and id(hl) not in skip]
    if any(t.strip() for t in intro):
        # a plain docstring or leading comment (not written for the convention) is shown as prose too
        kind = "intro" if header.is_convention_header else "docstring"
        parts.append(HeaderPart("", kind, "\n".join(intro).strip()))
    for section in header.sections:
        body = "" if section.kind == "function_list" else "\n".join(hl.text for hl in section.body).strip()
        parts.append(HeaderPart(section.title, section.kind, body))
    return header.module_title.strip(), parts


def entries_of(model: SourceModel, anchors: dict[int, str]) -> list[Entry]:
    header = model.header
    if header is None:
        return []
    ids = set(anchors.values())
    out = []
    for e in header.entries:
        if e.malformed and not e.name:
            raw = model.source[e.start:e.end].decode("utf-8", "replace")
            out.append(Entry(raw.strip(), "", e.line, None, e.malformed))
            continue
        signature = e.name if e.params is None else f"{e.name}({', '.join(e.params)})"
        target = f"def-{e.name}" if f"def-{e.name}" in ids else None
        out.append(Entry(signature, e.description, e.line, target, e.malformed))
    return out


def _closing(model: SourceModel) -> Note | None:
    if model.notes and model.notes[-1].own_line and model.notes[-1].line > model.last_code_line:
        return model.notes[-1]
    return None


def _section_start(model: SourceModel, note: Note, previous_end: int, starts: list) -> int:
    """Where the block a note introduces begins: the note's line, or, for the first note of a
    definition's body, the definition's first line (decorators included), so `def f(...):` sits
    beside the prose that explains it, unless that would leave the block above without code."""
    candidates = []
    for d in model.definitions:
        first = model.line_of(d.start)
        if not d.line < note.line <= max(model.line_of(d.body_start), d.line + 1):
            continue
        if any(d.line < line < note.line for line, _ in starts) or first <= previous_end:
            continue
        if any(model.line_text(n).strip() for n in range(previous_end + 1, first)):
            candidates.append(first)
    return max(candidates, default=note.line)


def blocks_of(model: SourceModel, n_lines: int) -> list[Block]:
    """Cut the lines into blocks: header, then one block per own-line note, the closing note last."""
    starts: list[tuple[int, Note]] = []
    first_code = 1
    if model.header is not None:
        first_code = model.header.end_line + 1
    notes = [n for n in model.notes if n.status == "ok" and n.line >= first_code]
    closing = _closing(model)
    previous_end = first_code - 1  # the last line of the previous block's note (or of the header)
    for note in notes:
        if note.own_line:
            starts.append((_section_start(model, note, previous_end, starts), note))
            previous_end = note.end_line
    blocks: list[Block] = []
    if model.header is not None:
        blocks.append(Block(1, model.header.end_line, kind="header"))
    if n_lines >= first_code and (not starts or starts[0][0] > first_code):
        blocks.append(Block(first_code, (starts[0][0] - 1) if starts else n_lines))
    for i, (line, note) in enumerate(starts):
        last = starts[i + 1][0] - 1 if i + 1 < len(starts) else n_lines
        blocks.append(Block(line, last, prose=note.text, kind="closing" if note is closing else "code"))
    for note in notes:
        if not note.own_line:
            for block in blocks:
                if block.first <= note.line <= block.last:
                    block.asides.append(Aside(note.line, note.text))
                    break
    return [b for b in blocks if b.last >= b.first]


def build_page(model: SourceModel, rel: str, findings: list[Finding], error: str | None = None) -> Page:
    lines = source_lines(model)
    anchors = anchors_of(model)
    title, header = header_parts(model)
    return Page(
        path=model.path,
        rel=rel,
        language=model.language,
        lines=lines,
        title=title or rel,
        header=header,
        entries=entries_of(model, anchors),
        blocks=blocks_of(model, len(lines)),
        anchors=anchors,
        badges=badges_of(model, lines),
        findings=findings,
        error=error,
        code_lines=model.code_lines,
        notes=len(model.notes),
    )
