"""Linting documents off the event loop: a per-document debounce, newest version wins.

Each document (a notebook counts as one) has at most one pending timer. A change restarts it; when it
fires, the text of that version is linted on a worker thread (the engine and
config resolution, unchanged), and the result is published only if the
document still has that version. A lint whose version went stale before it
started is skipped; one that went stale while running is dropped.
"""
from __future__ import annotations

import asyncio
import dataclasses
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from karpathy_lint.config import ConfigError
from karpathy_lint.engine import lint_source
from karpathy_lint.languages import language_for
from karpathy_lint.server.actions import Snapshot
from karpathy_lint.server.diagnostics import (
    DiagnosticStyle,
    error_diagnostic,
    to_diagnostic,
)
from karpathy_lint.server.notebooks import CellDoc, NotebookView
from karpathy_lint.server.positions import TextIndex
from karpathy_lint.server.workspace_config import WorkspaceConfig


@dataclass
class Outcome:
    snapshot: Snapshot | None  # None: not ours to lint (not a file, unknown language, excluded, disabled)
    diagnostics: list
    config_error: ConfigError | None = None
    config_stamp: tuple = ()  # the config files as they were when this lint resolved its settings


def _settings(path: str, config: WorkspaceConfig):
    """(settings or None when the file is not ours: disabled or excluded, config error, config stamp)."""
    stamp = config.stamp(path)
    resolved = config.resolve(path)
    if not resolved.enabled:
        return None, resolved.error, stamp
    from karpathy_lint.discovery import is_excluded

    if is_excluded(path, resolved.resolver):
        return None, resolved.error, stamp
    return resolved.settings, resolved.error, stamp


def lint_document(doc_uri: str, version, text: str, path: str | None, encoding: str, config: WorkspaceConfig,
                  style: DiagnosticStyle) -> Outcome:
    """Lint one version of one document (runs on a worker thread)."""
    if path is None:
        return Outcome(None, [])
    spec = language_for(path)
    if spec is None or spec.name == "notebook":  # a notebook's positions are cells: see lint_notebook
        return Outcome(None, [])
    settings, error, stamp = _settings(path, config)
    if settings is None:
        return Outcome(None, [], error, stamp)
    index = TextIndex(text, encoding)
    result = lint_source(path, index.body, settings)
    if result.error and not result.findings:  # a syntax error with KL001 selected is that finding, at its line
        return Outcome(None, [error_diagnostic(result.error)], error, stamp)
    snap = Snapshot(doc_uri, version, path, index, settings, result.findings)
    return Outcome(snap, [to_diagnostic(index, f, style) for f in result.findings], error, stamp)


@dataclass
class NotebookOutcome:
    """One lint of one notebook version: per cell (in order) its snapshot and diagnostics."""

    cells: list[tuple[CellDoc, Snapshot | None, list]]
    config_error: ConfigError | None = None
    config_stamp: tuple = ()


def lint_notebook(view: NotebookView, encoding: str, config: WorkspaceConfig,
                  style: DiagnosticStyle) -> NotebookOutcome:
    """Lint one version of an open notebook as the command line lints the `.ipynb` (on a worker thread).

    Findings come back in cell coordinates (`Finding.cell`, 1-based, is the cell's place in the view);
    each is published on its cell's text document, converted through that cell's own text.
    """
    empty = NotebookOutcome([(c, None, []) for c in view.cells])
    if view.path is None or not view.cells:
        return empty
    settings, error, stamp = _settings(view.path, config)
    empty.config_error, empty.config_stamp = error, stamp
    if settings is None:
        return empty
    try:
        source = view.text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate escaped in the JSON-RPC text: said, never a crash
        empty.cells[0] = (view.cells[0], None, [error_diagnostic("a cell holds text that is not valid Unicode")])
        return empty
    result = lint_source(view.path, source, settings)
    by_cell: dict[int, list] = {}
    for f in result.findings:
        by_cell.setdefault(max((f.cell or 1) - 1, 0), []).append(f)
    out: list[tuple[CellDoc, Snapshot | None, list]] = []
    for i, cell in enumerate(view.cells):
        index = TextIndex(cell.text, encoding, strip_bom=False)
        findings = by_cell.get(i, [])
        diagnostics = [to_diagnostic(index, f, style) for f in findings]
        if i == 0 and result.error and not result.findings:
            diagnostics = [error_diagnostic(result.error)]  # nothing could be checked: said on the first cell
        out.append((cell, Snapshot(cell.uri, cell.version, view.path, index, settings, findings, view), diagnostics))
    return NotebookOutcome(out, error, stamp)


class Scheduler:
    def __init__(self, current, job, publish, delay: float):
        """`current(uri)` -> the open Document or None; `job(doc)` -> Outcome (on a worker);
        `publish(doc, outcome)` on the event loop for results that are still current."""
        self.current, self.job, self.publish = current, job, publish
        self.delay = delay
        self.pending: dict[str, asyncio.TimerHandle] = {}
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="karpathy-lint")

    def schedule(self, uri: str, delay: float | None = None) -> None:
        handle = self.pending.pop(uri, None)
        if handle is not None:
            handle.cancel()
        loop = asyncio.get_running_loop()
        self.pending[uri] = loop.call_later(self.delay if delay is None else delay,
                                            lambda: loop.create_task(self.run(uri)))

    def cancel(self, uri: str) -> None:
        handle = self.pending.pop(uri, None)
        if handle is not None:
            handle.cancel()

    async def run(self, uri: str):
        """Lint the document's current version now; publish unless it changed meanwhile. Returns the Outcome."""
        self.pending.pop(uri, None)
        doc = self.current(uri)
        if doc is None:
            return None
        version, text = doc.version, doc.text
        outcome = await asyncio.get_running_loop().run_in_executor(self.pool, self._job_if_current, uri, version, text)
        now = self.current(uri)
        if outcome is None or now is None or now.version != version or now.text != text:
            return None  # outdated: a newer version is scheduled or running
        self.publish(now, outcome)
        return outcome

    def _job_if_current(self, uri: str, version, text: str):
        doc = self.current(uri)
        if doc is None or doc.version != version or doc.text != text:
            return None  # stale before it started: skip the work
        return self.job(dataclasses.replace(doc, text=text))  # a copy: the event loop changes the original

    def shutdown(self) -> None:
        for handle in self.pending.values():
            handle.cancel()
        self.pending.clear()
        self.pool.shutdown(wait=False, cancel_futures=True)
