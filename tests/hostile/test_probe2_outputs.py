"""Issue 23 part B — what reader writes and shows: a URL that is not a web address never reaches an output
(B4), terminal escapes from a file never reach the terminal (B5), a user's own files beside an output are not
replaced (B7), special files are refused where a picture is expected (B9). Each test failed before the fix."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner

from reader import _clean
from reader.cli import cli

ARTICLE = "第一篇测试文章的标题\n日期:2024-05-01 来源:测试日报\n\n今天上午，市里召开了一次重要的工作会议，安排了今年的任务。\n"


@pytest.fixture(scope="module")
def narrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A library of one narration (espeak), made once for the module; tests copy it."""
    base = tmp_path_factory.mktemp("narrated")
    (base / "in").mkdir()
    (base / "in" / "a1.txt").write_text(ARTICLE, encoding="utf-8")
    result = CliRunner().invoke(cli, ["batch", str(base / "in"), "-o", str(base / "lib"), "--voice", "espeak", "-q"])
    assert result.exit_code == 0, result.output
    return base / "lib"


# -- B4: one URL filter for every output -------------------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "javascript:alert(document.domain)//", " JavaScript:alert(1)", "java\tscript:alert(1)", "data:text/html,<b>x</b>",
    "vbscript:msgbox(1)", "http:alert(1)", "//evil.example/x", "file:///etc/passwd",
])
def test_only_web_addresses_are_links(url: str) -> None:
    assert _clean.link(url) is None


def test_a_web_address_is_a_link_without_its_password() -> None:
    assert _clean.link("https://user:pw@news.example.cn/a.html?x=1#p") == "https://news.example.cn/a.html?x=1#p"
    assert _clean.link("HTTP://news.example.cn/\u202e") == "HTTP://news.example.cn/"


def test_a_javascript_url_in_a_record_never_reaches_the_feed(narrated: Path, tmp_path: Path) -> None:
    import shutil

    lib = tmp_path / "lib"
    shutil.copytree(narrated, lib)
    (record,) = lib.glob("*.json")
    data = json.loads(record.read_text(encoding="utf-8"))
    data["article"]["url"] = "javascript:alert(document.domain)//"
    record.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    for page in lib.glob("*.html"):
        if page.name != "index.html":
            page.unlink()
    (lib / "catalog.sqlite").unlink()
    result = CliRunner().invoke(cli, ["library", "repair", str(lib), "--base-url", "https://example.org/news/", "-q"])
    assert result.exit_code == 0, result.output
    feed = (lib / "feed.xml").read_text(encoding="utf-8")
    assert "javascript" not in feed.lower()  # before the fix: <link>javascript:alert(document.domain)//</link>
    (entry,) = feedparser.parse(feed.encode()).entries
    assert entry.enclosures


# -- B5: what the terminal shows is cleaned where it is shown ------------------------------------------------------

ESCAPES = ("\x1b", "\x07", "\x9b", "\u202e")


def test_terminal_escapes_from_a_url_list_never_reach_the_terminal(tmp_path: Path) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text("http://127.0.0.1:1/a.html\nhttp://127.0.0.1:1/b\x1b]0;PWNED\x07.html\n"
                    "\x1b]0;PWNED\x07 not a url\nhttp://127.0.0.1:1/c\u202eLMTH.mp3\n", encoding="utf-8")
    for quiet in ([], ["-q"]):
        result = CliRunner().invoke(cli, ["batch", str(urls), "-o", str(tmp_path / "lib"), "--voice", "espeak",
                                          *quiet])
        assert result.exit_code == 1, result.output
        assert "127.0.0.1:1/a.html" in result.output
        assert not any(c in result.output for c in ESCAPES), repr(result.output)  # before: ESC ] 0 ; PWNED


def test_terminal_escapes_in_a_file_name_never_reach_the_terminal(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "evil\x1b]0;PWNED\x07.txt").write_bytes(b"\xff\xfe\x00binary, not an article")
    (pages / "ok.txt").write_bytes(b"\x00\x01\x02")
    for quiet in ([], ["-q"]):
        result = CliRunner().invoke(cli, ["batch", str(pages), "-o", str(tmp_path / "lib"), "--voice", "espeak",
                                          *quiet])
        assert result.exit_code == 1, result.output
        assert "PWNED" in result.output and not any(c in result.output for c in ESCAPES), repr(result.output)
    result = CliRunner().invoke(cli, ["extract", str(pages / "evil\x1b]0;PWNED\x07.txt")])
    assert result.exit_code != 0 and not any(c in result.output for c in ESCAPES), repr(result.output)


def test_a_url_with_a_line_break_is_one_line_of_error() -> None:
    """B11: a URL with a newline (pasted from two lines) gave a two-line error."""
    result = CliRunner().invoke(cli, ["extract", "http://127.0.0.1:1/a\nb.html"])
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 2 and len(lines) == 1 and "not a valid URL" in lines[0], result.output


# -- B7: -o names the audio; the files beside it are replaced only when they are reader's own -------------------

PAGE = ("<!doctype html><html><head><meta charset='utf-8'><title>市里召开工作会议</title></head><body>"
        "<h1>市里召开工作会议</h1><p>今天上午，市里召开了一次重要的工作会议，安排了今年的任务。会议要求各部门抓好落实。</p>"
        "</body></html>")


def narrate(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["narrate", *args, "--voice", "espeak", "-q"])
    return result.exit_code, result.output


@pytest.mark.parametrize("suffix", [".html", ".json", ".vtt"])
def test_a_users_own_file_beside_the_output_is_not_replaced(tmp_path: Path, suffix: str) -> None:
    article = tmp_path / "a.html"
    article.write_text(PAGE, encoding="utf-8")
    mine = tmp_path / f"out{suffix}"
    mine.write_text("my own file, written by hand\n", encoding="utf-8")
    code, output = narrate(str(article), "-o", str(tmp_path / "out.mp3"), "--html")
    assert code == 1 and "out" + suffix in output and "reader's" in output, output
    assert len([line for line in output.splitlines() if line.strip()]) == 1
    assert mine.read_text(encoding="utf-8") == "my own file, written by hand\n"  # before the fix: replaced
    assert not (tmp_path / "out.mp3").exists()  # refused before any work


def test_the_input_page_is_never_the_listen_page(tmp_path: Path) -> None:
    article = tmp_path / "a.html"
    article.write_text(PAGE, encoding="utf-8")
    code, output = narrate(str(article), "-o", str(tmp_path / "a.mp3"))  # no page: the input is left alone
    assert code == 0, output
    code, output = narrate(str(article), "-o", str(tmp_path / "a.mp3"), "--html")
    assert code == 1 and "a.html" in output, output
    assert article.read_text(encoding="utf-8") == PAGE


def test_reader_replaces_its_own_narration_of_the_same_output(tmp_path: Path) -> None:
    article = tmp_path / "a.html"
    article.write_text(PAGE, encoding="utf-8")
    out = tmp_path / "out.mp3"
    for _ in range(2):
        code, output = narrate(str(article), "-o", str(out), "--html")
        assert code == 0, output
    assert {p.name for p in tmp_path.iterdir()} == {"a.html", "out.mp3", "out.json", "out.vtt", "out.html"}
    code, output = narrate(str(article), "-o", str(out), "--html", "--no-sidecars")  # a page of reader's own
    assert code == 0, output


# -- B9: a named pipe where a picture is expected is refused, not waited on ----------------------------------------


@pytest.mark.timeout(60)  # a hang guard: before the fix, opening the pipe waited for a writer forever
@pytest.mark.parametrize("option", ["--cover", "--feed-image"])
def test_a_named_pipe_as_the_artwork_is_refused(tmp_path: Path, option: str) -> None:
    import os

    fifo = tmp_path / "cover.jpg"
    os.mkfifo(fifo)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a1.txt").write_text(ARTICLE, encoding="utf-8")
    result = CliRunner().invoke(cli, ["batch", str(tmp_path / "in"), "-o", str(tmp_path / "lib"), "--voice", "espeak",
                                      option, str(fifo)])
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 2 and len(lines) == 1 and "not a regular file" in lines[0], result.output


# -- B11: a cover no player can show is refused in one line ----------------------------------------------------------


def _png_header(width: int, height: int) -> bytes:
    import struct
    import zlib

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk))
            + b"\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("tiny.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 16, "JPEG"),
    ("huge.png", _png_header(30000, 30000), "30000 × 30000"),
])
def test_a_cover_no_player_can_show_is_refused(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    (tmp_path / name).write_bytes(data)
    article = tmp_path / "a.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    result = CliRunner().invoke(cli, ["narrate", str(article), "-o", str(tmp_path / "out.mp3"), "--voice", "espeak",
                                      "--cover", str(tmp_path / name), "-q"])
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 2 and len(lines) == 1 and reason in lines[0], result.output  # before: embedded
    assert not (tmp_path / "out.mp3").exists()
