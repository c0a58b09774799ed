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


def _run_paths(paths: list[str], resolver, module, check, diff, quiet, force_exclude=False,
               adopt_comments=False, new=False) -> int:
    existing = [p for p in paths if os.path.lexists(p)]
    missing = [p for p in paths if not os.path.lexists(p)]
    found = discover(existing, resolver, force_exclude)
    errors = 0
    changed = 0
    unchanged = 0
    for path, message in found.errors:
        _error(path, message)
        errors += 1

    def report(result) -> None:
        nonlocal changed, unchanged
        if not result.changed:
            unchanged += 1
            return
        changed += 1
        if diff:
            sys.stdout.write(unified_diff(result.path, result.old, result.new))
        if not quiet:
            verb = WOULD[result.action] if (check or diff) else result.action
            click.echo(f"{result.path}: {verb}", err=True)

    for path in missing:
        if not new:  # a typo must not create a file
            _error(path, "does not exist (use --new to create it from the template)")
            errors += 1
            continue
        settings = resolver.for_path(path)
        try:
            result = create_new(path, settings, module)
        except ScaffoldError as exc:
            _error(path, str(exc))
            errors += 1
            continue
        if not (check or diff):
            try:
                with open(path, "xb") as fh:  # never clobber a file that appeared meanwhile
                    fh.write(result.new)
            except OSError as exc:
                _error(path, exc.strerror or str(exc))
                errors += 1
                continue
        report(result)

    for path in found.files:
        settings = resolver.for_path(path)
        try:
            source = read_bytes(path)
            result = _scaffold(path, source, settings, module, adopt_comments)
        except (InputError, ScaffoldError, AdoptError) as exc:
            _error(path, str(exc))
            errors += 1
            continue
        except Exception as exc:  # a bug of ours must not cost the user a file: report it, touch nothing
            _error(path, f"internal error ({type(exc).__name__}: {exc}); file left untouched")
            errors += 1
            continue
        if result.changed and not (check or diff):
            try:
                write_atomic(os.path.realpath(path), result.new)  # a symlink stays a symlink
            except OSError as exc:
                _error(path, f"cannot write: {exc.strerror or exc}")
                errors += 1
                continue
        report(result)

    if not quiet:
        done = "would change" if (check or diff) else "changed"
        tail = f", {errors} error{'s' if errors != 1 else ''}" if errors else ""
        click.echo(f"{changed} file{'s' if changed != 1 else ''} {done}, {unchanged} unchanged{tail}", err=True)
    if errors:
        return ExitCode.ERROR
    if (check or diff) and changed:
        return ExitCode.FINDINGS
    return ExitCode.CLEAN


if __name__ == "__main__":  # pragma: no cover
    main()
