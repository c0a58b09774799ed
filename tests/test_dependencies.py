"""The declared dependency floors cover the APIs the code uses.

The floors themselves were found by installing them (`pip install --target DIR
tree-sitter==0.25.0 ...`) and running the suite with DIR first on the path
(docs/architecture.md); this test keeps a later change from using an API newer
than the floor without raising it.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [p for d in ("karpathy_lint", "rules", "codemods") for p in (ROOT / d).rglob("*.py")]

# (distribution, an API the code uses, the first release that has it)
API_FLOORS = [
    ("tree-sitter", "QueryCursor(", (0, 25)),
    ("pathspec", ".check_file(", (0, 12, 1)),
    ("ftfy", "ftfy.badness import is_bad", (6, 1, 1)),
    ("orjson", "orjson.dumps(", (3, 9)),
]


def _floors() -> dict[str, tuple[int, ...]]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    out = {}
    for req in data["project"]["dependencies"]:
        m = re.match(r"^([A-Za-z0-9_.-]+)\s*>=\s*([0-9.]+)", req)
        assert m, f"dependency without a floor: {req!r}"
        out[m.group(1).lower()] = tuple(int(x) for x in m.group(2).split("."))
    return out


def test_every_dependency_has_a_floor_that_covers_the_apis_used():
    floors = _floors()
    code = "\n".join(p.read_text(encoding="utf-8") for p in SOURCES)
    for dist, api, first in API_FLOORS:
        assert api in code, f"{api!r} no longer used: drop it from API_FLOORS"
        assert floors[dist] >= first, f"{dist}>={'.'.join(map(str, floors[dist]))} but {api!r} needs {first}"
