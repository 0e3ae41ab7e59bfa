"""The 语音播报 widget in real Chromium: a test site's article page (with a strict CSP) carries the script tag of
``reader serve`` on another port; a click narrates and plays it, the sentence being read is highlighted in the
page's own text, a click on a later paragraph seeks there (with a 206), a reload resumes; a site not in --site
is told so (403). An article not yet narrated starts speaking from its first chunks while the rest is made (a
real Baker engine held after its first chunks), then moves on to the narration's own file."""

from __future__ import annotations

# ruff: noqa: E402  (the imports after the skip need the serve extra)
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("starlette", reason="reader serve's extra (zh-news-reader[serve]) is not installed")

from helpers.browser import ARTIFACTS, new_tab, until
from helpers.site_server import Page, Site, html_article, serve
from serving import running_app

from reader.models import Audio
from reader.narration.pipeline import NarrateOptions
from reader.serve.app import create_app
from reader.serve.jobs import Narrations, Sites, job_id
from reader.serve.widget import build
from reader.speech import registry

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
    assert tab.evaluate(f"{SHADOW}.querySelector('label.voice').hidden")  # one voice offered: no menu
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


class Held:
    """The real Baker engine (the default voice), speaking its first ``free`` chunks at once and every later
    one only once ``gate`` is set: a narration that is still being made, for as long as the test wants."""

    def __init__(self, free: int) -> None:
        self.inner = registry.get("offline")
        self.name, self.version = self.inner.name, self.inner.version
        self.sample_rate, self.max_chunk_chars = self.inner.sample_rate, self.inner.max_chunk_chars
        self.max_workers = 1
        self.free = free
        self.calls = 0
        self.lock = threading.Lock()
        self.gate = threading.Event()

    def voices(self) -> Any:
        return self.inner.voices()

    def synthesize(self, text: str, voice: str, rate: float = 1.0) -> Audio:
        with self.lock:
            self.calls += 1
            held = self.calls > self.free
        if held:
            assert self.gate.wait(120)
        return self.inner.synthesize(text, voice, rate)

    def close(self) -> None:
        pass


def test_speech_starts_from_the_first_chunks_before_the_narration_is_done(browser: Any, tmp_path: Path) -> None:
    available, why = registry.availability("offline")
    if not available:
        pytest.skip(why)
    engine = Held(free=2)
    stream = f"{SHADOW}.querySelector('audio.stream')"
    player = f"{SHADOW}.querySelector('audio:not(.stream)')"
    with serve({}) as site, registry.using("offline", engine), \
            Narrations(tmp_path / "library", NarrateOptions(voice="baker", use_cache=False), Sites([site.url("/news/")]),
                       processes=False) as narrations, \
            running_app(create_app(narrations)) as server:
        try:
            site.pages["/news/park.html"] = Page(page(server))
            tab = new_tab(browser, site.url("/news/park.html"))
            until(tab, f"{SHADOW} && {SHADOW}.querySelector('.start')")
            tab.locator("[data-reader-widget] .start").click()
            # Speech from the first chunks, while the engine is held: the narration cannot be done yet.
            until(tab, f"{stream}.currentTime > 0.3", timeout=120)
            job = narrations.job(job_id(site.url("/news/park.html")))
            assert job is not None and not job.done.is_set() and job.status == "running"
            assert "/stream/" in tab.evaluate(f"{stream}.src")
            assert tab.evaluate(f"{player}.currentTime") == 0 and not tab.evaluate(f"{player}.src")
            highlighted = until(tab, "CSS.highlights.has('reader-sentence') && "
                                     "[...CSS.highlights.get('reader-sentence')][0].toString()")
            assert any(highlighted in p for p in ["城市公园开放", *PARAGRAPHS]), highlighted  # in the page's own text
            assert "正在播放开头" in tab.evaluate(f"{SHADOW}.querySelector('.status').textContent")
            # The listener pauses the stream (its button is now 暂停); the position is kept through the handover.
            tab.locator("[data-reader-widget] .start").click()
            until(tab, f"{stream}.paused && {SHADOW}.querySelector('.start').textContent.includes('继续')")
            heard = tab.evaluate(f"[Number({stream}.src.match(/stream\\/(\\d+)\\.wav/)[1]), {stream}.currentTime]")
        finally:
            engine.gate.set()
        assert job.done.wait(120) and job.status == "done", job.error
        # The rest is made: the player takes over with the narration's own file, where the stream stopped.
        until(tab, f"{player}.src.endsWith('.mp3') && {player}.currentTime > 0 && !{stream}.src", timeout=60)
        starts = httpx.get(f"{server}/api/v1/narrations/{job.id}", timeout=30).json()["chunk_starts"]
        n, offset = heard
        at = tab.evaluate(f"{player}.currentTime")
        assert starts[n] + offset - 0.3 <= at <= starts[n + 1] + 0.3, (at, starts[n], offset)
        assert tab.evaluate(f"{player}.paused")  # paused, as the listener left it
        tab.locator("[data-reader-widget] .controls button").first.click()  # ▶ 播放
        until(tab, f"!{player}.paused && {player}.currentTime > {at + 0.3}", timeout=60)
        assert tab.errors == []


def test_a_menu_chooses_among_the_voices_offered_and_a_change_asks_for_that_narration(
        browser: Any, tmp_path: Path) -> None:
    """reader serve --voices baker: the widget shows the voices (the default first), the choice goes with the
    request, is remembered on the site, and changing it while one plays asks for the other voice's narration."""
    available, why = registry.availability("offline")
    if not available:
        pytest.skip(why)
    player = f"{SHADOW}.querySelector('audio:not(.stream)')"
    with serve({}) as site, \
            Narrations(tmp_path / "library", NarrateOptions(voice="espeak"), Sites([site.url("/news/")]),
                       voices=["baker"], processes=False) as narrations, \
            running_app(create_app(narrations)) as server:
        site.pages["/news/park.html"] = Page(page(server))
        url = site.url("/news/park.html")
        tab = new_tab(browser, url)
        until(tab, f"{SHADOW} && !{SHADOW}.querySelector('label.voice').hidden")
        menu = tab.locator("[data-reader-widget] label.voice select")
        assert menu.evaluate("m => [...m.options].map(o => o.value)") == ["espeak", "baker"]
        assert menu.input_value() == "espeak"  # the server's default
        menu.select_option("baker")
        posted: list[dict[str, str]] = []
        tab.on("request", lambda r: posted.append(r.post_data_json) if r.method == "POST" else None)
        tab.locator("[data-reader-widget] .start").click()
        until(tab, f"{player}.src.includes('/media/voices/baker/') && {player}.currentTime > 0.3", timeout=120)
        assert posted == [{"url": url, "voice": "baker"}]
        assert narrations.job(f"{job_id(url)}-baker") is not None

        # Another voice while it plays: that narration is asked for and played instead.
        menu.select_option("espeak")
        until(tab, f"{player}.src.includes('/media/') && !{player}.src.includes('/media/voices/') && "
                   f"{player}.currentTime > 0.3", timeout=120)
        assert posted[-1] == {"url": url, "voice": "espeak"}
        # Remembered on this site: a reload keeps the choice.
        tab.reload()
        until(tab, f"{SHADOW} && !{SHADOW}.querySelector('label.voice').hidden")
        assert tab.locator("[data-reader-widget] label.voice select").input_value() == "espeak"
        assert tab.errors == []

