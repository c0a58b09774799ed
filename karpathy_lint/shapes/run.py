"""Running the user's code under the tracer: a script (as `python SCRIPT`) or pytest.

Standard library only: `child.py` imports it inside the project's own
interpreter (`verify-shapes --python PATH`), where nothing else of ours is
installed.
"""
from __future__ import annotations

import os
import sys

from karpathy_lint.shapes.plugin import ENV  # the plugin module itself imports only the standard library


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


def _failure(target: str, exc: BaseException, interpreter_hint: bool = True) -> str | None:
    """One line for how the user's program ended, or None when it ended well (`sys.exit(0)`).

    `interpreter_hint`: a missing module suggests `--python` (scripts; notebooks run in-process only)."""
    if isinstance(exc, SystemExit):
        return None if exc.code in (None, 0) else f"{target} exited with status {exc.code}"
    if isinstance(exc, KeyboardInterrupt):
        return f"{target} was interrupted"
    if interpreter_hint and isinstance(exc, ModuleNotFoundError):  # the usual cause: the project's packages live in another interpreter
        return (f"{target}: {exc} (it ran with {sys.executable}; `--python PATH` or an active virtual "
                "environment runs it with the project's interpreter)")
    _print_user_traceback(exc)  # the user's program failed: their traceback, our one line
    first = str(exc).splitlines()[0] if str(exc) else ""
    return f"{target} raised {type(exc).__name__}" + (f": {first}" if first else "")


def run_script(target: str, args: list[str]) -> str | None:
    import runpy

    old_argv, old_path0 = sys.argv[:], list(sys.path)
    sys.argv = [target, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(target)))
    try:
        runpy.run_path(target, run_name="__main__")
    except BaseException as exc:
        return _failure(target, exc)
    finally:
        sys.argv = old_argv
        sys.path[:] = old_path0
    return None


def run_notebook(target: str, code: str, args: list[str]) -> str | None:
    """Run a notebook's code cells in order as one script: `code` is its virtual Python source (IPython
    syntax masked to no-ops), compiled under the notebook's own name so the tracer finds its sites."""
    import builtins
    import types

    old_argv, old_path0, old_main = sys.argv[:], list(sys.path), sys.modules.get("__main__")
    sys.argv = [target, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(target)))
    main = types.ModuleType("__main__")
    main.__dict__.update({"__file__": target, "__builtins__": builtins})
    sys.modules["__main__"] = main
    try:
        exec(compile(code, target, "exec", dont_inherit=True), main.__dict__)
    except BaseException as exc:
        return _failure(target, exc, interpreter_hint=False)
    finally:
        sys.argv = old_argv
        sys.path[:] = old_path0
        if old_main is not None:
            sys.modules["__main__"] = old_main
    return None


def run_pytest(target: str, args: list[str]) -> str | None:
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
