"""Headless Chromium for the render tests and the README screenshot: the system's browser
(Debian's `chromium` package) driven by Playwright through `executable_path`; no browser download.

Without chromium the browser tests skip locally, but fail where a browser is required: when
`CI` or `KARPATHY_LINT_REQUIRE_BROWSER` is set (.ci/run sets it after installing chromium).
"""
from __future__ import annotations

import contextlib
import os
import shutil

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome")


def chromium_path() -> str | None:
    configured = os.environ.get("KARPATHY_LINT_CHROMIUM")
    if configured:
        return configured
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def browser_required() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("KARPATHY_LINT_REQUIRE_BROWSER"))


@contextlib.contextmanager
def launch():
    """Yield a Playwright Browser on the system's Chromium (headless, no sandbox: CI runs as root)."""
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    if path is None:
        raise FileNotFoundError("no chromium on PATH (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, headless=True, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()
