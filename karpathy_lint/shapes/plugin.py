"""pytest plugin: `pytest --verify-shapes` checks shape comments while the tests run.

Registered under the `pytest11` entry point, so pytest loads it in every run
of anyone who installs karpathy-lint. It therefore imports nothing but the
standard library at load time and does nothing unless `--verify-shapes` is
given (or KARPATHY_LINT_VERIFY_SHAPES=1 is set).

    pytest --verify-shapes [--verify-shapes-include PATH ...] tests/

Shape comments are looked up in the project (the rootdir); files whose code
never ran are left out of the figures unless named with
`--verify-shapes-include`. Mismatches are printed in the terminal summary and
turn a passing run into exit code 1.
"""
from __future__ import annotations

import os

ENV = "KARPATHY_LINT_VERIFY_SHAPES"


def pytest_addoption(parser):
    group = parser.getgroup("karpathy-lint")
    group.addoption("--verify-shapes", action="store_true", default=False,
                    help="check `name shape [dims]` comments against the tensors while the tests run")
    group.addoption("--verify-shapes-include", action="append", default=[], metavar="PATH",
                    help="always report the shape comments of this file or folder (repeatable)")


def _enabled(config) -> bool:
    return bool(config.getoption("--verify-shapes", False)) or os.environ.get(ENV, "") not in ("", "0")


class _Session:
    def __init__(self, config):
        from karpathy_lint.shapes.outcome import load_sites, python_files
        from karpathy_lint.shapes.tracer import Tracer

        include = list(config.getoption("--verify-shapes-include", []) or [])
        self.root = str(config.rootpath)
        self.sites = load_sites(python_files([self.root, *include]))
        self.scope = {os.path.realpath(f) for f in python_files(include)}
        self.tracer = Tracer(self.sites)
        self.outcome = None

    def pytest_sessionstart(self, session):
        self.tracer.start()

    def pytest_sessionfinish(self, session, exitstatus):
        from karpathy_lint.shapes.outcome import Outcome

        self.tracer.stop()
        self.outcome = Outcome(self.sites, self.tracer, self.scope, report_unverified=False)
        if self.outcome.findings and int(exitstatus) == 0:
            session.exitstatus = 1

    def pytest_terminal_summary(self, terminalreporter):
        if self.outcome is None:
            return
        tr = terminalreporter
        tr.section("karpathy-lint verify-shapes")
        for f in self.outcome.findings:
            tr.write_line(f"{f.path}:{f.line}:{f.column}: {f.code} {f.name} {f.message}")
        tr.write_line(self.outcome.summary())


def pytest_configure(config):
    if _enabled(config) and not config.pluginmanager.has_plugin("karpathy-lint-verify-shapes-session"):
        config.pluginmanager.register(_Session(config), "karpathy-lint-verify-shapes-session")
