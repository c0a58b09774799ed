"""Output formats, `--statistics`, `--output-file`, exit codes and the `rule`
command, through the real CLI in a subprocess."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from clihelp import CliResult, lint

from karpathy_lint.docs import rule_doc
from karpathy_lint.registry import all_rules

DATA = Path(__file__).resolve().parent / "data" / "clean"
GOOD_PY = (DATA / "good.py").read_text(encoding="utf-8")
BAD_PY = "def f(x):\n    #karpathy: 100% sure\n    return x\n"
BAD_CU = "__global__ void k(float* x) { x[0] = 1; }\n"
CONTRACT_KEYS = {"path", "line", "column", "end_line", "end_column", "code", "name", "message", "severity", "fix"}


def cli(*args: str, cwd: Path, env: dict | None = None) -> CliResult:
    if args[0] != "rule":
        args = ("--no-cache", *args)
    return lint(*args, cwd=cwd, env={"NO_COLOR": None, "FORCE_COLOR": None, **(env or {})})


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "bad.py").write_text(BAD_PY)
    (tmp_path / "k.cu").write_text(BAD_CU)
    (tmp_path / "good.py").write_text(GOOD_PY)
    return tmp_path


EXPECTED_TEXT = """\
bad.py:1:1: KL101 header-missing no header block: add a module docstring with `<karpathys_code_comments>` (karpathy-scaffold writes one)
bad.py:2:5: KL301 marker-malformed malformed marker `#karpathy:`: write `# Karpathy:` [*]
bad.py:3:5: KL308 signature-missing file does not end with a closing `Karpathy:` comment after its last line of code
k.cu:1:1: KL101 header-missing no header block: add a leading /* ... */ comment with `<karpathys_code_comments>` (karpathy-scaffold writes one)
k.cu:1:1: KL308 signature-missing file does not end with a closing `Karpathy:` comment after its last line of code
Checked 3 files: 5 findings (1 fixable with --fix).
"""


def test_text_full(tree: Path):
    proc = cli(".", cwd=tree)
    assert proc.returncode == 1
    assert proc.stdout == EXPECTED_TEXT
    assert proc.stderr == ""
    assert "\x1b[" not in proc.stdout  # no colour when not a terminal


def test_text_concise_drops_the_rule_name(tree: Path):
    proc = cli("--format", "concise", ".", cwd=tree)
    lines = proc.stdout.splitlines()
    assert lines[1] == "bad.py:2:5: KL301 malformed marker `#karpathy:`: write `# Karpathy:` [*]"
    assert len(lines) == 6 and lines[-1] == EXPECTED_TEXT.splitlines()[-1]


def test_force_color_and_no_color(tree: Path):
    proc = cli(".", cwd=tree, env={"FORCE_COLOR": "1"})
    assert "\x1b[" in proc.stdout and "KL301" in proc.stdout
    proc = cli(".", cwd=tree, env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert "\x1b[" not in proc.stdout and proc.stdout == EXPECTED_TEXT


def test_quiet_prints_findings_only(tree: Path):
    proc = cli("--quiet", ".", cwd=tree)
    assert proc.returncode == 1
    assert proc.stdout == "".join(EXPECTED_TEXT.splitlines(keepends=True)[:-1])
    proc = cli("--quiet", "good.py", cwd=tree)
    assert proc.returncode == 0 and proc.stdout == ""


def test_json_contract(tree: Path):
    proc = cli("--format", "json", ".", cwd=tree)
    assert proc.returncode == 1
    data = json.loads(proc.stdout)
    assert isinstance(data, list) and len(data) == 5
    for f in data:
        assert set(f) == CONTRACT_KEYS
        assert isinstance(f["line"], int) and f["line"] >= 1 and f["column"] >= 1
        assert (f["end_line"], f["end_column"]) >= (f["line"], f["column"])
        assert f["severity"] == "error"
    marker = next(f for f in data if f["code"] == "KL301")
    assert marker == {
        "path": "bad.py", "line": 2, "column": 5, "end_line": 2, "end_column": 25, "code": "KL301",
        "name": "marker-malformed", "message": "malformed marker `#karpathy:`: write `# Karpathy:`",
        "severity": "error",
        "fix": {"applicability": "safe", "message": "Normalise the marker",
                "edits": [{"line": 2, "column": 5, "end_line": 2, "end_column": 25,
                           "content": "# Karpathy: 100% sure"}]},
    }
    assert [(f["path"], f["line"], f["code"]) for f in data] == sorted((f["path"], f["line"], f["code"]) for f in data)
    # clean: an empty array, exit 0
    proc = cli("--format", "json", "good.py", cwd=tree)
    assert proc.returncode == 0 and json.loads(proc.stdout) == []


def test_json_lines_is_one_object_per_line(tree: Path):
    proc = cli("--format", "json-lines", ".", cwd=tree)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert [json.loads(line) for line in lines] == json.loads(cli("--format", "json", ".", cwd=tree).stdout)
    assert cli("--format", "json-lines", "good.py", cwd=tree).stdout == ""


def test_github_annotations(tree: Path):
    weird = tree / "we,ird:name.py"
    weird.write_text(BAD_PY)
    proc = cli("--format", "github", "bad.py", str(weird.name), cwd=tree)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert len(lines) == 6 and all(line.startswith("::error ") for line in lines)
    assert lines[1] == (
        "::error title=karpathy-lint KL301,file=bad.py,line=2,col=5,endLine=2,endColumn=25::"
        "KL301 marker-malformed: malformed marker `#karpathy:`: write `# Karpathy:`")
    # properties escape `,` and `:`; data escapes `%`
    assert "file=we%2Cird%3Aname.py,line=2" in proc.stdout
    (tree / "pct.py").write_text("x = 1  # Karpathy: x shape [b, t %% 2]\n")
    proc = cli("--format", "github", "--select", "KL307", "pct.py", cwd=tree)
    assert "dims 't %25%25 2'" in proc.stdout and "t %% 2" not in proc.stdout


def test_statistics(tree: Path):
    proc = cli("--statistics", ".", cwd=tree)
    assert proc.returncode == 1
    stats = proc.stdout.splitlines()  # only the table, as ruff prints it
    assert stats == ["    2  KL101  header-missing", "    2  KL308  signature-missing", "    1  KL301  [*] marker-malformed"]
    proc = cli("--statistics", "--format", "concise", ".", cwd=tree)
    assert proc.stdout.splitlines() == stats
    proc = cli("--statistics", "good.py", cwd=tree)
    assert proc.returncode == 0 and proc.stdout == ""


@pytest.mark.parametrize("fmt", ["text", "json", "json-lines", "github", "sarif"])
def test_output_file(tree: Path, fmt: str):
    out = tree / "out" / f"report.{fmt}"
    out.parent.mkdir()
    proc = cli("--format", fmt, "--output-file", str(out), ".", cwd=tree, env={"FORCE_COLOR": "1"})
    assert proc.returncode == 1
    assert proc.stdout == ""
    written = out.read_text(encoding="utf-8")
    assert written == cli("--format", fmt, ".", cwd=tree).stdout  # same bytes, no colour codes
    assert "KL301" in written


def test_exit_codes(tree: Path):
    assert cli("good.py", cwd=tree).returncode == 0
    assert cli("bad.py", cwd=tree).returncode == 1
    assert cli("--exit-zero", "bad.py", cwd=tree).returncode == 0
    proc = cli("missing.py", cwd=tree)
    assert proc.returncode == 2 and proc.stderr == "karpathy-lint: error: missing.py: no such file or directory\n"
    assert cli("--exit-zero", "bad.py", "missing.py", cwd=tree).returncode == 2
    (tree / "broken.py").write_text("def f(:\n")
    assert cli("--exit-zero", "broken.py", cwd=tree).returncode == 2
    assert cli("--format", "bogus", ".", cwd=tree).returncode == 2
    assert cli("--select", "KL999", ".", cwd=tree).returncode == 2
    # --select narrows the findings, and with it the exit code
    assert cli("--select", "KL301", "k.cu", cwd=tree).returncode == 0


# -- the rule command ------------------------------------------------------------------------


def test_rule_by_code_and_by_name():
    rule = next(r for r in all_rules() if r.code == "KL301")
    by_code = cli("rule", "KL301", cwd=Path.cwd())
    by_name = cli("rule", "marker-malformed", cwd=Path.cwd())
    lower = cli("rule", "kl301", cwd=Path.cwd())
    assert by_code.returncode == 0 and by_code.stdout == by_name.stdout == lower.stdout
    lines = by_code.stdout.splitlines()
    assert lines[0] == "KL301 marker-malformed"
    assert set(lines[1]) == {"="} and len(lines[1]) == len(lines[0])
    assert lines[2] == f"{rule.summary}. Fix: safe. Languages: python, cuda."
    assert rule_doc(rule) in by_code.stdout
    assert "## What it does" in by_code.stdout and "## Example" in by_code.stdout


def test_rule_errors():
    proc = cli("rule", "NOPE", cwd=Path.cwd())
    assert proc.returncode == 2 and proc.stderr.startswith("karpathy-lint: error: unknown rule 'NOPE'")
    assert cli("rule", cwd=Path.cwd()).returncode == 2


def test_rule_all_json():
    proc = cli("rule", "--all", "--output-format", "json", cwd=Path.cwd())
    assert proc.returncode == 0
    data = json.loads(proc.stdout)
    assert [d["code"] for d in data] == [r.code for r in all_rules()]
    for d, r in zip(data, all_rules()):
        assert d == {"code": r.code, "name": r.name, "summary": r.summary, "fix": d["fix"],
                     "languages": list(r.languages), "doc": rule_doc(r)}
        assert d["fix"] in ("safe", "unsafe", "no")
        assert d["doc"].startswith("## What it does")


def test_rule_all_markdown_and_text():
    md = cli("rule", "--all", "--output-format", "markdown", cwd=Path.cwd()).stdout
    text = cli("rule", "--all", cwd=Path.cwd()).stdout
    for r in all_rules():
        assert f"### {r.code} `{r.name}`\n" in md
        assert f"\n{r.code} {r.name}\n" in f"\n{text}"
    assert md.count("\n### KL") + md.startswith("### KL") == len(all_rules())
    assert "\n## " not in md  # the docs' own headings sit below the rule's
    assert "#### What it does" in md
