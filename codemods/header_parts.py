"""What a scaffolded header is made of, shared by every language's scaffold (text files in
`scaffold.py`, notebooks in `scaffold_notebook.py`): the result and error types, the skeleton's
lines and placeholders, the title, and the settings a merge runs with."""
from __future__ import annotations

import os
from dataclasses import dataclass

from karpathy_lint.languages import language_for

MERGE_CODES = ("KL202", "KL203", "KL206")
ROLE_PLACEHOLDER = ("TODO: say where this file sits in {project}: what calls it, what it computes "
                    "and what it hands on.")
DEEP_PLACEHOLDER = ("TODO: explain how it works step by step, why it was chosen, the trade-offs "
                    "and the numbers.")

class ScaffoldError(Exception):
    """A file that cannot be scaffolded safely: one line, the file is left untouched."""


@dataclass
class Result:
    """What scaffolding one file did: `new` is the whole file (equal to `old` when nothing changes)."""

    path: str
    action: str  # "created", "header added", "merged", "unchanged"
    old: bytes | None
    new: bytes

    @property
    def changed(self) -> bool:
        return self.old != self.new


# -- settings -----------------------------------------------------------------------------------


def merge_settings(settings):
    """The user's settings with only the safe Function List fixes selected."""
    return settings._replace(select=MERGE_CODES, extend_select=())


def default_title(path: str) -> str:
    if path in ("-", ""):
        return "Untitled"
    stem = os.path.basename(path)
    language = language_for(path)
    for suffix in language.suffixes if language is not None else ():
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    return stem.strip() or "Untitled"


# -- header text --------------------------------------------------------------------------------


def header_lines(title: str, settings, role: list[str] | None = None, free: list[str] | None = None) -> list[str]:
    """The skeleton as lines (no decoration); the Function List is left empty for KL202 to fill."""
    tag = settings.tag
    project = settings.project
    lines = [f"Module: {title}", ""]
    if free:
        lines += free + [""]
    lines += [f"<{tag}>", f"** This File's Role in {project} **"]
    lines += role if role is not None else [ROLE_PLACEHOLDER.format(project=project)]
    lines += ["", "** Function List **", "", "** Technical Deep Dive **", DEEP_PLACEHOLDER, f"</{tag}>"]
    return lines


def check_title(title: str) -> str:
    title = title.strip()
    if not title or "\n" in title or "\r" in title:
        raise ScaffoldError("--module needs a one-line, non-empty title")
    return title
