"""The project name comes from the project itself, never "DeepSeek" by default (issue 19, item 2)."""
from __future__ import annotations

import subprocess
from pathlib import Path

from click.testing import CliRunner

from karpathy_lint.cli import main
from karpathy_lint.codemods.scaffold_cli import main as scaffold
from karpathy_lint.rules._examples import header

ROOT = Path(__file__).resolve().parents[1]


def lint_json(*args):
    import json

    r = CliRunner().invoke(main, ["--no-cache", "--select", "KL109", "--output-format", "json", *map(str, args)])
    return r.exit_code, json.loads(r.stdout)


def test_scaffold_names_the_pyproject_project(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "tinygpt"\n')
    f = tmp_path / "model.py"
    f.write_text("def f(x):\n    return x\n")
    r = CliRunner().invoke(scaffold, [str(f)])
    assert r.exit_code == 0, r.stderr
    text = f.read_text()
    assert "** This File's Role in tinygpt **" in text and "DeepSeek" not in text


def test_scaffold_without_a_name_uses_the_repository_folder(tmp_path):
    repo = tmp_path / "my-gpt"
    (repo / "src").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    f = repo / "src" / "model.py"
    f.write_text("def f(x):\n    return x\n")
    assert CliRunner().invoke(scaffold, [str(f)]).exit_code == 0
    assert "** This File's Role in my-gpt **" in f.read_text()


def test_kl109_accepts_any_title_without_a_project_name(tmp_path):
    f = tmp_path / "a.py"
    f.write_text(header(project="nanoGPT"))
    assert lint_json(f) == (0, [])


def test_kl109_rewrite_is_unsafe_when_the_name_was_guessed_from_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "tinygpt"\n')
    f = tmp_path / "a.py"
    f.write_text(header(project="nanoGPT"))
    code, found = lint_json(f)
    assert code == 1 and found[0]["code"] == "KL109" and "tinygpt" in found[0]["message"]
    assert found[0]["fix"]["applicability"] == "unsafe"
    # a safe --fix leaves the user's title alone
    assert CliRunner().invoke(main, ["--no-cache", "--select", "KL109", "--fix", str(f)]).exit_code == 1
    assert "Role in nanoGPT" in f.read_text()


def test_kl109_rewrite_is_safe_when_the_config_states_the_name(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n[tool.karpathy-lint]\nproject = "tinygpt"\n')
    f = tmp_path / "a.py"
    f.write_text(header(project="nanoGPT"))
    code, found = lint_json(f)
    assert code == 1 and found[0]["fix"]["applicability"] == "safe"


def test_corpus_states_deepseek_in_its_own_config():
    r = CliRunner().invoke(main, ["--show-settings", str(ROOT / "corpus" / "03-DeepSeek-MoE" / "01-moe_router.py")])
    assert 'project = "DeepSeek"' in r.stdout
    assert "corpus" in r.stdout.splitlines()[1]  # `# from .../corpus/karpathy-lint.toml`
