"""Both pages on a phone (390×844) leave the screen to the text: the sticky player at most a fifth of it (the
library's, with its article buttons, a little more), and the article's first paragraph, or the library's first
article, in the first screen (issue 23 A4). Screenshots at both sizes go to test-artifacts/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers.browser import ARTIFACTS, new_tab, until

from reader.library.batch import BatchOptions, run_batch
from reader.models import Article, Chapter
from reader.narration.pipeline import NarrateOptions, narrate_article
from reader.publish.page import write_page

ARTICLE = Article(
    title="女儿出嫁，郑板桥画了几笔兰花当嫁妆",
    source="人民网-文化频道",
    date="2019-06-15",
    chapters=[
        Chapter(None, ["父亲的教诲像一盏灯，为我们照亮前行的路。父爱如山高大而巍峨。"]),
        Chapter("《冬夜读书示子聿》", ["——（宋）陆游", "古人学问无遗力，少壮工夫老始成。"]),
        Chapter("《诫子诗》", ["——（汉）东方朔", "明者处事，莫尚於中。"]),
    ],
)
PHONE, DESKTOP = (390, 844), (1280, 800)


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("phone")
    cache = base / "cache"
    narration = narrate_article(ARTICLE, NarrateOptions(output=base / "a.mp3", cache_dir=cache))
    (base / "in").mkdir()
    for n, title in enumerate(["春天的公园", "夏天的海边", "秋天的果园"]):
        text = f"{title}\n日期:2024-0{n + 3}-01 来源:测试日报\n\n这是正文，内容很短，只有一句话。\n"
        (base / "in" / f"{n}.txt").write_text(text, encoding="utf-8")
    run_batch(str(base / "in"), BatchOptions(library=base / "lib", narration=NarrateOptions(cache_dir=cache)))
    return {"listen": write_page(narration.audio), "library": base / "lib" / "index.html"}


def _box(tab: Any, selector: str) -> tuple[float, float]:
    top, height = tab.evaluate(f"""(() => {{ const b = document.querySelector({selector!r}).getBoundingClientRect();
                                           return [b.top, b.height]; }})()""")
    return top, height


@pytest.mark.parametrize(("name", "first", "share"), [("listen", "section p .s", 0.2), ("library", ".item", 0.22)])
def test_a_phone_screen_is_for_the_text(browser: Any, pages: dict[str, Path], name: str, first: str,
                                        share: float) -> None:
    for size in (PHONE, DESKTOP):
        tab = new_tab(browser, pages[name].as_uri(), *size)
        until(tab, "document.readyState === 'complete' && !document.getElementById('player').hidden")
        ARTIFACTS.mkdir(exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / f"{name}-{size[0]}x{size[1]}.png"))
        if size == PHONE:
            _, player = _box(tab, "#player")
            top, _ = _box(tab, first)
            assert player <= share * size[1], (name, player)
            assert top + 20 <= 0.6 * size[1], (name, top)  # the text begins in the upper part of the first screen
            assert tab.evaluate("document.documentElement.scrollWidth") <= size[0]
        assert tab.errors == []
        tab.context.close()
