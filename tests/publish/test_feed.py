"""The podcast feed: real MP3 files (made by ffmpeg), catalog rows, and the feed read back by feedparser."""

from __future__ import annotations

import io
import os
import re
import subprocess
from pathlib import Path
from urllib.parse import unquote

import feedparser
import pytest
from lxml import etree

from reader.audio.ffmpeg import ffmpeg_path
from reader.errors import UsageError
from reader.library.catalog import Published, SQLiteCatalog
from reader.library.episodes import episodes
from reader.publish.episode import Episode
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
        audio=f"{stem}.mp3", format="mp3", vtt=f"{stem}.vtt", manifest=None, page=f"{stem}.html" if page else None, timings={},
    ))


@pytest.fixture
def library(tmp_path: Path) -> tuple[Path, list[Episode]]:
    with SQLiteCatalog(tmp_path) as cat:
        add(cat, tmp_path, "/in/old.txt", "2021-06-01-旧闻", title="旧闻", date="2021-06-01", seconds=1.0)
        add(cat, tmp_path, "/in/new.txt", "2024-02-03-新闻 速递", title="新闻 速递", date="2024-02-03",
            seconds=2.5, page=True)
        add(cat, tmp_path, "/in/evil.txt", "2023-01-01-危险", title='<script>alert(1)</script> & "引号"',
            date="2023-01-01", seconds=1.5)
        entries = episodes(cat.published(), tmp_path)
    return tmp_path, entries


def test_feed_parses_cleanly_newest_first_with_exact_enclosures(library: tuple[Path, list[Episode]]) -> None:
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


def test_feed_escapes_markup_in_text(library: tuple[Path, list[Episode]]) -> None:
    lib, entries = library
    root = etree.fromstring(build_feed(entries, lib, base_url="https://x.example/"))
    assert root.find(".//script") is None
    titles = [t.text for t in root.iterfind("./channel/item/title")]
    assert '<script>alert(1)</script> & "引号"' in titles
    transcripts = root.findall(f"./channel/item/{{{PODCAST_NS}}}transcript")
    assert len(transcripts) == 3


def test_feed_without_base_url_points_at_the_folder_and_skips_missing_files(
    library: tuple[Path, list[Episode]],
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


# -- what podcast apps and directories ask for -----------------------------------------------------------------

ITUNES = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"
# Apple Podcasts' documented requirements (podcasters.apple.com, "Podcast RSS feed requirements"): the show's
# required tags, the episode's, the enclosure types it accepts, and the artwork it takes.
APPLE_SHOW_REQUIRED = ("title", "description", f"{ITUNES}image", "language", f"{ITUNES}category", f"{ITUNES}explicit")
APPLE_EPISODE_REQUIRED = ("title", "enclosure", "guid")
APPLE_ENCLOSURE_TYPES = ("audio/x-m4a", "audio/mpeg", "video/quicktime", "video/mp4", "video/x-m4v",
                         "application/pdf")
APPLE_CATEGORIES = ("Arts", "Business", "Comedy", "Education", "Fiction", "Government", "History",
                    "Health & Fitness", "Kids & Family", "Leisure", "Music", "News", "Religion & Spirituality",
                    "Science", "Society & Culture", "Sports", "Technology", "True Crime", "TV & Film")


def apple_problems(xml: bytes, library: Path) -> list[str]:
    """What Apple Podcasts would refuse in the feed ``xml`` (its artwork looked up in ``library``)."""
    from reader.publish.cover import image_info

    problems = []
    channel = etree.fromstring(xml).find("channel")
    assert channel is not None
    for tag in APPLE_SHOW_REQUIRED:
        found = channel.find(tag)
        if found is None or not ((found.text or "").strip() or found.attrib):
            problems.append(f"channel has no {tag}")
    image = channel.find(f"{ITUNES}image")
    href = image.get("href", "") if image is not None else ""
    if not href.lower().endswith((".png", ".jpg", ".jpeg")):
        problems.append(f"itunes:image {href!r} is not a .png/.jpg URL")
    elif href.startswith("file:") or "example.org" in href:
        kind, width, height = image_info((library / unquote(href.rsplit("/", 1)[1])).read_bytes())
        if width != height or not 1400 <= width <= 3000:
            problems.append(f"artwork is {width}×{height}")
        data = (library / unquote(href.rsplit("/", 1)[1])).read_bytes()
        if kind == "png" and data[25] not in (2,):  # PNG colour type 2: RGB, no alpha, no palette
            problems.append(f"artwork PNG colour type {data[25]} is not RGB")
    category = channel.find(f"{ITUNES}category")
    if category is None or category.get("text") not in APPLE_CATEGORIES:
        problems.append("itunes:category is not one of Apple's")
    explicit = channel.find(f"{ITUNES}explicit")
    if explicit is None or explicit.text not in ("true", "false"):
        problems.append("itunes:explicit is not true or false")
    if not (channel.findtext("language") or "").lower().startswith("zh"):
        problems.append("language is not Chinese")
    for item in channel.iterfind("item"):
        for tag in APPLE_EPISODE_REQUIRED:
            if item.find(tag) is None:
                problems.append(f"an episode has no {tag}")
        enclosure = item.find("enclosure")
        if enclosure is not None:
            if enclosure.get("type") not in APPLE_ENCLOSURE_TYPES:
                problems.append(f"enclosure type {enclosure.get('type')}")
            if not enclosure.get("url") or not (enclosure.get("length") or "").isdigit():
                problems.append("enclosure without url or length")
    return problems


def test_feed_has_what_apple_podcasts_requires(library: tuple[Path, list[Episode]]) -> None:
    lib, entries = library
    xml = build_feed(entries, lib, base_url="https://news.example.org/library/")
    assert apple_problems(xml, lib) == []
    channel = etree.fromstring(xml).find("channel")
    assert channel is not None
    assert channel.findtext("title") == "语音播报"  # Chinese defaults (the folder's name is not Chinese)
    assert channel.findtext("description", "").startswith("语音播报：用 reader")
    assert channel.findtext("language") == "zh-cn" and channel.find(f"{ITUNES}category").get("text") == "News"
    assert channel.findtext(f"{ITUNES}author") == "reader 语音播报"
    assert channel.findtext(f"{ITUNES}owner/{ITUNES}name") == "reader 语音播报"
    [cover] = lib.glob("cover-*.png")
    assert channel.find(f"{ITUNES}image").get("href") == f"https://news.example.org/library/{cover.name}"
    assert channel.findtext("image/url") == f"https://news.example.org/library/{cover.name}"


def make_image(path: Path, size: str) -> Path:
    subprocess.run([ffmpeg_path(), "-v", "error", "-f", "lavfi", "-i", f"color=c=0x336699:s={size}", "-frames:v",
                    "1", "-pix_fmt", "rgb24" if path.suffix == ".png" else "yuvj420p", "-y", str(path)], check=True)
    return path


def test_feed_title_author_image_and_email(library: tuple[Path, list[Episode]], tmp_path_factory: pytest.TempPathFactory,
                                          caplog: pytest.LogCaptureFixture) -> None:
    import podcastparser

    from reader.publish.feed import FeedInfo

    lib, entries = library
    art = make_image(tmp_path_factory.mktemp("art") / "art.jpg", "1500x1500")
    info = FeedInfo(title="万州新闻 朗读", author="万州融媒", image=str(art), email="news@example.org")
    out = write_feed(entries, lib, base_url="https://news.example.org/library/", info=info)
    xml = out.read_bytes()
    assert apple_problems(xml, lib) == []
    [cover] = lib.glob("cover-*")
    assert cover.suffix == ".jpg" and cover.read_bytes() == art.read_bytes()  # the default cover is gone
    feed = feedparser.parse(xml)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert (feed.feed.title, feed.feed.author, feed.feed.image.href) == (
        "万州新闻 朗读", "万州融媒", f"https://news.example.org/library/{cover.name}")
    assert feed.feed.publisher_detail.email == "news@example.org" and feed.feed.language == "zh-cn"
    parsed = podcastparser.parse("https://news.example.org/library/feed.xml", io.BytesIO(xml))
    assert parsed["title"] == "万州新闻 朗读" and parsed["cover_url"].endswith(cover.name)
    assert [e["title"] for e in parsed["episodes"]] == ["新闻 速递", '<script>alert(1)</script> & "引号"', "旧闻"]
    for episode in parsed["episodes"]:
        [enclosure] = episode["enclosures"]
        assert enclosure["mime_type"] == "audio/mpeg" and enclosure["file_size"] > 0
        assert episode["total_time"] in (1, 2)  # itunes:duration, whole seconds
    # An artwork URL is used as it is; an image Apple would refuse is a warning, not an error.
    url = "https://img.example.org/cover.png"
    assert f'href="{url}"' in build_feed(entries, lib, info=FeedInfo(image=url)).decode("utf-8")
    small = make_image(tmp_path_factory.mktemp("art") / "small.png", "600x400")
    with caplog.at_level("WARNING"):
        build_feed(entries, lib, info=FeedInfo(image=str(small)))
    assert "600 × 400 pixels: Apple Podcasts wants a square of 1400 to 3000" in caplog.text


@pytest.mark.parametrize(("info", "message"), [
    ({"image": "/no/such.png"}, "cannot read"),
    ({"image": __file__}, "not a PNG or JPEG image"),
    ({"image": "https://img.example.org/cover.gif"}, "a .png or .jpg image"),
    ({"image": "ftp://img.example.org/cover.png"}, "an http(s) URL or a file"),
    ({"email": "nobody"}, "not an email address"),
    ({"title": "  "}, "must not be empty"),
])
def test_bad_feed_settings_are_usage_errors(info: dict[str, str], message: str) -> None:
    from reader.publish.feed import FeedInfo

    with pytest.raises(UsageError, match=re.escape(message)):
        FeedInfo(**info)


def test_batch_feed_options_and_their_config_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from reader.cli import cli

    config = tmp_path / "config"
    config.mkdir()
    monkeypatch.setenv("READER_CONFIG_DIR", str(config))
    (config / "config.toml").write_text('[feed]\ntitle = "配置里的标题"\nauthor = "配置里的作者"\n', encoding="utf-8")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("春天的公园\n日期:2024-03-01 来源:测试日报\n\n公园里的花都开了，很多人来这里散步。\n",
                                           encoding="utf-8")
    art = make_image(tmp_path / "art.png", "1400x1400")
    result = CliRunner().invoke(cli, ["batch", str(tmp_path / "in"), "-o", str(tmp_path / "lib"), "-q",
                                      "--feed-author", "命令行的作者", "--feed-image", str(art),
                                      "--feed-email", "me@example.org", "--cache-dir", str(tmp_path / "cache")])
    assert result.exit_code == 0, result.output
    feed = feedparser.parse((tmp_path / "lib" / "feed.xml").read_bytes())
    assert (feed.feed.title, feed.feed.author) == ("配置里的标题", "命令行的作者")  # the command line wins
    assert feed.feed.image.href.endswith(".png") and feed.feed.publisher_detail.email == "me@example.org"
    assert "<title>配置里的标题</title>" in (tmp_path / "lib" / "index.html").read_text(encoding="utf-8")
    assert apple_problems((tmp_path / "lib" / "feed.xml").read_bytes(), tmp_path / "lib") == []
    bad = CliRunner().invoke(cli, ["batch", str(tmp_path / "in"), "-o", str(tmp_path / "lib"),
                                   "--feed-image", str(tmp_path / "in" / "a.txt")])
    assert bad.exit_code == 2 and "not a PNG or JPEG image" in bad.output and bad.output.count("\n") == 1


def test_a_chinese_folder_name_titles_the_library(tmp_path: Path) -> None:
    """The default title: 语音播报 after the library folder's name when that is Chinese, alone otherwise."""
    from reader.publish.feed import default_title

    assert default_title(tmp_path / "政府公告") == "政府公告 · 语音播报"
    assert default_title(tmp_path / "library") == "语音播报"
