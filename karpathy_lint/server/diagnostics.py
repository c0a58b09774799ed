"""Findings -> LSP diagnostics, and back (a diagnostic the editor sends is matched to a finding)."""
from __future__ import annotations

import os
from functools import lru_cache

from lsprotocol import types

from karpathy_lint.model import Finding
from karpathy_lint.server.positions import Position, TextIndex

SOURCE = "karpathy-lint"
PYPI_URL = "https://pypi.org/project/karpathy-lint/"
# findings about text that does nothing and can go: editors fade it
UNNECESSARY = {"KL201", "KL204", "KL302"}
_SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
    "hint": types.DiagnosticSeverity.Hint,
}


@lru_cache(maxsize=1)
def _rules_doc() -> str | None:
    """docs/rules.md of a source checkout (the generated rule documentation), when there is one."""
    import karpathy_lint

    here = os.path.dirname(os.path.dirname(os.path.abspath(karpathy_lint.__file__)))
    path = os.path.join(here, "docs", "rules.md")
    return path if os.path.isfile(path) else None


def rule_href(code: str, name: str) -> str:
    """Where the rule's documentation lives: the checkout's docs/rules.md heading, else the project page."""
    doc = _rules_doc()
    if doc is None:
        return PYPI_URL
    from pathlib import Path

    return f"{Path(doc).as_uri()}#{code.lower()}-{name}"


def lsp_position(p: Position) -> types.Position:
    return types.Position(line=p.line, character=p.character)


def finding_range(index: TextIndex, f: Finding) -> types.Range:
    start, end = index.finding_range(f.line, f.column, f.end_line, f.end_column)
    return types.Range(start=lsp_position(start), end=lsp_position(end))


class DiagnosticStyle:
    """What the client said it can show (tags, code links); nothing it cannot take is sent."""

    def __init__(self, capabilities: types.ClientCapabilities | None):
        publish = getattr(getattr(capabilities, "text_document", None), "publish_diagnostics", None)
        tag_support = getattr(publish, "tag_support", None)
        self.tags = bool(tag_support and types.DiagnosticTag.Unnecessary in (tag_support.value_set or []))
        self.code_links = bool(getattr(publish, "code_description_support", False))


def to_diagnostic(index: TextIndex, f: Finding, style: DiagnosticStyle) -> types.Diagnostic:
    return types.Diagnostic(
        range=finding_range(index, f),
        message=f.message,
        severity=_SEVERITY.get(f.severity, types.DiagnosticSeverity.Error),
        code=f.code,
        source=SOURCE,
        code_description=types.CodeDescription(href=rule_href(f.code, f.name)) if style.code_links and f.name else None,
        tags=[types.DiagnosticTag.Unnecessary] if style.tags and f.code in UNNECESSARY else None,
    )


def error_diagnostic(message: str) -> types.Diagnostic:
    """A file the engine could not check at all (not UTF-8, binary): one diagnostic at the top."""
    start = types.Position(line=0, character=0)
    return types.Diagnostic(range=types.Range(start=start, end=start), message=f"cannot check this file: {message}",
                            severity=types.DiagnosticSeverity.Error, source=SOURCE)


def matching_findings(index: TextIndex, findings: list[Finding], diagnostic: types.Diagnostic) -> list[Finding]:
    """The findings a diagnostic the client sent back stands for: same code, same range (ours only)."""
    if diagnostic.source != SOURCE:
        return []
    return [f for f in findings if f.code == diagnostic.code and finding_range(index, f) == diagnostic.range]


def overlaps(a: types.Range, b: types.Range) -> bool:
    def key(p: types.Position):
        return (p.line, p.character)

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)
