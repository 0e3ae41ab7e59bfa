"""The listen page as a listener uses it (issue 23 A4): the status names the chapter playing, sentences are
reached and started by keyboard, and chapter labels read cleanly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from helpers.browser import new_tab, until

from reader.models import Article, Chapter
from reader.narration.pipeline import NarrateOptions, Narration, narrate_article
from reader.publish.page import write_page

ARTICLE = Article(
    title="测试标题",
    chapters=[
        Chapter(None, ["这是导语，用来测试朗读。第二句话在这里。"]),
        Chapter("第一部分；", ["第一部分的正文有两句话。这是第二句话。"]),  # a title ending in ；
        Chapter("第二部分", ["第二部分的正文，到此结束。"]),
    ],
)
STATUS = "document.getElementById('status').textContent"
NOW = "document.getElementById('audio').currentTime"


@pytest.fixture(scope="module")
def narrated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Narration, Path]:
    base = tmp_path_factory.mktemp("keys")
    narration = narrate_article(ARTICLE, NarrateOptions(output=base / "a.mp3", cache_dir=base / "cache"))
    return narration, write_page(narration.audio)


def _open(browser: Any, page: Path) -> Any:
    tab = new_tab(browser, page.as_uri())
    until(tab, "document.getElementById('audio').readyState >= 1")
    tab.evaluate("document.getElementById('audio').muted = true")
    return tab


def test_chapter_labels_read_cleanly(narrated: tuple[Narration, Path]) -> None:
    soup = BeautifulSoup(narrated[1].read_text(encoding="utf-8"), "lxml")
    labels = [a["aria-label"] for a in soup.select("a.chap")]
    assert labels and not any("；，" in label or "，，" in label for label in labels)
    assert any(label.startswith("第一部分，从 ") for label in labels)


def test_the_status_names_the_chapter_playing(browser: Any, narrated: tuple[Narration, Path]) -> None:
    narration, page = narrated
    tab = _open(browser, page)
    tab.click("a.chap >> nth=1")  # reads from 第一部分…
    until(tab, "!document.getElementById('audio').paused")
    assert tab.evaluate(STATUS).startswith("第一部分")
    last = narration.chapters[-1].start
    tab.evaluate(f"document.getElementById('audio').currentTime = {last - 0.4}")  # …and reads on into the next
    until(tab, f"{NOW} > {last + 0.1}", timeout=10)
    until(tab, f"{STATUS}.startsWith('第二部分')", timeout=3)
    assert tab.errors == []
    tab.context.close()


def test_sentences_are_reached_and_started_by_keyboard(browser: Any, narrated: tuple[Narration, Path]) -> None:
    tab = _open(browser, narrated[1])
    assert tab.evaluate("document.querySelectorAll('.s[tabindex=\"0\"]').length") == 1
    # Tab from the start of the page reaches a sentence (after the links and the player's controls).
    for _ in range(40):
        tab.keyboard.press("Tab")
        if tab.evaluate("document.activeElement.classList.contains('s')"):
            break
    spoken = tab.evaluate("Array.from(document.querySelectorAll('.s'), (s) => s.textContent)")
    assert tab.evaluate("document.activeElement.textContent") == spoken[0]  # the title, read first
    tab.keyboard.press(".")  # the next sentence: the focus goes with the highlight
    until(tab, f"document.activeElement.textContent === {spoken[1]!r}")
    start = float(tab.evaluate("document.activeElement.dataset.start"))
    tab.keyboard.press("Enter")  # reads from the focused sentence
    until(tab, "!document.getElementById('audio').paused")
    assert start - 0.1 <= tab.evaluate(NOW) <= start + 1.5
    tab.keyboard.press(" ")  # space on a sentence reads from it too (not pause)
    until(tab, "!document.getElementById('audio').paused")
    assert tab.errors == []
    tab.context.close()
