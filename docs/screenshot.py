#!/usr/bin/env python3
"""Take the README's screenshot of a rendered page with the headless Chromium the tests use.

    python docs/screenshot.py            # renders the corpus to a temp folder, writes docs/render.png

The page is the MoE router, scrolled to `softmax_topk_gate` (a note beside its code, shape badges),
in the light scheme at 1280 x 720.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from browser import launch

PAGE = "03-DeepSeek-MoE/01-moe_router.py.html"
TARGET = "def-softmax_topk_gate"


def main() -> int:
    out_png = ROOT / "docs" / "render.png"
    with tempfile.TemporaryDirectory() as site:
        subprocess.run([sys.executable, "-m", "karpathy_lint", "render", str(ROOT / "corpus"), "-o", site],
                       check=True, cwd=ROOT)
        with launch() as browser:
            page = browser.new_page(viewport={"width": 1280, "height": 720}, color_scheme="light")
            page.goto((Path(site) / PAGE).as_uri())
            # the section that holds the definition, at the top of the window
            page.evaluate(f"""document.getElementById({TARGET!r}).closest('.section')
                              .previousElementSibling.scrollIntoView()""")
            page.screenshot(path=str(out_png))
    print(f"wrote {out_png.relative_to(ROOT)} ({out_png.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
