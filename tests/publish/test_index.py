"""The library's index as an app: built by a real batch (offline engine, ffmpeg), read back as HTML, and used in
real headless Chromium, from disk and from a static server on 127.0.0.1: one player, continuous play,
search and filters, "continue where you stopped" shared with the listen pages, newest first."""

from __future__ import annotations

import functools
import re
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from bs4 import BeautifulSoup
from helpers.browser import ARTIFACTS, inline_script, new_tab, until

from reader.library.batch import BatchOptions, run_batch
from reader.narration.pipeline import NarrateOptions

EVIL = "秋天的<b>果园</b>&“丰收”"
ARTICLES = [  # (file, title, date, source, text): short, so that one can be heard to its end in a test
    ("spring.txt", "春天的公园", "2024-03-01", "测试日报", "公园里的花都开了，很多人来这里散步。"),
    ("summer.txt", "夏天的海边", "2024-06-01", "海边晚报", "海水很蓝，孩子们在沙滩上玩。"),
    ("autumn.txt", EVIL, "2024-09-01", "测试日报", "果园里的苹果熟了，农民们忙着采摘。"),
    ("notice.txt", "停水通知", None, None, "因管网维修，本周六停水，敬请谅解。"),
]
NEWEST_FIRST = [EVIL, "夏天的海边", "春天的公园", "停水通知"]


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("index")
    for name, title, date, source, text in ARTICLES:
        head = [title, f"日期:{date} 来源:{source}", ""] if date else [title, ""]
        (base / "in").mkdir(exist_ok=True)
        (base / "in" / name).write_text("\n".join([*head, text]) + "\n", encoding="utf-8")
    run_batch(str(base / "in"), BatchOptions(library=base / "lib", narration=NarrateOptions(cache_dir=tmp_path_factory.getbasetemp() / "cache")))
    return base / "lib"


def items(tab: Any, selector: str = ".item") -> list[str]:
    return tab.evaluate(f"Array.from(document.querySelectorAll('{selector}'), (li) => li.dataset.title)")


def open_index(browser: Any, url: str, width: int = 1000, height: int = 800) -> Any:
    tab = new_tab(browser, url, width, height)
    until(tab, "!document.getElementById('player').hidden")
    tab.evaluate("document.getElementById('audio').muted = true")
    return tab


NOW = "document.getElementById('audio').currentTime"
PLAYING = "!document.getElementById('audio').paused"
# The file playing (loaded whole from a server without Range, the player keeps its URL in data-file).
SRC = ("decodeURIComponent(document.getElementById('audio').dataset.file || "
       "document.getElementById('audio').getAttribute('src') || '')")


# ---------------------------------------------------------------------------------------------------------
# The page as HTML


def test_index_is_newest_first_escaped_and_self_contained(library: Path) -> None:
    html = (library / "index.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "lxml")
    assert [li["data-title"] for li in soup.select("li.item")] == NEWEST_FIRST
    assert [li.h2.get_text() for li in soup.select("li.item")] == NEWEST_FIRST  # escaped: no <b> made
    assert not soup.select("li b") and "<b>果园" not in html
    assert len(soup.select("audio")) == 1  # one player for the library
    assert len(soup.select("script")) == 1 and not soup.select("script[src], link[rel=stylesheet], img")
    assert "// The library's script" in inline_script(html)  # the shared player, then the library's own
    assert soup.title is not None and soup.title.get_text() == "语音播报"  # the folder "lib" is no title
    assert [o.get_text() for o in soup.select("#site option")] == ["全部来源", "测试日报", "海边晚报"]
    for li in soup.select("li.item"):  # every link works relative to the folder
        for a in li.select("a[href]"):
            assert (library / unquote(a["href"])).is_file(), a["href"]
        page = BeautifulSoup((library / unquote(li.h2.a["href"])).read_text(encoding="utf-8"), "lxml")
        assert page.select_one("#audio")["data-key"] == li["data-key"]  # the listen page's position, shared


# ---------------------------------------------------------------------------------------------------------
# In a browser


def test_one_player_for_the_library_and_continuous_play(browser: Any, library: Path) -> None:
    tab = open_index(browser, (library / "index.html").as_uri())
    assert tab.evaluate("document.querySelectorAll('.current, .playing').length") == 0
    tab.click("#a2 .listen")
    until(tab, f"{PLAYING} && {NOW} > 0.2")
    assert tab.evaluate(SRC).endswith("夏天的海边.mp3") and tab.text_content("#now") == "夏天的海边"
    tab.click("#a1 .listen")  # another article: the same player switches, nothing plays over it
    until(tab, f"{PLAYING} && {NOW} > 0.2")
    assert tab.evaluate(SRC).startswith("2024-09-01-")
    assert tab.evaluate("document.querySelectorAll('audio').length") == 1
    assert tab.evaluate("document.querySelectorAll('.item.playing').length") == 1
    assert tab.get_attribute("#a1", "aria-current") == "true"
    # At the end of an article the next one (the next shown) starts by itself.
    tab.evaluate("document.getElementById('audio').currentTime = document.getElementById('audio').duration - 0.3")
    until(tab, f"{SRC}.endsWith('夏天的海边.mp3') && {PLAYING}", timeout=10)
    assert tab.text_content("#now") == "夏天的海边" and "下一篇" in tab.text_content("#status")
    # Keys: n/p article, space pause.
    tab.evaluate("document.activeElement.blur()")  # space on a focused button is that button's
    tab.keyboard.press("n")
    until(tab, f"{SRC}.endsWith('春天的公园.mp3')")
    tab.keyboard.press("Space")
    until(tab, "document.getElementById('audio').paused")
    tab.screenshot(path=str(ARTIFACTS / "library-index.png"), full_page=True)
    assert tab.errors == []
    tab.context.close()


def test_search_and_filters(browser: Any, library: Path) -> None:
    tab = open_index(browser, (library / "index.html").as_uri())
    visible = ".item:not([hidden])"
    tab.fill("#q", "海")
    assert items(tab, visible) == ["夏天的海边"] and tab.text_content("#count") == "1 篇"
    tab.fill("#q", "")
    tab.select_option("#site", "测试日报")
    assert items(tab, visible) == [EVIL, "春天的公园"]
    tab.fill("#from", "2024-05-01")
    assert items(tab, visible) == [EVIL]
    tab.select_option("#site", "")
    tab.fill("#to", "2024-08-31")
    assert items(tab, visible) == ["夏天的海边"]  # the undated notice is not in any date range
    tab.fill("#q", "没有这个")
    assert items(tab, visible) == [] and tab.is_visible("#none")
    tab.fill("#q", "")
    tab.fill("#from", "")
    tab.fill("#to", "")
    assert items(tab, visible) == NEWEST_FIRST
    # Continuous play goes on to the next article shown, skipping those filtered out.
    tab.select_option("#site", "测试日报")
    tab.click("#a1 .listen")
    until(tab, f"{PLAYING} && {NOW} > 0.1")
    tab.evaluate("document.getElementById('audio').currentTime = document.getElementById('audio').duration - 0.3")
    until(tab, f"{SRC}.endsWith('春天的公园.mp3') && {PLAYING}", timeout=10)
    assert tab.errors == []
    tab.context.close()


def test_continue_where_you_stopped_on_either_page(browser: Any, library: Path) -> None:
    tab = open_index(browser, (library / "index.html").as_uri())
    # Stop in the notice on its listen page…
    listen = tab.context.new_page()
    listen.goto((library / unquote(tab.get_attribute("#a4 h2 a", "href"))).as_uri())
    until(listen, "document.getElementById('audio').readyState >= 1")
    listen.evaluate("""new Promise((done) => { const a = document.getElementById('audio');
        a.addEventListener('seeked', () => done(), { once: true }); a.currentTime = 2.2; })""")
    listen.close()
    # …and the index offers to continue it there, and does.
    tab.reload()
    until(tab, "!document.getElementById('player').hidden")
    tab.evaluate("document.getElementById('audio').muted = true")
    assert tab.text_content("#a4 .resume") == "上次听到 0:02" and tab.text_content("#a4 .listen") == "▶ 继续"
    assert tab.is_hidden("#a3 .resume") and tab.text_content("#a3 .listen") == "▶ 收听"
    tab.click("#a4 .listen")
    # play() starts before the metadata is in; the page seeks to where the listener stopped once it is.
    until(tab, f"{PLAYING} && document.getElementById('status').textContent.includes('从上次的位置继续：0:02')")
    assert tab.evaluate(NOW) >= 2.1
    # Stopping in the index is remembered for the listen page in turn.
    tab.evaluate("""new Promise((done) => { const a = document.getElementById('audio'); a.pause();
        a.addEventListener('seeked', () => done(), { once: true }); a.currentTime = 1.5; })""")
    key = tab.get_attribute("#a4", "data-key")
    assert tab.evaluate(f"localStorage.getItem({key!r})") == "1.5"
    assert tab.errors == []
    tab.context.close()


@pytest.fixture
def server(library: Path) -> Iterator[str]:
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(library))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_from_a_static_server_and_on_a_phone(browser: Any, server: str) -> None:
    tab = open_index(browser, server + "index.html", width=360, height=740)
    assert tab.evaluate("document.documentElement.scrollWidth") <= 360
    tab.click("#play")  # the player's own button starts the newest article
    until(tab, f"{PLAYING} && {NOW} > 0.3")
    assert tab.evaluate(SRC).startswith("2024-09-01-")
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / "library-index-phone.png"))
    assert tab.errors == []
    tab.context.close()


FORMAT_NAMES = {"MP3", "RSS", "WebVTT", "lib", "reader"}  # file formats, the folder's name, the program's


def english_left(html: str, article_text: list[str]) -> set[str]:
    """Latin words a reader sees on a page that are not the articles' own, file formats or names."""
    soup = BeautifulSoup(html, "lxml")
    for tag in soup(["script", "style"]):
        tag.decompose()
    text = soup.get_text(" ")
    for own in article_text:
        text = text.replace(own, " ")
    words = set(re.findall(r"[A-Za-z][A-Za-z0-9]+", text))
    labels = {el.get(attr) for el in soup.find_all(True) for attr in ("aria-label", "placeholder", "title")} - {None}
    words |= {w for label in labels for w in re.findall(r"[A-Za-z][A-Za-z0-9]+", str(label))
              if not any(w in own for own in article_text)}
    return words - FORMAT_NAMES


def test_no_english_on_the_index_or_the_listen_pages(library: Path) -> None:
    titles = [a[1] for a in ARTICLES] + [EVIL]
    assert english_left((library / "index.html").read_text(encoding="utf-8"), titles) == set()
    for page in library.glob("*.html"):
        if page.name != "index.html":
            assert english_left(page.read_text(encoding="utf-8"), titles) == set(), page.name


def test_both_pages_skip_by_the_setting(browser: Any, library: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The library's player and the listen pages are one player: ←/→ and their buttons move by the setting
    (PAGE_SKIP_SECONDS) on both, and the buttons and the keys' help say so."""
    monkeypatch.setattr("reader.publish.page.PAGE_SKIP_SECONDS", 2)
    copy = Path(shutil.copytree(library, tmp_path / "lib"))
    notice = next(p for p in copy.glob("*.html") if "停水通知" in p.name)
    notice.unlink()  # the batch adds the listen page it finds missing, and writes the index again
    run_batch(str(library.parent / "in"), BatchOptions(library=copy, narration=NarrateOptions(cache_dir=library.parent.parent / "cache")))
    index = open_index(browser, (copy / "index.html").as_uri())
    index.click("#a4 .listen")
    until(index, f"{PLAYING} && document.getElementById('audio').duration > 3")
    listen = new_tab(browser, notice.as_uri())
    until(listen, "document.getElementById('audio').readyState >= 1")
    for tab in (index, listen):
        assert tab.text_content("#forward") == "+2秒" and "后退/前进2秒" in tab.text_content(".keys")
        tab.evaluate("""new Promise((done) => { const a = document.getElementById('audio'); a.pause();
            a.addEventListener('seeked', () => done(), { once: true }); a.currentTime = 0.5; })""")
        tab.evaluate("document.activeElement.blur()")
        tab.keyboard.press("ArrowRight")
        assert tab.evaluate(NOW) == pytest.approx(2.5, abs=0.05)
        tab.click("#back")
        assert tab.evaluate(NOW) == pytest.approx(0.5, abs=0.05)
        assert tab.errors == []
        tab.context.close()


def test_an_index_links_only_to_clean_web_addresses(tmp_path: Path) -> None:
    """The index's "original article" link goes through the one URL filter (reader._clean.link): no
    credentials, nothing but an absolute http(s) URL with a host, whatever a record edited by hand says."""
    from reader.publish.episode import Episode
    from reader.publish.index import index_items

    (tmp_path / "a.mp3").write_bytes(b"ID3")
    urls = {
        "https://user:secret@news.example.cn/a.html": "https://news.example.cn/a.html",
        "https://": None,
        "java\tscript:alert(1)//": None,
        "HTTPS://news.example.cn/b.html": "HTTPS://news.example.cn/b.html",
    }
    for given, shown in urls.items():
        [item] = index_items([Episode(source="s", audio="a.mp3", format="mp3", url=given)], tmp_path)
        assert item.url == shown, given
