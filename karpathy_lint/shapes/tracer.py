"""Run-time checking of shape comments.

Only frames whose code object holds an annotated line (or whose function is
annotated on its `def` line) are traced:

* Python 3.10/3.11: `sys.settrace` (and `threading.settrace`); the global
  trace function looks the frame's code object up once and returns None for
  every other frame, so they run without line events;
* Python 3.12+: `sys.monitoring`; PY_START is the only global event, it
  returns DISABLE for unrelated code (so it fires once per code object) and
  turns on LINE/PY_RETURN/PY_YIELD with `set_local_events` for the relevant
  ones only.

Standard library only: the pytest plugin imports this lazily.
"""
from __future__ import annotations

import ast
import dataclasses
import os
import re
import sys
import threading
from fractions import Fraction

IDENT = re.compile(r"[A-Za-z_]\w*")
NO_TRACE = frozenset({"<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>", "<lambda>"})
CONFIG_NAMES = ("config", "cfg")
_MISSING = object()


class _Unbound(Exception):
    pass


# -- dims ---------------------------------------------------------------------------------------------------------
_EXPR_CACHE: dict[str, ast.AST | None] = {}


def _expr(text: str):
    node = _EXPR_CACHE.get(text, _MISSING)
    if node is _MISSING:
        try:
            node = ast.parse(text.strip(), mode="eval").body
        except SyntaxError:
            node = None
        _EXPR_CACHE[text] = node
    return node


class _Unknown(Exception):
    pass


def _eval(node, lookup):
    """Exact arithmetic over ints and bound identifiers; raises _Unknown for an unbound name."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return Fraction(node.value)
    if isinstance(node, ast.Name):
        v = lookup(node.id)
        if v is None:
            raise _Unknown(node.id)
        return Fraction(v)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = _eval(node.operand, lookup)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp):
        a, b = _eval(node.left, lookup), _eval(node.right, lookup)
        op = node.op
        if isinstance(op, ast.Add):
            return a + b
        if isinstance(op, ast.Sub):
            return a - b
        if isinstance(op, ast.Mult):
            return a * b
        if isinstance(op, (ast.Div, ast.FloorDiv)):
            if b == 0:
                raise ZeroDivisionError
            return a / b if isinstance(op, ast.Div) else Fraction(a // b)
        if isinstance(op, ast.Pow) and b.denominator == 1 and 0 <= b <= 64:
            return a ** int(b)
    raise ValueError("not a dim expression")


def _fmt_shape(got: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(d) for d in got) + ("," if len(got) == 1 else "") + ")"


# -- one traced call --------------------------------------------------------------------------------------------------
class FrameState:
    """Per call of a traced function: the symbolic dims bound so far and the statement waiting to finish."""

    __slots__ = ("tracer", "info", "env", "pending", "deferred")

    def __init__(self, tracer: Tracer, info: _CodeInfo):
        self.tracer = tracer
        self.info = info
        self.env: dict[str, tuple[int, int]] = {}  # dim name -> (size, line of the comment that bound it)
        self.pending = None
        self.deferred: list = []  # (expr text, size, shape stmt, got)

    # settrace local trace function
    def trace(self, frame, event, arg):
        if event == "line":
            self.on_line(frame, frame.f_lineno)
        elif event == "return":
            self.on_return(frame, arg)
        elif event == "exception":
            self.pending = None
        return self.trace

    def on_line(self, frame, line: int) -> None:
        p = self.pending
        if p is not None:
            if p.lo <= line <= p.hi:
                return
            self.pending = None
            self.check(p, frame, _MISSING)
        site = self.info.lines.get(line)
        if site is not None:
            self.pending = site

    def on_return(self, frame, retval) -> None:
        p = self.pending
        if p is not None:
            self.pending = None
            self.check(p, frame, retval)
        if self.deferred:
            self._run_deferred(frame, final=True)

    # -- checking ---------------------------------------------------------------------------------------------------
    def check(self, site, frame, retval) -> None:
        try:
            loc = frame.f_locals
            for shp in site.shapes:
                shp.runs += 1
                self._check_one(shp, site, frame, loc, retval)
            if self.deferred:
                self._run_deferred(frame, final=False)
        except Exception:  # pragma: no cover - never let our bug break the user's program
            self.tracer.internal_errors += 1

    def _check_one(self, shp, site, frame, loc, retval) -> None:
        try:
            obj = self._resolve(shp.name, frame, loc, site, retval)
        except _Unbound as exc:
            self.tracer.problem(shp, "KL602", f"{shp.text}: {exc}")
            return
        shape = getattr(obj, "shape", None)
        if shape is None:
            self.tracer.problem(shp, "KL601", f"{shp.text}: got {type(obj).__name__}, which has no .shape")
            return
        try:
            got = tuple(int(d) for d in shape)
        except (TypeError, ValueError):
            return  # symbolic sizes (tracing frameworks): nothing to compare
        reason = self._match(shp, got, frame, loc)
        if reason:
            self.tracer.problem(shp, "KL601", f"{shp.text}: got {_fmt_shape(got)}: {reason}")

    def _resolve(self, name, frame, loc, site, retval):
        parts = name.split(".")
        root = parts[0]
        if root in loc:
            obj = loc[root]
        elif root in frame.f_globals:
            obj = frame.f_globals[root]
        elif site.is_return and retval is not _MISSING and len(parts) == 1:
            return retval  # `# x shape [..]` above `return <expr>`: the value returned
        else:
            raise _Unbound(f"`{root}` is not bound after line {site.lo}")
        for i, p in enumerate(parts[1:], start=1):
            try:
                obj = getattr(obj, p)
            except Exception:
                raise _Unbound(f"`{'.'.join(parts[:i])}` has no attribute `{p}`") from None
        return obj

    def _configs(self, loc):
        out = []
        for n in CONFIG_NAMES:
            v = loc.get(n)
            if v is not None:
                out.append((n, v))
        me = loc.get("self")
        if me is not None:
            for n in CONFIG_NAMES:
                try:
                    v = getattr(me, n, None)
                except Exception:
                    v = None
                if v is not None:
                    out.append((f"self.{n}", v))
        for k, v in loc.items():
            if k not in CONFIG_NAMES and dataclasses.is_dataclass(v) and not isinstance(v, type):
                out.append((k, v))
        return out

    def _config_value(self, name, configs):
        for label, obj in configs:
            try:
                v = getattr(obj, name, None)
            except Exception:
                continue
            if isinstance(v, int) and not isinstance(v, bool):
                return label, v
        return None

    def _match(self, shp, got, frame, loc):
        dims = shp.dims
        if dims.count("...") > 1:
            return None
        if "..." in dims:
            i = dims.index("...")
            head, tail = dims[:i], dims[i + 1:]
            if len(got) < len(head) + len(tail):
                return f"{len(got)} dims, the comment needs at least {len(head) + len(tail)}"
            pairs = list(zip(head, got[: len(head)])) + list(zip(tail, got[len(got) - len(tail):]))
        else:
            if len(got) != len(dims):
                return f"{len(got)} dims, the comment says {len(dims)}"
            pairs = list(zip(dims, got))
        configs = None
        exprs = []
        for d, n in pairs:
            if d.isdigit():
                if int(d) != n:
                    return f"a dim is {n}, the comment says {d}"
            elif IDENT.fullmatch(d):
                bound = self.env.get(d)
                if bound is not None:
                    if bound[0] != n:
                        return f"`{d}` is {n} here but {bound[0]} at line {bound[1]} in this call"
                    continue
                if configs is None:
                    configs = self._configs(loc)
                c = self._config_value(d, configs)
                if c is not None and c[1] != n:
                    return f"`{d}` is {n} here but {c[0]}.{d} is {c[1]}"
                self.env[d] = (n, shp.line)
            else:
                exprs.append((d, n))
        for d, n in exprs:
            if configs is None:
                configs = self._configs(loc)
            r = self._eval_dim(d, n, configs)
            if r is _MISSING:
                self.deferred.append((d, n, shp, got))
            elif r:
                return r
        return None

    def _eval_dim(self, d, n, configs):
        """None: matches; a message: mismatch; _MISSING: an identifier is not bound yet."""
        node = _expr(d)
        if node is None:
            return None

        def lookup(name):
            b = self.env.get(name)
            if b is not None:
                return b[0]
            c = self._config_value(name, configs)
            return c[1] if c is not None else None

        try:
            v = _eval(node, lookup)
        except _Unknown:
            return _MISSING
        except (ValueError, ZeroDivisionError, OverflowError):
            return None
        if v.denominator != 1:
            return f"`{d}` is not a whole number ({float(v):g}); the dim is {n}"
        if int(v) != n:
            return f"`{d}` is {int(v)} but the dim is {n}"
        return None

    def _run_deferred(self, frame, final: bool) -> None:
        try:
            configs = self._configs(frame.f_locals)
        except Exception:  # pragma: no cover
            return
        still = []
        for d, n, shp, got in self.deferred:
            r = self._eval_dim(d, n, configs)
            if r is _MISSING:
                if not final:
                    still.append((d, n, shp, got))
            elif r:
                self.tracer.problem(shp, "KL601", f"{shp.text}: got {_fmt_shape(got)}: {r}")
        self.deferred = still


class _CodeInfo:
    __slots__ = ("lines", "call")

    def __init__(self, lines, call):
        self.lines = lines  # line -> Site, every line of each annotated statement's span
        self.call = call  # Site checked when the function starts, or None


# -- the tracer -------------------------------------------------------------------------------------------------------
class Tracer:
    """Collects results into the ShapeStmt objects of the sites it was given."""

    def __init__(self, sites):
        self.by_file: dict[str, list] = {}
        for s in sites:
            self.by_file.setdefault(os.path.realpath(s.path), []).append(s)
        self.files_ran: set[str] = set()  # realpaths of tracked files whose code ran
        self.internal_errors = 0
        self._names: dict[str, str | None] = {}
        self._codes: dict[int, tuple] = {}
        self._tool = None
        self._states: dict[int, tuple] = {}
        self.active = False
        self._shapes = [shp for s in sites for shp in s.shapes]
        self._child_dir: str | None = None
        self._child_base = None  # in a forked child: (runs, problems) of every shape at the fork
        self._at_fork_registered = False

    # bookkeeping
    def problem(self, shp, code: str, message: str) -> None:
        shp.problems += 1
        if shp.message is None:
            shp.message, shp.code = message, code

    def _file(self, filename: str):
        f = self._names.get(filename, _MISSING)
        if f is _MISSING:
            real = os.path.realpath(filename) if filename and not filename.startswith("<") else None
            f = real if real in self.by_file else None
            self._names[filename] = f
        return f

    def _info(self, code):
        entry = self._codes.get(id(code))
        if entry is not None and entry[0] is code:
            return entry[1]
        info = None
        path = self._file(code.co_filename)
        if path is not None:
            self.files_ran.add(path)
            if code.co_name not in NO_TRACE:
                lines_of = {ln for _, _, ln in code.co_lines() if ln is not None}
                lines = {}
                call = None
                for s in self.by_file[path]:
                    if s.kind == "stmt" and any(ln in lines_of for ln in range(s.lo, s.hi + 1)):
                        for ln in range(s.lo, s.hi + 1):
                            lines[ln] = s
                    elif s.kind == "call" and s.func == (code.co_name, code.co_firstlineno):
                        call = s
                if lines or call is not None:
                    info = _CodeInfo(lines, call)
        self._codes[id(code)] = (code, info)
        return info

    # -- 3.10 / 3.11: settrace -------------------------------------------------------------------------------------
    def _global(self, frame, event, arg):
        info = self._info(frame.f_code)
        if info is None:
            return None
        old = frame.f_trace
        st = getattr(old, "__self__", None)
        if isinstance(st, FrameState) and st.tracer is self:
            return old  # a generator resuming: keep its state
        st = FrameState(self, info)
        if info.call is not None:
            st.check(info.call, frame, _MISSING)
        return st.trace

    # -- 3.12+: sys.monitoring ------------------------------------------------------------------------------------
    def _mon_start(self, code, offset):
        info = self._info(code)
        M = sys.monitoring  # type: ignore[attr-defined]  # 3.12+ only; started only there
        if info is None:
            return M.DISABLE
        E = M.events
        if M.get_local_events(self._tool, code) == 0:
            M.set_local_events(self._tool, code, E.LINE | E.PY_RETURN | E.PY_YIELD)
        frame = sys._getframe(1)
        st = FrameState(self, info)
        self._states[id(frame)] = (frame, st)
        if info.call is not None:
            st.check(info.call, frame, _MISSING)
        return None

    def _mon_state(self, code, frame):
        entry = self._states.get(id(frame))
        if entry is not None and entry[0] is frame:
            return entry[1]
        info = self._info(code)
        if info is None:
            return None
        st = FrameState(self, info)
        self._states[id(frame)] = (frame, st)
        return st

    def _mon_line(self, code, line):
        frame = sys._getframe(1)
        st = self._mon_state(code, frame)
        if st is not None:
            st.on_line(frame, line)

    def _mon_return(self, code, offset, retval):
        frame = sys._getframe(1)
        st = self._mon_state(code, frame)
        if st is not None:
            st.on_return(frame, retval)
            self._states.pop(id(frame), None)

    def _mon_yield(self, code, offset, retval):
        frame = sys._getframe(1)
        st = self._mon_state(code, frame)
        if st is not None and st.pending is not None:
            p, st.pending = st.pending, None
            st.check(p, frame, _MISSING)

    def _mon_raise(self, code, offset, exc):
        entry = self._states.get(id(sys._getframe(1)))
        if entry is not None:
            entry[1].pending = None

    def _mon_unwind(self, code, offset, exc):
        self._states.pop(id(sys._getframe(1)), None)

    # -- forked children (multiprocessing "fork"): they trace too and hand their counts back through a file --------
    def _in_child(self) -> None:
        if not self.active or self._child_dir is None:
            return
        self._child_base = [(s.runs, s.problems) for s in self._shapes]
        import atexit

        atexit.register(self._dump_child)
        try:  # multiprocessing children leave through os._exit after running its finalizers, not atexit;
            # its bootstrap clears the finalizers registered before, then runs the after-fork hooks
            from multiprocessing import util

            util.register_after_fork(self, Tracer._register_finalizer)
        except Exception:  # pragma: no cover
            pass

    @staticmethod
    def _register_finalizer(tracer) -> None:
        from multiprocessing import util

        util.Finalize(None, tracer._dump_child, exitpriority=-1000)

    def _dump_child(self) -> None:
        base, self._child_base = self._child_base, None
        if base is None or self._child_dir is None:
            return
        import json

        rows = []
        for i, (s, (runs, problems)) in enumerate(zip(self._shapes, base)):
            if s.runs != runs or s.problems != problems:
                rows.append([i, s.runs - runs, s.problems - problems, s.message, s.code])
        data = {"rows": rows, "files": sorted(self.files_ran)}
        try:
            with open(os.path.join(self._child_dir, f"{os.getpid()}.json"), "w", encoding="utf-8") as fh:
                json.dump(data, fh)
        except OSError:  # pragma: no cover
            pass

    def _merge_children(self) -> None:
        import json
        import shutil

        d, self._child_dir = self._child_dir, None
        if d is None:
            return
        try:
            names = sorted(os.listdir(d))
        except OSError:  # pragma: no cover
            names = []
        for name in names:
            try:
                with open(os.path.join(d, name), encoding="utf-8") as fh:
                    data = json.load(fh)
            except (OSError, ValueError):
                continue
            for i, runs, problems, message, code in data.get("rows", ()):
                if 0 <= i < len(self._shapes):
                    s = self._shapes[i]
                    s.runs += runs
                    s.problems += problems
                    if s.message is None and message:
                        s.message, s.code = message, code
            self.files_ran.update(data.get("files", ()))
        shutil.rmtree(d, ignore_errors=True)

    # -- on / off ---------------------------------------------------------------------------------------------------
    def start(self) -> None:
        if self.active:
            return
        self.active = True
        if hasattr(os, "register_at_fork"):
            import tempfile

            self._child_dir = tempfile.mkdtemp(prefix="karpathy-lint-shapes-")
            if not self._at_fork_registered:
                os.register_at_fork(after_in_child=self._in_child)
                self._at_fork_registered = True
        if sys.version_info >= (3, 12):
            M = sys.monitoring
            E = M.events
            for tool in (M.DEBUGGER_ID, 3, 4, 5, M.PROFILER_ID, M.COVERAGE_ID):
                if M.get_tool(tool) is None:
                    M.use_tool_id(tool, "karpathy-lint verify-shapes")
                    self._tool = tool
                    break
            else:
                raise RuntimeError("no free sys.monitoring tool id")
            t = self._tool
            M.register_callback(t, E.PY_START, self._mon_start)
            M.register_callback(t, E.LINE, self._mon_line)
            M.register_callback(t, E.PY_RETURN, self._mon_return)
            M.register_callback(t, E.PY_YIELD, self._mon_yield)
            M.register_callback(t, E.RAISE, self._mon_raise)
            M.register_callback(t, E.PY_UNWIND, self._mon_unwind)
            M.set_events(t, E.PY_START | E.RAISE | E.PY_UNWIND)
        else:
            threading.settrace(self._global)
            sys.settrace(self._global)

    def stop(self) -> None:
        if not self.active:
            return
        self.active = False
        if sys.version_info >= (3, 12):
            M = sys.monitoring
            t = self._tool
            M.set_events(t, 0)
            for code, info in self._codes.values():
                if info is not None:
                    M.set_local_events(t, code, 0)
            for ev in (M.events.PY_START, M.events.LINE, M.events.PY_RETURN, M.events.PY_YIELD, M.events.RAISE,
                       M.events.PY_UNWIND):
                M.register_callback(t, ev, None)
            M.free_tool_id(t)
            self._tool = None
            self._states.clear()
        else:
            sys.settrace(None)
            threading.settrace(None)
        self._merge_children()
