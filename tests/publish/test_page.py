"""The listen page: built from a real narration (offline engine, ffmpeg), read back as HTML, and played in
real headless Chromium (Debian's ``chromium``, driven by Playwright with the system browser)."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from helpers.browser import ARTIFACTS, inline_script, new_tab, until

from reader.audio.formats import FORMATS
from reader.cli import cli
from reader.errors import OutputError, PageError
from reader.models import Article, Chapter
from reader.narration.pipeline import NarrateOptions, Narration, narrate_article
from reader.narration.record import NarrationRecord
from reader.narration.vtt import parse_webvtt
from reader.publish.page import page_data, page_name, write_page

TITLE = "测试<script>pwned=1</script>“标题”"
LONG = "第二部分的正文比较长，需要在逗号处切开，才能交给引擎朗读，然后在字幕里重新拼成一整句话，到此结束。"
ARTICLE = Article(
    title=TITLE,
    date="2023-10-01",
    source="某某日报&晚报",
    chapters=[
        Chapter(None, ["这是导语，用来测试朗读。"]),
        Chapter("第一部分", ["第一部分的正文有两句话。这是第二句<b>粗体</b>&话。"]),
        Chapter("第二部分", [LONG]),
    ],
)


@pytest.fixture(scope="module")
def narration(tmp_path_factory: pytest.TempPathFactory) -> Narration:
    """The article narrated once, for real, to a file name with a space and Chinese in it."""
    base = tmp_path_factory.mktemp("listen")
    return narrate_article(ARTICLE, NarrateOptions(output=base / "测试 页面.mp3", cache_dir=base / "cache"))


@pytest.fixture(scope="module")
def page(narration: Narration) -> Path:
    return write_page(narration.audio)


def _manifest(narration: Narration) -> dict[str, Any]:
    assert narration.manifest is not None
    data: dict[str, Any] = json.loads(narration.manifest.read_text(encoding="utf-8"))
    return data


def _attr(soup: BeautifulSoup, selector: str, name: str) -> str:
    found = soup.select(selector)
    assert found, selector
    return str(found[0][name])


def _sentences(html: str) -> list[tuple[str, float, float]]:
    soup = BeautifulSoup(html, "lxml")
    return [(s.get_text(), float(str(s["data-start"])), float(str(s["data-end"]))) for s in soup.select(".s")]


# ---------------------------------------------------------------------------------------------------------
# The page as HTML


def test_page_is_written_beside_the_mp3_with_relative_links(narration: Narration, page: Path) -> None:
    assert page == narration.audio.with_suffix(".html") and page.name == page_name(narration.audio)
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "lxml")
    assert _attr(soup, "audio", "src") == "%E6%B5%8B%E8%AF%95%20%E9%A1%B5%E9%9D%A2.mp3"  # 测试 页面.mp3
    assert _attr(soup, "track", "src") == "%E6%B5%8B%E8%AF%95%20%E9%A1%B5%E9%9D%A2.vtt"
    # Self-contained: nothing is loaded from anywhere but the MP3 and VTT beside it.
    assert not soup.select("link, script[src], img, iframe, object")
    assert not re.search(r"https?://|//cdn|@import|@font-face|url\(", page.read_text(encoding="utf-8"))
    assert [p.name for p in page.parent.iterdir() if p.name.endswith(".part")] == []


def test_page_sentences_are_the_record_sentences(narration: Narration, page: Path) -> None:
    """Chunks are joined into the record's sentences (long sentences cut into clauses included); the VTT's
    shorter cues fall inside them, in order, and together say the same text."""
    assert narration.vtt is not None
    cues = parse_webvtt(narration.vtt.read_text(encoding="utf-8"))
    sentences = _sentences(page.read_text(encoding="utf-8"))
    assert [(s.text, s.start, s.end) for s in narration.record.sentences()] == sentences
    assert "".join(s[0] for s in sentences) == "".join(c.text.replace("\n", "") for c in cues)
    for cue in cues:
        assert any(start - 0.002 <= cue.start and cue.end <= end + 0.002 for _, start, end in sentences)
    clauses = [c for c in _manifest(narration)["chunks"] if c["pause_after"] == "clause"]
    assert clauses and LONG in [s[0] for s in sentences]  # one sentence made of several chunks


def test_article_text_is_escaped(page: Path) -> None:
    html = page.read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "lxml")
    assert len(soup.find_all("script")) == 1 and soup.script is not None and not soup.script.get("src")
    assert "// The listen page's script" in inline_script(html)  # the shared player, then the page's own
    assert "<script>pwned" not in html and "测试&lt;script&gt;pwned=1&lt;/script&gt;“标题”" in html
    assert soup.h1 is not None and soup.h1.get_text() == TITLE
    assert soup.title is not None and soup.title.get_text() == TITLE
    assert not soup.select("article b")
    assert "这是第二句<b>粗体</b>&话。" in [s.get_text() for s in soup.select(".s")]
    assert "来源：某某日报&晚报，2023年10月1日" in soup.select(".meta")[0].get_text()
    # The chapter list: one entry per chapter, each with its start time.
    chaps = soup.select("a.chap")
    assert [a.select("span")[0].get_text() for a in chaps] == [TITLE, "第一部分", "第二部分"]


def test_missing_vtt_gives_a_working_page_without_captions(narration: Narration, tmp_path: Path) -> None:
    mp3 = shutil.copy(narration.audio, tmp_path / "a.mp3")
    assert narration.manifest is not None
    shutil.copy(narration.manifest, tmp_path / "a.json")
    out = write_page(Path(mp3))
    soup = BeautifulSoup(out.read_text(encoding="utf-8"), "lxml")
    assert _attr(soup, "audio", "src") == "a.mp3"
    assert not soup.select("track") and "WebVTT" not in soup.get_text()
    assert len(soup.select(".s")) == len(_sentences(narration.audio.with_suffix(".html").read_text("utf-8")))
    # An explicit VTT that is not there is the same.
    assert not BeautifulSoup(write_page(Path(mp3), vtt=tmp_path / "gone.vtt").read_text("utf-8"),
                             "lxml").select("track")


def test_page_elsewhere_links_back(narration: Narration, tmp_path: Path) -> None:
    (tmp_path / "pages").mkdir()
    out = write_page(narration.audio, out=tmp_path / "pages" / "p.html")
    soup = BeautifulSoup(out.read_text(encoding="utf-8"), "lxml")
    src = _attr(soup, "audio", "src")
    assert src.startswith("../") and " " not in src
    assert (out.parent / unquote(src)).resolve() == narration.audio.resolve()


def test_manifest_mapping_and_unsafe_url(narration: Narration, tmp_path: Path) -> None:
    data = _manifest(narration)
    data["article"]["url"] = "javascript:alert(1)"
    out = write_page(narration.audio, manifest=data, out=tmp_path / "a.html")
    html = out.read_text(encoding="utf-8")
    assert "javascript:" not in html
    assert not BeautifulSoup(html, "lxml").select("track")  # a mapping: no VTT looked for unless given
    data["article"]["url"] = "https://example.gov.cn/a&b.html"
    html = write_page(narration.audio, manifest=data, out=tmp_path / "a.html").read_text(encoding="utf-8")
    assert 'href="https://example.gov.cn/a&amp;b.html"' in html


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A change to a good manifest: ``path`` like ``chunks.0.start``; ``value`` None deletes the field."""

    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = data
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        index: int | str = int(last) if last.isdigit() else last
        if value is None:
            del node[index]
        else:
            node[index] = value

    return change


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no narration record"),
        ("{not json", "invalid JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"article": {"title": "t"}, "audio": {"duration": 1}, "chapters": []}', "chunks is missing"),
        (_set("chunks.0.start", "0.5"), "chunks[0].start is missing or not a number"),
        (_set("chunks.0.chapter", 9), "chunks[0].chapter 9 names no chapter"),
        (_set("chunks.2.kind", "footer"), "chunks[2].kind 'footer' is unknown"),
        (_set("chapters.1", []), "chapters[1] is not an object"),
        (_set("article.title", None), "article.title is missing or not a string"),
        (_set("audio", None), "audio is missing or not an object"),
    ],
)
def test_bad_manifest_is_a_one_line_page_error(narration: Narration, tmp_path: Path,
                                                content: str | Callable[[dict[str, Any]], None] | None,
                                                message: str) -> None:
    mp3 = Path(shutil.copy(narration.audio, tmp_path / "a.mp3"))
    if callable(content):
        data = _manifest(narration)
        content(data)
        content = json.dumps(data, ensure_ascii=False)
    if content is not None:
        (tmp_path / "a.json").write_text(content, encoding="utf-8")
    with pytest.raises(PageError, match=re.escape(message)) as info:
        write_page(mp3)
    assert "\n" not in str(info.value)
    assert not (tmp_path / "a.html").exists() and not list(tmp_path.glob("*.part"))


def test_missing_mp3_and_unwritable_output(narration: Narration, tmp_path: Path) -> None:
    with pytest.raises(PageError, match="no such audio file"):
        write_page(tmp_path / "gone.mp3")
    with pytest.raises(OutputError, match="does not exist"):
        write_page(narration.audio, out=tmp_path / "no" / "such" / "page.html")


def test_header_less_narration_shows_title_and_credits_as_text(narration: Narration) -> None:
    data = _manifest(narration)
    data["chunks"] = [c for c in data["chunks"] if c["kind"] != "header"]
    page = page_data(NarrationRecord.from_dict(data))
    assert page.title_sentence is None and page.credits == [] and page.title == TITLE
    assert [len(s.heading) for s in page.sections] == [0, 1, 1]


def test_cli_html(tmp_path: Path) -> None:
    src = tmp_path / "a.txt"
    src.write_text("测试文章标题\n\n日期：2023-10-01 来源：某某日报\n\n这是导语，用来测试朗读。\n\n第一部分\n\n"
                   "第一部分的正文有两句话。这是第二句话。\n", encoding="utf-8")
    cache = ["--cache-dir", str(tmp_path / "c")]
    result = CliRunner().invoke(cli, ["narrate", str(src), "-o", str(tmp_path / "out.mp3"), "--html", *cache])
    assert result.exit_code == 0, result.output
    page = tmp_path / "out.html"
    assert f"{page}  listen page" in result.output
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "lxml")
    assert soup.h1 is not None and soup.h1.get_text() == "测试文章标题" and soup.select("track")

    # --no-sidecars: only the MP3 and the page, made from the narration itself.
    (tmp_path / "solo").mkdir()
    solo = tmp_path / "solo" / "out.mp3"
    result = CliRunner().invoke(cli, ["narrate", str(src), "-o", str(solo), "--html", "--no-sidecars", "-q",
                                      *cache])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in solo.parent.iterdir()) == ["out.html", "out.mp3"]
    sentences = _sentences(solo.with_suffix(".html").read_text(encoding="utf-8"))
    assert [s[0] for s in sentences][-2:] == ["第一部分的正文有两句话。", "这是第二句话。"]
    assert "track" not in solo.with_suffix(".html").read_text(encoding="utf-8")


def test_cli_html_with_a_bad_output_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["narrate", "/no/such.txt", "--html"])
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1


# ---------------------------------------------------------------------------------------------------------
# The page in a real browser

def _open(browser: Any, page_path: Path, width: int = 1000, height: int = 700) -> Any:
    """The page in a new tab of a new context (so nothing is remembered from another test), muted."""
    tab = new_tab(browser, page_path.as_uri(), width, height)
    _until(tab, "document.getElementById('audio').readyState >= 1")
    tab.evaluate("document.getElementById('audio').muted = true")
    return tab


_until = until


def _seek(tab: Any, t: float) -> None:
    tab.evaluate("""(t) => new Promise((done) => {
        const audio = document.getElementById('audio');
        audio.addEventListener('seeked', () => done(), { once: true });
        audio.currentTime = t;
    })""", t)


CURRENT = "document.querySelector('.s.current') && document.querySelector('.s.current').textContent"
NOW = "document.getElementById('audio').currentTime"


def test_browser_highlight_follows_the_audio(browser: Any, narration: Narration, page: Path) -> None:
    tab = _open(browser, page)
    sentences = _sentences(page.read_text(encoding="utf-8"))
    # Seeking anywhere inside sentence k highlights sentence k (and only it).
    for text, start, end in sentences:
        _seek(tab, (start + end) / 2)
        assert tab.evaluate(CURRENT) == text
        assert tab.evaluate("document.querySelectorAll('.s.current, .s[aria-current]').length") == 1
    # Playing: start shortly before sentence k and the highlight moves to it when the audio gets there.
    text, start, _ = sentences[4]
    _seek(tab, start - 0.5)
    assert tab.evaluate(CURRENT) == sentences[3][0]
    tab.evaluate("""window.marks = [];  // the audio time at which each sentence gets highlighted
        new MutationObserver(() => window.marks.push([document.querySelector('.s.current').textContent,
                                                     document.getElementById('audio').currentTime]))
            .observe(document.getElementById('article'), { subtree: true, attributeFilter: ['class'] });""")
    tab.click("#play")
    _until(tab, f"({CURRENT}) === {json.dumps(text)}", timeout=5)
    marked = [t for s, t in tab.evaluate("window.marks") if s == text]
    assert marked and start - 0.01 <= marked[0] < start + 0.3, (marked, start)
    assert tab.evaluate("!document.getElementById('audio').paused")
    assert tab.get_attribute("#play", "aria-label") == "暂停"
    # The highlighted sentence is kept in view, below the sticky player.
    _seek(tab, sentences[-1][1] + 0.2)
    _until(tab, """(() => { const r = document.querySelector('.s.current').getBoundingClientRect();
                           const top = document.getElementById('player').getBoundingClientRect().bottom;
                           return r.top >= top && r.bottom <= innerHeight; })()""", timeout=3)
    tab.click("#play")
    assert tab.evaluate("document.getElementById('audio').paused")
    assert tab.errors == []
    tab.context.close()


def test_browser_chapter_click_seeks_to_its_start(browser: Any, narration: Narration, page: Path) -> None:
    tab = _open(browser, page)
    tab.evaluate("""window.seeks = [];
        document.getElementById('audio').addEventListener('seeking',
            () => window.seeks.push(document.getElementById('audio').currentTime));""")
    for i, chapter in enumerate(narration.chapters):
        seeks = tab.evaluate("window.seeks.length")
        tab.click(f"a.chap >> nth={i}")
        target = _until(tab, f"window.seeks.length > {seeks} && String(window.seeks[{seeks}])")
        target = float(target)  # where the seek went (the 'seeking' event comes a task after the click)
        assert abs(target - chapter.start) <= 0.1, (i, target, chapter.start)
        now = tab.evaluate(NOW)
        assert chapter.start - 0.1 <= now <= chapter.start + 1.0
        assert tab.get_attribute(f"a.chap >> nth={i}", "aria-current") == "true"
        if i:  # a chapter after the lead starts with its heading
            assert tab.evaluate(CURRENT) == ARTICLE.chapters[i].title
    assert tab.evaluate("!document.getElementById('audio').paused")  # a click reads from there
    # A click on a sentence reads from that sentence.
    tab.click("text=这是导语，用来测试朗读。")
    assert tab.evaluate(CURRENT) == "这是导语，用来测试朗读。"
    tab.context.close()


def test_browser_injected_script_is_inert(browser: Any, page: Path) -> None:
    tab = _open(browser, page)
    assert tab.evaluate("typeof window.pwned") == "undefined"
    assert tab.evaluate("document.querySelector('h1').textContent") == TITLE
    assert tab.evaluate("document.title") == TITLE
    assert tab.evaluate("document.scripts.length") == 1
    assert tab.evaluate("document.querySelectorAll('article b').length") == 0
    ARTIFACTS.mkdir(exist_ok=True)
    _seek(tab, _sentences(page.read_text(encoding="utf-8"))[4][1] + 0.1)
    tab.screenshot(path=str(ARTIFACTS / "listen-page.png"), full_page=True)
    assert tab.errors == []
    tab.context.close()


def test_browser_keyboard_speed_large_text_and_position(browser: Any, page: Path) -> None:
    sentences = _sentences(page.read_text(encoding="utf-8"))
    tab = _open(browser, page)
    tab.keyboard.press(".")
    assert tab.evaluate(CURRENT) == sentences[1][0]
    tab.keyboard.press(".")
    tab.keyboard.press(",")
    assert tab.evaluate(CURRENT) == sentences[1][0]
    tab.keyboard.press("n")  # n/p: chapters, as in the terminal player
    assert tab.evaluate("document.querySelector('a.chap[aria-current]').textContent").startswith("第一部分")
    tab.keyboard.press("Shift+N")
    assert tab.evaluate("document.querySelector('a.chap[aria-current]').textContent").startswith("第二部分")
    tab.keyboard.press("p")
    assert tab.evaluate("document.querySelector('a.chap[aria-current]').textContent").startswith("第一部分")
    before = tab.evaluate(NOW)
    tab.keyboard.press("ArrowRight")
    assert tab.evaluate(NOW) == pytest.approx(before + 10, abs=0.05)
    tab.keyboard.press("ArrowLeft")
    assert tab.evaluate(NOW) == pytest.approx(before, abs=0.05)
    tab.keyboard.press("Space")
    assert tab.evaluate("!document.getElementById('audio').paused")
    tab.keyboard.press("Space")
    assert tab.evaluate("document.getElementById('audio').paused")
    # Visible focus: tabbing reaches the player's buttons, and the focused one is outlined.
    tab.focus("#play")
    tab.keyboard.press("Tab")
    assert tab.evaluate("document.activeElement.id") == "back"
    assert tab.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    # Speed and large text.
    tab.select_option("#speed", "1.5")
    assert tab.evaluate("document.getElementById('audio').playbackRate") == 1.5
    tab.click("#large")
    assert tab.evaluate("document.documentElement.classList.contains('large')")
    assert tab.get_attribute("#large", "aria-pressed") == "true"
    # The position is remembered: reload, and the page goes back to where the listener was.
    _seek(tab, 12.3)
    tab.evaluate("document.getElementById('audio').pause()")
    tab.reload()
    _until(tab, "document.getElementById('audio').readyState >= 1")
    _until(tab, "Math.abs(document.getElementById('audio').currentTime - 12.3) < 0.2", timeout=5)
    assert tab.evaluate("document.getElementById('audio').playbackRate") == 1.5  # so are speed…
    assert tab.evaluate("document.documentElement.classList.contains('large')")  # …and large text
    tab.context.close()


def test_browser_phone_sized_screen_and_no_vtt(browser: Any, narration: Narration, tmp_path: Path) -> None:
    mp3 = Path(shutil.copy(narration.audio, tmp_path / "a.mp3"))
    assert narration.manifest is not None
    shutil.copy(narration.manifest, tmp_path / "a.json")
    tab = _open(browser, write_page(mp3), width=360, height=740)
    assert tab.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone
    sentences = _sentences(mp3.with_suffix(".html").read_text(encoding="utf-8"))
    _seek(tab, sentences[2][1] + 0.1)
    assert tab.evaluate(CURRENT) == sentences[2][0]  # highlighting runs on the manifest's times
    tab.click("#play")
    _until(tab, "document.getElementById('audio').currentTime > %f" % (sentences[2][1] + 0.4), timeout=5)
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / "listen-page-phone.png"))
    assert tab.errors == []
    tab.context.close()


@pytest.mark.parametrize("name", ["m4b", "opus", "wav"])
def test_browser_plays_the_page_of_every_format(browser: Any, narration: Narration, name: str,
                                                tmp_path: Path) -> None:
    """The listen page of an M4B, an Opus and a WAV narration: Chromium loads the audio (its duration is the
    record's), plays it, and the highlight follows; the download link names the format."""
    cache = narration.audio.parent / "cache"  # the module's narration: only the encode is new
    other = narrate_article(ARTICLE, NarrateOptions(output=tmp_path / f"测试 页面.{name}", cache_dir=cache))
    page = write_page(other.audio)
    assert f"下载 {FORMATS[name].label}" in page.read_text(encoding="utf-8")
    tab = _open(browser, page)
    assert tab.evaluate("document.getElementById('audio').error") is None
    assert abs(_until(tab, "document.getElementById('audio').duration") - other.duration) < 0.05
    sentences = _sentences(page.read_text(encoding="utf-8"))
    text, start, end = sentences[3]
    _seek(tab, (start + end) / 2)
    assert tab.evaluate(CURRENT) == text
    tab.evaluate("document.getElementById('audio').play()")
    _until(tab, f"{NOW} > {(start + end) / 2 + 0.3}")
    assert not tab.errors
def test_page_says_yuyin_bobao_with_the_voice_and_its_keys(page: Path) -> None:
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "lxml")
    brand = soup.select_one(".player .brand")
    assert brand is not None and brand.get_text() == "语音播报 · 朗读：标贝 女声 离线"
    keys = soup.select_one(".player #keys")
    assert keys is not None
    assert [k.get_text() for k in keys.select("kbd")] == ["空格", "←", "→", "n", "p", ".", ",", "+", "-", "a"]
    assert "下一章/上一章" in keys.get_text()  # n/p as in the terminal player
    assert not soup.select("details")  # nothing folded away


def test_browser_nothing_is_highlighted_before_play(browser: Any, page: Path) -> None:
    tab = _open(browser, page)
    assert tab.evaluate("document.querySelectorAll('.current, [aria-current]').length") == 0
    assert tab.is_visible("#keys") and tab.is_visible("text=语音播报")
    tab.click("#play")
    _until(tab, CURRENT)
    assert tab.evaluate(CURRENT) == TITLE  # reading starts with the title, highlighted then
    tab.click("#play")
    tab.context.close()


IN_VIEW = """(() => { const r = document.querySelector('.s.current').getBoundingClientRect();
                      const top = document.getElementById('player').getBoundingClientRect().bottom;
                      return r.top >= top && r.bottom <= innerHeight; })()"""


def test_browser_large_text_keeps_the_sentence_being_read_in_view(browser: Any, page: Path) -> None:
    sentences = _sentences(page.read_text(encoding="utf-8"))
    tab = _open(browser, page, width=800, height=520)
    for target in (-1, 3):  # the last sentence (bottom of the page), and one near the top
        _seek(tab, sentences[target][1] + 0.1)
        assert tab.evaluate(CURRENT) == sentences[target][0]
        _until(tab, IN_VIEW, timeout=3)
        tab.click("#large")  # larger text pushes everything down the page
        assert tab.evaluate(IN_VIEW), tab.evaluate("document.querySelector('.s.current').getBoundingClientRect().top")
        if target == -1:
            ARTIFACTS.mkdir(exist_ok=True)
            tab.screenshot(path=str(ARTIFACTS / "listen-page-large-text.png"))
        tab.click("#large")  # and back to normal: still in view
        assert tab.evaluate(IN_VIEW)
    assert tab.errors == []
    tab.context.close()
