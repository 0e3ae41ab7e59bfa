"""The listen page served by a server that cannot send part of a file (no Range: ``python3 -m http.server``,
as the README's "any static server" invites): a click on a chapter still plays from that chapter, and the
page says what it does (issue 23 A3)."""

from __future__ import annotations

import functools
import http.client
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from helpers.articles import SHORT
from helpers.browser import new_tab, until
from helpers.local_server import running

from reader.narration.pipeline import NarrateOptions, Narration, narrate_article
from reader.publish.page import write_page


class NoRange(SimpleHTTPRequestHandler):
    """The standard library's static server: whole files only (it ignores Range), and quiet."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
        pass


@pytest.fixture(scope="module")
def narrated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Narration, Path]:
    base = tmp_path_factory.mktemp("norange")
    narration = narrate_article(SHORT, NarrateOptions(output=base / "测试 页面.mp3", cache_dir=base / "cache"))
    return narration, write_page(narration.audio)


def test_a_chapter_click_seeks_on_a_server_without_range(browser: Any, narrated: tuple[Narration, Path]) -> None:
    narration, page = narrated
    handler = functools.partial(NoRange, directory=str(page.parent))
    with running(handler) as server:  # type: ignore[arg-type]
        port = server.server_port
        # The premise: this server answers a Range request with the whole file.
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/" + quote(narration.audio.name), headers={"Range": "bytes=0-0"})
        reply = connection.getresponse()
        assert reply.status == 200 and len(reply.read()) == narration.audio.stat().st_size
        connection.close()

        tab = new_tab(browser, f"http://127.0.0.1:{port}/{quote(page.name)}")
        until(tab, "document.getElementById('audio').readyState >= 1")
        tab.evaluate("document.getElementById('audio').muted = true")
        last = narration.chapters[-1]
        assert last.start > 3.0
        tab.click(f"a.chap >> nth={len(narration.chapters) - 1}")  # at once: the audio may not be whole yet
        until(tab, f"Math.abs(document.getElementById('audio').currentTime - {last.start}) < 1.0 && "
                   "document.getElementById('audio').currentSrc.startsWith('blob:')", timeout=20)
        until(tab, "!document.getElementById('audio').paused")  # and it reads from there
        now = tab.evaluate("document.getElementById('audio').currentTime")
        assert last.start - 0.2 <= now <= last.start + 3.0, (now, last.start)
        assert tab.errors == []
        tab.context.close()
