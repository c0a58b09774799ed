"""`--format sarif`: one SARIF 2.1.0 log for GitHub code scanning and editors.

The log holds one run: `tool.driver` lists every rule (id, name, short and
full description, help text from the rule's docs, default level), and each
finding is a result with `ruleId`/`ruleIndex`, a region (1-based lines;
columns count characters, so the run declares `columnKind:
unicodeCodePoints`; end columns are exclusive, as SARIF wants), a
`partialFingerprints` entry keyed like the baseline (path, rule, symbol and
the occurrence number among equal keys; no line number), and its fix as `fixes[].artifactChanges[].replacements`.
Paths are URIs relative to `%SRCROOT%`, the folder the linter ran in; a file
outside it gets an absolute `file:` URI. Files that could not be checked are
`toolExecutionNotifications` of the invocation.

A notebook finding names its cell: a line inside a cell is not a line of
the .ipynb file, so its physical location is the file without a region, a
`logicalLocations` entry names the cell (`cell 4`, kind `module`), the
message starts with `cell 4, line 6, col 5:`, and `properties` hold `cell`,
`cellId`, `line`, `column`, `endLine` and `endColumn`; its fix is not
expressed as SARIF replacements (those are regions of the file).
"""
from __future__ import annotations

import gc
import hashlib
import os
from pathlib import Path
from urllib.parse import quote

from karpathy_lint import __version__
from karpathy_lint.report import Run, cell_prefix
from karpathy_lint.report.json import write_document

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SARIF_VERSION = "2.1.0"
INFORMATION_URI = "https://pypi.org/project/karpathy-lint/"
SRCROOT = "%SRCROOT%"

_LEVELS = {"error": "error", "warning": "warning", "info": "note", "note": "note"}


def _level(severity: str) -> str:
    return _LEVELS.get(severity, "warning")


def _rule_descriptors() -> tuple[list[dict], dict[str, int]]:
    from karpathy_lint.docs import fix_label, rule_doc
    from karpathy_lint.registry import all_rules

    rules: list[dict] = []
    for r in all_rules():
        doc = rule_doc(r) or r.summary
        rules.append({
            "id": r.code, "name": r.name,
            "shortDescription": {"text": r.summary},
            "fullDescription": {"text": doc},
            "help": {"text": doc, "markdown": doc},
            "defaultConfiguration": {"level": "error"},
            "properties": {"fix": fix_label(r), "languages": list(r.languages)},
        })
    return rules, {d["id"]: i for i, d in enumerate(rules)}


def _location(path: str, cwd: str) -> dict:
    """An artifactLocation: relative to %SRCROOT% (`cwd`) when the file is under it."""
    if path == "-":
        return {"uri": "-"}
    absolute = os.path.normpath(os.path.join(cwd, path))
    rel = os.path.relpath(absolute, cwd)
    if rel == os.curdir or rel.startswith(os.pardir + os.sep) or rel == os.pardir or os.path.isabs(rel):
        return {"uri": Path(absolute).as_uri()}
    return {"uri": quote(rel.replace(os.sep, "/")), "uriBaseId": SRCROOT}


def _root_uri() -> str:
    uri = Path(os.getcwd()).as_uri()
    return uri if uri.endswith("/") else uri + "/"


def _region(line: int, column: int, end_line: int, end_column: int) -> dict:
    start_line = line if line > 1 else 1
    start_column = column if column > 1 else 1
    if not end_line or end_line < start_line:
        return {"startLine": start_line, "startColumn": start_column}
    end = end_column if end_column > 1 else 1
    if end_line == start_line and end < start_column:
        end = start_column
    return {"startLine": start_line, "startColumn": start_column, "endLine": end_line, "endColumn": end}


def _fixes(f, location: dict) -> list[dict]:
    if f.fix is None or not f.fix.edits or any(e.line < 1 for e in f.fix.edits):
        return []
    replacements = [
        {"deletedRegion": _region(e.line, e.column, e.end_line, e.end_column), "insertedContent": {"text": e.content}}
        for e in f.fix.edits
    ]
    description = f.fix.message or f"Fix {f.code}"
    return [{
        "description": {"text": f"{description} ({f.fix.applicability} fix)"},
        "artifactChanges": [{"artifactLocation": dict(location), "replacements": replacements}],
        "properties": {"applicability": f.fix.applicability},
    }]


def sarif_log(run: Run) -> dict:
    rules, index = _rule_descriptors()
    cwd = os.getcwd()
    results = _results(run.findings, rules, index, cwd)  # may append descriptors for codes outside the registry
    return _log(rules, results, run.errors, cwd)


def _results(findings, rules: list[dict], index: dict[str, int], cwd: str) -> list[dict]:
    """One SARIF result per finding, in order; a hot loop (thousands of findings), so lookups are hoisted."""
    levels: dict[str, str] = {}  # severity -> SARIF level, worked out once per severity
    results: list[dict] = []
    append = results.append
    seen: dict = {}
    sha256 = hashlib.sha256
    # per path, not per finding: findings come sorted by path, thousands to a file
    places: dict[str, tuple[dict, str]] = {}
    for f in findings:
        code = f.code
        place = places.get(f.path)
        if place is None:
            rel = os.path.relpath(os.path.normpath(os.path.join(cwd, f.path)), cwd).replace(os.sep, "/")
            place = places[f.path] = (_location(f.path, cwd), rel)
        location, rel_path = place
        rule_index = index.get(code)
        if rule_index is None:  # a code from outside the registry (e.g. verify-shapes)
            rule_index = index[code] = len(rules)
            rules.append({"id": code, "name": f.name, "shortDescription": {"text": f.name},
                          "defaultConfiguration": {"level": _level(f.severity)}})
        level = levels.get(f.severity)
        if level is None:
            level = levels[f.severity] = _level(f.severity)
        # the fingerprint: path, rule, symbol and the occurrence number among equal keys (no line number)
        key = (rel_path, code, f.symbol or "")
        n = seen[key] = seen.get(key, 0) + 1
        digest = sha256(f"{rel_path}\0{code}\0{key[2]}\0{n}".encode("utf-8", "surrogateescape")).hexdigest()[:32]
        physical: dict = {"artifactLocation": location}
        where: dict = {"physicalLocation": physical}
        if f.cell is None:
            physical["region"] = _region(f.line, f.column, f.end_line, f.end_column)
        else:  # a notebook: a line inside a cell is not a line of the file
            where["logicalLocations"] = [{"name": f"cell {f.cell}", "kind": "module"}]
        result: dict = {
            "ruleId": code,
            "ruleIndex": rule_index,
            "level": level,
            "message": {"text": f.message if f.cell is None else cell_prefix(f) + f.message},
            "locations": [where],
            "partialFingerprints": {"karpathyLint/v1": digest},
        }
        if f.cell is not None:
            props: dict[str, int | str] = {"cell": f.cell, "line": f.line, "column": f.column,
                                           "endLine": f.end_line, "endColumn": f.end_column}
            if f.cell_id is not None:
                props["cellId"] = f.cell_id
            result["properties"] = props
        elif f.fix is not None:
            fixes = _fixes(f, location)
            if fixes:
                result["fixes"] = fixes
        append(result)
    return results


def _log(rules: list[dict], results: list[dict], errors, cwd: str) -> dict:
    """The SARIF 2.1.0 envelope: one run, our driver with its rules, the invocation with any file errors."""
    notifications = [
        {"level": "error", "message": {"text": message}, "locations": [{"physicalLocation": {"artifactLocation": _location(path, cwd)}}]}
        for path, message in errors
    ]
    invocation: dict[str, object] = {"executionSuccessful": not errors}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return {
        "$schema": SCHEMA_URI,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {"driver": {
                "name": "karpathy-lint",
                "version": __version__,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }},
            "invocations": [invocation],
            "originalUriBaseIds": {SRCROOT: {"uri": _root_uri()}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }


def render_sarif(run: Run, stream, *, color: bool = False, summary: bool = True) -> None:
    # The log is tens of thousands of small acyclic dicts: with the collector on, each
    # generation-2 pass rescans every finding of the run too (about half the build time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        log = sarif_log(run)
    finally:
        if collecting:
            gc.enable()
    write_document(log, stream)  # one encoder call, one write
