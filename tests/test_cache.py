"""The findings cache: keyed by content + resolved settings + tool version; never trusted when corrupt.

Hits and misses are counted in-process through `batch.lint_files` (the serial
path: fewer than 16 files), by wrapping the `lint_source` it calls once per
miss. Concurrency and the `clean` command go through the real CLI.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import karpathy_lint
from clihelp import run_cli
from karpathy_lint import batch, cache
from karpathy_lint.config import ConfigResolver

DATA = Path(__file__).parent / "data"
CLEAN = (DATA / "clean_router.py").read_text()
NOISY = "def route(x, k=2):\n    y = x + 1\n    z = y * k\n    return z\n\n\ndef other(a):\n    return a\n"


def make_tree(root: Path, n: int = 4) -> list[str]:
    root.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        p = root / f"m{i}.py"
        p.write_text(NOISY.replace("route", f"route{i}") if i % 2 else CLEAN)
        paths.append(str(p))
    return sorted(paths)


@pytest.fixture
def counter(monkeypatch):
    """A list that gets one path per cache miss (a file actually linted)."""
    misses: list[str] = []
    real = batch.lint_source

    def counting(path, source, settings):
        misses.append(path)
        return real(path, source, settings)

    monkeypatch.setattr(batch, "lint_source", counting)
    return misses


def run(paths, root, resolver=None):
    results = batch.lint_files(paths, resolver or ConfigResolver(), jobs=1, cache_root=str(root))
    return [(r.path, r.error, r.syntax_error, [f for f in r.findings]) for r in results]


def entries(root: Path) -> list[Path]:
    return sorted((root / cache.LAYOUT).glob("*/*.json"))


def test_second_run_hits_every_file(tmp_path, counter):
    paths = make_tree(tmp_path / "src")
    first = run(paths, tmp_path / "c")
    assert counter == paths
    assert len(entries(tmp_path / "c")) == len(paths)
    counter.clear()
    second = run(paths, tmp_path / "c")
    assert counter == []
    assert second == first
    assert any(findings for *_, findings in first)  # the noisy files do have findings to cache


def test_editing_a_file_invalidates_only_that_file(tmp_path, counter):
    paths = make_tree(tmp_path / "src")
    before = run(paths, tmp_path / "c")
    counter.clear()
    Path(paths[1]).write_text(NOISY + "\n\ndef third(q):\n    return q\n")
    after = run(paths, tmp_path / "c")
    assert counter == [paths[1]]
    assert after[0] == before[0] and after[2:] == before[2:]
    assert after[1] != before[1]
    # and the result equals an uncached run
    fresh = batch.lint_files(paths, ConfigResolver(), jobs=1, cache_root=None)
    assert [r.findings for r in fresh] == [a[3] for a in after]


def test_changing_config_invalidates(tmp_path, counter):
    src = tmp_path / "src"
    paths = make_tree(src)
    config = src / "karpathy-lint.toml"
    config.write_text("min-role-words = 20\n")
    run(paths, tmp_path / "c", ConfigResolver())
    counter.clear()
    run(paths, tmp_path / "c", ConfigResolver())
    assert counter == []
    config.write_text("min-role-words = 5\n")
    run(paths, tmp_path / "c", ConfigResolver())
    assert counter == paths
    counter.clear()
    # a command-line selection is part of the resolved settings too
    narrowed = ConfigResolver(adjust=lambda s: s._replace(select=("KL3",)))
    run(paths, tmp_path / "c", narrowed)
    assert counter == paths


def test_upgrading_the_version_invalidates(tmp_path, counter, monkeypatch):
    paths = make_tree(tmp_path / "src")
    old = karpathy_lint.__version__
    run(paths, tmp_path / "c")
    counter.clear()
    monkeypatch.setattr(karpathy_lint, "__version__", old + ".post1")
    upgraded = run(paths, tmp_path / "c")
    assert counter == paths
    counter.clear()
    assert run(paths, tmp_path / "c") == upgraded
    assert counter == []
    versions = sorted(json.loads(e.read_text())["version"] for e in entries(tmp_path / "c"))
    assert versions == sorted([old] * len(paths) + [old + ".post1"] * len(paths))


def test_an_old_version_entry_under_the_same_key_is_not_trusted(tmp_path, counter, monkeypatch):
    """Even if a stale entry sits at the very key (a hand-copied cache), its version field is checked."""
    paths = make_tree(tmp_path / "src", 1)
    run(paths, tmp_path / "c")
    (entry,) = entries(tmp_path / "c")
    data = json.loads(entry.read_text())
    data["version"] = "0.0.0-old"
    entry.write_text(json.dumps(data))
    counter.clear()
    run(paths, tmp_path / "c")
    assert counter == paths
    assert json.loads(entry.read_text())["version"] == karpathy_lint.__version__


CORRUPTIONS = {
    "truncated": lambda raw: raw[: len(raw) // 2],
    "empty": lambda raw: b"",
    "random-bytes": lambda raw: os.urandom(200),
    "not-an-object": lambda raw: b"[1, 2, 3]",
    "findings-not-a-list": lambda raw: _edit(raw, lambda d: d.update(findings="oops")),
    "finding-too-short": lambda raw: _edit(raw, lambda d: d.update(findings=[[1, 2]])),
    "line-is-a-string": lambda raw: _edit(raw, lambda d: d["findings"][0].__setitem__(0, "7")),
    "message-is-a-number": lambda raw: _edit(raw, lambda d: d["findings"][0].__setitem__(6, 42)),
    "bad-fix": lambda raw: _edit(raw, lambda d: d["findings"][0].__setitem__(9, ["safe", "m", [["x"]]])),
    "error-set": lambda raw: _edit(raw, lambda d: d.update(error="boom")),
    "syntax-error-not-bool": lambda raw: _edit(raw, lambda d: d.update(syntax_error="yes")),
}


def _edit(raw: bytes, change) -> bytes:
    data = json.loads(raw)
    change(data)
    return json.dumps(data).encode()


@pytest.mark.parametrize("kind", sorted(CORRUPTIONS))
def test_corrupt_entry_is_ignored_and_rewritten(tmp_path, counter, kind):
    src = tmp_path / "src"
    src.mkdir()
    p = src / "noisy.py"
    p.write_text(NOISY)
    paths = [str(p)]
    good = run(paths, tmp_path / "c")
    assert good[0][3], "needs findings so type corruptions have something to corrupt"
    (entry,) = entries(tmp_path / "c")
    original = entry.read_bytes()
    entry.write_bytes(CORRUPTIONS[kind](original))
    counter.clear()
    again = run(paths, tmp_path / "c")
    assert counter == paths  # a miss: never trusted
    assert again == good  # and never fatal
    assert json.loads(entry.read_bytes()) == json.loads(original)  # rewritten


def test_unwritable_cache_is_not_fatal(tmp_path, counter):
    paths = make_tree(tmp_path / "src", 2)
    blocker = tmp_path / "c"
    blocker.write_text("a file where the cache folder should be")
    first = run(paths, blocker)
    assert counter == paths and all(err is None for _, err, _, _ in first)


def test_cache_folder_gets_its_own_gitignore(tmp_path):
    paths = make_tree(tmp_path / "src", 1)
    run(paths, tmp_path / "c")
    assert (tmp_path / "c" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_cache_dir_option_is_honoured_and_clean_removes_it(tmp_path):
    src = tmp_path / "src"
    make_tree(src)
    target = tmp_path / "elsewhere"
    first = run_cli("--cache-dir", target, "--format", "json", src, cwd=tmp_path)
    assert first.returncode == 1
    assert entries(target)
    assert not (tmp_path / ".karpathy_lint_cache").exists()
    second = run_cli("--cache-dir", target, "--format", "json", src, cwd=tmp_path)
    assert second.stdout == first.stdout
    proc = run_cli("clean", "--cache-dir", target, cwd=tmp_path)
    assert proc.returncode == 0 and b"removed" in proc.stdout
    assert not target.exists()
    # the default folder, too
    run_cli("--format", "json", src, cwd=tmp_path)
    assert (tmp_path / ".karpathy_lint_cache" / ".gitignore").exists()
    assert run_cli("clean", cwd=tmp_path).returncode == 0
    assert not (tmp_path / ".karpathy_lint_cache").exists()


def test_clean_refuses_a_folder_that_is_not_a_cache(tmp_path):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("years of work")
    proc = run_cli("clean", "--cache-dir", precious, cwd=tmp_path)
    assert proc.returncode == 0 and b"no cache" in proc.stdout
    assert (precious / "thesis.txt").exists()


def test_two_runs_at_once_leave_a_valid_cache_and_identical_output(tmp_path):
    src = tmp_path / "src"
    make_tree(src, 40)
    target = tmp_path / "shared-cache"
    args = [sys.executable, "-m", "karpathy_lint", "--cache-dir", str(target), "--format", "json", "-j", "2", str(src)]
    procs = [subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [1, 1], [err for _, err in outs]
    assert outs[0][0] == outs[1][0]
    uncached = run_cli("--no-cache", "--format", "json", src, cwd=tmp_path)
    assert outs[0][0] == uncached.stdout
    found = entries(target)
    assert len(found) == 40
    for entry in found:
        assert cache.valid_entry(json.loads(entry.read_bytes()))
    # no half-written temp files left behind: only entries and the .gitignore marker
    assert {p.suffix or p.name for p in target.rglob("*") if p.is_file()} == {".json", ".gitignore"}
    warm = run_cli("--cache-dir", target, "--format", "json", src, cwd=tmp_path)
    assert warm.stdout == uncached.stdout


def test_a_change_in_an_imported_sibling_module_invalidates_the_importer(tmp_path, counter):
    # KL501 asks `from .epi_ops import Scalar` what epi_ops defines: the importer's entry depends on epi_ops.py
    pkg = tmp_path / "quack"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    ops = pkg / "epi_ops.py"
    ops.write_text("class Scalar:\n    def begin(self, gemm, param):\n        return param\n")
    user = pkg / "epi_composable.py"
    user.write_text('"""Each op\'s hooks can assume their `param` is non-None."""\nfrom .epi_ops import Scalar\n\n\n'
                    "def to_params(ops):\n    params = [op for op in ops]\n    return params\n")
    # `param` is one letter from the local `params`: a stale name, unless the imported epi_ops defines it
    cache_dir = tmp_path / "cache"

    def kl501():
        return [f.code for _, _, _, fs in run([str(user)], cache_dir) for f in fs if f.code == "KL501"]

    assert kl501() == [] and counter == [str(user)]
    assert kl501() == [] and counter == [str(user)]  # a hit: nothing changed
    # `param` is gone (the stamp is mtime and size: a real edit changes at least one; this one both)
    ops.write_text("class Scalar:\n    def begin(self, gemm, v):\n        return v\n")
    assert kl501() == ["KL501"] and counter == [str(user)] * 2  # a miss: the sibling changed, not the file
    assert kl501() == ["KL501"] and counter == [str(user)] * 2
    ops.unlink()
    assert kl501() == ["KL501"] and counter == [str(user)] * 3
