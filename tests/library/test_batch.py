"""``reader batch`` end to end: the real offline engine and ffmpeg over a few short articles and one real page,
broken inputs, the catalog, feed and index it leaves, re-runs, Ctrl-C and resume, -j 2, a second batch in
another process, and URL lists and list pages served by a local HTTP server."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from urllib.parse import unquote

import feedparser
import lxml.html
import pytest
from click.testing import CliRunner
from conftest import FIXTURES
from helpers.catalog import rows
from helpers.site_server import Page, Site, html_article, serve
from mutagen.id3 import ID3

from reader.audio.ffmpeg import probe_duration
from reader.cli import cli
from reader.errors import BatchInterrupted
from reader.library.batch import BatchEvent, BatchOptions, BatchResult, run_batch
from reader.library.catalog import SQLiteCatalog
from reader.narration.pipeline import NarrateOptions

PAGES = importlib.util.find_spec("reader.publish.page") is not None
EVIL = '危险标题<script>alert(1)</script>&"引号"'


def test_batch_options_hold_the_narration_options_and_repeat_none_of_them() -> None:
    assert not {f.name for f in fields(BatchOptions)} & {f.name for f in fields(NarrateOptions)}
    options = BatchOptions(Path("lib"), narration=NarrateOptions(voice="espeak", format="opus"))
    assert options.narration.fmt.name == "opus"


def write_article(path: Path, title: str, date: str, paragraphs: list[str], source: str = "测试日报") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([title, f"日期:{date} 来源:{source}", "", *paragraphs]) + "\n", encoding="utf-8")
    return path


def leftovers(library: Path) -> list[str]:
    """Anything a clean stop must not leave: temporary files and the staging folder."""
    return [p.name for p in library.rglob("*") if p.name.endswith(".part") or p.name == ".staging"]


# -- a folder: three short articles, a real page, and two broken files -----------------------------------------


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str, int]:
    base = tmp_path_factory.mktemp("batch")
    inputs = base / "saved"
    write_article(inputs / "spring.txt", "春天的公园", "2024-03-01", ["公园里的花都开了。", "很多人来这里散步。"])
    write_article(inputs / "summer" / "sea.txt", "夏天的海边", "2024-06-01", ["海水很蓝，孩子们在沙滩上玩。"])
    write_article(inputs / "evil.txt", EVIL, "2024-01-15", ["这篇文章的标题里有标记。"])
    shutil.copy(FIXTURES / "pages" / "048.html", inputs / "048.html")  # a real gov.cn page (~50 s of audio)
    (inputs / "binary.txt").write_bytes(b"\x00\x01\x02\x03" * 64)
    (inputs / "menu.htm").write_text("<html><body><a href='/'>首页</a></body></html>", encoding="utf-8")
    (inputs / "notes.md").write_text("不是文章", encoding="utf-8")
    library = base / "library"
    # The session's cache (a module fixture runs before the autouse one that points READER_CACHE_DIR there).
    cache = tmp_path_factory.getbasetemp() / "cache"
    result = CliRunner().invoke(cli, ["batch", str(inputs), "-o", str(library), "--cache-dir", str(cache)])
    return inputs, library, result.output, result.exit_code


DONE = ("spring.txt", "sea.txt", "evil.txt", "048.html")


def test_folder_batch_writes_every_article_and_reports_failures(first_run: tuple[Path, Path, str, int]) -> None:
    _, library, output, code = first_run
    assert code == 1, output
    assert "reader: error: 2 of 6 articles failed" in output
    assert "4 narrated, 0 unchanged, 2 failed" in output
    assert "binary file" in output and "menu.htm" in output  # each failure with its reason
    assert "Traceback" not in output
    assert leftovers(library) == []
    catalog = rows(library)
    assert sorted(catalog) == sorted([*DONE, "binary.txt", "menu.htm"])
    for name in DONE:
        row = catalog[name]
        assert row["status"] == "done" and row["error"] is None, dict(row)
        assert row["content_hash"] and row["settings_hash"] and row["raw_hash"]
        mp3 = library / row["audio"]
        assert mp3.is_file() and (library / row["vtt"]).is_file() and (library / row["manifest"]).is_file()
        assert row["audio"].startswith(row["date"] + "-")  # DATE-TITLE.mp3
        assert abs(probe_duration(mp3) - row["duration"]) < 0.1
        assert set(json.loads(row["timings"])) >= {"fetch", "extract", "narrate", "total"}
        manifest = json.loads((library / row["manifest"]).read_text(encoding="utf-8"))
        assert manifest["article"]["title"] == row["title"] and manifest["audio"]["file"] == row["audio"]
        tags = ID3(mp3)
        assert len(tags.getall("CTOC")) == 1 and len(tags.getall("CHAP")) == row["chapters"] >= 1  # for podcast apps
        if PAGES:
            assert row["page"] == mp3.with_suffix(".html").name and (library / row["page"]).is_file()
    assert catalog["spring.txt"]["title"] == "春天的公园" and catalog["evil.txt"]["title"] == EVIL
    assert 40 < catalog["048.html"]["duration"] < 70  # ~230 characters of a real page
    assert "binary file" in catalog["binary.txt"]["error"] and catalog["binary.txt"]["audio"] is None
    assert catalog["menu.htm"]["status"] == "failed" and catalog["menu.htm"]["error"]
    assert "notes.md" not in catalog


def test_feed_lists_the_library_newest_first(first_run: tuple[Path, Path, str, int]) -> None:
    _, library, _, _ = first_run
    feed = feedparser.parse((library / "feed.xml").read_bytes())
    assert feed.bozo == 0
    catalog = rows(library)
    assert [e.title for e in feed.entries] == [catalog[n]["title"] for n in ("sea.txt", "spring.txt", "evil.txt",
                                                                             "048.html")]
    for entry in feed.entries:
        (enclosure,) = entry.enclosures
        path = library / unquote(enclosure.href.rsplit("/", 1)[1])
        assert enclosure.type == "audio/mpeg" and int(enclosure.length) == os.path.getsize(path)
        assert entry.podcast_transcript["url"].endswith(".vtt")


def test_index_lists_players_and_escapes_titles(first_run: tuple[Path, Path, str, int]) -> None:
    _, library, _, _ = first_run
    html = (library / "index.html").read_text(encoding="utf-8")
    doc = lxml.html.fromstring(html)
    assert len(doc.findall(".//script")) == 1 and "<script>alert" not in html  # only the player's own script
    items = doc.findall(".//main//li")
    assert len(items) == 4
    titles = [li.find(".//h2").text_content() for li in items]
    assert titles[0] == "夏天的海边" and EVIL in titles
    assert len(doc.findall(".//audio")) == 1  # one player for the library (tests/publish/test_index.py)
    for li in items:
        assert (library / unquote(li.get("data-src"))).is_file()
        assert li.find(".//time") is not None
        if PAGES:
            link = li.find(".//h2/a")
            assert link is not None and (library / unquote(link.get("href"))).is_file()
    assert "测试日报" in items[0].text_content()
    assert doc.find(".//link[@type='application/rss+xml']").get("href") == "feed.xml"


# -- re-runs ------------------------------------------------------------------------------------------------


def test_rerun_skips_unchanged_redoes_changed_and_retries_failed(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    a = write_article(inputs / "a.txt", "春天的公园", "2024-03-01", ["公园里的花都开了，真漂亮。"])
    b = write_article(inputs / "b.txt", "秋天的果园", "2024-09-01", ["苹果熟了，农民们很高兴。"])
    c = inputs / "c.txt"
    c.write_text("", encoding="utf-8")
    options = BatchOptions(library=tmp_path / "lib")
    first = run_batch(str(inputs), options)
    assert (len(first.done), len(first.skipped), len(first.failed)) == (2, 0, 1)
    assert "is empty" in (first.failed[0].error or "")
    before = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "lib").iterdir()}

    again = run_batch(str(inputs), options)
    assert (len(again.done), len(again.skipped), len(again.failed)) == (0, 2, 1)
    after = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "lib").iterdir()}
    assert all(after[n] == t for n, t in before.items() if n.endswith((".mp3", ".vtt", ".json")))

    # Same words, different bytes (a CRLF copy): skipped without narrating, by the extracted article's hash.
    b.write_bytes(b.read_bytes().replace(b"\n", b"\r\n"))
    # a changed paragraph is redone under the same name; a changed title moves to a new name; c is fixed.
    write_article(a, "春天的公园", "2024-03-01", ["公园里的花都开了，草也绿了。"])
    old_b = rows(tmp_path / "lib")["b.txt"]["audio"]
    write_article(b, "秋天的果园丰收", "2024-09-01", ["苹果熟了，农民们很高兴。"])
    write_article(c, "冬天的雪", "2024-12-01", ["下雪了，孩子们在堆雪人。"])
    third = run_batch(str(inputs), options)
    assert sorted(Path(o.source).name for o in third.done) == ["a.txt", "b.txt", "c.txt"]
    catalog = rows(tmp_path / "lib")
    assert catalog["a.txt"]["audio"] == "2024-03-01-春天的公园.mp3"
    assert (tmp_path / "lib" / catalog["a.txt"]["audio"]).stat().st_mtime_ns != before["2024-03-01-春天的公园.mp3"]
    assert catalog["b.txt"]["audio"] == "2024-09-01-秋天的果园丰收.mp3"
    assert not (tmp_path / "lib" / old_b).exists() and not (tmp_path / "lib" / old_b).with_suffix(".json").exists()
    assert catalog["c.txt"]["status"] == "done" and catalog["c.txt"]["attempts"] == 3  # failed twice, then done
    assert len(feedparser.parse(str(tmp_path / "lib" / "feed.xml")).entries) == 3

    b.write_bytes(b.read_bytes().replace(b"\n", b"\r\n"))
    fourth = run_batch(str(inputs), options)
    assert (len(fourth.done), len(fourth.skipped)) == (0, 3)


# -- another format ------------------------------------------------------------------------------------------


def test_batch_in_m4b_then_back_to_mp3(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    write_article(inputs / "a.txt", "春天的公园", "2024-03-01", ["公园里的花都开了，真漂亮。"])
    write_article(inputs / "b.txt", "秋天的果园", "2024-09-01", ["苹果熟了。", "农民们很高兴。"])
    library = tmp_path / "lib"
    result = CliRunner().invoke(cli, ["batch", str(inputs), "-o", str(library), "--format", "m4b",
                                      "--base-url", "https://news.example.org/lib/"])
    assert result.exit_code == 0, result.output
    catalog = rows(library)
    assert sorted(r["audio"] for r in catalog.values()) == ["2024-03-01-春天的公园.m4b", "2024-09-01-秋天的果园.m4b"]
    assert {r["format"] for r in catalog.values()} == {"m4b"}  # the record's name, for the feed and the index
    # The feed: valid RSS, each enclosure the M4B with the type podcast apps expect and its exact length.
    feed = feedparser.parse((library / "feed.xml").read_bytes())
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert len(feed.entries) == 2
    durations = {r["title"]: r["duration"] for r in catalog.values()}
    for entry in feed.entries:
        (enclosure,) = entry.enclosures
        path = library / unquote(enclosure.href.rsplit("/", 1)[1])
        assert path.suffix == ".m4b" and path.read_bytes()[8:12] == b"M4B "
        assert enclosure.type == "audio/x-m4a" and int(enclosure.length) == os.path.getsize(path)
        assert entry.podcast_transcript["url"] == enclosure.href[: -len(".m4b")] + ".vtt"
        assert abs(probe_duration(path) - durations[entry.title]) < 0.05
    # The index page plays them, and says what it offers for download.
    doc = lxml.html.fromstring((library / "index.html").read_text(encoding="utf-8"))
    items = doc.findall(".//main//li")
    assert len(items) == 2
    for li in items:
        src = unquote(li.get("data-src"))  # the page's one player plays the item's data-src
        assert src.endswith(".m4b") and (library / src).is_file() and "下载 M4B" in li.text_content()
    # Another format is another narration: the library redoes every article and drops the M4Bs.
    again = run_batch(str(inputs), BatchOptions(library=library))
    assert (len(again.done), len(again.skipped)) == (2, 0)
    assert sorted(p.name for p in library.glob("2024-*") if p.suffix in (".m4b", ".mp3")) == [
        "2024-03-01-春天的公园.mp3", "2024-09-01-秋天的果园.mp3"]
    assert {e.enclosures[0].type for e in feedparser.parse(str(library / "feed.xml")).entries} == {"audio/mpeg"}


# -- Ctrl-C and resume ---------------------------------------------------------------------------------------


def test_interrupt_leaves_no_partial_files_and_the_next_run_resumes(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    for i, (title, text) in enumerate([("第一篇短文", "今天是晴天，适合出门散步。"), ("第二篇短文", "明天会下雨，记得带伞。"),
                                       ("第三篇短文", "后天又是晴天，气温回升。")]):
        write_article(inputs / f"{i}.txt", title, f"2024-05-0{i + 1}", [text])
    options = BatchOptions(library=tmp_path / "lib", narration=NarrateOptions(cache_dir=tmp_path / "cache"))  # a cold cache: real synthesis
    started: list[str] = []
    events: list[BatchEvent] = []

    def ctrl_c(event: BatchEvent) -> None:
        events.append(event)
        if event.kind == "started":
            started.append(event.source)
        if event.kind == "chunks" and len(started) == 2:
            raise KeyboardInterrupt  # in the middle of the second article's synthesis

    with pytest.raises(BatchInterrupted, match="1 narrated.*run the same command again to resume") as info:
        run_batch(str(inputs), options, progress=ctrl_c)
    assert info.value.exit_code == 130
    library = tmp_path / "lib"
    assert leftovers(library) == []
    assert sorted(p.suffix for p in library.glob("2024-*")) == sorted([".mp3", ".vtt", ".json"] + [".html"] * PAGES)
    catalog = rows(library)
    assert catalog["0.txt"]["status"] == "done"
    assert catalog["1.txt"]["status"] == "interrupted" and catalog["1.txt"]["audio"] is None
    assert catalog["1.txt"]["claim"] is None and "2.txt" not in catalog
    assert len(feedparser.parse(str(library / "feed.xml")).entries) == 1

    resumed = run_batch(str(inputs), options)
    assert [Path(o.source).name for o in resumed.skipped] == ["0.txt"]
    assert sorted(Path(o.source).name for o in resumed.done) == ["1.txt", "2.txt"]
    assert leftovers(library) == [] and len(list(library.glob("2024-*.mp3"))) == 3


def test_ctrl_c_to_a_real_batch_process(tmp_path: Path) -> None:
    """SIGINT while the second article is being fetched: exit 130, the first is kept, nothing partial."""
    gate = threading.Event()
    pages = {
        "/a.html": Page(html_article("第一篇网页文章", "2024-02-01", ["网页的正文很短，只有一句话。"])),
        "/b.html": Page(html_article("第二篇网页文章", "2024-02-02", ["第二篇文章也很短，只有一句。"]), gate=gate),
    }
    with serve(pages) as site:
        urls = tmp_path / "urls.txt"
        urls.write_text(f"{site.url('/a.html')}\n{site.url('/b.html')}\n", encoding="utf-8")
        library = tmp_path / "lib"
        proc = subprocess.Popen([sys.executable, "-m", "reader", "batch", str(urls), "-o", str(library), "-q"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_for(lambda: site.requested("/b.html") == 1, proc)
            proc.send_signal(signal.SIGINT)
            # Ctrl-C aborts the fetch in flight: the batch hangs up on the site (waited for, not guessed)
            assert pages["/b.html"].hung_up.wait(60), "the fetch in flight was not aborted"
            gate.set()
            _, err = proc.communicate(timeout=60)
        finally:
            proc.kill()
        assert proc.returncode == 130, err
        assert "reader: error: interrupted: 1 narrated" in err and "Traceback" not in err
        assert leftovers(library) == [] and len(list(library.glob("*.mp3"))) == 1
        resumed = run_batch(str(urls), BatchOptions(library=library))
        assert (len(resumed.skipped), len(resumed.done)) == (1, 1)


def wait_for(condition: object, proc: subprocess.Popen[str], timeout: float = 60) -> None:
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            raise AssertionError(f"the batch ended early: {proc.communicate()}")
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


# -- -j 2 and name collisions --------------------------------------------------------------------------------


def test_parallel_batch_with_colliding_titles(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    write_article(inputs / "x1.txt", "同一个标题", "2024-04-01", ["第一篇文章用了这个标题。"])
    write_article(inputs / "x2.txt", "同一个标题", "2024-04-01", ["第二篇也用这个标题，但内容不同。"])
    write_article(inputs / "y.txt", "另一个标题", "2024-04-02", ["这一篇文章有自己的标题。"])
    seen: set[str] = set()
    in_flight: list[int] = []
    lock = threading.Lock()

    def track(event: BatchEvent) -> None:
        with lock:
            if event.kind == "started":
                seen.add(event.source)
            elif event.kind == "finished":
                seen.discard(event.source)
            in_flight.append(len(seen))

    result = run_batch(str(inputs), BatchOptions(library=tmp_path / "lib", jobs=2, narration=NarrateOptions(cache_dir=tmp_path / "cache")),
                       progress=track)
    assert len(result.done) == 3 and not result.failed
    assert max(in_flight) == 2
    names = sorted(p.name for p in (tmp_path / "lib").glob("*.mp3"))
    assert names == ["2024-04-01-同一个标题 (2).mp3", "2024-04-01-同一个标题.mp3", "2024-04-02-另一个标题.mp3"]
    assert (tmp_path / "lib" / "index.html").read_text(encoding="utf-8").count('<li class="item"') == 3
    again = run_batch(str(inputs), BatchOptions(library=tmp_path / "lib", jobs=2, narration=NarrateOptions(cache_dir=tmp_path / "cache")))
    assert len(again.skipped) == 3


# -- a second batch at the same time, in another process ------------------------------------------------------


def test_second_batch_on_the_same_library_is_refused(tmp_path: Path) -> None:
    gate = threading.Event()
    pages = {"/slow.html": Page(html_article("慢慢加载的文章", "2024-07-01", ["服务器回答得很慢，要等一会儿。"]), gate=gate)}
    with serve(pages) as site:
        urls = tmp_path / "urls.txt"
        urls.write_text(site.url("/slow.html") + "\n", encoding="utf-8")
        library = tmp_path / "lib"
        command = [sys.executable, "-m", "reader", "batch", str(urls), "-o", str(library), "-q"]
        first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_for(lambda: site.requested("/slow.html") == 1, first)  # it holds the library, mid-article
            second = subprocess.run(command, capture_output=True, text=True, timeout=60)
            assert second.returncode == 1
            assert second.stderr.strip() == (
                f"reader: error: {library}: library is in use by another batch (pid {first.pid})"
            )
            gate.set()
            _, err = first.communicate(timeout=60)
        finally:
            first.kill()
        assert first.returncode == 0, err
    catalog = rows(library)
    assert catalog["slow.html"]["status"] == "done"
    db = sqlite3.connect(library / "catalog.sqlite")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# -- URL lists and list pages over HTTP ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    list_page = """<html><head><meta charset="utf-8"><title>列表</title></head><body><ul>
      <li><a href="/news/1.html">第一条新闻：城市公园开放</a></li>
      <li><a href="/news/2.html">第二条新闻：图书馆延长开放时间</a></li>
      <li><a href="/news/1.html">第一条新闻：城市公园开放</a></li>
      <li><a href="/private/3.html">第三条新闻：内部资料不公开</a></li>
      <li><a href="/news/gone.html">第四条新闻：已经删除的页面</a></li>
      <li><a href="http://elsewhere.example.cn/x.html">别的网站的新闻标题</a></li>
      </ul><a href="/">首页</a></body></html>"""
    pages = {
        "/robots.txt": Page(b"User-agent: *\nDisallow: /private/\n", "text/plain"),
        "/list.html": Page(list_page.encode()),
        "/empty-list.html": Page("<html><body><a href='/'>首页</a><p>暂无内容</p></body></html>".encode()),
        "/news/1.html": Page(html_article("城市公园开放", "2024-08-01", ["城市公园今天正式对市民开放。"])),
        "/news/2.html": Page(html_article("图书馆延长开放时间", "2024-08-02", ["图书馆从本周起晚上也开门。"])),
        "/private/3.html": Page(html_article("内部资料", "2024-08-03", ["不应该被读取。"])),
    }
    with serve(pages) as running:
        yield running


def test_follow_a_list_page_politely(site: Site, tmp_path: Path) -> None:
    library = tmp_path / "lib"
    result = CliRunner().invoke(cli, ["batch", site.url("/list.html"), "--follow", "-o", str(library), "-j", "3",
                                      "--base-url", "https://podcast.example.org/news/"])
    assert result.exit_code == 1, result.output
    assert "2 narrated, 0 unchanged, 2 failed" in result.output
    assert "disallowed by the site's robots.txt" in result.output and "HTTP 404" in result.output
    assert site.requested("/private/3.html") == 0
    assert site.peak <= 2
    catalog = rows(library)
    assert catalog["1.html"]["status"] == "done" and catalog["2.html"]["status"] == "done"
    assert catalog["1.html"]["url"] == site.url("/news/1.html")
    feed = feedparser.parse((library / "feed.xml").read_bytes())
    assert [e.title for e in feed.entries] == ["图书馆延长开放时间", "城市公园开放"]
    assert all(e.enclosures[0].href.startswith("https://podcast.example.org/news/") for e in feed.entries)

    limited = CliRunner().invoke(cli, ["batch", site.url("/list.html"), "--follow", "--limit", "1", "-o",
                                       str(library), "-q"])
    assert limited.exit_code == 0, limited.output
    assert rows(library)["1.html"]["status"] == "done"


def test_url_list_with_garbage_and_duplicates(site: Site, tmp_path: Path) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text("\n".join([site.url("/news/1.html"), "这一行不是网址", site.url("/news/2.html"),
                               site.url("/news/1.html"), ""]), encoding="utf-8")
    result = CliRunner().invoke(cli, ["batch", str(urls), "-o", str(tmp_path / "lib")])
    assert result.exit_code == 0, result.output
    assert f"reader: ignored {urls}:2: not an http(s) URL: '这一行不是网址'" in result.output
    assert "2 narrated, 0 unchanged, 0 failed, 1 input lines ignored, 1 duplicates dropped" in result.output


# -- bad input: one line, the right exit status, nothing written ----------------------------------------------


def test_bad_inputs_give_one_line_errors(site: Site, tmp_path: Path) -> None:
    runner = CliRunner()
    article = write_article(tmp_path / "a.txt", "一篇文章", "2024-01-01", ["正文。"])
    empty = tmp_path / "empty"
    empty.mkdir()
    a_file = tmp_path / "library.mp3"
    a_file.write_bytes(b"x")
    newer = tmp_path / "newer"
    newer.mkdir()
    db = sqlite3.connect(newer / "catalog.sqlite")
    db.execute("PRAGMA user_version = 99")
    db.close()
    cases = [
        (["batch", str(article), "-o", str(a_file)], 1, "is a file, not a library folder"),
        (["batch", str(empty), "-o", str(tmp_path / "lib1")], 2, "no .html, .htm or .txt files in this folder"),
        (["batch", str(tmp_path / "missing"), "-o", str(tmp_path / "lib2")], 2, "no such file or folder"),
        (["batch", site.url("/empty-list.html"), "--follow", "-o", str(tmp_path / "lib3")], 2,
         "no article links on this list page"),
        (["batch", str(article), "-o", str(newer)], 1, "written by a newer version of reader"),
        (["batch", str(article), "-o", str(tmp_path / "lib4"), "--base-url", "podcast/"], 2, "--base-url"),
        (["batch", str(article), "-o", str(tmp_path / "lib5"), "--voice", "nobody"], 2, "unknown voice 'nobody'"),
        (["batch", str(article), "-o", str(tmp_path / "lib6"), "-j", "0"], 2, "Invalid value for '-j'"),
    ]
    for args, code, message in cases:
        result = runner.invoke(cli, args)
        lines = result.output.strip().splitlines()
        assert result.exit_code == code and len(lines) == 1 and message in lines[0], (args, result.output)
        assert lines[0].startswith("reader: error: ")
    for name in ("lib1", "lib2", "lib3", "lib4", "lib5", "lib6"):
        assert not (tmp_path / name).exists()
    assert a_file.read_bytes() == b"x" and sorted(p.name for p in newer.iterdir()) == [".lock", "catalog.sqlite"]
    db = sqlite3.connect(newer / "catalog.sqlite")
    assert db.execute("PRAGMA user_version").fetchone()[0] == 99


def test_library_api_result(first_run: tuple[Path, Path, str, int]) -> None:
    """The library call a program would make: a result object, the same catalog."""
    inputs, library, _, _ = first_run
    with SQLiteCatalog(library) as catalog:
        before = catalog.counts()
    result: BatchResult = run_batch(str(inputs), BatchOptions(library=library))
    assert result.total == 6 and len(result.skipped) == 4 and len(result.failed) == 2
    assert result.feed == library / "feed.xml" and result.index == library / "index.html"
    with SQLiteCatalog(library) as catalog:
        assert catalog.counts() == before
