"""`karpathy-lint verify-shapes`: shape comments checked against the running code.

Small scripts written as a new user would (deliberately wrong comments
included) run through the real command line; the last tests run every corpus
demo and the corpus tests and require every shape comment in the corpus to
run, with no mismatch.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"

# a tensor stand-in: these scripts need no torch, so they run in a blink
FAKE = """
class T:
    def __init__(self, *shape):
        self.shape = tuple(shape)
"""


def verify(tmp_path, body: str, *extra: str, name: str = "demo.py"):
    script = tmp_path / name
    script.write_text(FAKE + textwrap.dedent(body))
    record = tmp_path / "record.json"
    proc = subprocess.run([sys.executable, "-m", "karpathy_lint", "verify-shapes", *extra, "--record", str(record),
                           str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    data = json.loads(record.read_text()) if record.exists() else None
    return proc, data


def test_correct_comments_pass(tmp_path):
    proc, data = verify(tmp_path, """
        def attend(q):
            # Karpathy: q shape [batch, seq, d_model]
            q = T(2, 16, 64)
            att = T(2, 16, 16)  # Karpathy: att shape [batch, seq, seq]
            return att

        attend(None)
    """)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "verified 2 of 2 shape comments in 1 file (0 never ran); 0 mismatches" in proc.stdout
    assert data["mismatches"] == 0 and all(s["runs"] == 1 for s in data["shapes"])


def test_wrong_ndim_reports_the_observed_shape(tmp_path):
    proc, _ = verify(tmp_path, """
        def f():
            # Karpathy: x shape [batch, seq, d_model]
            x = T(2, 16, 64, 1)
            return x

        f()
    """)
    assert proc.returncode == 1
    assert "KL601 shape-mismatch x shape [batch, seq, d_model]: got (2, 16, 64, 1)" in proc.stdout
    assert "demo.py:7:17:" in proc.stdout  # the comment's position
    assert "1 mismatch" in proc.stdout


def test_symbolic_dim_must_agree_within_one_call(tmp_path):
    proc, _ = verify(tmp_path, """
        def f():
            a = T(2, 16)  # Karpathy: a shape [batch, seq]
            b = T(2, 8)  # Karpathy: b shape [batch, seq]
            return b

        f()
    """)
    assert proc.returncode == 1
    assert "`seq` is 8 here but 16 at line" in proc.stdout


def test_symbolic_dims_bind_per_call(tmp_path):
    proc, _ = verify(tmp_path, """
        def f(n):
            a = T(n, 4)  # Karpathy: a shape [tokens, 4]
            return a

        f(3)
        f(5)
    """)
    assert proc.returncode == 0, proc.stdout
    assert "verified 1 of 1" in proc.stdout


def test_numbers_arithmetic_and_ellipsis(tmp_path):
    proc, _ = verify(tmp_path, """
        def f():
            n_heads, head_dim = 4, 8
            q = T(2, 4, 8)  # Karpathy: q shape [batch, n_heads, head_dim]
            o = T(2, 32)  # Karpathy: o shape [batch, n_heads*head_dim]
            s = T(2, 17)  # Karpathy: s shape [batch, seq_len + 1]
            seqx = T(16)  # Karpathy: seqx shape [seq_len]
            y = T(7, 3, 2, 32)  # Karpathy: y shape [..., 2, n_heads * head_dim]
            return y

        f()
    """)
    assert proc.returncode == 0, proc.stdout
    assert "verified 5 of 5" in proc.stdout


def test_arithmetic_mismatch_and_non_integer_division(tmp_path):
    proc, _ = verify(tmp_path, """
        def f():
            x = T(100, 4)  # Karpathy: x shape [K, 4]
            s = T(2)  # Karpathy: s shape [K/128]
            t = T(3)  # Karpathy: t shape [K/50 + 2]
            return t

        f()
    """)
    assert proc.returncode == 1
    assert "`K/128` is not a whole number" in proc.stdout
    assert "`K/50 + 2` is 4 but the dim is 3" in proc.stdout


def test_config_fields_fix_a_symbolic_dim(tmp_path):
    proc, _ = verify(tmp_path, """
        from dataclasses import dataclass

        @dataclass
        class Config:
            d_model: int = 64

        def f(cfg):
            h = T(3, 32)  # Karpathy: h shape [tokens, d_model]
            return h

        f(Config())
    """)
    assert proc.returncode == 1
    assert "`d_model` is 32 here but cfg.d_model is 64" in proc.stdout


def test_loops_are_checked_every_time(tmp_path):
    proc, _ = verify(tmp_path, """
        def f():
            for n in (4, 4, 5):
                # Karpathy: x shape [4]
                x = T(n)
            return x

        f()
    """)
    assert proc.returncode == 1
    assert "got (5,): a dim is 5, the comment says 4" in proc.stdout


def test_multiline_statement_is_finished_before_the_check(tmp_path):
    proc, _ = verify(tmp_path, """
        def f():
            x = T(1)
            # Karpathy: x shape [2, 3]
            x = T(
                2,
                3,
            )
            return x

        f()
    """)
    assert proc.returncode == 0, proc.stdout


def test_return_value_def_line_and_attribute_chain(tmp_path):
    proc, _ = verify(tmp_path, """
        class Layer:
            def __init__(self):
                # Karpathy: self.w.weight shape [8, 4]
                self.w = type("Lin", (), {"weight": T(8, 4)})()

            def forward(self, x):  # Karpathy: x shape [batch, 4]
                # Karpathy: logits shape [batch, 8]
                return T(x.shape[0], 8)

        Layer().forward(T(3, 4))
    """)
    assert proc.returncode == 0, proc.stdout
    assert "verified 3 of 3" in proc.stdout


def test_unbound_name_and_no_shape(tmp_path):
    proc, _ = verify(tmp_path, """
        def f():
            y = 3  # Karpathy: y shape [2]
            # Karpathy: z shape [2]
            x = T(2)
            return x

        f()
    """)
    assert proc.returncode == 1
    assert "KL601 shape-mismatch y shape [2]: got int, which has no .shape" in proc.stdout
    assert "KL602 shape-name-unbound z shape [2]: `z` is not bound after line" in proc.stdout


def test_never_ran_is_a_count_unless_asked(tmp_path):
    body = """
        def used():
            x = T(2)  # Karpathy: x shape [2]
            return x

        def unused():
            x = T(2)  # Karpathy: x shape [2]
            return x

        used()
    """
    proc, _ = verify(tmp_path, body)
    assert proc.returncode == 0
    assert "verified 1 of 2 shape comments in 1 file (1 never ran); 0 mismatches" in proc.stdout
    proc, _ = verify(tmp_path, body, "--report-unverified")
    assert proc.returncode == 1
    assert "KL603 shape-not-verified x shape [2]: the annotated line never ran" in proc.stdout


def test_script_error_is_one_line_and_exit_2(tmp_path):
    proc, _ = verify(tmp_path, """
        def f():
            x = T(2)  # Karpathy: x shape [2]
            raise ValueError("boom")

        f()
    """)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].endswith("demo.py raised ValueError: boom")
    assert "karpathy_lint" not in proc.stderr.replace("karpathy-lint: error", "")  # no traceback of ours
    assert 'raise ValueError("boom")' in proc.stderr  # the user's own traceback is shown
    assert "verified 1 of 1" in proc.stdout


def test_script_arguments_and_json_output(tmp_path):
    proc, _ = verify(tmp_path, """
        import sys
        print("hello from the script", sys.argv[1:])
        x = T(int(sys.argv[1]))  # Karpathy: x shape [3]
    """, "--format", "json")
    # extra args go after the target: rerun by hand to pass them
    script = tmp_path / "demo.py"
    proc = subprocess.run([sys.executable, "-m", "karpathy_lint", "verify-shapes", "--format", "json", str(script),
                           "4"], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 1
    findings = json.loads(proc.stdout)  # the script's print went to stderr
    assert findings[0]["code"] == "KL601" and "got (4,)" in findings[0]["message"]
    assert "hello from the script ['4']" in proc.stderr


def test_module_level_and_sibling_files(tmp_path):
    (tmp_path / "helper.py").write_text(FAKE + "def make():\n    y = T(5)  # Karpathy: y shape [6]\n    return y\n")
    (tmp_path / "unrelated.py").write_text(FAKE + "z = T(1)  # Karpathy: z shape [1]\n")
    proc, _ = verify(tmp_path, """
        import helper
        x = T(2)  # Karpathy: x shape [2]
        helper.make()
    """)
    assert proc.returncode == 1
    assert "helper.py:6:" in proc.stdout and "got (5,)" in proc.stdout
    assert "in 2 files" in proc.stdout  # unrelated.py never imported: not counted


def test_fork_children_are_counted(tmp_path):
    proc, _ = verify(tmp_path, """
        import multiprocessing as mp

        def work(n):
            x = T(n, 3)  # Karpathy: x shape [n, 2]
            return x

        if __name__ == "__main__":
            p = mp.get_context("fork").Process(target=work, args=(4,))
            p.start()
            p.join()
    """)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "got (4, 3)" in proc.stdout


def test_pytest_mode_and_plugin(tmp_path):
    (tmp_path / "mod.py").write_text(FAKE + "def f(n):\n    y = T(n, 3)  # Karpathy: y shape [n, 2]\n    return y\n")
    (tmp_path / "test_mod.py").write_text("from mod import f\n\ndef test_f():\n    assert f(2).shape[0] == 2\n")
    proc = subprocess.run([sys.executable, "-m", "karpathy_lint", "verify-shapes", "--pytest", "test_mod.py",
                           "-q", "-p", "no:cacheprovider"], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "mod.py:6:" in proc.stdout and "got (2, 3)" in proc.stdout
    plain = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_mod.py"],
                           capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert plain.returncode == 0 and "verify-shapes" not in plain.stdout  # the plugin sleeps unless asked
    plugin = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--verify-shapes",
                             "test_mod.py"], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert plugin.returncode == 1, plugin.stdout
    assert "KL601 shape-mismatch y shape [n, 2]: got (2, 3)" in plugin.stdout


def test_usage_errors_exit_2(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "karpathy_lint", "verify-shapes", str(tmp_path / "nope.py")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "no such file" in proc.stderr


def _python312():
    for cand in ("python3.12", "python3.13", os.path.expanduser("~/.pyenv/versions/3.12.1/bin/python"),
                 os.path.expanduser("~/.pyenv/versions/3.13.0/bin/python")):
        exe = shutil.which(cand) or (cand if os.path.isfile(cand) else None)
        if exe:
            try:
                out = subprocess.run([exe, "-c", "import sys; print(sys.version_info >= (3, 12))"],
                                     capture_output=True, text=True, timeout=30)
            except OSError:
                continue
            if out.stdout.strip() == "True":
                return exe
    return None


@pytest.mark.skipif(_python312() is None, reason="no Python 3.12+ interpreter to test sys.monitoring")
def test_sys_monitoring_path_on_312(tmp_path):
    """The tracer is standard-library only: drive it directly under 3.12+ (sys.monitoring)."""
    script = tmp_path / "mon.py"
    script.write_text(f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n" + FAKE + textwrap.dedent("""
        from karpathy_lint.shapes.sites import Site, ShapeStmt
        from karpathy_lint.shapes.tracer import Tracer

        def f(n):
            x = T(n, 2)
            y = T(n, 3)
            return y

        def gen():
            for i in (2, 3):
                z = T(i)
                yield z

        line = f.__code__.co_firstlineno
        glin = gen.__code__.co_firstlineno
        def shp(name, dims):
            return ShapeStmt(name, dims, name + " shape " + str(list(dims)), __file__, 0, 0, 0, 0)
        s1 = Site(__file__, "stmt", line + 1, line + 1, shapes=[shp("x", ("n", "2"))])
        s2 = Site(__file__, "stmt", line + 2, line + 2, shapes=[shp("y", ("n", "2"))])
        s3 = Site(__file__, "call", line, line, func=("f", line), shapes=[shp("n", ())])
        s4 = Site(__file__, "stmt", glin + 2, glin + 2, shapes=[shp("z", ("2",))])
        tr = Tracer([s1, s2, s3, s4])
        tr.start()
        f(4); f(5)
        list(gen())
        tr.stop()
        print([(s.shapes[0].runs, s.shapes[0].problems, s.shapes[0].message) for s in (s1, s2, s3, s4)])
    """))
    out = subprocess.run([_python312(), str(script)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    runs = eval(out.stdout.strip().splitlines()[-1])
    assert runs[0] == (2, 0, None)
    assert runs[1][:2] == (2, 2) and "got (4, 3)" in runs[1][2]
    assert runs[2][:2] == (2, 2) and "got int" in runs[2][2]  # `n` is an int parameter: no .shape
    assert runs[3][:2] == (2, 1) and "got (3,)" in runs[3][2]


# -- the corpus: every shape comment runs somewhere, and none is wrong ----------------------------------------------
def _corpus_runs(tmp_path):
    jobs = []
    for f in sorted(CORPUS.glob("*/*.py")):
        rec = tmp_path / f"demo-{f.parent.name}-{f.stem}.json"
        jobs.append(([sys.executable, "-m", "karpathy_lint", "verify-shapes", "--record", str(rec),
                      str(f.relative_to(ROOT))], rec))
    rec = tmp_path / "pytest.json"
    # the corpus tests reach what the demos do not (loopback threads, helpers); their demo-running tests are
    # skipped here because the demos already ran above
    jobs.append(([sys.executable, "-m", "karpathy_lint", "verify-shapes", "--pytest", "--record", str(rec),
                  "tests/corpus", "-q", "-p", "no:cacheprovider", "-k", "not demo", "-m", "not slow"], rec))

    def run(job):
        cmd, rec = job
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600)
        return cmd, proc, rec

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(run, jobs))


def test_every_corpus_shape_comment_verified(tmp_path):
    results = _corpus_runs(tmp_path)
    union: dict[tuple, dict] = {}
    for cmd, proc, rec in results:
        assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        for s in json.loads(rec.read_text())["shapes"]:
            if not s["path"].startswith("corpus"):
                continue
            key = (s["path"], s["line"], s["text"])
            u = union.setdefault(key, {"runs": 0, "problems": 0})
            u["runs"] += s["runs"]
            u["problems"] += s["problems"]
    # every shape comment of every corpus file is in the union
    from karpathy_lint.shapes.outcome import load_sites

    cwd = os.getcwd()
    try:
        os.chdir(ROOT)
        expected = {(shp.path, shp.line, shp.text) for site in load_sites(
            sorted(str(p.relative_to(ROOT)) for p in CORPUS.glob("*/*.py"))) for shp in site.shapes}
    finally:
        os.chdir(cwd)
    assert expected and expected <= set(union), sorted(expected - set(union))[:10]
    never = sorted(k for k, v in union.items() if v["runs"] == 0)
    bad = sorted(k for k, v in union.items() if v["problems"])
    assert not bad, bad
    assert not never, never


def test_bad_config_beside_the_target_is_one_line_exit_2(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.karpathy-lint]\nbogus = 1\n")
    script = tmp_path / "demo.py"
    script.write_text("import torch\n\ndef f():\n    # Karpathy: x shape [2, 3]\n    x = torch.zeros(2, 3)\n    return x\n\nf()\n")
    proc = subprocess.run([sys.executable, "-m", "karpathy_lint", "verify-shapes", str(script)],
                          capture_output=True, text=True, cwd=tmp_path, check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "unknown key `bogus`" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_script_outside_the_project_does_not_pull_in_its_folder(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "sibling.py").write_text("import torch\n# Karpathy: y shape [9]\ny = torch.zeros(1)\n")
    script = outside / "demo.py"
    script.write_text("import torch\n# Karpathy: x shape [2]\nx = torch.zeros(2)\n")
    project = tmp_path / "project"
    project.mkdir()
    proc = subprocess.run([sys.executable, "-m", "karpathy_lint", "verify-shapes", str(script)],
                          capture_output=True, text=True, cwd=project, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "verified 1 of 1 shape comment in 1 file (0 never ran); 0 mismatches" in proc.stdout


def test_common_notations_are_checked_like_the_conventions_form(tmp_path):
    proc, data = verify(tmp_path, """
        def f(B):
            x = T(B, 16, 64)  # (B, T, C)
            # y: [B, T]
            y = T(B, 16)
            # [batch, seq, d]
            z = T(B, 16, 64, 1)
            self_w = T(3)  # the weights, of shape (n)
            q, k = T(1), T(2)  # (B, T)
            log = []  # (kind, chain_id): the fields of each entry, not a shape
            return x

        f(2)
    """)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    # the wrong one is caught at run time; `q, k` cannot say whose shape it is and a literal has none, so
    # neither is a shape statement
    assert "KL601 shape-mismatch z shape [batch, seq, d]: got (2, 16, 64, 1)" in proc.stdout
    assert "verified 3 of 4 shape comments in 1 file (0 never ran); 1 mismatch" in proc.stdout
    names = sorted(s["text"] for s in data["shapes"])
    assert names == ["self_w shape [n]", "x shape [B, T, C]", "y shape [B, T]", "z shape [batch, seq, d]"]
