"""The 语音播报 widget in real Chromium: a test site's article page (with a strict CSP) carries the script tag of
``reader serve`` on another port; a click narrates and plays it, the sentence being read is highlighted in the
page's own text, a click on a later paragraph seeks there (with a 206), a reload resumes; a site not in --site
is told so (403)."""

from __future__ import annotations

# ruff: noqa: E402  (the imports after the skip need the serve extra)
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette", reason="reader serve's extra (zh-news-reader[serve]) is not installed")

from helpers.browser import ARTIFACTS, new_tab, until
from helpers.site_server import Page, Site, html_article, serve
from serving import running_app

from reader.narration.pipeline import NarrateOptions
from reader.serve.app import create_app
from reader.serve.jobs import Narrations, Sites
from reader.serve.widget import build

PARAGRAPHS = ["今天上午，城市公园正式对市民开放，公园里种了很多花和树。",
              "公园的东边有一个小湖，湖里有鱼，孩子们在湖边看鱼。",
              "管理人员说，公园每天早上六点开门，晚上十点关门，欢迎大家来玩。"]
SHADOW = "document.querySelector('[data-reader-widget]').shadowRoot"


def page(server: str) -> bytes:
    """The article as a site's template writes it, with the script tag and a CSP that allows no inline
    script or style: only the widget's server."""
    csp = (f"default-src 'none'; script-src {server}; connect-src {server}; media-src {server}; "
           "style-src 'none'; img-src 'none'")
    html = html_article("城市公园开放", "2024-08-01", PARAGRAPHS).decode()
    head = f'<meta http-equiv="Content-Security-Policy" content="{csp}"><script src="{server}/widget.js" defer></script>'
    return html.replace("</head>", head + "</head>").encode()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, Site, str]]:
    """The served site, another site with the same page, and the server (narrating in a worker process)."""
    library = tmp_path_factory.mktemp("widget") / "library"
    with serve({}) as site, serve({}) as other:
        with Narrations(library, NarrateOptions(voice="espeak"), Sites([site.url("/news/")])) as narrations, \
                running_app(create_app(narrations)) as server:
            site.pages["/news/park.html"] = Page(page(server))
            other.pages["/news/park.html"] = Page(page(server))
            yield site, other, server


def test_the_widget_script_is_the_shared_player_and_declares_no_global() -> None:
    text = build()
    player = (Path(__file__).resolve().parents[2] / "reader" / "publish" / "templates" / "player.js").read_text(encoding="utf-8")
    assert player in text  # the one player module, not a copy of it
    assert text.startswith("//") and text.rstrip().endswith("})();")


def test_click_plays_highlights_seeks_and_resumes(browser: Any, stack: tuple[Site, Site, str]) -> None:
    site, _other, server = stack
    tab = new_tab(browser, site.url("/news/park.html"))
    statuses: list[int] = []
    tab.on("response", lambda r: statuses.append(r.status) if "/media/" in r.url else None)
    until(tab, f"{SHADOW} && {SHADOW}.querySelector('.start')")
    assert tab.evaluate("typeof ReaderPlayer") == "undefined"  # no global left in the host page
    tab.locator("[data-reader-widget] .start").click()
    until(tab, f"{SHADOW}.querySelector('audio').currentTime > 0.3", timeout=120)
    # The sentence being read, highlighted in the page's own text (the page's DOM is not changed for it).
    highlighted = until(tab, "CSS.highlights.has('reader-sentence') && "
                             "[...CSS.highlights.get('reader-sentence')][0].toString()")
    assert any(highlighted in p for p in ["城市公园开放", *PARAGRAPHS]), highlighted
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / "serve-widget.png"))  # for docs/serve.md

    # A click on the last paragraph reads from there.
    tab.locator(".content p").nth(2).click()
    until(tab, "[...CSS.highlights.get('reader-sentence')][0].toString().startsWith('管理人员说')", timeout=30)
    assert 206 in statuses, statuses
    tab.evaluate(f"{SHADOW}.querySelector('audio').pause()")
    stopped = tab.evaluate(f"{SHADOW}.querySelector('audio').currentTime")
    assert stopped > 1

    # A reload: the narration is ready (200 at once) and resumes where the listener stopped.
    tab.reload()
    until(tab, f"{SHADOW} && {SHADOW}.querySelector('.start')")
    tab.locator("[data-reader-widget] .start").click()
    until(tab, f"{SHADOW}.querySelector('audio').currentTime >= {stopped - 1.5}", timeout=60)
    assert "继续" in tab.evaluate(f"{SHADOW}.querySelector('.status').textContent")
    assert tab.errors == []


def test_a_site_not_served_is_told_so(browser: Any, stack: tuple[Site, Site, str]) -> None:
    _site, other, _server = stack
    tab = new_tab(browser, other.url("/news/park.html"))
    until(tab, f"{SHADOW} && {SHADOW}.querySelector('.start')")
    with tab.expect_response(lambda r: r.url.endswith("/api/v1/narrations") and r.request.method == "POST") as info:
        tab.locator("[data-reader-widget] .start").click()
    assert info.value.status == 403
    until(tab, f"{SHADOW}.querySelector('.status').textContent.includes('不在语音播报服务的范围内')")
    assert tab.errors == []
