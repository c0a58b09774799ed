"""Code actions: a quick fix per fixable finding, fix-all, suppress-on-this-line.

Every action is rebuilt from the document (uri, version, text) and the
diagnostic's code and range, never from `Diagnostic.data` alone (some
clients drop it), and only for diagnostics whose `source` is ours.
"""
from __future__ import annotations

from dataclasses import dataclass

from lsprotocol import types

from karpathy_lint.engine import lint_source
from karpathy_lint.model import Finding
from karpathy_lint.server import notebook_edits
from karpathy_lint.server.diagnostics import (
    SOURCE,
    finding_range,
    matching_findings,
    overlaps,
    to_diagnostic,
)
from karpathy_lint.server.edits import diff_edits, fix_edits, workspace_edit
from karpathy_lint.server.notebooks import NotebookView
from karpathy_lint.server.positions import TextIndex
from karpathy_lint.suppressions import DIRECTIVE

FIX_ALL = f"source.fixAll.{SOURCE}"
KINDS = [types.CodeActionKind.QuickFix, FIX_ALL]


@dataclass
class Snapshot:
    """One version of one document, linted."""

    uri: str
    version: int | None
    path: str
    index: TextIndex
    settings: object
    findings: list[Finding]
    notebook: NotebookView | None = None  # a notebook cell's snapshot: the notebook version it was linted in


def _wanted(only, kind: str) -> bool:
    """Whether `kind` is asked for by `context.only` (a kind matches itself and its sub-kinds)."""
    if not only:
        return True
    return any(kind == k or kind.startswith(f"{k}.") for k in only)


def code_actions(snap: Snapshot, params: types.CodeActionParams, capabilities, style) -> list[types.CodeAction]:
    only = params.context.only
    sent = [d for d in params.context.diagnostics if d.source == SOURCE]
    if sent:
        pairs = [(f, d) for d in sent for f in matching_findings(snap.index, snap.findings, d)]
    elif not params.context.diagnostics:
        # a client asking for a range without diagnostics: the findings there
        pairs = [(f, to_diagnostic(snap.index, f, style)) for f in snap.findings
                 if overlaps(finding_range(snap.index, f), params.range)]
    else:
        pairs = []  # only other tools' diagnostics: nothing of ours to offer
    preferred = _preferred_support(capabilities)
    actions: list[types.CodeAction] = []
    if _wanted(only, types.CodeActionKind.QuickFix):
        for f, d in pairs:
            if f.fix is not None and (action := _quick_fix(snap, f, d, preferred, capabilities)) is not None:
                actions.append(action)
        seen = set()
        for f, d in pairs:
            if (f.line, f.code) not in seen:
                seen.add((f.line, f.code))
                action = _suppress(snap, f, d, capabilities)
                if action is not None:
                    actions.append(action)
    if _wanted(only, FIX_ALL) and (only or any(f.fix and f.fix.applicability == "safe" for f, _ in pairs)):
        action = fix_all(snap, capabilities)
        if action is not None:
            actions.append(action)
    return actions


def _preferred_support(capabilities) -> bool:
    code_action = getattr(getattr(capabilities, "text_document", None), "code_action", None)
    return bool(getattr(code_action, "is_preferred_support", False))


def _quick_fix(snap: Snapshot, f: Finding, d: types.Diagnostic, preferred: bool,
               capabilities) -> types.CodeAction | None:
    assert f.fix is not None
    safe = f.fix.applicability == "safe"
    what = f.fix.message or f"fix {f.name}"
    title = f"{SOURCE}: {what} ({f.code})" + ("" if safe else " [unsafe fix: check the result]")
    if snap.notebook is not None:  # edits on the notebook's cells (possibly several), or no action
        edit = notebook_edits.fix_edit(snap.notebook, snap.settings, f.fix.edits, snap.index.encoding, capabilities)
        if edit is None:
            return None
    else:
        edit = workspace_edit(snap.uri, snap.version, fix_edits(snap.index, f.fix.edits), capabilities)
    return types.CodeAction(title=title, kind=types.CodeActionKind.QuickFix, diagnostics=[d], edit=edit,
                            is_preferred=True if (safe and preferred) else None)


def fix_all(snap: Snapshot, capabilities) -> types.CodeAction | None:
    """Every safe fix at once, as `--fix` applies them (re-linting between rounds)."""
    from karpathy_lint.fixer import fix_source

    if snap.notebook is not None:
        found = notebook_edits.fix_all_edit(snap.notebook, snap.path, snap.settings, snap.index.encoding, capabilities)
        if found is None:
            return None
        edit, applied = found
        return types.CodeAction(title=f"{SOURCE}: fix all safe fixes ({applied})", kind=FIX_ALL, edit=edit)
    fixed = fix_source(snap.path, snap.index.body, snap.settings, unsafe=False)
    if not fixed.applied or fixed.source == snap.index.body:
        return None
    edits = diff_edits(snap.index, fixed.source)
    return types.CodeAction(title=f"{SOURCE}: fix all safe fixes ({fixed.applied})", kind=FIX_ALL,
                            edit=workspace_edit(snap.uri, snap.version, edits, capabilities))


# -- suppress on this line -------------------------------------------------------------------------

def _line_bounds(body: bytes, line: int) -> tuple[int, int]:
    """Byte offsets of the start and the end (before its line ending) of a 1-based `\\n` line."""
    start = 0
    for _ in range(line - 1):
        nl = body.find(b"\n", start)
        if nl == -1:
            return len(body), len(body)
        start = nl + 1
    end = body.find(b"\n", start)
    end = len(body) if end == -1 else end
    if end > start and body[end - 1 : end] == b"\r":
        end -= 1
    return start, end


def suppress_edit(path: str, body: bytes, settings, f: Finding, relint=None) -> tuple[int, int, str] | None:
    """The edit that writes the documented directive for `f` on its line: (start, end, new text), or None.

    The directive goes into an existing `karpathy-lint: ignore[...]` on the line, or is appended as
    plain text (a header line, or a comment already on the line) or as a comment in the language's
    line-comment syntax: the first that, re-linted, hides the finding without breaking the file (so a
    line inside a string, where no directive can go, gets no action). `relint(new_body)` lints the
    changed body (default: as the file `path`; a notebook cell's relints its whole notebook).
    """
    from karpathy_lint.languages import language_for

    spec = language_for(path)
    start, end = _line_bounds(body, f.line)
    line = body[start:end].decode("utf-8", "surrogatepass")
    existing = DIRECTIVE.search(line)
    candidates = []
    if existing and existing.group("kind") == "ignore" and existing.group("codes") is not None:
        at = existing.end() - 1  # before "]"
        codes = existing.group("codes").strip()
        candidates.append(line[:at] + (", " if codes else "") + f.code + line[at:])
    else:
        directive = f"karpathy-lint: ignore[{f.code}]"
        stripped = line.rstrip()
        candidates.append(f"{stripped}  {directive}")
        if spec is not None:
            candidates.append(f"{stripped}  {spec.line_comment} {directive}")
    for candidate in candidates:
        new_body = body[:start] + candidate.encode("utf-8", "surrogatepass") + body[end:]
        result = relint(new_body) if relint is not None else lint_source(path, new_body, settings)
        if result.error or result.syntax_error:
            continue
        if not any(g.code == f.code and g.line == f.line and g.cell == f.cell for g in result.findings):
            return start, end, candidate
    return None


def _suppress(snap: Snapshot, f: Finding, d: types.Diagnostic, capabilities) -> types.CodeAction | None:
    relint = None
    if snap.notebook is not None:
        relint = notebook_edits.relint_with_cell(snap.notebook, snap.path, snap.settings, snap.uri)
    found = suppress_edit(snap.path, snap.index.body, snap.settings, f, relint)
    if found is None:
        return None
    start, end, text = found
    from karpathy_lint.model import Edit

    edits = fix_edits(snap.index, [Edit(start, end, text)])
    return types.CodeAction(title=f"{SOURCE}: suppress {f.code} on this line", kind=types.CodeActionKind.QuickFix,
                            diagnostics=[d], edit=workspace_edit(snap.uri, snap.version, edits, capabilities))
