"""The README stays true: its rule table is generated from the rules, and
.ci/run runs exactly the README's test command."""
from __future__ import annotations

import re
from pathlib import Path

from karpathy_lint.docs import END, START, readme_with_table
from karpathy_lint.registry import all_rules

ROOT = Path(__file__).resolve().parents[1]


def test_rule_table_in_sync():
    readme = (ROOT / "README.md").read_text()
    assert START in readme and END in readme
    assert readme_with_table(readme, all_rules()) == readme, (
        "README rule table is stale: run `python -m karpathy_lint.docs --write-readme`")


def test_every_rule_in_docs_rules_md():
    text = (ROOT / "docs" / "rules.md").read_text()
    for rule in all_rules():
        assert f"### {rule.code} `{rule.name}`" in text


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", readme, re.S)
    commands = [line for block in blocks[:2] for line in block.splitlines() if line and not line.startswith("#")]
    assert len(commands) == 2, commands
    main_job, test_command = commands
    assert "karpathy-lint corpus/" in main_job
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_command in ci.splitlines(), "the README's test command must appear verbatim in .ci/run"


def test_readme_says_whose_voice():
    readme = (ROOT / "README.md").read_text()
    assert "He did not write" in readme
