"""CUDA as it is really written: lint and scaffold the headers of real kernel libraries.

Sets (each only where it is installed; nothing under them is touched):

* ``cub``: every ``.cuh`` under the CUDA toolkit's ``include/cccl/cub``;
* ``thrust``: every ``.h``/``.cuh`` under ``include/cccl/thrust``;
* ``torch``: PyTorch's bundled headers under ``torch/include`` that CUDA code uses
  (every ``.cuh``, and every ``.h`` below a folder whose path names ``cuda``).

Per file: lint with the default settings (``KL001`` counted), then scaffold it and
run the round-trip checks of tests/test_roundtrip.py (every original byte kept, a
second run changes nothing, and the linter reports no ``KL2`` finding on the result).
Headers are linted and scaffolded under their own names: ``.h`` files are C++ by
suffix, as with ``extend-include = ["*.h"]``.

In pytest a fixed sample runs (every SAMPLE_STEP-th file of each set). The figures:

    python tests/test_cuda_wild.py --all [--jobs N] [--set cub]
"""
from __future__ import annotations

import os
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_roundtrip import check_file  # noqa: E402  (the same checks as the round trip)

from karpathy_lint.config import Settings  # noqa: E402
from karpathy_lint.engine import build_model, lint_source  # noqa: E402

CCCL = "/usr/local/cuda/include/cccl"
SAMPLE_STEP = 10
SETTINGS = Settings()


def _torch_include() -> str | None:
    import importlib.util

    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(list(spec.submodule_search_locations)[0], "include")
    return path if os.path.isdir(path) else None


def _walk(root: str, keep) -> list[str]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for f in sorted(filenames):
            p = os.path.join(dirpath, f)
            if keep(os.path.relpath(p, root)) and not os.path.islink(p):
                out.append(p)
    return out


def sets() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    if os.path.isdir(os.path.join(CCCL, "cub")):
        found["cub"] = _walk(os.path.join(CCCL, "cub"), lambda p: p.endswith(".cuh"))
    if os.path.isdir(os.path.join(CCCL, "thrust")):
        found["thrust"] = _walk(os.path.join(CCCL, "thrust"), lambda p: p.endswith((".h", ".cuh")))
    torch_inc = _torch_include()
    if torch_inc:
        found["torch"] = _walk(torch_inc, lambda p: p.endswith(".cuh") or (p.endswith(".h") and "cuda" in p.lower()))
    return found


def check(src: str) -> tuple:
    """(path, KL001 on the original?, scaffold status, detail, (bytes of code, of them unreadable))."""
    with open(src, "rb") as fh:
        old = fh.read()
    name = os.path.basename(src)
    if not name.endswith((".cu", ".cuh")):
        name += ".cuh"  # scaffold and lint under a CUDA name: the checks below read it back the same way
    kl001 = any(f.code == "KL001" for f in lint_source(name, old, SETTINGS).findings)
    status, detail = check_file(src, "cuda")
    return src, kl001, status, detail, _unreadable(name, old)


def _unreadable(name: str, source: bytes) -> tuple[int, int]:
    """Bytes of code (outside comments and blanks) and how many of them lie in unparsed regions."""
    import re

    model = build_model(name, source, SETTINGS)
    code = re.sub(rb"/\*.*?\*/|//[^\n]*|\s+", b"", source, flags=re.S)
    bad = sum(len(re.sub(rb"/\*.*?\*/|//[^\n]*|\s+", b"", source[a:b], flags=re.S)) for a, b in model.unparsed)
    return len(code), bad


def run(files: list[str], jobs: int):
    if jobs <= 1:
        return [check(f) for f in files]
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        return list(pool.imap(check, files, chunksize=4))


def summary(label: str, results) -> str:
    n = len(results)
    kl001 = sum(r[1] for r in results)
    added = sum(r[2] == "ok" and r[3] == "header added" for r in results)
    other_ok = sum(r[2] == "ok" for r in results) - added
    refused = sum(r[2] == "refused" for r in results)
    failed = sum(r[2] == "fail" for r in results)
    pct = lambda k: f"{100.0 * k / n:.1f}%" if n else "-"  # noqa: E731
    with_gaps = sum(r[4][1] > 0 for r in results)
    code, bad = sum(r[4][0] for r in results), sum(r[4][1] for r in results)
    return (f"{label}: {n} files; lint without KL001 {n - kl001} ({pct(n - kl001)}); "
            f"scaffold added a header to {added} ({pct(added)}), {other_ok} merged/unchanged, "
            f"{refused} refused, {failed} damaged or KL2 after scaffold; "
            f"{with_gaps} files hold an unparsed region, {100.0 * bad / max(code, 1):.1f}% of the code bytes")


# -- pytest: a fixed sample ------------------------------------------------------------------------------


@pytest.mark.parametrize("label", ["cub", "torch"])
def test_wild_sample(label):
    files = sets().get(label)
    if not files:
        pytest.skip(f"{label} headers are not installed here")
    results = run(files[::SAMPLE_STEP], jobs=1)
    assert [(r[0], r[3]) for r in results if r[2] == "fail"] == []
    clean = [r for r in results if not r[1]]
    added = [r for r in results if r[2] == "ok"]
    assert len(clean) >= 0.9 * len(results), [r[0] for r in results if r[1]]
    assert len(added) >= 0.9 * len(results), [(r[0], r[3]) for r in results if r[2] != "ok"]


# -- script mode --------------------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    import argparse
    from collections import Counter

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--all", action="store_true", help="every file (default: the pytest sample)")
    ap.add_argument("--set", action="append", help="only this set (repeatable)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--show", type=int, default=10, help="list this many problems per set")
    args = ap.parse_args(argv)
    failed = 0
    for label, files in sets().items():
        if args.set and label not in args.set:
            continue
        files = files if args.all else files[::SAMPLE_STEP]
        t0 = time.perf_counter()
        results = run(files, args.jobs)
        print(summary(label, results) + f" [{time.perf_counter() - t0:.1f}s]")
        for r in [r for r in results if r[1]][: args.show]:
            print(f"    KL001 {r[0]}")
        reasons = Counter(r[3] for r in results if r[2] == "refused")
        for reason, k in reasons.most_common(args.show):
            print(f"    refused x{k}: {reason}")
        for r in [r for r in results if r[2] == "fail"][: args.show]:
            print(f"    FAIL {r[0]}: {r[3]}")
        failed += sum(r[2] == "fail" for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
