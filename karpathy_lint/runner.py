"""`karpathy-lint check`: discover -> lint (cache, workers) -> fix -> report."""
from __future__ import annotations

import dataclasses
import os
import sys
from dataclasses import dataclass, field

from karpathy_lint.engine import FileResult
from karpathy_lint.exit_codes import ExitCode


@dataclass
class CheckOptions:
    paths: list[str] = field(default_factory=lambda: ["."])
    select: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fmt: str = "text"
    config_file: str | None = None
    isolated: bool = False
    fix: bool = False
    unsafe_fixes: bool = False
    diff: bool = False
    exit_zero: bool = False
    quiet: bool = False
    use_cache: bool = True
    cache_dir: str | None = None
    jobs: int = 0
    force_exclude: bool = False
    stdin_filename: str | None = None
    statistics: bool = False
    output_file: str | None = None
    show_settings: bool = False
    baseline: str | None = None
    write_baseline: bool = False
    report_to_stderr: bool = False  # set for `- --fix`: stdout holds the fixed source


def _adjuster(options: CheckOptions):
    def adjust(settings):
        changes = {}
        if options.select:
            changes["select"] = options.select
        if options.extend_select:
            changes["extend_select"] = tuple(settings.extend_select) + options.extend_select
        if options.ignore:
            changes["ignore"] = tuple(settings.ignore) + options.ignore
        return dataclasses.replace(settings, **changes) if changes else settings

    return adjust


# -- linting, serially or over worker processes -------------------------------------------


def _check_one(task):
    """(path, settings, cache root or None) -> cache-format payload: look up, else lint (and store)."""
    path, settings, root = task
    from karpathy_lint import cache
    from karpathy_lint.files import InputError, read_bytes

    if root is not None:
        try:
            source = read_bytes(path)
        except InputError as exc:
            return cache.to_json([], str(exc), False)
        hit = _load_raw(root, cache.key_for(path, source, settings.fingerprint()))
        if hit is not None:
            return hit
    return _lint_one(path, settings, root)


def _lint_one(path: str, settings, root: str | None) -> dict:
    """Read, lint, store: the work for one cache miss (in a worker, or in-process)."""
    from karpathy_lint import cache
    from karpathy_lint.engine import lint_source
    from karpathy_lint.files import InputError, read_bytes

    try:
        source = read_bytes(path)
    except InputError as exc:
        return cache.to_json([], str(exc), False)
    result = lint_source(path, source, settings)
    payload = cache.to_json(result.findings, result.error, result.syntax_error)
    if root is not None and result.error is None:
        # keyed by the bytes linted here, so a file edited since the parent's lookup is never mis-keyed
        cache.store(root, cache.key_for(path, source, settings.fingerprint()), payload)
    return payload


def _load_raw(root: str, key: str):
    """The stored payload for `key`, or None when missing, corrupt, stale or of the wrong shape."""
    import json

    from karpathy_lint import cache

    try:
        with open(cache._entry_path(root, key), "rb") as fh:
            data = json.loads(fh.read())
    except Exception:
        return None
    return data if cache._valid_entry(data) else None


# Worker state, set once per worker (inherited on fork): the distinct Settings and the cache root,
# so a task is (path, index) and no Settings object is pickled per file.
_WORKER: tuple = ((), None)


def _init_worker(settings: tuple, root: str | None, languages: tuple[str, ...]) -> None:
    global _WORKER
    _WORKER = (settings, root)
    _preload(languages)


def _pool_task(task) -> dict:
    path, index = task
    settings, root = _WORKER
    return _lint_one(path, settings[index], root)


def _preload(languages) -> None:
    """Import the grammars and rules once, before forking, so workers share them."""
    from karpathy_lint.engine import _rules_for  # noqa: F401
    from karpathy_lint.registry import all_rules

    from karpathy_lint.languages import LANGUAGES

    all_rules()
    for name in languages:
        LANGUAGES[name].load_grammar()
    import karpathy_lint.suppressions  # noqa: F401


def lint_files(files: list[str], resolver, jobs: int, cache_root: str | None, progress=None) -> list[FileResult]:
    """Lint `files`; results come back in the order of `files` whatever the job count.

    Cache lookups happen here, in this process (a fully warm run never imports
    the parser or the rules, nor starts a worker); only misses go to workers.
    """
    from karpathy_lint import cache
    from karpathy_lint.files import InputError, read_bytes

    n = len(files)
    settings_of = [resolver.for_path(path) for path in files]
    # payloads become FileResults as they arrive: the compact payloads are never all held at once
    results: list = [None] * n
    todo: list[int] = []
    sizes: dict[int, int] = {}

    def done(i: int, payload: dict) -> None:
        results[i] = _file_result(files[i], payload)
        if progress:
            progress()

    if cache_root is not None:
        for i, path in enumerate(files):
            try:
                source = read_bytes(path)
            except InputError as exc:
                done(i, cache.to_json([], str(exc), False))
                continue
            hit = _load_raw(cache_root, cache.key_for(path, source, settings_of[i].fingerprint()))
            if hit is None:
                todo.append(i)
                sizes[i] = len(source)
            else:
                done(i, hit)
    else:
        todo = list(range(n))
    workers = min(jobs or (os.cpu_count() or 1), max(1, len(todo) // 4))
    if workers <= 1 or len(todo) < 16:
        for i in todo:
            done(i, _lint_one(files[i], settings_of[i], cache_root))
    elif todo:
        import gc
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        from karpathy_lint.languages import language_for

        distinct: dict = {}
        index = [distinct.setdefault(settings_of[i], len(distinct)) for i in range(n)]
        languages = tuple(sorted({spec.name for i in todo if (spec := language_for(files[i])) is not None}))
        if not sizes:
            for i in todo:
                try:
                    sizes[i] = os.path.getsize(files[i])
                except OSError:
                    sizes[i] = 0
        # biggest files first: the last chunks are small, so no worker is left finishing a giant alone
        order = sorted(todo, key=lambda i: (-sizes.get(i, 0), i))
        tasks = [(files[i], index[i]) for i in order]
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
        ctx = multiprocessing.get_context(method)
        if method == "fork":
            _preload(languages)  # once here; the forked workers inherit it
            gc.freeze()  # workers never scan (or copy) the inherited objects
        chunk = max(1, min(32, len(tasks) // (workers * 4)))
        try:
            with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                                     initargs=(tuple(distinct), cache_root, languages)) as pool:
                for i, payload in zip(order, pool.map(_pool_task, tasks, chunksize=chunk)):
                    done(i, payload)
        finally:
            if method == "fork":
                gc.unfreeze()
    return results


def _file_result(path: str, payload: dict) -> FileResult:
    from karpathy_lint import cache

    try:
        findings, error, syntax = cache.from_json(path, payload)
    except Exception as exc:  # pragma: no cover - a worker bug, not user input
        findings, error, syntax = [], f"internal error: {exc}", False
    return FileResult(path=path, findings=findings, error=error, syntax_error=syntax)


# -- the command -----------------------------------------------------------------------------


def _progress_enabled(options: CheckOptions, n_files: int) -> bool:
    if options.quiet or n_files < 50:
        return False
    if os.environ.get("CI") or os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return sys.stderr.isatty()


def run_check(options: CheckOptions) -> int:
    from karpathy_lint.config import ConfigResolver
    from karpathy_lint.report import FORMATS, Run, render

    resolver = ConfigResolver(options.config_file, options.isolated, adjust=_adjuster(options))
    if options.show_settings:
        return _show_settings(options, resolver)
    run = Run(statistics=options.statistics)
    results: list[FileResult] = []
    if options.paths == ["-"]:
        results.append(_check_stdin(options, resolver))
        run.files_checked = 1
    else:
        from karpathy_lint.discovery import discover

        found = discover(options.paths, resolver, options.force_exclude)
        run.errors.extend(found.errors)
        root = None
        if options.use_cache and not (options.fix or options.diff):
            from karpathy_lint.cache import cache_root

            root = cache_root(options.cache_dir)
        bar = None
        if _progress_enabled(options, len(found.files)):
            bar = _Progress(len(found.files))
        try:
            results = lint_files(found.files, resolver, options.jobs, root, bar.advance if bar else None)
        finally:
            if bar:
                bar.stop()
        run.files_checked = len(found.files)
        if options.fix or options.diff:
            results, run.fixed = _apply_fixes(results, resolver, options)
    for r in results:
        if r.error:
            run.errors.append((r.path, r.error))
        run.findings.extend(r.findings)
    run.findings.sort(key=lambda f: f.sort_key())
    if options.baseline:
        from karpathy_lint.baseline import apply_baseline, write_baseline

        if options.write_baseline:
            write_baseline(options.baseline, run.findings, [r.path for r in results])
            run.findings = []
        else:
            run.findings = apply_baseline(options.baseline, run.findings)
    for path, message in run.errors:
        sys.stderr.write(f"karpathy-lint: error: {path}: {message}\n")
    stream = sys.stderr if options.report_to_stderr else sys.stdout
    handle = None
    if options.output_file:
        handle = open(options.output_file, "w", encoding="utf-8")
        stream = handle
    human = FORMATS[options.fmt].human
    try:
        if not (options.diff and human):
            color = human and handle is None and not options.quiet and _color_enabled()
            render(options.fmt, run, stream, color=color, summary=not (options.quiet and human))
    finally:
        if handle:
            handle.close()
    syntax = any(r.syntax_error for r in results)
    if run.errors or syntax:
        return ExitCode.ERROR
    if options.diff:
        return ExitCode.FINDINGS if run.fixed else ExitCode.CLEAN
    if run.findings and not options.exit_zero:
        return ExitCode.FINDINGS
    return ExitCode.CLEAN


def _color_enabled() -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty()


class _Progress:
    def __init__(self, total: int):
        from rich.console import Console
        from rich.progress import Progress

        # on stderr: stdout carries the report (`--format json > out.json` on a terminal)
        self._progress = Progress(transient=True, console=Console(stderr=True))
        self._progress.start()
        self._task = self._progress.add_task("checking", total=total)

    def advance(self) -> None:
        self._progress.advance(self._task)

    def stop(self) -> None:
        self._progress.stop()


def _check_stdin(options: CheckOptions, resolver) -> FileResult:
    from karpathy_lint.engine import lint_source

    name = options.stdin_filename or "-"
    settings = resolver.for_path(options.stdin_filename or os.path.join(os.getcwd(), "stdin.py"))
    source = sys.stdin.buffer.read()
    if options.force_exclude and options.stdin_filename:
        from karpathy_lint.discovery import is_excluded

        if is_excluded(options.stdin_filename, resolver):
            # an editor linting an excluded file: nothing to report; --fix echoes the source as it is
            if options.fix:
                sys.stdout.buffer.write(source)
                sys.stdout.flush()
                options.quiet, options.report_to_stderr = True, True
            return FileResult(path=name, findings=[], error=None, syntax_error=False)
    if options.fix:
        from karpathy_lint.files import InputError
        from karpathy_lint.fixer import fix_source

        try:
            fixed, _ = fix_source(name, source, settings, options.unsafe_fixes)
        except InputError as exc:  # a notebook that cannot be written back: echo it unchanged, say why
            fixed = source
            sys.stdout.buffer.write(fixed)
            sys.stdout.flush()
            options.quiet, options.report_to_stderr = True, True
            return FileResult(path=name, findings=[], error=f"not fixed: {exc}")
        sys.stdout.buffer.write(fixed)
        sys.stdout.flush()
        # the fixed source went to stdout: what is left is reported on stderr (as ruff does),
        # and still sets the exit code
        options.quiet, options.report_to_stderr = True, True
        return lint_source(name, fixed, settings)
    return lint_source(name, source, settings)


def _apply_fixes(results: list[FileResult], resolver, options: CheckOptions):
    from karpathy_lint.engine import lint_source
    from karpathy_lint.files import InputError, read_bytes, write_atomic
    from karpathy_lint.fixer import fix_source

    fixed_total = 0
    out: list[FileResult] = []
    for r in results:
        fixable = [f for f in r.findings if f.fix is not None and (options.unsafe_fixes or f.fix.applicability == "safe")]
        if r.error or r.syntax_error or not fixable:
            out.append(r)
            continue
        settings = resolver.for_path(r.path)
        try:
            source = read_bytes(r.path)
            new, count = fix_source(r.path, source, settings, options.unsafe_fixes)
        except InputError as exc:  # a notebook that cannot be written back safely: left alone, one line
            out.append(FileResult(path=r.path, findings=r.findings, error=f"not fixed: {exc}"))
            continue
        if new == source:
            out.append(r)
            continue
        fixed_total += count
        if options.diff:
            _print_diff(r.path, source, new)
            out.append(r)
        else:
            write_atomic(r.path, new)
            out.append(lint_source(r.path, new, settings))
    return out, fixed_total


def _print_diff(path: str, old: bytes, new: bytes) -> None:
    from karpathy_lint.diff import unified_diff

    sys.stdout.write(unified_diff(path, old, new))


def _show_settings(options: CheckOptions, resolver) -> int:
    target = options.paths[0]
    settings = resolver.for_path(target if not os.path.isdir(target) else os.path.join(target, "x.py"))
    print(f"# settings for {target}")
    print(f"# from {settings.source or '(defaults)'}")
    for f in dataclasses.fields(settings):
        if f.name in ("source",):
            continue
        print(f"{f.name.replace('_', '-')} = {getattr(settings, f.name)!r}")
    return 0
