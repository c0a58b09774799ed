"""Where shape comments are and what a run made of them: shared by `verify-shapes` and the pytest plugin.

Run-time findings have their own codes (not static rules, so not in the rule
registry; see docs/verify-shapes.md):

* KL601 shape-mismatch: the tensor has another number of dims or another size;
* KL602 shape-name-unbound: the name in the comment is not bound (or has no
  such attribute) after the annotated line;
* KL603 shape-not-verified: the annotated line never ran (only with
  `--report-unverified`; otherwise a count in the summary).
"""
from __future__ import annotations

import os
import re

from karpathy_lint.config import ConfigError, ConfigResolver
from karpathy_lint.discovery import discover
from karpathy_lint.engine import build_model
from karpathy_lint.files import InputError, decode, read_bytes, split_bom
from karpathy_lint.model import Finding
from karpathy_lint.shapes.sites import collect_sites

NAMES = {"KL601": "shape-mismatch", "KL602": "shape-name-unbound", "KL603": "shape-not-verified"}


def _display(path: str) -> str:
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def python_files(paths) -> list[str]:
    """Python files under `paths` (files or folders), with the checker's excludes; sorted, unique."""
    out = []
    for p in paths:
        if os.path.isfile(p):
            out.append(p)
        elif os.path.isdir(p):
            found = discover([p], ConfigResolver())
            out.extend(f for f in found.files if f.endswith(".py"))
    seen, unique = set(), []
    for f in out:
        real = os.path.realpath(f)
        if real not in seen:
            seen.add(real)
            unique.append(f)
    return unique


def notebook_model(target: str):
    """A notebook's virtual Python source (header docstring + code cells, IPython syntax masked) as a model."""
    _, body = split_bom(read_bytes(target))
    decode(body)
    return build_model(_display(target), body, ConfigResolver().for_path(target))
COMMON_HINT = re.compile(rb"#[^\n]*[(\[][^\n]*[,)\]]")  # a comment that may hold `(B, T, C)`


def load_sites(files) -> list:
    """Sites of every shape comment in `files` (files without one are skipped cheaply)."""
    resolver = ConfigResolver()
    sites = []
    for f in files:
        try:
            source = read_bytes(f)
            if b"shape" not in source and not COMMON_HINT.search(source):
                continue
            _, body = split_bom(source)
            decode(body)
            settings = resolver.for_path(f)
            model = build_model(_display(f), body, settings)
        except ConfigError:
            raise  # a broken config is the user's to fix: one line, exit 2 (as for `check`)
        except (InputError, OSError):
            continue
        sites.extend(collect_sites(model, settings.marker))
    return sites


class Outcome:
    """Figures and findings of one run."""

    def __init__(self, sites, tracer, scope: set[str], report_unverified: bool):
        ran_files = tracer.files_ran if tracer is not None else set()
        keep = [s for s in sites if os.path.realpath(s.path) in scope or os.path.realpath(s.path) in ran_files]
        self.shapes = [shp for s in keep for shp in s.shapes]
        self.files = sorted({os.path.realpath(s.path) for s in keep})
        self.total = len(self.shapes)
        self.never = sum(1 for s in self.shapes if s.runs == 0)
        self.bad = sum(1 for s in self.shapes if s.problems)
        self.verified = self.total - self.never - self.bad
        self.findings = []
        for s in self.shapes:
            if s.problems:
                msg = s.message + (f" (and {s.problems - 1} more time{'s' if s.problems > 2 else ''})"
                                   if s.problems > 1 else "")
                code = s.code
            elif s.runs == 0 and report_unverified:
                msg, code = f"{s.text}: the annotated line never ran", "KL603"
            else:
                continue
            self.findings.append(Finding(path=s.path, line=s.line, column=s.column, end_line=s.end_line,
                                         end_column=s.end_column, code=code, name=NAMES[code], message=msg))
        self.findings.sort(key=Finding.sort_key)

    def summary(self) -> str:
        k = len(self.files)
        return (f"verified {self.verified} of {self.total} shape comment{'s' if self.total != 1 else ''} in {k} "
                f"file{'s' if k != 1 else ''} ({self.never} never ran); {self.bad} mismatch"
                f"{'es' if self.bad != 1 else ''}")

    def as_dict(self) -> dict:
        """Per shape statement, for tests and CI: path, line, text, runs, problems."""
        return {"total": self.total, "verified": self.verified, "never_ran": self.never, "mismatches": self.bad,
                "shapes": [{"path": s.path, "line": s.line, "text": s.text, "runs": s.runs, "problems": s.problems,
                            "message": s.message} for s in self.shapes]}


