"""`karpathy-lint verify-shapes`: run a script (or pytest) and check every shape comment (codes: shapes/outcome.py)."""
from __future__ import annotations

import os
import sys

from karpathy_lint.exit_codes import ExitCode
from karpathy_lint.files import InputError
from karpathy_lint.report import FORMATS, Run, render
from karpathy_lint.shapes.interpreter import InterpreterError, project_interpreter, run_elsewhere
from karpathy_lint.shapes.outcome import Outcome, load_sites, notebook_model, python_files
from karpathy_lint.shapes.run import run_notebook, run_pytest, run_script
from karpathy_lint.shapes.sites import collect_sites
from karpathy_lint.shapes.tracer import Tracer


def _inside(path: str, root: str) -> bool:
    rel = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
    return rel == "." or not rel.startswith("..")


class _Refused(Exception):
    """A run that cannot start: the one-line reason, printed as `karpathy-lint: error: ...` with exit 2."""


def run_verify_shapes(target: str, args: list[str], *, fmt: str = "text", report_unverified: bool = False,
                      use_pytest: bool = False, include=(), record: str | None = None, python: str | None = None) -> int:
    """Run TARGET with tracing on; report and return the exit code (0 clean, 1 findings, 2 error).

    `python`: run TARGET with that interpreter (default: the active virtual environment's, when it is not ours).
    """
    include = list(include)
    try:
        interpreter = project_interpreter(python)
        _check_paths(target, use_pytest, include)
        notebook = None if use_pytest else _notebook(target, python)
    except (InterpreterError, _Refused) as exc:
        sys.stderr.write(f"karpathy-lint: error: {exc}\n")
        return ExitCode.ERROR
    if use_pytest:
        tree, scope_paths = ".", include  # which code the tests reach is not known ahead: the whole project
    else:
        tree, scope_paths = os.path.dirname(os.path.abspath(target)), [target, *include]
        if not _inside(tree, os.getcwd()):
            tree = os.path.abspath(target)  # a script outside the project: its own file only, not its whole folder
    files = python_files([tree, *include] + ([] if use_pytest or notebook else [target]))
    sites = load_sites(files)
    scope = {os.path.realpath(f) for f in python_files(p for p in scope_paths if notebook is None or p != target)}
    if notebook is not None:  # its code cells run here, in order, in this interpreter
        interpreter = None
        sites.extend(collect_sites(notebook))
        scope.add(os.path.realpath(target))
    machine = not FORMATS[fmt].human
    tracer, error = _run_target(interpreter, sites, target, args, use_pytest, machine,
                                notebook.text if notebook is not None else None)
    outcome = Outcome(sites, tracer, scope, report_unverified)
    if notebook is not None and notebook.cells is not None:  # virtual lines -> cell, line, column
        real = os.path.realpath(target)
        outcome.findings = sorted((notebook.cells.place(notebook, f) if os.path.realpath(f.path) == real else f
                                   for f in outcome.findings), key=lambda f: f.sort_key())
    return _report(outcome, tracer, error, fmt, machine, record)


def _check_paths(target: str, use_pytest: bool, include: list[str]) -> None:
    """Refuse a missing target, a folder without --pytest, or a missing --include path."""
    if not os.path.exists(target):
        raise _Refused(f"{target}: no such file or directory")
    if not use_pytest and not os.path.isfile(target):
        raise _Refused(f"{target}: not a file (use --pytest to run tests)")
    missing = [p for p in include if not os.path.exists(p)]
    if missing:
        raise _Refused(f"--include {missing[0]}: no such file or directory")


def _notebook(target: str, python: str | None):
    """The notebook's model when TARGET is a parsable `.ipynb` (run in this interpreter), else None."""
    if not target.lower().endswith(".ipynb"):
        return None
    if python is not None:
        raise _Refused(f"{target}: --python cannot run a notebook; run it without")
    try:
        notebook = notebook_model(target)
    except InputError as exc:
        raise _Refused(f"{target}: {exc}") from None
    if notebook.syntax_error is not None:
        raise _Refused(f"{target}: does not parse: {notebook.syntax_error.message}")
    return notebook


def _report(outcome: Outcome, tracer, error: str | None, fmt: str, machine: bool, record: str | None) -> int:
    """Print the findings and the checker's summary; write the --record file; return the exit code."""
    if record:
        import json

        with open(record, "w", encoding="utf-8") as fh:
            json.dump(outcome.as_dict(), fh, indent=1)
    run = Run(findings=outcome.findings, files_checked=len(outcome.files))
    # human formats: the checker's own summary line follows instead of the linter's
    render(fmt, run, sys.stdout, color=False, summary=False)
    (sys.stderr if machine else sys.stdout).write(outcome.summary() + "\n")
    sys.stdout.flush()
    if tracer.internal_errors:
        sys.stderr.write(f"karpathy-lint: warning: {tracer.internal_errors} shape checks failed inside the tracer\n")
    if error:
        sys.stderr.write(f"karpathy-lint: error: {error}\n")
        return ExitCode.ERROR
    return ExitCode.FINDINGS if outcome.findings else ExitCode.CLEAN


def _run_target(interpreter: str | None, sites, target: str, args: list[str], use_pytest: bool, machine: bool,
                notebook_code: str | None = None):
    """Run the target under the tracer, here or in `interpreter`; (tracer or its counts, error or None)."""
    saved_fd = None
    if machine:  # keep stdout clean for the report: the program's output goes to stderr
        sys.stdout.flush()
        saved_fd = os.dup(1)
        os.dup2(2, 1)
    tracer = Tracer(sites)
    error = None
    try:
        if interpreter is not None:
            return run_elsewhere(interpreter, sites, target, args, use_pytest)
        tracer.start()
        try:
            if use_pytest:
                error = run_pytest(target, args)
            elif notebook_code is not None:
                error = run_notebook(target, notebook_code, args)
            else:
                error = run_script(target, args)
        finally:
            tracer.stop()
    except InterpreterError as exc:
        error = str(exc)
    finally:
        if saved_fd is not None:
            sys.stdout.flush()
            os.dup2(saved_fd, 1)
            os.close(saved_fd)
    return tracer, error
