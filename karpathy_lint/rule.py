"""The base class every rule derives from, and its example types.

A rule reads only the `SourceModel` and yields `Finding`s. Its VALID and
INVALID examples live in the class (as in Fixit) and one test runs them all;
a rule is fixable when an INVALID example carries the expected fixed source.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar, NamedTuple

from karpathy_lint.model import Applicability, Edit, Finding, Fix, SourceModel


class Option(NamedTuple):
    """A setting a rule reads: `key` in [tool.karpathy-lint], `settings.<field>` in the rule.

    `kind` says what a value must be (and how config validation checks it): "bool",
    "count" (a whole number, 0 or more), "positive" (1 or more), "string",
    "strings" (a list of strings). Config validation, `--show-settings` and the
    rule's `## Options` documentation all come from this declaration.
    """

    key: str
    kind: str
    default: object
    help: str

    @property
    def field(self) -> str:
        return self.key.replace("-", "_")


class Valid:
    """Source on which the rule must report nothing (`settings`: rule options or settings fields to apply)."""

    __slots__ = ("code", "language", "settings")

    def __init__(self, code: str, language: str = "python", settings: dict | None = None) -> None:
        self.code = code
        self.language = language
        self.settings = settings if settings is not None else {}

    def __repr__(self) -> str:
        return f"Valid({self.code!r}, language={self.language!r}, settings={self.settings!r})"


class Invalid:
    """Source on which the rule must report `message` at `line`, `column` (1-based).

    `expected_fix` is the whole file after applying this rule's fixes
    (safe and unsafe); when given, the rule must offer a fix that produces it.
    `count` is the expected number of findings, when it matters.
    """

    __slots__ = ("code", "line", "expected_fix", "column", "message", "language", "settings", "count")

    def __init__(self, code: str, line: int | None = None, expected_fix: str | None = None, column: int | None = None,
                 message: str | None = None, language: str = "python", settings: dict | None = None,
                 count: int | None = None) -> None:
        self.code = code
        self.line, self.column = line, column
        self.expected_fix = expected_fix
        self.message = message
        self.language = language
        self.settings = settings if settings is not None else {}
        self.count = count

    def __repr__(self) -> str:
        return f"Invalid({self.code!r}, line={self.line}, column={self.column}, message={self.message!r})"


def _placed(model: SourceModel, e: Edit) -> Edit:
    line, col = model.position(e.start)
    end_line, end_col = model.position(e.end)
    return Edit(e.start, e.end, e.content, line, col, end_line, end_col)


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    languages: ClassVar[tuple[str, ...]]  # names from karpathy_lint.languages; each rule states its own
    fix_applicability: ClassVar[Applicability | None] = None  # "safe", "unsafe" or None
    reads_broken_files: ClassVar[bool] = False  # runs on a file that does not parse (only KL001 does)
    # runs after the other rules, on the suppression directives and what each hid (only KL002 does)
    reads_directives: ClassVar[bool] = False
    options: ClassVar[tuple[Option, ...]] = ()  # the settings this rule reads (karpathy_lint.rule.Option)
    VALID: ClassVar[list[Valid]] = []
    INVALID: ClassVar[list[Invalid]] = []

    def check(self, model: SourceModel, settings) -> Iterator[Finding]:  # pragma: no cover - abstract
        raise NotImplementedError

    def check_directives(self, model: SourceModel, suppressions, enabled: set[str],
                         all_codes: frozenset[str]) -> Iterator[Finding]:
        """For `reads_directives` rules: findings about the directives, once the others' findings are filtered."""
        return iter(())

    @classmethod
    def fixable(cls) -> bool:
        return cls.fix_applicability is not None

    def finding(self, model: SourceModel, start: int, end: int, message: str, *,
                fix: Fix | None = None, symbol: str = "") -> Finding:
        line, col = model.position(start)
        end_line, end_col = model.position(max(end, start))
        if fix is not None:
            fix = Fix(fix.applicability, tuple(_placed(model, e) for e in fix.edits), fix.message)
        return Finding(path=model.path, line=line, column=col, end_line=end_line, end_column=end_col,
                       code=self.code, name=self.name, message=message, fix=fix, symbol=symbol)

    def finding_at_line(self, model: SourceModel, line: int, message: str, *, fix: Fix | None = None,
                        symbol: str = "") -> Finding:
        line = max(1, min(line, len(model.line_starts)))
        start = model.line_start(line)
        text = model.line_text(line)
        text_start = start + (len(text.encode()) - len(text.lstrip().encode()))
        return self.finding(model, text_start, model.line_end(line), message, fix=fix, symbol=symbol)

    def make_fix(self, edits: list[Edit] | tuple[Edit, ...], message: str = "") -> Fix:
        assert self.fix_applicability is not None, f"{self.code} declares no fix applicability"
        return Fix(applicability=self.fix_applicability, edits=tuple(edits), message=message)
