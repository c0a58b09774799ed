"""The CLI in a real subprocess: output forms, selection, exit codes, fixes, the JSON contract."""
from __future__ import annotations

import json
from pathlib import Path

from clihelp import run_cli

DATA = Path(__file__).parent / "data"
CLEAN = (DATA / "clean_router.py").read_text()


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_clean_file_exit_0_and_summary(tmp_path):
    p = write(tmp_path, "a.py", CLEAN)
    proc = run_cli("--no-cache", p)
    assert proc.returncode == 0
    assert proc.stdout.decode().strip() == "All checks passed (1 file checked)."


def test_text_line_format_and_summary(tmp_path):
    p = write(tmp_path, "a.py", CLEAN.replace("# Karpathy: keep the best", "#karpathy: keep the best"))
    proc = run_cli("--no-cache", p)
    assert proc.returncode == 1
    lines = proc.stdout.decode().splitlines()
    assert lines[0].startswith(f"{p}:44:5: KL301 marker-malformed ")
    assert lines[0].endswith("[*]")
    assert lines[-1] == "Checked 1 file: 1 finding (1 fixable with --fix)."


def test_no_colour_when_piped(tmp_path):
    p = write(tmp_path, "a.py", "x = 1\n")
    proc = run_cli("--no-cache", p)
    assert b"\x1b[" not in proc.stdout


def test_json_contract(tmp_path):
    p = write(tmp_path, "a.py", CLEAN.replace("route(x, w, top_k) - Score", "route(x, top_k) - Score"))
    proc = run_cli("--no-cache", "--format", "json", p)
    assert proc.returncode == 1
    data = json.loads(proc.stdout)  # stdout is one JSON array and nothing else
    assert isinstance(data, list) and len(data) == 1
    f = data[0]
    assert set(f) == {"path", "line", "column", "end_line", "end_column", "code", "name", "message", "severity", "fix"}
    assert (f["code"], f["name"], f["line"], f["column"]) == ("KL203", "function-list-params", 13, 1)
    assert "route(x, w, top_k)" in f["message"]
    assert f["fix"]["applicability"] == "safe"
    (edit,) = f["fix"]["edits"]
    assert set(edit) == {"line", "column", "end_line", "end_column", "content"}
    # applying the edit by line/column gives the fixed line
    lines = p.read_text().splitlines()
    line = lines[edit["line"] - 1]
    fixed = line[: edit["column"] - 1] + edit["content"] + line[edit["end_column"] - 1 :]
    assert fixed.startswith("route(x, w, top_k) - Score")


def test_json_empty_array_when_clean(tmp_path):
    p = write(tmp_path, "a.py", CLEAN)
    proc = run_cli("--no-cache", "--format", "json", p)
    assert proc.returncode == 0 and json.loads(proc.stdout) == []


def test_select_and_ignore(tmp_path):
    p = write(tmp_path, "a.py", "import torch\n\ndef f(x):\n    y = x\n    z = y\n    return torch.relu(z)\n")
    codes = lambda proc: sorted({f["code"] for f in json.loads(proc.stdout)})  # noqa: E731
    everything = codes(run_cli("--no-cache", "--format", "json", p))
    assert everything == ["KL101", "KL305", "KL306", "KL308"]
    assert codes(run_cli("--no-cache", "--format", "json", "--select", "KL3", p)) == ["KL305", "KL306", "KL308"]
    assert codes(run_cli("--no-cache", "--format", "json", "--ignore", "KL3,header-missing", p)) == []
    assert codes(run_cli("--no-cache", "--format", "json", "--select", "shape-missing", p)) == ["KL306"]


def test_exit_zero_and_quiet(tmp_path):
    p = write(tmp_path, "a.py", "x = 1\n")
    proc = run_cli("--no-cache", "--exit-zero", p)
    assert proc.returncode == 0 and b"KL101" in proc.stdout
    proc = run_cli("--no-cache", "--quiet", p)
    assert proc.returncode == 1
    assert b"Checked" not in proc.stdout and b"KL101" in proc.stdout


def test_directory_walk_respects_gitignore_and_exclude(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("ignored/\n")
    for d in ("src", "ignored", "vendored", ".venv"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "m.py").write_text("x = 1\n")
    (tmp_path / "src" / "k.cu").write_text("int x;\n")
    (tmp_path / "src" / "notes.txt").write_text("not code")
    (tmp_path / "pyproject.toml").write_text('[tool.karpathy-lint]\nexclude = ["vendored/"]\n')
    proc = run_cli("--no-cache", "--format", "json", ".", cwd=tmp_path)
    paths = sorted({f["path"] for f in json.loads(proc.stdout)})
    assert paths == ["src/k.cu", "src/m.py"]


def test_default_path_is_cwd(tmp_path):
    (tmp_path / "m.py").write_text(CLEAN)
    proc = run_cli("--no-cache", cwd=tmp_path)
    assert proc.returncode == 0 and b"1 file" in proc.stdout


def test_suppressions_line_and_file(tmp_path):
    text = "import torch\n\ndef f(x):  # karpathy-lint: ignore[KL305, shape-missing]\n    y = x\n    z = y\n    return torch.relu(z)\n"
    p = write(tmp_path, "a.py", text)
    codes = sorted({f["code"] for f in json.loads(run_cli("--no-cache", "--format", "json", p).stdout)})
    assert codes == ["KL101", "KL308"]
    p2 = write(tmp_path, "b.py", "# karpathy-lint: file-ignore[KL1, KL308]\n" + text)
    codes = sorted({f["code"] for f in json.loads(run_cli("--no-cache", "--format", "json", p2).stdout)})
    assert codes == []


def test_suppression_in_cuda(tmp_path):
    p = write(tmp_path, "k.cu", "// karpathy-lint: file-ignore[header-missing]\nint x;  // karpathy-lint: ignore\n")
    proc = run_cli("--no-cache", "--format", "json", p)
    assert json.loads(proc.stdout) == []


def test_fix_writes_and_keeps_crlf(tmp_path):
    text = CLEAN.replace("# Karpathy: keep the best", "# KARPATHY - keep the best").replace("\n", "\r\n")
    p = tmp_path / "a.py"
    p.write_bytes(text.encode())
    p.chmod(0o755)
    proc = run_cli("--no-cache", "--fix", p)
    assert proc.returncode == 0, proc.stdout
    data = p.read_bytes()
    assert b"# Karpathy: keep the best" in data
    assert data.count(b"\r\n") == text.count("\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    assert p.stat().st_mode & 0o777 == 0o755


def test_diff_does_not_write(tmp_path):
    p = write(tmp_path, "a.py", CLEAN.replace("# Karpathy: keep the best", "#Karpathy: keep the best"))
    before = p.read_bytes()
    proc = run_cli("--no-cache", "--diff", p)
    assert proc.returncode == 1
    assert b"-#Karpathy: keep the best" in proc.stdout.replace(b"    ", b"")
    assert p.read_bytes() == before


def test_rule_command(tmp_path):
    proc = run_cli("rule", "KL202")
    out = proc.stdout.decode()
    assert proc.returncode == 0
    for heading in ("What it does", "Why is this bad?", "Example", "Use instead", "Fix safety"):
        assert heading in out
    assert run_cli("rule", "function-list-missing").stdout == proc.stdout
    assert run_cli("rule", "KL999").returncode == 2
    data = json.loads(run_cli("rule", "--all", "--output-format", "json").stdout)
    assert [r["code"] for r in data] == sorted(r["code"] for r in data) and len(data) >= 20


def test_version_and_help():
    assert run_cli("--version").returncode == 0
    out = run_cli("--help").stdout.decode()
    assert "verify-shapes" in out and "rule" in out
