"""Hover on a finding: the rule's documentation, as `karpathy-lint rule CODE` prints it."""
from __future__ import annotations

from lsprotocol import types

from karpathy_lint.docs import render_rules
from karpathy_lint.registry import rule_by_key
from karpathy_lint.server.diagnostics import finding_range


def _contains(rng: types.Range, pos: types.Position) -> bool:
    key = (pos.line, pos.character)
    return (rng.start.line, rng.start.character) <= key <= (rng.end.line, rng.end.character)


def hover(snap, position: types.Position, capabilities) -> types.Hover | None:
    codes: list[str] = []
    for f in snap.findings:
        if f.code not in codes and _contains(finding_range(snap.index, f), position):
            codes.append(f.code)
    rules = [r for r in (rule_by_key(c) for c in codes) if r is not None]
    if not rules:
        return None
    text = "\n---\n\n".join(render_rules([r], "text") for r in rules)
    formats = getattr(getattr(getattr(capabilities, "text_document", None), "hover", None), "content_format", None)
    # the text output is Markdown already (a setext title, `##` headings, fenced examples)
    kind = types.MarkupKind.Markdown if (formats is None or types.MarkupKind.Markdown in formats) else types.MarkupKind.PlainText
    return types.Hover(contents=types.MarkupContent(kind=kind, value=text))
