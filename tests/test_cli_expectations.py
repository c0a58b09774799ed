"""What a ruff user expects of the command line (issue 19, "Things people expect")."""
from __future__ import annotations

import json

import pytest
from clihelp import lint

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the tomli backport is a dependency there
    import tomli as tomllib  # type: ignore[no-redef]

FINDINGS = "def f(x):\n    return x\n"  # no header: KL101



def test_output_format_is_accepted_everywhere(tmp_path):
    f = tmp_path / "f.py"
    f.write_text(FINDINGS)
    for flag in ("--output-format", "--format"):
        r = lint("--no-cache", flag, "json", f)
        assert r.exit_code == 1 and json.loads(r.stdout)[0]["code"] == "KL101"
    r = lint("rule", "KL101", "--format", "json")
    assert r.exit_code == 0 and json.loads(r.stdout)
    r = lint("verify-shapes", "--help")
    assert "--output-format" in r.stdout


def test_top_level_help_shows_the_check_options():
    r = lint("--help")
    assert r.exit_code == 0
    for option in ("--select", "--fix", "--output-format", "--statistics", "--show-files"):
        assert option in r.stdout, option


def test_mistyped_subcommand_gets_did_you_mean():
    r = lint("chekc")
    assert r.exit_code == 2 and "did you mean `check`?" in r.stderr
    r = lint("claen")
    assert r.exit_code == 2 and "did you mean `clean`?" in r.stderr


@pytest.mark.parametrize("fmt", ["text", "concise", "json", "json-lines", "github", "sarif"])
def test_statistics_prints_only_the_table(tmp_path, fmt):
    f = tmp_path / "f.py"
    f.write_text(FINDINGS)
    r = lint("--no-cache", "--select", "KL101", "--statistics", "--output-format", fmt, f)
    assert r.exit_code == 1
    if fmt in ("json", "sarif"):
        rows = json.loads(r.stdout)
        assert rows == [{"code": "KL101", "name": "header-missing", "count": 1, "fixable": False}]
    elif fmt == "json-lines":
        assert [json.loads(line) for line in r.stdout.splitlines()] == [
            {"code": "KL101", "name": "header-missing", "count": 1, "fixable": False}]
    else:
        assert r.stdout.splitlines() == ["    1  KL101  header-missing"]


def test_show_files_lists_what_would_be_checked(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "k.cu").write_text("int x;\n")
    (tmp_path / "notes.txt").write_text("no\n")
    (tmp_path / "pyproject.toml").write_text('[tool.karpathy-lint]\nexclude = ["skip.py"]\n')
    (tmp_path / "skip.py").write_text("x = 1\n")
    r = lint("--show-files", tmp_path)
    assert r.exit_code == 0
    assert r.stdout.splitlines() == [str(tmp_path / "a.py"), str(tmp_path / "sub" / "k.cu")]


def test_show_settings_is_pasteable_toml_with_exclusion_and_rules(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "tinygpt"\n\n[tool.karpathy-lint]\nignore = ["KL306"]\nexclude = ["gen/"]\n'
        'per-file-ignores = { "tests/**" = ["KL3"] }\n')
    (tmp_path / "gen").mkdir()
    target = tmp_path / "gen" / "out.py"
    target.write_text("x = 1\n")
    r = lint("--show-settings", target)
    assert r.exit_code == 0
    data = tomllib.loads(r.stdout)
    table = data["tool"]["karpathy-lint"]
    assert table["ignore"] == ["KL306"] and table["project"] == "tinygpt"
    assert table["per-file-ignores"] == {"tests/**": ["KL3"]}
    assert "root" not in table and "source" not in table
    assert "# excluded: yes" in r.stdout.splitlines()
    applies = next(line for line in r.stdout.splitlines() if line.startswith("# rules that apply: "))
    codes = applies.split(": ", 1)[1].split()
    assert "KL101" in codes and "KL306" not in codes
    # pasted back, the same settings come out
    (tmp_path / "copy").mkdir()
    (tmp_path / "copy" / "pyproject.toml").write_text(r.stdout)
    again = lint("--show-settings", tmp_path / "copy" / "x.py")
    assert tomllib.loads(again.stdout)["tool"]["karpathy-lint"] == table
    # the defaults too (no project name: left out, as a key may not be empty)
    (tmp_path / "bare").mkdir()
    defaults = lint("--show-settings", "--isolated", tmp_path / "bare" / "x.py").stdout
    (tmp_path / "bare" / "pyproject.toml").write_text(defaults)
    assert lint("--show-settings", tmp_path / "bare" / "x.py").exit_code == 0


def test_cache_lives_at_the_project_root_and_clean_finds_it(tmp_path, monkeypatch):
    monkeypatch.delenv("KARPATHY_LINT_CACHE_DIR", raising=False)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\n[tool.karpathy-lint]\nselect = ["KL1"]\n')
    sub = tmp_path / "src" / "pkg"
    sub.mkdir(parents=True)
    (sub / "m.py").write_text("x = 1\n")
    monkeypatch.chdir(sub)
    r = lint("m.py")
    assert r.exit_code == 1
    assert (tmp_path / ".karpathy_lint_cache").is_dir() and not (sub / ".karpathy_lint_cache").exists()
    r = lint("clean")
    assert r.exit_code == 0 and f"removed {tmp_path / '.karpathy_lint_cache'}" in r.stdout
    assert not (tmp_path / ".karpathy_lint_cache").exists()
