"""`karpathy-lint check`: discover -> lint (cache, workers) -> fix -> report."""
from __future__ import annotations

import os
import sys

from karpathy_lint.batch import lint_files
from karpathy_lint.config import ConfigResolver, selection_adjuster, settings_as_toml
from karpathy_lint.discovery import discover, is_excluded
from karpathy_lint.engine import FileResult, enabled_rules, lint_source
from karpathy_lint.exit_codes import ExitCode
from karpathy_lint.report import FORMATS, Run, render


class CheckOptions:
    """The options of one `check` run (the CLI's flags, by their long names)."""

    def __init__(self, *, paths: list[str] | None = None, select: tuple[str, ...] = (),
                 extend_select: tuple[str, ...] = (), ignore: tuple[str, ...] = (), fmt: str = "text",
                 config_file: str | None = None, isolated: bool = False, fix: bool = False,
                 unsafe_fixes: bool = False, diff: bool = False, exit_zero: bool = False, quiet: bool = False,
                 use_cache: bool = True, cache_dir: str | None = None, jobs: int = 0, force_exclude: bool = False,
                 stdin_filename: str | None = None, statistics: bool = False, output_file: str | None = None,
                 show_settings: bool = False, show_files: bool = False, baseline: str | None = None,
                 write_baseline: bool = False) -> None:
        self.paths = paths if paths is not None else ["."]
        self.select, self.extend_select, self.ignore = select, extend_select, ignore
        self.fmt = fmt
        self.config_file, self.isolated = config_file, isolated
        self.fix, self.unsafe_fixes, self.diff = fix, unsafe_fixes, diff
        self.exit_zero, self.quiet = exit_zero, quiet
        self.use_cache, self.cache_dir = use_cache, cache_dir
        self.jobs = jobs
        self.force_exclude = force_exclude
        self.stdin_filename = stdin_filename
        self.statistics = statistics
        self.output_file = output_file
        self.show_settings, self.show_files = show_settings, show_files
        self.baseline, self.write_baseline = baseline, write_baseline
        self.report_to_stderr = False  # set for `- --fix`: stdout holds the fixed source


# -- the command -----------------------------------------------------------------------------


def _progress_enabled(options: CheckOptions, n_files: int) -> bool:
    if options.quiet or n_files < 50:
        return False
    if os.environ.get("CI") or os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return sys.stderr.isatty()


def run_check(options: CheckOptions) -> ExitCode:
    adjust = selection_adjuster(options.select, options.extend_select, options.ignore)
    resolver = ConfigResolver(options.config_file, options.isolated, adjust=adjust)
    if options.show_settings:
        return _show_settings(options, resolver)
    if options.show_files:
        return _show_files(options, resolver)
    run = Run()
    if options.paths == ["-"]:
        results = [_check_stdin(options, resolver)]
        run.files_checked = 1
    else:
        results = _check_paths(options, resolver, run)
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
    _report(run, options)
    if run.errors or any(r.syntax_error for r in results):
        return ExitCode.ERROR
    if options.diff:
        return ExitCode.FINDINGS if run.fixed else ExitCode.CLEAN
    if run.findings and not options.exit_zero:
        return ExitCode.FINDINGS
    return ExitCode.CLEAN


def _check_paths(options: CheckOptions, resolver, run) -> list[FileResult]:
    """Discover, lint (through the cache unless fixing), then fix or diff."""
    found = discover(options.paths, resolver, options.force_exclude)
    run.errors.extend(found.errors)
    if not found.files and not found.errors:
        _warn_nothing_to_check(options.paths, resolver)
    fixing = options.fix or options.diff
    root = None
    if options.use_cache and not fixing:
        from karpathy_lint.cache import cache_root, project_dir

        first = found.files[0] if found.files else os.path.join(os.getcwd(), "x.py")
        root = cache_root(options.cache_dir, project_dir(resolver.for_path(first)))
    bar = _Progress(len(found.files)) if _progress_enabled(options, len(found.files)) else None
    try:
        results = lint_files(found.files, resolver, options.jobs, root, bar.advance if bar else None,
                             keep_sources=fixing)
    finally:
        if bar:
            bar.stop()
    run.files_checked = len(found.files)
    if fixing:
        from karpathy_lint.fixer import fix_files

        results, run.fixed = fix_files(results, resolver, unsafe=options.unsafe_fixes,
                                       diff_to=sys.stdout if options.diff else None)
    return results


def _warn_nothing_to_check(paths: list[str], resolver) -> None:
    """"0 files checked" is said on stderr, naming what a folder walk picks up (the `include` setting)."""
    from karpathy_lint.languages import labels

    first = paths[0] if paths else "."
    settings = resolver.for_path(os.path.join(first, "x.py") if os.path.isdir(first) else first)
    patterns = tuple(settings.include) + tuple(settings.extend_include)
    sys.stderr.write(f"karpathy-lint: warning: no {labels()} files ({', '.join(patterns)}) under "
                     f"{', '.join(paths)}\n")


def _report(run, options: CheckOptions) -> None:
    if options.statistics:  # only the table, as ruff prints it, in every format
        from karpathy_lint.report.statistics import render_statistics

        if options.output_file:
            with open(options.output_file, "w", encoding="utf-8") as handle:
                render_statistics(options.fmt, run, handle)
        else:
            render_statistics(options.fmt, run, sys.stderr if options.report_to_stderr else sys.stdout)
        return
    human = FORMATS[options.fmt].human
    if options.diff and human:
        return  # the diff is the report
    if options.output_file:
        with open(options.output_file, "w", encoding="utf-8") as handle:
            render(options.fmt, run, handle, summary=not (options.quiet and human))
        return
    stream = sys.stderr if options.report_to_stderr else sys.stdout
    color = human and not options.quiet and _color_enabled()
    render(options.fmt, run, stream, color=color, summary=not (options.quiet and human))


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
    from karpathy_lint.notebook.document import STDIN_HINT, looks_like_notebook

    name = options.stdin_filename or "-"
    settings = resolver.for_path(options.stdin_filename or os.path.join(os.getcwd(), "stdin.py"))
    source = sys.stdin.buffer.read()
    if options.force_exclude and options.stdin_filename:
        if is_excluded(options.stdin_filename, resolver):
            # an editor linting an excluded file: nothing to report; --fix echoes the source as it is
            if options.fix:
                sys.stdout.buffer.write(source)
                sys.stdout.flush()
                options.quiet, options.report_to_stderr = True, True
            return FileResult(path=name, findings=[], error=None, syntax_error=False)
    if options.stdin_filename is None and looks_like_notebook(source):  # never Python text into a notebook
        if options.fix:
            sys.stdout.buffer.write(source)
            sys.stdout.flush()
            options.quiet, options.report_to_stderr = True, True
        return FileResult(path=name, error=STDIN_HINT)
    if options.fix:
        from karpathy_lint.files import InputError
        from karpathy_lint.fixer import fix_source

        try:
            fixed = fix_source(name, source, settings, options.unsafe_fixes)
        except InputError as exc:  # a notebook that cannot be written back: echo it unchanged, say why
            sys.stdout.buffer.write(source)
            sys.stdout.flush()
            options.quiet, options.report_to_stderr = True, True
            return FileResult(path=name, findings=[], error=f"not fixed: {exc}")
        sys.stdout.buffer.write(fixed.source)
        sys.stdout.flush()
        # the fixed source went to stdout: what is left is reported on stderr (as ruff does),
        # and still sets the exit code
        options.quiet, options.report_to_stderr = True, True
        return fixed.result
    return lint_source(name, source, settings)


def _show_files(options: CheckOptions, resolver) -> ExitCode:
    """`--show-files`: the files a check of the same paths would read, one per line (ruff's flag)."""
    found = discover(options.paths, resolver, options.force_exclude)
    for path in found.files:
        sys.stdout.write(path + "\n")
    for path, message in found.errors:
        sys.stderr.write(f"karpathy-lint: error: {path}: {message}\n")
    return ExitCode.ERROR if found.errors else ExitCode.CLEAN


def _show_settings(options: CheckOptions, resolver) -> ExitCode:
    """`--show-settings PATH`: TOML that can be pasted back, plus whether PATH is excluded and the rules that apply."""
    target = options.paths[0]
    probe = target if not os.path.isdir(target) else os.path.join(target, "x.py")
    settings = resolver.for_path(probe)
    codes = {r.code for r in enabled_rules(settings, probe)}
    excluded = is_excluded(probe, resolver)
    print(f"# settings for {target}")
    print(f"# from {settings.source or '(defaults: no config file)'}")
    print(f"# excluded: {'yes' if excluded else 'no'}")
    print(f"# rules that apply: {' '.join(sorted(codes))}")
    if settings.project_from == "pyproject":
        print("# project: guessed from [project].name of the nearest pyproject.toml (KL109's rewrite is unsafe)")
    elif not settings.project:
        print("# project: not known (KL109 accepts any title; the scaffold writes the repository folder's name)")
    sys.stdout.write(settings_as_toml(settings))
    return ExitCode.CLEAN
