"""The `karpathy-scaffold` command line (click).

`karpathy-scaffold [OPTIONS] PATHS...`: add the header block to files that
lack one, merge the Function List of files that have one, create annotated
files for paths that do not exist when `--new` is given, `-` reads stdin and writes stdout.
Exit codes: 0 nothing to change or changes written; 1 with --check/--diff
when something would change; 2 a usage/config error or a file that could not
be scaffolded (one line on stderr each; that file is left untouched).
"""
from __future__ import annotations

import os
import sys

import click

from karpathy_lint import __version__
from karpathy_lint.config import ConfigError, ConfigResolver
from karpathy_lint.diff import unified_diff
from karpathy_lint.discovery import discover
from karpathy_lint.exit_codes import ExitCode
from karpathy_lint.files import InputError, read_bytes, write_atomic
from karpathy_lint.notebook.document import STDIN_HINT, looks_like_notebook

from .adopt import AdoptError, adopt_result
from .scaffold import ScaffoldError, create_new, scaffold_source

WOULD = {"created": "would create", "header added": "would add a header",
         "merged": "would merge the Function List", "comments adopted": "would adopt comments",
         "header added, comments adopted": "would add a header and adopt comments",
         "merged, comments adopted": "would merge the Function List and adopt comments"}


def _error(path: str, message: str) -> None:
    click.echo(f"karpathy-scaffold: error: {path}: {message}", err=True)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, required=True, type=str)
@click.option("--module", "module", default=None, metavar="TEXT",
              help="The title for the `Module:` line of new headers (default: the file name).")
@click.option("--new", "new", is_flag=True,
              help="Create files that do not exist from the template (.py, .cu, .cuh); without it a missing path "
                   "is an error.")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if any file would change.")
@click.option("--diff", is_flag=True, help="Write nothing; print a unified diff and exit 1 if any file would change.")
@click.option("-q", "--quiet", is_flag=True, help="Print errors only.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), default=None,
              help="Use this config file; no discovery.")
@click.option("--isolated", is_flag=True, help="Ignore every config file.")
@click.option("--stdin-filename", default=None, help="The name of the file read from `-` (picks the language).")
@click.option("--adopt-comments", is_flag=True,
              help="Also turn plain comments inside function bodies into marker comments (`# text` -> "
                   "`# Karpathy: text`) and common shape notes into `name shape [dims]`.")
@click.option("--force-exclude", is_flag=True,
              help="Apply `exclude` settings and .gitignore to files named on the command line too (pre-commit).")
@click.version_option(__version__, prog_name="karpathy-scaffold")
def main(paths, module, new, check, diff, quiet, config_file, isolated, stdin_filename, adopt_comments,
         force_exclude):
    """Write Karpathy-style header blocks into PATHS (files or folders).

    A file without a header gets one; a file with one gets only the missing
    Function List entries and updated params; with --new, a path that does
    not exist is created from a template (.py, .cu). Nothing a person wrote
    is removed.
    """
    try:
        resolver = ConfigResolver(config_file, isolated)
        if "-" in paths:
            if len(paths) != 1:
                raise click.UsageError("`-` (stdin) cannot be combined with other paths")
            sys.exit(_run_stdin(resolver, module, check, diff, quiet, stdin_filename, adopt_comments))
        sys.exit(_run_paths(list(paths), resolver, module, check, diff, quiet, force_exclude, adopt_comments, new))
    except ConfigError as exc:
        for line in str(exc).splitlines():
            click.echo(f"karpathy-scaffold: error: {line}", err=True)
        sys.exit(ExitCode.ERROR)


def _scaffold(path, source, settings, module, adopt_comments):
    """Scaffold one file's bytes, then (with --adopt-comments) adopt its comments."""
    result = scaffold_source(path, source, settings, module)
    if adopt_comments:
        result = adopt_result(result, settings)
    return result


def _run_stdin(resolver, module, check, diff, quiet, stdin_filename, adopt_comments=False) -> int:
    name = stdin_filename or "-"
    settings = resolver.for_path(stdin_filename or os.path.join(os.getcwd(), "stdin.py"))
    source = sys.stdin.buffer.read()
    if stdin_filename is None and looks_like_notebook(source):  # never Python text into a notebook
        _error(name, STDIN_HINT)
        return ExitCode.ERROR
    try:
        result = _scaffold(name, source, settings, module, adopt_comments)
    except (ScaffoldError, AdoptError) as exc:
        _error(name, str(exc))
        return ExitCode.ERROR
    if diff:
        sys.stdout.write(unified_diff(name, source, result.new))
        return ExitCode.FINDINGS if result.changed else ExitCode.CLEAN
    if check:
        if result.changed and not quiet:
            click.echo(f"would scaffold {name} ({result.action})", err=True)
        return ExitCode.FINDINGS if result.changed else ExitCode.CLEAN
    sys.stdout.buffer.write(result.new)
    sys.stdout.flush()
    return ExitCode.CLEAN


class _Tally:
    """What one run did, counted file by file; printed once at the end and turned into the exit code."""

    def __init__(self, dry: bool, diff: bool, quiet: bool) -> None:
        self.dry, self.diff, self.quiet = dry, diff, quiet  # dry: --check or --diff, nothing is written
        self.changed = self.unchanged = self.errors = 0

    def error(self, path: str, message: str) -> None:
        _error(path, message)
        self.errors += 1

    def done(self, result) -> None:
        if not result.changed:
            self.unchanged += 1
            return
        self.changed += 1
        if self.diff:
            sys.stdout.write(unified_diff(result.path, result.old, result.new))
        if not self.quiet:
            click.echo(f"{result.path}: {WOULD[result.action] if self.dry else result.action}", err=True)

    def finish(self) -> int:
        if not self.quiet:
            done = "would change" if self.dry else "changed"
            tail = f", {self.errors} error{'s' if self.errors != 1 else ''}" if self.errors else ""
            click.echo(f"{self.changed} file{'s' if self.changed != 1 else ''} {done}, {self.unchanged} unchanged{tail}",
                       err=True)
        if self.errors:
            return ExitCode.ERROR
        return ExitCode.FINDINGS if self.dry and self.changed else ExitCode.CLEAN


def _run_paths(paths: list[str], resolver, module, check, diff, quiet, force_exclude=False,
               adopt_comments=False, new=False) -> int:
    tally = _Tally(dry=check or diff, diff=diff, quiet=quiet)
    found = discover([p for p in paths if os.path.lexists(p)], resolver, force_exclude)
    for path, message in found.errors:
        tally.error(path, message)
    for path in (p for p in paths if not os.path.lexists(p)):
        if new:
            _create(path, resolver, module, tally)
        else:  # a typo must not create a file
            tally.error(path, "does not exist (use --new to create it from the template)")
    for path in found.files:
        _repair(path, resolver, module, adopt_comments, tally)
    return tally.finish()


def _create(path: str, resolver, module, tally: _Tally) -> None:
    """`--new` on a path that does not exist: the template, written only if nothing appeared there meanwhile."""
    settings = resolver.for_path(path)  # a ConfigError ends the run (main prints it), as for every command
    try:
        result = create_new(path, settings, module)
        if not tally.dry:
            with open(path, "xb") as fh:  # never clobber a file that appeared meanwhile
                fh.write(result.new)
    except ScaffoldError as exc:
        return tally.error(path, str(exc))
    except OSError as exc:
        return tally.error(path, exc.strerror or str(exc))
    tally.done(result)


def _repair(path: str, resolver, module, adopt_comments: bool, tally: _Tally) -> None:
    """An existing file: header added or Function List merged, written atomically; on any error left untouched."""
    settings = resolver.for_path(path)  # outside the try: a ConfigError is the user's, not an internal error
    try:
        result = _scaffold(path, read_bytes(path), settings, module, adopt_comments)
    except (InputError, ScaffoldError, AdoptError) as exc:
        return tally.error(path, str(exc))
    except Exception as exc:  # a bug of ours must not cost the user a file: report it, touch nothing
        return tally.error(path, f"internal error ({type(exc).__name__}: {exc}); file left untouched")
    if result.changed and not tally.dry:
        try:
            write_atomic(os.path.realpath(path), result.new)  # a symlink stays a symlink
        except OSError as exc:
            return tally.error(path, f"cannot write: {exc.strerror or exc}")
    tally.done(result)


if __name__ == "__main__":  # pragma: no cover
    main()
