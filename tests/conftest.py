import sys
from pathlib import Path

import pytest

# Corpus tests import their shared helpers as `from corpus_helpers import ...`.
sys.path.insert(0, str(Path(__file__).resolve().parent / "corpus"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import clihelp  # noqa: E402


@pytest.fixture
def cli():
    """`cli(*args, cwd=, input=, env=)`: karpathy-lint in this process -> CliResult(returncode, stdout, stderr)."""
    return clihelp.lint


@pytest.fixture
def scaffold_cli():
    """`scaffold_cli(*args, cwd=, input=, env=)`: karpathy-scaffold in this process."""
    return clihelp.scaffold


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The corpus rendered once (`karpathy-lint render corpus -o DIR`, a real process) for the render tests
    and the browser tests alike."""
    out = tmp_path_factory.mktemp("site")
    r = clihelp.run_cli("render", Path(__file__).resolve().parents[1] / "corpus", "-o", out)
    assert r.returncode == 0, r.stderr
    return out
