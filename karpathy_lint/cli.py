"""The `karpathy-lint` command line (click).

`karpathy-lint [OPTIONS] [PATHS]...` checks files; subcommands: `rule`,
`clean`, `verify-shapes`, `render`, `server`. Exit codes: 0 no findings, 1 findings, 2 usage or
config error, or a file that could not be read or parsed.
"""
from __future__ import annotations

import os
import sys
from typing import NoReturn

import click

from karpathy_lint import __version__
from karpathy_lint.exit_codes import ExitCode
from karpathy_lint.report import FORMAT_NAMES


class DefaultGroup(click.Group):
    """A group whose first argument, when it is not a subcommand, runs `check`."""

    def parse_args(self, ctx, args):
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h", "--version")):
            if args and not args[0].startswith("-") and not os.path.lexists(args[0]):
                self._suggest_command(args[0])
            args = ["check", *args]
        return super().parse_args(ctx, args)

    def _suggest_command(self, word: str) -> None:
        """`karpathy-lint chekc`: a word that is no path and looks like a subcommand is a typo."""
        import difflib

        close = difflib.get_close_matches(word, list(self.commands), n=1, cutoff=0.6)
        if close:
            raise click.UsageError(f"no such command or path `{word}`; did you mean `{close[0]}`?")

    def format_options(self, ctx, formatter):
        """`karpathy-lint --help` lists the check options too: `check` is what a bare run does."""
        super().format_options(ctx, formatter)
        command = self.commands["check"]
        with click.Context(command, info_name="check", parent=ctx) as sub:
            records = [r for r in (p.get_help_record(sub) for p in command.get_params(sub)) if r]
        with formatter.section("Check options (karpathy-lint [OPTIONS] [PATHS]...)"):
            formatter.write_dl(records)


def _fail(message: str) -> NoReturn:
    for line in message.splitlines() or [""]:  # a config with several bad entries: one line each
        click.echo(f"karpathy-lint: error: {line}", err=True)
    sys.exit(ExitCode.ERROR)


@click.group(cls=DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="karpathy-lint")
def main() -> None:
    """Check Karpathy-style teaching comments in Python and CUDA files.

    Run `karpathy-lint PATHS...` (the `check` command is the default).
    """


def entry() -> None:
    """Console-script entry point: `main` with a quiet exit on a closed pipe."""
    try:
        main()
    except BrokenPipeError:
        # `karpathy-lint ... | head`: stop quietly, like other Unix tools
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(ExitCode.FINDINGS)


def _split(values: tuple[str, ...]) -> tuple[str, ...]:
    out: list[str] = []
    for v in values:
        out.extend(p.strip() for p in v.split(",") if p.strip())
    return tuple(out)


def _validate_selectors(values: tuple[str, ...], flag: str) -> None:
    if not values:
        return  # no registry import on the common path
    from karpathy_lint.config import rule_suggestion
    from karpathy_lint.registry import resolve_selector

    unknown = [v for v in values if resolve_selector(v) is None]
    if unknown:
        raise click.UsageError("; ".join(f"{flag}: unknown rule {v!r}{rule_suggestion(v) or ' (see `karpathy-lint rule --all`)'}"
                                         for v in unknown))


@main.command()
@click.argument("paths", nargs=-1, type=str)
@click.option("--select", multiple=True, help="Rules to check (codes, prefixes like KL2, names, or ALL); replaces the config's.")
@click.option("--extend-select", multiple=True, help="Rules to check in addition to the config's selection.")
@click.option("--ignore", multiple=True, help="Rules to skip, in addition to the config's.")
@click.option("--output-format", "--format", "fmt", type=click.Choice(FORMAT_NAMES),
              default="text", show_default=True, help="Output format (`--format` is the same option).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Use this config file; no discovery.")
@click.option("--isolated", is_flag=True, help="Ignore every config file.")
@click.option("--fix", is_flag=True, help="Apply safe fixes to the files.")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix or --diff, apply unsafe fixes too.")
@click.option("--diff", is_flag=True, help="Show the fixes as a diff instead of writing them; exit 1 if any.")
@click.option("--exit-zero", is_flag=True,
              help="Exit 0 even when findings remain; a failed run (usage or config error, a missing path, "
                   "a file that could not be checked) still exits 2.")
@click.option("-q", "--quiet", is_flag=True, help="Print findings only: no summary, no progress.")
@click.option("--no-cache", is_flag=True, help="Do not read or write the cache.")
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None, help="Cache folder (default .karpathy_lint_cache).")
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=0, help="Worker processes (0: one per core).")
@click.option("--force-exclude", is_flag=True, help="Apply excludes to files named on the command line too.")
@click.option("--stdin-filename", default=None, help="The name of the file read from `-` (stdin).")
@click.option("--statistics", is_flag=True, help="Print only the count of findings per rule (a table; JSON with "
              "--output-format json).")
@click.option("--output-file", "-o", type=click.Path(dir_okay=False, writable=True), default=None, help="Write the report to this file.")
@click.option("--show-settings", is_flag=True,
              help="Print the settings for the first path as TOML (and whether it is excluded, which rules apply).")
@click.option("--show-files", is_flag=True, help="List the files that would be checked and exit.")
@click.option("--baseline", type=click.Path(dir_okay=False), default=None, help="Hide findings recorded in this baseline file.")
@click.option("--write-baseline", is_flag=True, help="With --baseline, record the current findings in it.")
def check(paths, select, extend_select, ignore, fmt, config_file, isolated, fix, unsafe_fixes, diff, exit_zero, quiet,
          no_cache, cache_dir, jobs, force_exclude, stdin_filename, statistics, output_file, show_settings, show_files,
          baseline, write_baseline):
    """Check PATHS (files or folders; default `.`)."""
    from karpathy_lint.config import ConfigError
    from karpathy_lint.runner import CheckOptions, run_check

    select, extend_select, ignore = _split(select), _split(extend_select), _split(ignore)
    for values, flag in ((select, "--select"), (extend_select, "--extend-select"), (ignore, "--ignore")):
        _validate_selectors(values, flag)
    if write_baseline and not baseline:
        raise click.UsageError("--write-baseline needs --baseline FILE")
    options = CheckOptions(
        paths=list(paths) or ["."], select=select, extend_select=extend_select, ignore=ignore, fmt=fmt,
        config_file=config_file, isolated=isolated, fix=fix, unsafe_fixes=unsafe_fixes, diff=diff,
        exit_zero=exit_zero, quiet=quiet, use_cache=not no_cache, cache_dir=cache_dir, jobs=jobs,
        force_exclude=force_exclude, stdin_filename=stdin_filename, statistics=statistics, output_file=output_file,
        show_settings=show_settings, show_files=show_files, baseline=baseline, write_baseline=write_baseline,
    )
    try:
        code = run_check(options)
    except ConfigError as exc:
        _fail(str(exc))
    except BrokenPipeError:
        raise  # `... | head`: handled quietly by click / entry(), not an error message
    except OSError as exc:
        _fail(f"{getattr(exc, 'filename', '') or ''}: {exc.strerror or exc}".lstrip(": "))
    sys.exit(code)


@main.command()
@click.argument("key", required=False)
@click.option("--all", "show_all", is_flag=True, help="Every rule.")
@click.option("--output-format", "--format", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True)
def rule(key, show_all, output_format):
    """Print the documentation of rule KEY (a code like KL202 or a name)."""
    from karpathy_lint.docs import render_rules
    from karpathy_lint.registry import all_rules, rule_by_key

    if show_all:
        rules = list(all_rules())
    elif key:
        found = rule_by_key(key)
        if found is None:
            _fail(f"unknown rule {key!r} (see `karpathy-lint rule --all`)")
        rules = [found]
    else:
        raise click.UsageError("give a rule code or name, or --all")
    click.echo(render_rules(rules, output_format), nl=False)


@main.command()
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None)
def clean(cache_dir):
    """Remove the cache folder (the project root's, found from the current folder as `check` finds it)."""
    from karpathy_lint.cache import clean_cache, project_dir
    from karpathy_lint.config import ConfigError, ConfigResolver

    try:
        project = project_dir(ConfigResolver().for_directory(os.getcwd()))
    except ConfigError as exc:
        _fail(str(exc))
    removed = clean_cache(cache_dir, project)
    click.echo(f"removed {removed}" if removed else "no cache to remove")


@main.command()
@click.option("--stdio", is_flag=True, help="Talk LSP over stdin/stdout (the default and only transport).")
def server(stdio):
    """Run the language server (LSP over stdio) for editors; needs the `server` extra."""
    from karpathy_lint.server import EXTRA_HINT, missing_dependency, run

    if missing_dependency() is not None:
        _fail(EXTRA_HINT)
    sys.exit(run())


@main.command("verify-shapes", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("target", required=True)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.option("--output-format", "--format", "fmt", type=click.Choice(FORMAT_NAMES),
              default="text", show_default=True, help="Output format (`--format` is the same option).")
@click.option("--report-unverified", is_flag=True, help="Report shape comments whose line never ran as findings.")
@click.option("--pytest", "use_pytest", is_flag=True, help="Run TARGET with pytest instead of as a script.")
@click.option("--include", multiple=True, help="Also check the shape comments in this file or folder (repeatable).")
@click.option("--record", type=click.Path(dir_okay=False), default=None,
              help="Write every shape comment's result (runs, problems) to this JSON file.")
@click.option("--python", "python", default=None, metavar="PATH",
              help="Run TARGET with this interpreter (the project's; default: the active virtual environment's).")
def verify_shapes(target, args, fmt, report_unverified, use_pytest, include, record, python):
    """Run TARGET (a script, or tests with --pytest) and check every shape comment."""
    from karpathy_lint.config import ConfigError
    from karpathy_lint.shapes.cli import run_verify_shapes

    try:
        code = run_verify_shapes(target, list(args), fmt=fmt, report_unverified=report_unverified,
                                 use_pytest=use_pytest, include=include, record=record, python=python)
    except ConfigError as exc:
        _fail(str(exc))
    sys.exit(code)


@main.command()
@click.argument("paths", nargs=-1, type=str, required=True)
@click.option("--output", "-o", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder to write the site into (created if missing).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Use this config file; no discovery.")
@click.option("--isolated", is_flag=True, help="Ignore every config file.")
@click.option("--title", default=None, help="Title of the index page (default: the folder's name).")
def render(paths, out_dir, config_file, isolated, title):
    """Write PATHS as a static site: prose beside code, one page per file plus an index."""
    try:
        from karpathy_lint.render.site import RenderError, render_site
    except ImportError as exc:
        _fail(f"render needs {(exc.name or 'its extra packages').split('.')[0]}: pip install 'karpathy-lint[render]'")
    from karpathy_lint.config import ConfigError

    try:
        result = render_site(list(paths), out_dir, config_file=config_file, isolated=isolated, title=title)
    except (ConfigError, RenderError) as exc:
        _fail(str(exc))
    for path, message in result.errors:
        click.echo(f"karpathy-lint: error: {path}: {message}", err=True)
    if not result.pages and not result.errors:
        _fail(f"no Python or CUDA files in {' '.join(paths)}")
    if result.pages:
        click.echo(f"wrote {len(result.pages)} page{'s' if len(result.pages) != 1 else ''} and "
                   f"{os.path.join(out_dir, 'index.html')}", err=True)
    sys.exit(ExitCode.ERROR if result.errors else ExitCode.CLEAN)


if __name__ == "__main__":  # pragma: no cover
    main()
