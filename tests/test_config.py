"""Config resolution through the real CLI: nearest config per file (monorepo),
`extend`, `--isolated`, `--config`, `--show-settings`, karpathy-lint.toml, and
config errors (exit code 2, one line)."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from clihelp import CliResult, lint

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the tomli backport is a dependency there
    import tomli as tomllib  # type: ignore[no-redef]

DATA = Path(__file__).resolve().parent / "data" / "clean"
GOOD_PY = (DATA / "good.py").read_text(encoding="utf-8")
GOOD_CU = (DATA / "good.cu").read_text(encoding="utf-8")
NO_SIGNATURE_PY = GOOD_PY.replace("\n# Karpathy: Simple idea, huge impact. Pretty cool engineering tbh.\n", "")
NO_SIGNATURE_CU = GOOD_CU.replace("\n// Karpathy: Simple idea, huge impact. Pretty cool engineering tbh.\n", "")


def cli(*args: str, cwd: Path) -> CliResult:
    return lint("--no-cache", *args, cwd=cwd)


def codes_by_file(proc: subprocess.CompletedProcess) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in json.loads(proc.stdout):
        out.setdefault(f["path"].replace("\\", "/"), set()).add(f["code"])
    return out


@pytest.fixture
def mono(tmp_path: Path) -> Path:
    """root (ignores KL308) / a (extends root, project Alpha, excludes gen/) / b (karpathy-lint.toml: only KL101)."""
    assert NO_SIGNATURE_PY != GOOD_PY and NO_SIGNATURE_CU != GOOD_CU
    (tmp_path / "pyproject.toml").write_text('[tool.karpathy-lint]\nignore = ["KL308"]\n')
    (tmp_path / "top.py").write_text(NO_SIGNATURE_PY)
    (tmp_path / "gen").mkdir()
    (tmp_path / "gen" / "made.py").write_text(NO_SIGNATURE_PY)
    a = tmp_path / "a"
    (a / "src").mkdir(parents=True)
    (a / "gen").mkdir()
    (a / "pyproject.toml").write_text(
        '[project]\nname = "a"\n\n[tool.karpathy-lint]\nextend = "../pyproject.toml"\nproject = "Alpha"\n'
        'extend-exclude = ["gen/"]\n')
    (a / "src" / "mod.py").write_text(NO_SIGNATURE_PY)
    (a / "gen" / "made.py").write_text("#karpathy: bad\n")
    b = tmp_path / "b"
    (b / "kern").mkdir(parents=True)
    (b / "pyproject.toml").write_text('[project]\nname = "b"\n')  # no table: skipped
    (b / "karpathy-lint.toml").write_text('select = ["KL101", "KL308"]\n')
    (b / "kern" / "k.cu").write_text("__global__ void k(float* x) { x[0] = 1; }\n")
    (b / "kern" / "ok.cu").write_text(NO_SIGNATURE_CU)
    return tmp_path


def test_nearest_config_wins_per_file(mono: Path):
    proc = cli("--format", "json", ".", cwd=mono)
    assert proc.returncode == 1, proc.stderr
    got = codes_by_file(proc)
    assert got == {
        # a/: project Alpha (KL109 on a DeepSeek role), KL308 ignored through `extend`
        "a/src/mod.py": {"KL109"},
        # b/: karpathy-lint.toml beside a pyproject.toml without the table; select holds
        "b/kern/k.cu": {"KL101", "KL308"},
        "b/kern/ok.cu": {"KL308"},
    }, got
    # a/gen/ is excluded by a/'s config, relative to a/; gen/ at the root is not, but root ignores KL308
    assert "a/gen/made.py" not in got
    # top.py and gen/made.py are clean under the root config (KL308 ignored, project DeepSeek)


def test_same_monorepo_from_inside_a_package(mono: Path):
    proc = cli("--format", "json", "src", "../b/kern/k.cu", cwd=mono / "a")
    got = codes_by_file(proc)
    assert got == {"src/mod.py": {"KL109"}, "../b/kern/k.cu": {"KL101", "KL308"}}, got


def test_isolated_ignores_every_config(mono: Path):
    got = codes_by_file(cli("--isolated", "--format", "json", ".", cwd=mono))
    # defaults: KL308 everywhere, no project name (no KL109), nothing excluded
    assert got["a/src/mod.py"] == {"KL308"}
    assert got["top.py"] == {"KL308"}
    assert "KL301" in got["a/gen/made.py"]
    assert got["b/kern/ok.cu"] == {"KL308"}


def test_config_flag_replaces_discovery(mono: Path):
    got = codes_by_file(cli("--config", "b/karpathy-lint.toml", "--format", "json", "a/src/mod.py", "top.py",
                            cwd=mono))
    assert got == {"a/src/mod.py": {"KL308"}, "top.py": {"KL308"}}


def test_karpathy_lint_toml_beats_pyproject_in_the_same_folder(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text('[tool.karpathy-lint]\nproject = "FromPyproject"\n')
    (tmp_path / "karpathy-lint.toml").write_text('project = "FromToml"\n')
    proc = cli("--show-settings", "x.py", cwd=tmp_path)
    assert proc.returncode == 0
    assert f"# from {tmp_path.resolve() / 'karpathy-lint.toml'}" in proc.stdout
    assert 'project = "FromToml"' in proc.stdout


def test_cuda_only_repo_with_karpathy_lint_toml(tmp_path: Path):
    """A non-Python repo: no pyproject.toml, the config is karpathy-lint.toml."""
    (tmp_path / "karpathy-lint.toml").write_text('project = "Kern"\n')
    (tmp_path / "csrc").mkdir()
    (tmp_path / "csrc" / "fill.cu").write_text(GOOD_CU)
    proc = cli("--format", "json", ".", cwd=tmp_path)
    assert codes_by_file(proc) == {"csrc/fill.cu": {"KL109"}}
    (tmp_path / "karpathy-lint.toml").write_text('project = "DeepSeek"\n')
    proc = cli(".", cwd=tmp_path)
    assert proc.returncode == 0 and "All checks passed (1 file checked)" in proc.stdout


def test_show_settings_prints_the_resolved_settings(mono: Path):
    proc = cli("--show-settings", "a/src/mod.py", cwd=mono)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "# settings for a/src/mod.py"
    assert lines[1] == f"# from {(mono / 'a' / 'pyproject.toml').resolve()}"
    assert 'project = "Alpha"' in lines  # own value
    assert 'ignore = ["KL308"]' in lines  # inherited through extend
    assert 'extend-exclude = ["gen/"]' in lines
    # command-line options are applied on top
    proc = cli("--show-settings", "--select", "KL3", "--ignore", "KL305", "a/src/mod.py", cwd=mono)
    assert 'select = ["KL3"]' in proc.stdout.splitlines()
    assert 'ignore = ["KL308", "KL305"]' in proc.stdout.splitlines()
    # a folder: the settings for files directly inside it
    proc = cli("--show-settings", "b", cwd=mono)
    assert f"# from {(mono / 'b' / 'karpathy-lint.toml').resolve()}" in proc.stdout
    proc = cli("--show-settings", "--isolated", "a/src/mod.py", cwd=mono)
    assert "# from (defaults: no config file)" in proc.stdout and "# project = (not set)" in proc.stdout


@pytest.mark.parametrize("files, message", [
    ({"pyproject.toml": '[tool.karpathy-lint]\nfrobnicate = 1\n'}, "unknown key `frobnicate`"),
    ({"pyproject.toml": '[tool.karpathy-lint]\nselect = ["KL999"]\n'}, "unknown rule 'KL999'"),
    ({"pyproject.toml": '[tool.karpathy-lint]\nlines-per-comment = 0\n'}, "`lines-per-comment` must be"),
    ({"pyproject.toml": '[tool.karpathy-lint\n'}, "invalid TOML"),
    ({"pyproject.toml": '[tool.karpathy-lint]\nextend = "other.toml"\n', "other.toml": 'extend = "pyproject.toml"\n'},
     "`extend` forms a cycle"),
    ({"pyproject.toml": '[tool.karpathy-lint]\nextend = "nope.toml"\n'}, "config file not found"),
])
def test_bad_config_is_one_line_and_exit_2(tmp_path: Path, files: dict, message: str):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "x.py").write_text(GOOD_PY)
    proc = cli("x.py", cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr
    assert proc.stderr.startswith("karpathy-lint: error: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert "Traceback" not in proc.stderr


def test_rule_options_come_from_the_rules_declarations(tmp_path: Path):
    from karpathy_lint.docs import rule_doc
    from karpathy_lint.registry import all_options

    options = all_options()
    assert options["lines-per-comment"][1].code == "KL303"
    (tmp_path / "karpathy-lint.toml").write_text("lines-per-comment = 4\n")
    (tmp_path / "x.py").write_text("x = 1\n")
    shown = cli("--show-settings", "x.py", cwd=tmp_path).stdout
    table = tomllib.loads(shown)["tool"]["karpathy-lint"]  # TOML that can be pasted back
    # every declared option is shown, with the rule that reads it; the configured value wins over the default
    for key, (option, rule) in options.items():
        value = 4 if key == "lines-per-comment" else option.default
        assert table[key] == (list(value) if isinstance(value, tuple) else value)
        assert any(line.startswith(f"{key} = ") and line.endswith(f"  # {rule.code} {rule.name}")
                   for line in shown.splitlines())
        assert f"`{key}`" in rule_doc(rule).split("## Options", 1)[1]
    # validation follows the declared kind
    (tmp_path / "karpathy-lint.toml").write_text("lines-per-comment = 0\n")
    bad = cli("x.py", cwd=tmp_path)
    assert bad.returncode == 2 and "`lines-per-comment` must be a whole number of at least 1" in bad.stderr
