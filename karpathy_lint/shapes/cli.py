"""`karpathy-lint verify-shapes`: run a script (or pytest) and check every shape comment (codes: shapes/outcome.py)."""
from __future__ import annotations

import os
import sys

from karpathy_lint.exit_codes import ExitCode
from karpathy_lint.files import InputError
from karpathy_lint.report import FORMATS, Run, render
from karpathy_lint.shapes.outcome import (
    Outcome,
    load_sites,
    notebook_model,
    python_files,
)
from karpathy_lint.shapes.plugin import ENV
from karpathy_lint.shapes.sites import collect_sites
from karpathy_lint.shapes.tracer import Tracer


def _inside(path: str, root: str) -> bool:
    rel = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
    return rel == "." or not rel.startswith("..")


def _our_frame(filename: str) -> bool:
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # karpathy_lint/
    f = os.path.abspath(filename)
    return f.startswith(here + os.sep) or os.path.basename(f) == "runpy.py"


def _print_user_traceback(exc: BaseException) -> None:
    import traceback

    te = traceback.TracebackException.from_exception(exc)
    stack = list(te.stack)
    while stack and _our_frame(stack[0].filename):
        stack.pop(0)
    te.stack = traceback.StackSummary.from_list(stack)
    sys.stderr.write("".join(te.format()))


def _run_script(target: str, args: list[str]) -> str | None:
    import runpy

    old_argv, old_path0 = sys.argv[:], list(sys.path)
    sys.argv = [target, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(target)))
    try:
        runpy.run_path(target, run_name="__main__")
    except SystemExit as exc:
        if exc.code not in (None, 0):
            return f"{target} exited with status {exc.code}"
    except KeyboardInterrupt:
        return f"{target} was interrupted"
    except BaseException as exc:  # the user's program failed: their traceback, our one line
        _print_user_traceback(exc)
        first = str(exc).splitlines()[0] if str(exc) else ""
        return f"{target} raised {type(exc).__name__}" + (f": {first}" if first else "")
    finally:
        sys.argv = old_argv
        sys.path[:] = old_path0
    return None


def _run_notebook(target: str, model, args: list[str]) -> str | None:
    """Run a notebook's code cells in order, as one script (IPython syntax masked to no-ops)."""
    import builtins

    if model.syntax_error is not None:
        return f"{target} does not parse: {model.syntax_error.message}"
    old_argv, old_path0, old_main = sys.argv[:], list(sys.path), sys.modules.get("__main__")
    sys.argv = [target, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(target)))
    import types

    main = types.ModuleType("__main__")
    main.__dict__.update({"__file__": target, "__builtins__": builtins})
    sys.modules["__main__"] = main
    try:
        exec(compile(model.text, model.path, "exec", dont_inherit=True), main.__dict__)
    except SystemExit as exc:
        if exc.code not in (None, 0):
            return f"{target} exited with status {exc.code}"
    except KeyboardInterrupt:
        return f"{target} was interrupted"
    except BaseException as exc:  # the user's program failed: their traceback, our one line
        _print_user_traceback(exc)
        first = str(exc).splitlines()[0] if str(exc) else ""
        return f"{target} raised {type(exc).__name__}" + (f": {first}" if first else "")
    finally:
        sys.argv = old_argv
        sys.path[:] = old_path0
        if old_main is not None:
            sys.modules["__main__"] = old_main
    return None


def _run_pytest(target: str, args: list[str]) -> str | None:
    try:
        import pytest
    except ImportError:
        return "--pytest needs pytest installed"
    saved = os.environ.pop(ENV, None)  # the plugin must not start a second tracer over ours
    try:
        rc = int(pytest.main([target, *args]))
    finally:
        if saved is not None:
            os.environ[ENV] = saved
    if rc in (0, 5):  # 5: no tests collected
        return None
    return f"pytest exited with status {rc}" + (" (tests failed)" if rc == 1 else "")


def run_verify_shapes(target: str, args: list[str], *, fmt: str = "text", report_unverified: bool = False,
                      use_pytest: bool = False, include=(), record: str | None = None) -> int:
    """Run TARGET with tracing on; report and return the exit code (0 clean, 1 findings, 2 error)."""
    if not os.path.exists(target):
        sys.stderr.write(f"karpathy-lint: error: {target}: no such file or directory\n")
        return ExitCode.ERROR
    if not use_pytest and not os.path.isfile(target):
        sys.stderr.write(f"karpathy-lint: error: {target}: not a file (use --pytest to run tests)\n")
        return ExitCode.ERROR
    include = list(include)
    missing = [p for p in include if not os.path.exists(p)]
    if missing:
        sys.stderr.write(f"karpathy-lint: error: --include {missing[0]}: no such file or directory\n")
        return ExitCode.ERROR
    if use_pytest:
        tree, scope_paths = ".", include  # which code the tests reach is not known ahead: the whole project
    else:
        tree, scope_paths = os.path.dirname(os.path.abspath(target)), [target, *include]
        if not _inside(tree, os.getcwd()):
            tree = os.path.abspath(target)  # a script outside the project: its own file only, not its whole folder
    notebook = None
    if not use_pytest and target.lower().endswith(".ipynb"):
        try:
            notebook = notebook_model(target)
        except InputError as exc:
            sys.stderr.write(f"karpathy-lint: error: {target}: {exc}\n")
            return ExitCode.ERROR
    files = python_files([tree, *include] + ([] if use_pytest or notebook else [target]))
    sites = load_sites(files)
    scope = {os.path.realpath(f) for f in python_files(p for p in scope_paths if p != target or not notebook)}
    if notebook is not None:
        sites.extend(collect_sites(notebook))
        scope.add(os.path.realpath(target))
    tracer = Tracer(sites)

    machine = not FORMATS[fmt].human
    saved_fd = None
    if machine:  # keep stdout clean for the report: the program's output goes to stderr
        sys.stdout.flush()
        saved_fd = os.dup(1)
        os.dup2(2, 1)
    error = None
    try:
        tracer.start()
        try:
            if use_pytest:
                error = _run_pytest(target, args)
            elif notebook is not None:
                error = _run_notebook(target, notebook, args)
            else:
                error = _run_script(target, args)
        finally:
            tracer.stop()
    finally:
        if saved_fd is not None:
            sys.stdout.flush()
            os.dup2(saved_fd, 1)
            os.close(saved_fd)

    outcome = Outcome(sites, tracer, scope, report_unverified)
    if notebook is not None and notebook.cells is not None:  # virtual lines -> cell, line, column
        real = os.path.realpath(target)
        outcome.findings = sorted((notebook.cells.place(notebook, f) if os.path.realpath(f.path) == real else f
                                   for f in outcome.findings), key=lambda f: f.sort_key())
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
