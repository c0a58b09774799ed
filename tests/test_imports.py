"""A one-file run (what pre-commit does per file) imports only what that run needs.

The run is the real CLI in a fresh interpreter, which lists `sys.modules` as it
exits (`python -X importtime` would miss modules loaded through
`importlib.import_module`, as the language and format registries load theirs).
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).parent / "data"

# what a `--no-cache` check of one Python file, text output, never needs
NOT_NEEDED = {
    "karpathy_lint.cache", "json", "hashlib",  # the cache is off
    "karpathy_lint.fixer", "karpathy_lint.diff",  # no --fix / --diff
    "karpathy_lint.baseline", "karpathy_lint.codemods.scaffold", "karpathy_lint.shapes.tracer",
    "karpathy_lint.shapes.cli",
    "karpathy_lint.report.json", "karpathy_lint.report.sarif", "karpathy_lint.report.github",
    "multiprocessing", "concurrent.futures",  # one file: no workers
    "rich",  # not a terminal: no colour, no progress bar
    "tree_sitter_cuda", "karpathy_lint.parse.cuda",  # a Python file
    "karpathy_lint.render", "pygments", "jinja2", "markdown_it",  # `render` only
    # no backtick in the header or the notes: KL501 never needs the name resolver
    "karpathy_lint.prose_names", "karpathy_lint.parse.names", "karpathy_lint.package_names",
    "karpathy_lint.notebook",  # a .py file
    "karpathy_lint.shapes.notation",  # every function doing tensor work states its shape the convention's way
    "dataclasses",  # the records a run makes are NamedTuples and __slots__ classes: no generated code at start-up
}


PROBE = ("import atexit, sys\n"
         "atexit.register(lambda: sys.stderr.write('MODULES ' + ' '.join(sorted(sys.modules)) + '\\n'))\n"
         "from karpathy_lint.cli import entry\n"
         "sys.argv = ['karpathy-lint', *sys.argv[1:]]\n"
         "entry()\n")


def _imported(*args: str, cwd: Path) -> set[str]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    line = next(line for line in proc.stderr.splitlines() if line.startswith("MODULES "))
    modules = set(line.split()[1:])
    # a package counts as imported when any module under it is
    return modules | {m.rsplit(".", i)[0] for m in modules for i in range(1, m.count(".") + 1)}


def test_one_python_file_without_cache_imports_only_what_it_needs(tmp_path):
    (tmp_path / "router.py").write_bytes((DATA / "clean_router.py").read_bytes())
    imported = _imported("-q", "--no-cache", "router.py", cwd=tmp_path)
    assert "karpathy_lint.parse.python" in imported and "karpathy_lint.report.text" in imported
    assert imported & NOT_NEEDED == set()


def test_the_cache_and_json_output_import_what_they_need(tmp_path):
    (tmp_path / "router.py").write_bytes((DATA / "clean_router.py").read_bytes())
    imported = _imported("--format", "json", "--cache-dir", str(tmp_path / "c"), "router.py", cwd=tmp_path)
    assert {"karpathy_lint.cache", "karpathy_lint.report.json"} <= imported
    assert "karpathy_lint.report.sarif" not in imported
