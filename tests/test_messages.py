"""Messages say what is true; one problem is one finding; fixes where a fix is obvious (issue 19, items 7, 9, 10)."""
from __future__ import annotations


from karpathy_lint.codemods.scaffold import scaffold_source
from karpathy_lint.config import Settings
from karpathy_lint.engine import lint_source
from karpathy_lint.fixer import fix_source

S = Settings(project="DeepSeek", project_from="config")


def findings(source: str, name: str = "example.py", **settings):
    result = lint_source(name, source.encode(), S.updated(**settings))
    assert result.error is None, result.error
    return result.findings


PLAIN = ("def route(x, w):\n"
         "    # scores shape [tokens, experts], one score per expert\n"
         "    scores = x @ w\n"
         "    # keep the best two\n"
         "    top = scores.topk(2)\n"
         "    return top\n")


def test_kl305_says_plain_comments_do_not_count():
    (f,) = findings(PLAIN, select=("KL305",))
    assert "no `# Karpathy:` comment (plain `#` comments do not count)" in f.message


def test_kl303_says_plain_comments_do_not_count():
    (f,) = findings(PLAIN, select=("KL303",), lines_per_comment=2)
    assert f.message.startswith("0 `# Karpathy:` comments for 4 lines of code")
    assert "plain `#` comments do not count" in f.message
    cuda = "void f(int* x) {\n  // plain\n  x[0] = 1;\n  x[1] = 2;\n  x[2] = 3;\n}\n"
    (f,) = findings(cuda, "k.cu", select=("KL303",), lines_per_comment=2)
    assert "`// Karpathy:` comments" in f.message and "plain `//` comments" in f.message


def test_kl306_points_at_a_plain_shape_comment():
    (f,) = findings(PLAIN, select=("KL306",))
    assert f.line == 3 and "the `@` operator on line 3" in f.message
    assert "line 2 states a shape but lacks the `# Karpathy:` marker" in f.message


def test_kl108_once_per_header_and_kl107_not_on_placeholders():
    new = scaffold_source("m.py", b"def f(x):\n    return x\n\ndef g(y):\n    return y\n", S).new
    found = findings(new.decode(), select=("KL1",))
    assert [f.code for f in found] == ["KL108"], [(f.code, f.line, f.message) for f in found]
    assert "4 placeholders" in found[0].message  # role, f, g, deep dive


def test_kl303_and_kl304_not_both():
    src = "".join(f"x{i} = {i}\n" for i in range(200))
    assert [f.code for f in findings(src, select=("KL303", "KL304"))] == ["KL303"]


def test_kl306_and_kl307_not_both_for_one_malformed_shape():
    src = "def f(q, k):\n    # Karpathy: att shape (B, H, T, T)\n    att = q @ k\n    return att\n"
    assert [f.code for f in findings(src, select=("KL306", "KL307"))] == ["KL307"]


def test_kl307_fix_writes_brackets():
    src = "def f(q, k):\n    # Karpathy: att shape (B, H, T, T), scores\n    att = q @ k\n    return att\n"
    fixed, n, _ = fix_source("example.py", src.encode(), S.updated(select=("KL307",)))
    assert n == 1 and b"# Karpathy: att shape [B, H, T, T], scores\n" in fixed


def test_kl301_message_is_not_cut_mid_word():
    src = "x = 1\n#karpathy - a rather long explanation of what this line is doing and why\n"
    (f,) = findings(src, select=("KL301",))
    assert f.message == "malformed marker `#karpathy -`: write `# Karpathy:`"


def test_marker_without_colon_is_malformed():
    src = "x = 1\n#karpathy pre-norm keeps the residual stream clean\n"
    (f,) = findings(src, select=("KL301",))
    fixed = fix_source("example.py", src.encode(), S.updated(select=("KL301",))).source
    assert fixed == b"x = 1\n# Karpathy: pre-norm keeps the residual stream clean\n"
    # prose that mentions the name, spelt and spaced like prose, is not a marker
    assert findings("x = 1\n# Karpathy style comments explain shapes\n", select=("KL301",)) == []
