"""Issue 14 — what a hostile article does to the files reader writes: credentials (item 4), spoofable names (5),
characters XML forbids (6), two articles of one name (9), a full disk between the audio and its sidecars (10).
Narrated with espeak (fast, real); outputs read back by the tools that use them (lxml, feedparser, mutagen)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import feedparser
import lxml.etree
import lxml.html
import pytest
from click.testing import CliRunner
from helpers.hostile_server import article_html, page, serve
from mutagen.id3 import ID3

from reader.cli import cli
from reader.errors import OutputError
from reader.narration import pipeline
from reader.narration.naming import MAX_NAME_BYTES
from reader.narration.pipeline import NarrateOptions, Narrator

BIDI = "\u202e"
BODY = ["今天上午，市里召开了一次重要的工作会议。", "会议总结了去年的工作，安排了今年的任务。"]


def write_text(path: Path, title: str, paragraphs: list[str] = BODY, date: str = "2024-05-01") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([title, f"日期:{date} 来源:测试日报", "", *paragraphs]) + "\n", encoding="utf-8")
    return path


def narrate(*args: str) -> str:
    result = CliRunner().invoke(cli, ["narrate", *args, "--voice", "espeak", "-q"])
    assert result.exit_code == 0, result.output
    return result.output


def everything(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


# -- item 4: credentials in the URL --------------------------------------------------------------------------


def test_credentials_never_reach_a_file_or_the_terminal(tmp_path: Path) -> None:
    with serve({"/a.html": page(article_html("带密码的网址里的文章", BODY))}) as site:
        url = site.url("/a.html").replace("http://", "http://user:hunter2@")
        out = tmp_path / "narrate"
        out.mkdir()
        result = CliRunner().invoke(cli, ["narrate", url, "--html", "--voice", "espeak", "--output-dir", str(out)])
        assert result.exit_code == 0, result.output
        assert "hunter2" not in result.output
        assert b"hunter2" not in everything(out)
        record = json.loads(next(out.glob("*.json")).read_text(encoding="utf-8"))
        assert record["article"]["url"] == site.url("/a.html") and record["source"] == site.url("/a.html")
        assert ID3(next(out.glob("*.mp3"))).getall("WOAS")[0].url == site.url("/a.html")

        site.routes["/list.html"] = page(
            f'<html><body><a href="{url}">带密码的网址里的文章</a></body></html>'.encode())
        library = tmp_path / "library"
        listing = site.url("/list.html").replace("http://", "http://user:hunter2@")
        result = CliRunner().invoke(cli, ["batch", listing, "--follow", "-o", str(library), "--voice", "espeak"])
        assert result.exit_code == 0, result.output
        assert "hunter2" not in result.output
        assert b"hunter2" not in everything(library)


# -- item 5: spoofable names -------------------------------------------------------------------------------


def test_bidi_and_invisible_characters_never_reach_a_file_name(tmp_path: Path) -> None:
    title = f"通知{BIDI}gpj.exe\u200b\u2066附件"
    write_text(tmp_path / "in" / "a.txt", title)
    out = tmp_path / "out"
    out.mkdir()
    narrate(str(tmp_path / "in" / "a.txt"), "--output-dir", str(out), "--html")
    names = [p.name for p in out.iterdir()]
    assert sorted(names) == sorted(f"2024-05-01-通知gpj.exe附件{s}" for s in (".mp3", ".vtt", ".json", ".html"))
    page_html = (out / "2024-05-01-通知gpj.exe附件.html").read_text(encoding="utf-8")
    assert BIDI not in page_html and "\u2066" not in page_html
    assert BIDI not in str(ID3(out / "2024-05-01-通知gpj.exe附件.mp3").getall("TIT2")[0])

    library = tmp_path / "library"
    result = CliRunner().invoke(cli, ["batch", str(tmp_path / "in"), "-o", str(library), "--voice", "espeak"])
    assert result.exit_code == 0, result.output
    for name in ("feed.xml", "index.html"):
        assert BIDI not in (library / name).read_text(encoding="utf-8")


def test_a_long_title_still_fits_a_file_name(tmp_path: Path) -> None:
    write_text(tmp_path / "a.txt", "很长的标题" * 18)  # 90 Han characters: 270 bytes of UTF-8
    out = tmp_path / "out"
    out.mkdir()
    narrate(str(tmp_path / "a.txt"), "--output-dir", str(out))
    (mp3,) = out.glob("*.mp3")
    assert len(mp3.stem.encode("utf-8")) <= MAX_NAME_BYTES and mp3.name.startswith("2024-05-01-很长的标题")


# -- item 6: characters XML forbids -------------------------------------------------------------------------


def test_control_characters_never_break_the_library(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.html").write_bytes(article_html("响铃&#7;和转义&#27;[31m的标题", BODY))
    library = tmp_path / "library"
    result = CliRunner().invoke(cli, ["batch", str(inputs), "-o", str(library), "--voice", "espeak"])
    assert result.exit_code == 0, result.output
    # A catalog row written by an older reader, before titles were cleaned where they enter.
    db = sqlite3.connect(library / "catalog.sqlite")
    db.execute("UPDATE articles SET title = ?, summary = ?", ("旧的\x1b[31m标题\x00\ufffe", "摘要\x0b"))
    db.commit()
    db.close()
    write_text(inputs / "b.txt", "第二篇文章", date="2024-05-02")
    result = CliRunner().invoke(cli, ["batch", str(inputs), "-o", str(library), "--voice", "espeak"])
    assert result.exit_code == 0, result.output
    feed = feedparser.parse((library / "feed.xml").read_bytes())
    assert not feed.bozo and len(feed.entries) == 2
    assert {e.title for e in feed.entries} == {"旧的[31m标题", "第二篇文章"}
    lxml.etree.fromstring((library / "feed.xml").read_bytes())  # strict XML
    index = lxml.html.fromstring((library / "index.html").read_bytes())
    assert "\x1b" not in index.text_content()


# -- item 9: two articles, one name ------------------------------------------------------------------------


def test_two_articles_of_one_date_and_title_get_names_of_their_own(tmp_path: Path) -> None:
    first = write_text(tmp_path / "first.txt", "公告", ["本周六上午九点，单位组织全体职工参加义务植树活动。"])
    second = write_text(tmp_path / "second.txt", "公告", ["下周一起，单位食堂的开放时间调整为早上七点。"])
    out = tmp_path / "out"
    out.mkdir()
    narrate(str(first), "--output-dir", str(out))
    narrate(str(second), "--output-dir", str(out))
    records = {json.loads(p.read_text(encoding="utf-8"))["source"]: p.name for p in out.glob("*.json")}
    assert records == {str(first.resolve()): "2024-05-01-公告.json", str(second.resolve()): "2024-05-01-公告 (2).json"}
    # The same article again replaces its own files, changed or not.
    write_text(first, "公告", ["本周六上午九点，单位组织全体职工参加义务植树活动，请穿运动鞋。"])
    narrate(str(first), "--output-dir", str(out))
    assert sorted(p.name for p in out.glob("*.mp3")) == ["2024-05-01-公告 (2).mp3", "2024-05-01-公告.mp3"]
    text = json.loads((out / "2024-05-01-公告.json").read_text(encoding="utf-8"))
    assert "运动鞋" in "".join(c["text"] for c in text["chunks"])
    # A file reader did not write (no record beside it) is never taken over.
    (out / "2024-05-02-公告.mp3").write_bytes(b"the user's own file")
    third = write_text(tmp_path / "third.txt", "公告", ["第三篇公告的正文在这里，说明了别的事情。"], date="2024-05-02")
    narrate(str(third), "--output-dir", str(out))
    assert (out / "2024-05-02-公告.mp3").read_bytes() == b"the user's own file"
    assert (out / "2024-05-02-公告 (2).mp3").is_file()


# -- item 10: all outputs of a narration, or none ------------------------------------------------------------


def test_a_full_disk_at_the_subtitles_leaves_no_audio_without_them(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    article = write_text(tmp_path / "a.txt", "字幕写不下的文章")
    out = tmp_path / "out"
    out.mkdir()

    def full(path: Path, cues: object) -> Path:
        raise OutputError(f"cannot write {path}: No space left on device")

    monkeypatch.setattr(pipeline, "write_webvtt", full)
    with pytest.raises(OutputError, match="No space left"):
        Narrator(NarrateOptions(voice="espeak", output_dir=out)).narrate(str(article))
    assert list(out.iterdir()) == []  # no audio, no record, no temporary file
