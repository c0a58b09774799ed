"""A misspelt config is never silently ignored (issue 19, item 3)."""
from __future__ import annotations

from clihelp import lint, scaffold


def test_underscore_table_is_an_accepted_alias(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.karpathy_lint]\nselect = ["KL101"]\n')
    f = tmp_path / "a.py"
    f.write_text("def f(x):\n    # Karpathy: x\n    return x\n")
    r = lint("--no-cache", "--output-format", "concise", f)
    assert r.exit_code == 1 and "KL101" in r.stdout
    assert "KL308" not in r.stdout  # the selection in the alias table was read
    r = lint("--show-settings", f)
    assert 'select = ["KL101"]' in r.stdout and "pyproject.toml" in r.stdout


def test_both_tables_is_an_error(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.karpathy_lint]\nselect = ["KL1"]\n[tool.karpathy-lint]\n')
    (tmp_path / "a.py").write_text("x = 1\n")
    r = lint("--no-cache", tmp_path / "a.py")
    assert r.exit_code == 2 and "keep one" in r.stderr


def test_near_miss_table_warns_loudly(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.karpathy-lnt]\nselect = ["KL1"]\n')
    (tmp_path / "a.py").write_text("x = 1\n")
    r = lint("--no-cache", tmp_path / "a.py")
    assert "warning" in r.stderr and "[tool.karpathy-lnt] is not read; did you mean [tool.karpathy-lint]?" in r.stderr


def test_every_bad_key_and_rule_name_is_reported_with_a_suggestion(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.karpathy-lint]\nlines_per_comment = 5\nmin-role-wrds = 3\nignore = ["shape-mising", "KL3O6"]\n'
        'per-file-ignores = { "t/**" = ["placeholder-lft"] }\n')
    (tmp_path / "a.py").write_text("x = 1\n")
    r = lint("--no-cache", tmp_path / "a.py")
    assert r.exit_code == 2 and "Traceback" not in r.stderr
    err = r.stderr
    assert "`lines_per_comment`; did you mean `lines-per-comment`?" in err
    assert "`min-role-wrds`; did you mean `min-role-words`?" in err
    assert "'shape-mising'; did you mean `shape-missing`?" in err
    assert "'KL3O6'; did you mean `KL306`?" in err
    assert "'placeholder-lft'; did you mean `placeholder-left`?" in err
    assert len(err.splitlines()) == 5 and all(line.startswith("karpathy-lint: error: ") for line in err.splitlines())
    # the scaffold reads the same config and says the same
    r = scaffold("--check", tmp_path / "a.py")
    assert r.exit_code == 2 and "did you mean `lines-per-comment`?" in r.stderr


def test_command_line_rule_names_get_suggestions():
    r = lint("--select", "shape-mising,KL3O6", ".")
    assert r.exit_code == 2
    assert "did you mean `shape-missing`?" in r.stderr and "did you mean `KL306`?" in r.stderr
