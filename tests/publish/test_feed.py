"""The podcast feed: real MP3 files (made by ffmpeg), catalog rows, and the feed read back by feedparser."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from urllib.parse import unquote

import feedparser
import pytest
from lxml import etree

from reader.audio.ffmpeg import ffmpeg_path
from reader.errors import UsageError
from reader.library.catalog import Entry, Published, SQLiteCatalog
from reader.publish.feed import PODCAST_NS, build_feed, check_base_url, write_feed


def make_mp3(path: Path, seconds: float) -> None:
    subprocess.run(
        [ffmpeg_path(), "-v", "error", "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
         "-ar", "24000", "-ac", "1", "-b:a", "64k", "-y", str(path)],
        check=True,
    )


def add(cat: SQLiteCatalog, library: Path, source: str, stem: str, *, title: str, date: str | None, seconds: float,
        page: bool = False) -> None:
    make_mp3(library / f"{stem}.mp3", seconds)
    (library / f"{stem}.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:01.000\n一句话\n", encoding="utf-8")
    if page:
        (library / f"{stem}.html").write_text("<!doctype html><title>p</title>", encoding="utf-8")
    cat.done(source, Published(
        raw_hash="r", content_hash="c", settings_hash="s", title=title, date=date, site="新华网",
        url="https://www.example.cn/a.html", summary=f"{title}的开头。", duration=seconds, chapters=1,
        audio=f"{stem}.mp3", vtt=f"{stem}.vtt", manifest=None, page=f"{stem}.html" if page else None, timings={},
    ))


@pytest.fixture
def library(tmp_path: Path) -> tuple[Path, list[Entry]]:
    with SQLiteCatalog(tmp_path) as cat:
        add(cat, tmp_path, "/in/old.txt", "2021-06-01-旧闻", title="旧闻", date="2021-06-01", seconds=1.0)
        add(cat, tmp_path, "/in/new.txt", "2024-02-03-新闻 速递", title="新闻 速递", date="2024-02-03",
            seconds=2.5, page=True)
        add(cat, tmp_path, "/in/evil.txt", "2023-01-01-危险", title='<script>alert(1)</script> & "引号"',
            date="2023-01-01", seconds=1.5)
        entries = list(cat.published())
    return tmp_path, entries


def test_feed_parses_cleanly_newest_first_with_exact_enclosures(library: tuple[Path, list[Entry]]) -> None:
    lib, entries = library
    out = write_feed(entries, lib, base_url="https://news.example.org/library")
    feed = feedparser.parse(out.read_bytes())
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "rss20"
    assert feed.namespaces.get("itunes") == "http://www.itunes.com/dtds/podcast-1.0.dtd"
    titles = [e.title for e in feed.entries]
    assert titles == ["新闻 速递", '<script>alert(1)</script> & "引号"', "旧闻"]  # newest first, text intact
    for item in feed.entries:
        (enclosure,) = item.enclosures
        assert enclosure.type == "audio/mpeg"
        assert enclosure.href.startswith("https://news.example.org/library/")
        name = unquote(enclosure.href.rsplit("/", 1)[1])
        assert int(enclosure.length) == os.path.getsize(lib / name)
        assert item.podcast_transcript["url"] == enclosure.href[:-4] + ".vtt"
        assert item.podcast_transcript["type"] == "text/vtt"
    newest = feed.entries[0]
    assert newest.itunes_duration == "0:00:02"  # 2.5 s, rounded half to even
    assert newest.published == "Sat, 03 Feb 2024 00:00:00 +0800"
    assert newest.link == "https://news.example.org/library/2024-02-03-%E6%96%B0%E9%97%BB%20%E9%80%9F%E9%80%92.html"
    assert feed.entries[2].link == "https://www.example.cn/a.html"  # no listen page: the original article
    assert "新华网" in newest.summary and "新闻 速递的开头" in newest.summary
    assert len({e.id for e in feed.entries}) == 3


def test_feed_escapes_markup_in_text(library: tuple[Path, list[Entry]]) -> None:
    lib, entries = library
    root = etree.fromstring(build_feed(entries, lib, base_url="https://x.example/"))
    assert root.find(".//script") is None
    titles = [t.text for t in root.iterfind("./channel/item/title")]
    assert '<script>alert(1)</script> & "引号"' in titles
    transcripts = root.findall(f"./channel/item/{{{PODCAST_NS}}}transcript")
    assert len(transcripts) == 3


def test_feed_without_base_url_points_at_the_folder_and_skips_missing_files(
    library: tuple[Path, list[Entry]],
) -> None:
    lib, entries = library
    (lib / "2021-06-01-旧闻.mp3").unlink()
    feed = feedparser.parse(build_feed(entries, lib))
    assert feed.bozo == 0
    assert [e.title for e in feed.entries] == ["新闻 速递", '<script>alert(1)</script> & "引号"']
    href = feed.entries[0].enclosures[0].href
    assert href.startswith(lib.resolve().as_uri() + "/") and Path(unquote(href[len("file://"):])).is_file()


def test_base_url_is_checked() -> None:
    assert check_base_url("https://a.example/lib") == "https://a.example/lib/"
    for bad in ("library/", "ftp://a.example/", "https:///nohost"):
        with pytest.raises(UsageError, match="base-url"):
            check_base_url(bad)
