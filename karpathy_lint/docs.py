"""Rule documentation: `karpathy-lint rule`, docs/rules.md and the README table."""
from __future__ import annotations

import inspect
import json


def rule_doc(rule) -> str:
    return inspect.cleandoc(rule.__doc__ or "")


def fix_label(rule) -> str:
    if not rule.fixable():
        return "no"
    return rule.fix_applicability or "no"


def render_rules(rules, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(
            [
                {"code": r.code, "name": r.name, "summary": r.summary, "fix": fix_label(r),
                 "languages": list(r.languages), "doc": rule_doc(r)}
                for r in rules
            ],
            indent=2,
        ) + "\n"
    if fmt == "markdown":
        parts = []
        for r in rules:
            body = rule_doc(r).replace("## ", "#### ")
            parts.append(f"### {r.code} `{r.name}`\n\n{r.summary}. Fix: {fix_label(r)}. "
                         f"Languages: {', '.join(r.languages)}.\n\n{body}\n")
        return "\n".join(parts)
    parts = []
    for r in rules:
        parts.append(f"{r.code} {r.name}\n{'=' * (len(r.code) + len(r.name) + 1)}\n{r.summary}. "
                     f"Fix: {fix_label(r)}. Languages: {', '.join(r.languages)}.\n\n{rule_doc(r)}\n")
    return "\n".join(parts)


def rule_table(rules) -> str:
    """The README's rule table (kept in sync by a test)."""
    rows = ["| Code | Name | What it checks | Fix |", "|---|---|---|---|",
            "| KL001 | `syntax-error` | The file does not parse | no |"]
    for r in rules:
        rows.append(f"| {r.code} | `{r.name}` | {r.summary} | {fix_label(r)} |")
    return "\n".join(rows) + "\n"
