"""Real headless Chromium for the pages' tests: Debian's ``chromium`` driven by Playwright (never ``playwright
install``: no browser download). Skipped when it is not there, unless ``READER_REQUIRE_BROWSER=1``."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

ARTIFACTS = ROOT / "test-artifacts"  # screenshots
CHROMIUM = Path("/usr/bin/chromium")
# As python.md says for this machine: headless, no sandbox (root), no network chatter, a fresh profile;
# muted audio may play without a click.
CHROMIUM_ARGS = [
    "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run", "--disable-quic", "--autoplay-policy=no-user-gesture-required",
]


def browser_session() -> Iterator[Any]:
    """A Chromium browser for a module's tests (use as ``yield from`` in a module-scoped fixture)."""
    required = os.environ.get("READER_REQUIRE_BROWSER") == "1"
    why = None
    if not CHROMIUM.exists():
        why = f"{CHROMIUM} is not installed (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            why = "playwright is not installed (pip install -e '.[dev]')"
    if why:
        if required:
            pytest.fail(f"READER_REQUIRE_BROWSER=1 but {why}")
        pytest.skip(why)
    from playwright.sync_api import sync_playwright

    # Playwright gives the browser a fresh, temporary --user-data-dir of its own.
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def new_tab(browser: Any, url: str, width: int = 1000, height: int = 700) -> Any:
    """``url`` in a new tab of a new context (nothing remembered from another test); page errors are collected
    in ``tab.errors``."""
    tab = browser.new_context(viewport={"width": width, "height": height}).new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.errors = errors
    tab.goto(url)
    return tab


def until(tab: Any, expression: str, timeout: float = 10.0) -> Any:
    """Poll ``expression`` in the page until it is truthy. The pages' CSP forbids eval, so this polls with
    evaluate (which the protocol runs) rather than wait_for_function (which evals a string in the page)."""
    deadline = time.monotonic() + timeout
    while True:
        value = tab.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression}")
        time.sleep(0.03)


def inline_script(html: str) -> str:
    """The one inline script of one of reader's pages, checked to be the one its Content-Security-Policy allows
    (by the SHA-256 of exactly its text) and to carry the player the pages share (templates/player.js)."""
    scripts = re.findall(r"<script>(.*?)</script>", html, flags=re.S)
    assert len(scripts) == 1 and "<script " not in html, "one inline script, no other"
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', html)
    assert csp is not None
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode("utf-8")).digest()).decode("ascii")
    assert f"script-src 'sha256-{digest}';" in csp.group(1)
    assert scripts[0].startswith("// The player shared by reader's pages") and "ReaderPlayer.create(" in scripts[0]
    return scripts[0]
