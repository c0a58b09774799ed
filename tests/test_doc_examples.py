"""The README's and docs' examples are executed, so they stay true (issue 19, item 4).

A fenced block preceded by `<!-- example: ... -->` is checked:

* `select=CODES expect=none|CODES [setting=value ...]`: the block, linted with
  that selection (project "DeepSeek", the docs' project), gives exactly the
  expected codes;
* `config`: the TOML block is a valid config naming every key there is;
* `json-output`: the JSON block has the keys the real `--output-format json` writes.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from karpathy_lint.cli import main
from karpathy_lint.config import _KEYS, Settings, settings_from_file
from karpathy_lint.engine import lint_source
from karpathy_lint.registry import all_options

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
EXAMPLE = re.compile(r"<!-- example: (?P<spec>[^>]*?) -->\n```(?P<lang>\w*)\n(?P<code>.*?)```", re.S)


def examples():
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for m in EXAMPLE.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            yield pytest.param(m.group("spec"), m.group("lang"), m.group("code"), id=f"{doc.name}:{line}")


ALL = list(examples())


def test_the_docs_hold_examples():
    specs = [p.values[0] for p in ALL]
    assert "config" in specs and "json-output" in specs and sum(s.startswith("select=") for s in specs) >= 5


def _parse(spec: str) -> tuple[Settings, set[str]]:
    """`select=KL306,KL002 expect=none lines-per-comment=1` -> (settings, expected codes)."""
    fields = dict(part.split("=", 1) for part in spec.split())
    expected = fields.pop("expect")
    select = tuple(fields.pop("select").split(","))
    changes = {}
    for key, value in fields.items():  # any other word is a config key, as written in the docs
        option = all_options()[key][0]
        changes[option.field] = int(value) if option.kind in ("count", "positive") else value
    settings = Settings(project="DeepSeek", project_from="config").updated(select=select, **changes)
    return settings, set() if expected == "none" else set(expected.split(","))


@pytest.mark.parametrize("spec,lang,code", [p for p in ALL if p.values[0].startswith("select=")])
def test_lint_example(spec, lang, code):
    settings, expect = _parse(spec)
    name = "example.cu" if lang in ("cuda", "cpp", "c") else "example.py"
    result = lint_source(name, code.encode(), settings)
    assert result.error is None, result.error
    assert {f.code for f in result.findings} == expect, [(f.code, f.line, f.message) for f in result.findings]


@pytest.mark.parametrize("spec,lang,code", [p for p in ALL if p.values[0] == "config"])
def test_config_example(spec, lang, code, tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "pyproject.toml").write_text("[tool.karpathy-lint]\n")  # what `extend` points at
    path = tmp_path / "sub" / "pyproject.toml"
    path.write_text(code)
    settings_from_file(path)  # raises on any unknown key or bad value
    documented = set(re.findall(r"^([a-z-]+) =", code, re.M)) - {"extend"}
    assert documented == set(_KEYS) | set(all_options()), (set(_KEYS) | set(all_options())) ^ documented


@pytest.mark.parametrize("spec,lang,code", [p for p in ALL if p.values[0] == "json-output"])
def test_json_output_example(spec, lang, code, tmp_path):
    documented = json.loads(code)
    f = tmp_path / "m.py"
    f.write_text('"""\nModule: m\n\n<karpathys_code_comments>\n** Function List **\n\n'
                 '</karpathys_code_comments>\n"""\n\ndef route(x, k):\n    return x\n')
    r = CliRunner().invoke(main, ["--no-cache", "--select", "KL202", "--output-format", "json", str(f)])
    (real,) = json.loads(r.stdout)
    assert set(real) == set(documented)
    assert set(real["fix"]) == set(documented["fix"])
    assert set(real["fix"]["edits"][0]) == set(documented["fix"]["edits"][0])
    assert (real["code"], real["name"]) == (documented["code"], documented["name"])
    assert real["message"] == documented["message"]


def _rule_doc_blocks():
    import textwrap

    from karpathy_lint.registry import all_rules

    for rule in all_rules():
        for section in ("Example", "Use instead"):
            m = re.search(rf"## {section}\n(.*?)(?=\n\s*## |\Z)", rule.__doc__ or "", re.S)
            for lang, code in re.findall(r"```(\w*)\n(.*?)```", m.group(1), re.S) if m else ():
                if lang in ("python", "cuda"):  # the others are fragments of a header, not files
                    yield pytest.param(rule, section, lang, textwrap.dedent(code), id=f"{rule.code}-{section}")


@pytest.mark.parametrize("rule,section,lang,code", list(_rule_doc_blocks()))
def test_rule_doc_examples(rule, section, lang, code):
    """docs/rules.md (generated from the rules' docstrings): each Example shows the rule's finding, each
    Use instead shows none."""
    name = "example.py" if lang == "python" else "example.cu"
    base = Settings(project="DeepSeek", project_from="config")
    if section == "Example":
        found = lint_source(name, code.encode(), base).findings  # every rule on, as a user runs it
        assert rule.code in {f.code for f in found}
    else:
        found = lint_source(name, code.encode(), base.updated(select=(rule.code,))).findings
        assert found == [], [(f.code, f.message) for f in found]
