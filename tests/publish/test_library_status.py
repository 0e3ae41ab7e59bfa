"""The library app's status names the article in the player, after an automatic advance and after the
listener's own next/previous alike (issue 23 A4)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers.browser import new_tab, until

from reader.library.batch import BatchOptions, run_batch
from reader.narration.pipeline import NarrateOptions

ARTICLES = [("a.txt", "春天的公园", "2024-03-01", "公园里的花都开了，很多人来这里散步。"),
            ("b.txt", "夏天的海边", "2024-06-01", "海水很蓝，孩子们在沙滩上玩。"),
            ("c.txt", "秋天的果园", "2024-09-01", "果园里的苹果熟了，农民们忙着采摘。")]
STATUS = "document.getElementById('status').textContent"
AUDIO = "document.getElementById('audio')"


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("status")
    (base / "in").mkdir()
    for name, title, date, text in ARTICLES:
        (base / "in" / name).write_text(f"{title}\n日期:{date} 来源:测试日报\n\n{text}\n", encoding="utf-8")
    run_batch(str(base / "in"), BatchOptions(library=base / "lib", narration=NarrateOptions(cache_dir=base / "c")))
    return base / "lib"


def test_the_status_names_the_article_playing(browser: Any, library: Path) -> None:
    tab = new_tab(browser, (library / "index.html").as_uri())
    until(tab, "!document.getElementById('player').hidden")
    tab.evaluate(f"{AUDIO}.muted = true")
    tab.click(".item >> nth=0 >> .listen")  # the newest: 秋天的果园
    until(tab, f"!{AUDIO}.paused && {AUDIO}.duration > 1")
    assert tab.evaluate(STATUS) == "正在播放：秋天的果园"
    tab.evaluate(f"{AUDIO}.currentTime = {AUDIO}.duration - 0.3")  # heard to its end: the next one follows
    until(tab, f"{STATUS} === '下一篇：夏天的海边'", timeout=10)
    tab.keyboard.press("n")  # the listener's own next
    until(tab, f"{STATUS} === '正在播放：春天的公园'", timeout=5)
    assert tab.errors == []
    tab.context.close()


def test_next_during_a_start_keeps_the_status(browser: Any, library: Path) -> None:
    """"Next" pressed before the article just opened has started: the first play() is aborted by the new
    load, and that abort is no failure to report over the status that names the new article."""
    tab = new_tab(browser, (library / "index.html").as_uri())
    until(tab, "!document.getElementById('player').hidden")
    tab.evaluate(f"{AUDIO}.muted = true")
    tab.evaluate("""() => {
        document.querySelector('.item .listen').click();
        document.dispatchEvent(new KeyboardEvent('keydown', {key: 'n', bubbles: true}));
    }""")
    until(tab, f"!{AUDIO}.paused && {AUDIO}.duration > 1")
    assert tab.evaluate(STATUS) == "正在播放：夏天的海边"
    assert tab.errors == []
    tab.context.close()
