"""`--format sarif`, run through the real CLI and checked two independent ways:

* against the official OASIS SARIF 2.1.0 JSON schema (tests/data/sarif-schema-2.1.0.json,
  see tests/data/README.md for where it comes from), with jsonschema;
* by loading it with sarif-pydantic, a SARIF object model from PyPI.

The fixes in the log are applied by this test (line/column in code points) and must
give the same file as `karpathy-lint --fix`.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
from clihelp import lint

import karpathy_lint
from karpathy_lint.docs import rule_doc
from karpathy_lint.registry import all_rules

DATA = Path(__file__).resolve().parent / "data"
GOOD_PY = (DATA / "clean" / "good.py").read_text(encoding="utf-8")
SCHEMA = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))



def validate(log: dict) -> None:
    validator = jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])
    import sarif_pydantic

    parsed = sarif_pydantic.Sarif.model_validate(log)
    assert parsed.version == "2.1.0"
    assert len(parsed.runs) == 1
    assert parsed.runs[0].tool.driver.name == "karpathy-lint"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "unicode_marker.py").write_text(
        GOOD_PY.replace("    # Karpathy: one addition, nothing else\n",
                        '    s = "café"  #karpathy: naïve sum, é\n'), encoding="utf-8")
    (tmp_path / "missing_entry.py").write_text(
        GOOD_PY.replace("\n# Karpathy: Simple",
                        "\n\ndef sub(a, b):\n    # Karpathy: one subtraction\n    return a - b\n\n# Karpathy: Simple"),
        encoding="utf-8")
    (tmp_path / "sub dir").mkdir()
    (tmp_path / "sub dir" / "k ernel.cu").write_text("__global__ void k(float* x) { x[0] = 1; }\n")
    (tmp_path / "clean.py").write_text(GOOD_PY, encoding="utf-8")
    return tmp_path


def test_schema_file_is_the_official_sarif_210_schema():
    jsonschema.Draft4Validator.check_schema(SCHEMA)
    assert SCHEMA["id"].endswith("/sarif-schema-2.1.0.json")
    assert SCHEMA["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")


def test_sarif_log_is_valid_and_complete(project: Path):
    proc = lint("--no-cache", "--format", "sarif", ".", cwd=project)
    assert proc.returncode == 1, proc.stderr
    log = json.loads(proc.stdout)
    validate(log)

    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-schema-2.1.0.json")
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["version"] == karpathy_lint.__version__
    assert driver["informationUri"].startswith("https://")
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == project.resolve().as_uri() + "/"
    assert run["invocations"] == [{"executionSuccessful": True}]

    # rule metadata: every rule, its docs as the full description and help
    by_id = {r["id"]: r for r in driver["rules"]}
    assert set(by_id) == {r.code for r in all_rules()} | {"KL001"}
    for rule in all_rules():
        d = by_id[rule.code]
        assert d["name"] == rule.name
        assert d["shortDescription"]["text"] == rule.summary
        assert d["fullDescription"]["text"] == rule_doc(rule)
        assert d["help"]["markdown"] == rule_doc(rule) and "## What it does" in d["help"]["text"]
        assert d["defaultConfiguration"]["level"] == "error"

    # results agree one to one with the JSON contract
    expected = json.loads(lint("--no-cache", "--format", "json", ".", cwd=project).stdout)
    assert len(run["results"]) == len(expected) == 4
    for res, f in zip(run["results"], expected):
        assert res["ruleId"] == f["code"]
        assert driver["rules"][res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["level"] == "error"
        assert res["message"]["text"] == f["message"]
        (loc,) = res["locations"]
        art = loc["physicalLocation"]["artifactLocation"]
        assert art["uriBaseId"] == "%SRCROOT%" and not art["uri"].startswith(("/", "file:", "./"))
        region = loc["physicalLocation"]["region"]
        assert (region["startLine"], region["startColumn"], region["endLine"], region["endColumn"]) == (
            f["line"], f["column"], f["end_line"], f["end_column"])
        assert ("fixes" in res) == (f["fix"] is not None)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert uris == {"missing_entry.py", "sub%20dir/k%20ernel.cu", "unicode_marker.py"}
    marker = next(r for r in run["results"] if r["ruleId"] == "KL301")
    assert marker["locations"][0]["physicalLocation"]["region"]["startColumn"] == 17  # characters, not bytes
    fingerprints = [r["partialFingerprints"]["karpathyLint/v1"] for r in run["results"]]
    assert len(set(fingerprints)) == len(fingerprints)


def _apply_sarif_fixes(text: str, fixes: list[dict]) -> str:
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(line: int, column: int) -> int:
        return starts[line - 1] + column - 1

    edits = []
    for fix in fixes:
        for change in fix["artifactChanges"]:
            for rep in change["replacements"]:
                r = rep["deletedRegion"]
                edits.append((offset(r["startLine"], r["startColumn"]), offset(r["endLine"], r["endColumn"]),
                              rep["insertedContent"]["text"]))
    for start, end, content in sorted(edits, reverse=True):
        text = text[:start] + content + text[end:]
    return text


@pytest.mark.parametrize("name, code", [("unicode_marker.py", "KL301"), ("missing_entry.py", "KL202")])
def test_sarif_fix_gives_the_same_file_as_dash_dash_fix(project: Path, tmp_path_factory, name: str, code: str):
    log = json.loads(lint("--no-cache", "--format", "sarif", name, cwd=project).stdout)
    validate(log)
    (result,) = [r for r in log["runs"][0]["results"] if r["ruleId"] == code]
    (fix,) = result["fixes"]
    assert fix["artifactChanges"][0]["artifactLocation"]["uri"] == name
    assert fix["description"]["text"]
    assert fix["properties"]["applicability"] in ("safe", "unsafe")
    original = (project / name).read_text(encoding="utf-8")
    via_sarif = _apply_sarif_fixes(original, result["fixes"])
    assert via_sarif != original

    other = tmp_path_factory.mktemp("fixed")
    shutil.copy(project / name, other / name)
    lint("--no-cache", "--fix", "--unsafe-fixes", name, cwd=other)
    assert via_sarif == (other / name).read_text(encoding="utf-8")
    # and the fixed file no longer has that finding
    again = json.loads(lint("--no-cache", "--format", "sarif", name, cwd=other).stdout)
    assert code not in {r["ruleId"] for r in again["runs"][0]["results"]}


def test_sarif_clean_run_syntax_error_and_unreadable_file(project: Path):
    proc = lint("--no-cache", "--format", "sarif", "clean.py", cwd=project)
    assert proc.returncode == 0
    log = json.loads(proc.stdout)
    validate(log)
    assert log["runs"][0]["results"] == []

    (project / "broken.py").write_text("def f(:\n    pass\n")
    proc = lint("--no-cache", "--format", "sarif", "broken.py", "missing.py", cwd=project)
    assert proc.returncode == 2
    log = json.loads(proc.stdout)
    validate(log)
    run = log["runs"][0]
    (res,) = run["results"]
    assert res["ruleId"] == "KL001" and run["tool"]["driver"]["rules"][res["ruleIndex"]]["name"] == "syntax-error"
    (inv,) = run["invocations"]
    assert inv["executionSuccessful"] is False
    note, broken = inv["toolExecutionNotifications"]  # the file that did not parse could not be checked either
    assert broken["level"] == "error" and "syntax error on line 1" in broken["message"]["text"]
    assert note["level"] == "error" and "no such file" in note["message"]["text"]
    assert note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "missing.py"


def test_sarif_outside_cwd_uses_absolute_file_uri_and_output_file(project: Path, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("cwd")
    target = project / "unicode_marker.py"
    out = elsewhere / "report.sarif"
    proc = lint("--no-cache", "--format", "sarif", "--output-file", str(out), str(target), cwd=elsewhere)
    assert proc.returncode == 1 and proc.stdout == ""
    log = json.loads(out.read_text(encoding="utf-8"))
    validate(log)
    art = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert art == {"uri": target.resolve().as_uri()}


def test_sarif_from_stdin(project: Path):
    source = (project / "unicode_marker.py").read_text(encoding="utf-8")
    proc = lint("--format", "sarif", "-", "--stdin-filename", "pkg/mod.py", cwd=project, input=source)
    assert proc.returncode == 1, proc.stderr
    log = json.loads(proc.stdout)
    validate(log)
    (res,) = log["runs"][0]["results"]
    assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "pkg/mod.py"


def test_fingerprint_ignores_line_numbers(project: Path):
    def prints(cwd: Path) -> dict[str, str]:
        log = json.loads(lint("--no-cache", "--format", "sarif", "missing_entry.py", cwd=cwd).stdout)
        return {r["ruleId"]: r["partialFingerprints"]["karpathyLint/v1"] for r in log["runs"][0]["results"]}

    before = prints(project)
    path = project / "missing_entry.py"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("\ndef add(a, b):", "\n\n\n\ndef add(a, b):"), encoding="utf-8")
    assert prints(project) == before == {"KL202": before["KL202"]}


def test_validators_reject_a_broken_log(project: Path):
    """The two checks are not vacuous: a log with a bad region or no driver fails them."""
    log = json.loads(lint("--no-cache", "--format", "sarif", "unicode_marker.py", cwd=project).stdout)
    validate(log)
    bad = json.loads(json.dumps(log))
    bad["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    with pytest.raises(AssertionError, match="startLine"):
        validate(bad)
    bad = json.loads(json.dumps(log))
    bad["runs"][0]["results"][0]["fixes"][0]["artifactChanges"][0]["replacements"][0]["insertedContent"] = "x"
    with pytest.raises(AssertionError):
        validate(bad)
    import pydantic
    import sarif_pydantic

    bad = json.loads(json.dumps(log))
    del bad["runs"][0]["tool"]["driver"]
    with pytest.raises(pydantic.ValidationError):
        sarif_pydantic.Sarif.model_validate(bad)
