"""Round trip: scaffold the standard library and the CUDA toolkit headers.

For every file (a copy; nothing under the real trees is touched):

* the result parses (Python: `ast.parse`; CUDA: the linter's tree-sitter parse);
* the code is unchanged apart from the header: Python compares `ast.dump` of
  the module with the docstring removed; both languages check at byte level
  that the result is the original plus inserted text (one block, or text
  around the original docstring body, which stays contiguous);
* every original comment and the original docstring text are still there;
* a second run is byte-identical (idempotency);
* the linter reports no Function List parity finding (KL201-KL206) and no
  header-structure finding except KL107/KL108 (an empty Function List in a
  file that defines nothing listable is no KL106 finding).

A file scaffold refuses (syntax error, not UTF-8, an f-string docstring...)
must come back with a one-line error and no output; those are counted apart
from failures.

CUDA headers (.h, .hpp, .inl, .cuh, no extension) are scaffolded as `.cuh`:
that is the name under which the linter reads CUDA/C++.

In pytest (marked slow) a deterministic sample runs: every SAMPLE_STEP-th file
of each tree, time-boxed. The full run with figures:

    python tests/test_roundtrip.py --all [--jobs N]
"""
from __future__ import annotations

import ast
import io
import os
import sys
import sysconfig
import time
import tokenize
import warnings

import pytest

from karpathy_lint.codemods.scaffold import ScaffoldError, scaffold_source
from karpathy_lint.config import Settings
from karpathy_lint.engine import build_model, lint_source
from karpathy_lint.files import split_bom

CUDA_INCLUDE = "/usr/local/cuda/include"
SAMPLE_STEP = 12  # pytest runs every 12th file of each tree...
TIME_BOX_S = 90  # ...and stops starting new files after this many seconds per tree
SETTINGS = Settings()
PARITY = {"KL201", "KL202", "KL203", "KL204", "KL205", "KL206"}
EXPECTED_1XX = {"KL107", "KL108"}


def python_files() -> list[str]:
    root = sysconfig.get_paths()["stdlib"]
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in ("site-packages", "__pycache__"))
        out.extend(os.path.join(dirpath, f) for f in sorted(filenames) if f.endswith(".py"))
    return out


def cuda_files() -> list[str]:
    if not os.path.isdir(CUDA_INCLUDE):
        return []
    out = []
    for dirpath, dirnames, filenames in os.walk(CUDA_INCLUDE):
        dirnames.sort()
        out.extend(os.path.join(dirpath, f) for f in sorted(filenames) if not os.path.islink(os.path.join(dirpath, f)))
    return out


# -- the checks ------------------------------------------------------------------------------------


def _comments_py(text: str) -> list[str]:
    try:
        return [t.string for t in tokenize.generate_tokens(io.StringIO(text).readline) if t.type == tokenize.COMMENT]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return []


def _strip_doc(tree: ast.Module) -> str:
    body = tree.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    return ast.dump(ast.Module(body=body, type_ignores=[]))


def _only_insertions(old: bytes, new: bytes) -> bool:
    """`new` is `old` with text inserted around one contiguous piece of the original."""
    p = 0
    n = min(len(old), len(new))
    while p < n and old[p] == new[p]:
        p += 1
    s = 0
    while s < n - p and old[len(old) - 1 - s] == new[len(new) - 1 - s]:
        s += 1
    old_mid = old[p : len(old) - s]
    new_mid = new[p : len(new) - s]
    return old_mid in new_mid


def _parse(text: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(text)


def check_file(src: str, language: str) -> tuple[str, str]:
    """('ok' | 'refused' | 'fail', detail) for one file of a tree."""
    with open(src, "rb") as fh:
        old = fh.read()
    name = os.path.basename(src) if language == "python" else os.path.basename(src) + ".cuh"
    path = os.path.join("/nonexistent-roundtrip", name)  # scaffold_source never touches the disk
    try:
        result = scaffold_source(path, old, SETTINGS)
    except ScaffoldError as exc:
        msg = str(exc)
        return ("refused", msg) if "\n" not in msg and msg else ("fail", f"bad error text {msg!r}")
    except Exception as exc:  # noqa: BLE001 - a crash is a failure to report, not to raise
        return "fail", f"crash: {type(exc).__name__}: {exc}"
    new = result.new
    problems = []
    _, old_body = split_bom(old)
    bom, new_body = split_bom(new)
    if not new.startswith(old[: len(old) - len(old_body)]):
        problems.append("BOM lost")
    old_model = build_model(path, old_body, SETTINGS)
    if language == "python" and old_model.header is not None:
        # an existing docstring was extended: outside the literal nothing changed, and its body is intact
        oh = old_model.header
        nh = build_model(path, new_body, SETTINGS).header
        lit = old_body[oh.start : oh.end].lstrip(b"rRuU")
        q = 3 if lit[:3] in (b'"""', b"'''") else 1
        if old_body[: oh.start] + old_body[oh.end :] != new_body[: nh.start] + new_body[nh.end :] \
                or lit[q:-q] not in new_body[nh.start : nh.end]:
            problems.append("bytes of the original changed")
    elif not _only_insertions(old_body, new_body):
        problems.append("bytes of the original changed")
    if old_body.endswith(b"\n") != new_body.endswith(b"\n") and old_body:
        problems.append("final-newline state changed")
    if (b"\r\n" in old_body[:4096]) and new_body.count(b"\n") != new_body.count(b"\r\n") and \
            old_body.count(b"\n") == old_body.count(b"\r\n"):
        problems.append("CRLF file got LF line endings")
    # a PEP 263 cookie (`# -*- coding: latin-1 -*-`) names the file's encoding; the scaffold writes it back in it
    encoding = tokenize.detect_encoding(io.BytesIO(old_body).readline)[0] if language == "python" else "utf-8"
    old_text = old_body.decode(encoding)
    new_text = new_body.decode(encoding)
    if language == "python":
        try:
            old_tree, new_tree = _parse(old_text), _parse(new_text)
        except SyntaxError as exc:
            return "fail", f"result does not parse: {exc}"
        if _strip_doc(old_tree) != _strip_doc(new_tree):
            problems.append("AST changed")
        old_doc = ast.get_docstring(old_tree, clean=False)
        new_doc = ast.get_docstring(new_tree, clean=False)
        if new_doc is None or (old_doc is not None and old_doc not in new_doc):
            problems.append("docstring text lost")
        if _comments_py(old_text) != _comments_py(new_text):
            problems.append("comments changed")
    model = build_model(path, new_body, SETTINGS)
    if model.syntax_error is not None:
        return "fail", f"result does not parse: line {model.syntax_error.line}"
    if language == "cuda":
        old_c = [c.text for c in old_model.comments]
        new_c = [c.text for c in model.comments]
        it = iter(new_c)
        if not all(c in it for c in old_c):
            problems.append("comments changed")
    try:
        again = scaffold_source(path, new, SETTINGS)
        if again.new != new:
            problems.append("second run changed the file")
    except ScaffoldError as exc:
        problems.append(f"second run refused: {exc}")
    findings = lint_source(path, new, SETTINGS).findings
    parity = sorted({f.code for f in findings if f.code in PARITY})
    if parity:
        problems.append("parity findings " + ",".join(parity))
    structure = {f.code for f in findings if f.code.startswith("KL1")} - EXPECTED_1XX
    if structure:
        problems.append("header findings " + ",".join(sorted(structure)))
    if problems:
        return "fail", "; ".join(problems)
    return "ok", result.action


def _task(item):
    src, language = item
    t0 = time.perf_counter()
    status, detail = check_file(src, language)
    return src, language, status, detail, time.perf_counter() - t0


def run(items, jobs: int, time_box: float | None = None):
    """Results for (path, language) items; with a time box, stops starting new files."""
    results = []
    start = time.perf_counter()
    if jobs <= 1:
        for item in items:
            if time_box is not None and time.perf_counter() - start > time_box:
                break
            results.append(_task(item))
        return results, time.perf_counter() - start
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        for r in pool.imap_unordered(_task, items, chunksize=4):
            results.append(r)
            if time_box is not None and time.perf_counter() - start > time_box:
                pool.terminate()
                break
    return results, time.perf_counter() - start


# -- pytest: a deterministic sample ---------------------------------------------------------------------


@pytest.mark.slow
def test_roundtrip_stdlib_sample():
    files = python_files()[::SAMPLE_STEP]
    results, _ = run([(f, "python") for f in files], jobs=min(2, os.cpu_count() or 1), time_box=TIME_BOX_S)
    assert len(results) >= min(len(files), 50)
    failures = [(r[0], r[3]) for r in results if r[2] == "fail"]
    assert failures == []
    assert sum(r[2] == "ok" for r in results) > 0.9 * len(results)


@pytest.mark.slow
def test_roundtrip_cuda_headers_sample():
    files = cuda_files()
    if not files:
        pytest.skip(f"no CUDA toolkit headers under {CUDA_INCLUDE}")
    files = files[::SAMPLE_STEP]
    results, _ = run([(f, "cuda") for f in files], jobs=min(2, os.cpu_count() or 1), time_box=TIME_BOX_S)
    failures = [(r[0], r[3]) for r in results if r[2] == "fail"]
    assert failures == []
    assert sum(r[2] == "ok" for r in results) > 0


# -- script mode: the full run, with figures ---------------------------------------------------------------


def _reason(message: str) -> str:
    """A refusal message without its line numbers and snippets, for counting."""
    import re

    message = re.sub(r"line \d+", "line N", message)
    message = re.sub(r"'[^']*'|\(<unknown>.*?\)|byte 0x..", "...", message)
    return message


def main(argv: list[str]) -> int:
    import argparse
    from collections import Counter

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--all", action="store_true", help="every file (default: the pytest sample)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--show", type=int, default=20, help="list this many failures/refusals per tree")
    args = ap.parse_args(argv)
    step = 1 if args.all else SAMPLE_STEP
    total_fail = 0
    for label, files, language in (("stdlib", python_files(), "python"), ("cuda", cuda_files(), "cuda")):
        files = files[::step]
        if not files:
            print(f"{label}: no files (skipped)")
            continue
        results, elapsed = run([(f, language) for f in files], jobs=args.jobs)
        by = Counter(r[2] for r in results)
        actions = Counter(r[3] for r in results if r[2] == "ok")
        slowest = max(results, key=lambda r: r[4])
        print(f"{label}: {len(results)} files in {elapsed:.1f}s ({args.jobs} jobs): "
              f"{by['ok']} scaffolded and checked ({', '.join(f'{v} {k}' for k, v in sorted(actions.items()))}), "
              f"{by['refused']} refused with a one-line error, {by['fail']} failing a check; "
              f"slowest {slowest[4]:.2f}s {os.path.basename(slowest[0])}")
        refused = [r for r in results if r[2] == "refused"]
        reasons = Counter(_reason(r[3]) for r in refused)
        for reason, n in reasons.most_common(args.show):
            example = next(r[0] for r in refused if _reason(r[3]) == reason)
            print(f"    refused x{n}: {reason}  (e.g. {example})")
        for r in [r for r in results if r[2] == "fail"][: args.show]:
            print(f"    FAIL {r[0]}: {r[3]}")
        total_fail += by["fail"]
    return 1 if total_fail else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
