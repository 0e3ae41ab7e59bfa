"""Issue 14 — titles and bodies of arbitrary Unicode (control characters, bidi controls, zero-width and other format
characters, noncharacters, lone surrogates, emoji sequences, right-to-left letters, markup) through narrate →
listen page → feed → index → catalog: every output parses with the tool that reads it (XML, HTML, ID3, JSON,
SQLite) and shows none of the characters its format forbids or that can spoof what it says.

Two ways in: a web page (surrogates escaped as character references, as a page can only carry them), batched
into a library; and an ``Article`` built in Python with the raw strings (surrogates included), narrated
directly. espeak speaks (fast and real); hypothesis draws the same examples on every run (tests/conftest.py).
"""

from __future__ import annotations

import html
import json
import os
import sqlite3
import unicodedata
from pathlib import Path

import feedparser
import lxml.etree
import lxml.html
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mutagen.id3 import ID3

from reader._clean import BIDI_CONTROLS
from reader.errors import ReaderError
from reader.library.batch import BatchOptions, run_batch
from reader.models import Article, Chapter
from reader.narration.pipeline import NarrateOptions, Narrator
from reader.narration.record import NarrationRecord
from reader.publish.page import write_page

LEAD = "今天上午，市里召开了一次重要的工作会议，总结了去年的工作。"
SPECIAL = (
    [chr(c) for c in range(0x00, 0x20)] + ["\x7f", "\x85", "\x9b"] + sorted(BIDI_CONTROLS)
    + ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u2028", "\u2029", "\ufffe", "\uffff",
       "\U0010ffff", "\ud800", "\udfff", "\U0001F468\u200d\U0001F469\u200d\U0001F467", "\U0001F1E8\U0001F1F3",
       "\u0301", "שלום", "مرحبا", "<script>", "]]>", "&amp;", '"', "'", "\\", "/", "..", "CON", "：", "公告"]
)
PIECE = st.one_of(st.sampled_from(SPECIAL), st.text(min_size=1, max_size=4))
FUZZ = st.lists(PIECE, min_size=1, max_size=8).map("".join)

#: A handful of examples in ``make test``; READER_FUZZ_EXAMPLES=200 HYPOTHESIS_PROFILE=explore for a deliberate hunt.
BUDGET = settings(max_examples=int(os.environ.get("READER_FUZZ_EXAMPLES", "8")), deadline=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def forbidden(text: str, *, display: bool = True) -> list[str]:
    """Characters that must not be in an output: what XML forbids, lone surrogates, noncharacters, and (shown
    text) the bidi controls."""
    bad = []
    for ch in text:
        code = ord(ch)
        if (code < 0x20 and ch not in "\t\n\r") or 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF \
                or (code & 0xFFFE) == 0xFFFE or 0xFDD0 <= code <= 0xFDEF or (display and ch in BIDI_CONTROLS):
            bad.append(f"U+{code:04X}")
    return bad


def check_name(name: str) -> None:
    assert "/" not in name and len(name.encode("utf-8")) <= 255, name
    assert not [c for c in name if unicodedata.category(c) in ("Cc", "Cf", "Cs")], repr(name)


def check_narration(mp3: Path) -> None:
    """The audio's tags, its record, its subtitles and its listen page, each read by its own tool."""
    check_name(mp3.name)
    tags = ID3(mp3)
    for frame in ("TIT2", "TPE1", "USLT"):
        for found in tags.getall(frame):
            assert not forbidden(str(found)), (frame, str(found))
    record = json.loads(mp3.with_suffix(".json").read_text(encoding="utf-8"))
    assert not forbidden(json.dumps(record, ensure_ascii=False), display=False)
    NarrationRecord.read(mp3.with_suffix(".json"))
    vtt = mp3.with_suffix(".vtt").read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT") and not forbidden(vtt, display=False)
    page = mp3.with_suffix(".html")
    if page.exists():
        text = page.read_text(encoding="utf-8")
        assert not forbidden(text), forbidden(text)
        assert lxml.html.fromstring(text.encode("utf-8")).find(".//audio") is not None


def page_html(title: str, body: str) -> bytes:
    def escape(text: str) -> str:  # a page can carry a surrogate only as a character reference
        return "".join(f"&#x{ord(c):x};" if 0xD800 <= ord(c) <= 0xDFFF else html.escape(c) for c in text)

    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title></head><body>"
            f"<h1>{escape(title)}</h1><div class='info'>日期：2024-03-01 来源：本地日报</div><div class='content'>"
            f"<p>{LEAD}</p><p>会议指出{escape(body)}要坚持稳中求进。</p></div></body></html>").encode("utf-8", "surrogatepass")


@pytest.mark.slow
@BUDGET
@given(title=FUZZ, body=FUZZ)
def test_a_hostile_page_through_batch_page_feed_and_catalog(tmp_path_factory: pytest.TempPathFactory, title: str,
                                                            body: str) -> None:
    base = tmp_path_factory.mktemp("fuzz")
    (base / "in").mkdir()
    (base / "in" / "page.html").write_bytes(page_html(title, body))
    library = base / "library"
    result = run_batch(str(base / "in"), BatchOptions(library=library, narration=NarrateOptions(voice="espeak"), title=f"订阅{title}"))
    for outcome in result.failed:
        assert outcome.error and not outcome.error.startswith("internal error"), outcome.error
    feed = (library / "feed.xml").read_bytes()
    lxml.etree.fromstring(feed)  # strict XML: a control character anywhere fails here
    assert not feedparser.parse(feed).bozo and not forbidden(feed.decode("utf-8"))
    index = (library / "index.html").read_text(encoding="utf-8")
    assert not forbidden(index)
    lxml.html.fromstring(index.encode("utf-8"))
    db = sqlite3.connect(library / "catalog.sqlite")
    try:
        rows = db.execute("SELECT title, audio, status FROM articles").fetchall()
    finally:
        db.close()
    assert len(rows) == 1
    for found_title, audio, status in rows:
        assert status in ("done", "failed")
        if audio:
            assert not forbidden(found_title or "", display=False)
            check_narration(library / audio)
    for path in library.iterdir():
        check_name(path.name)


@pytest.mark.slow
@BUDGET
@given(title=FUZZ, body=FUZZ)
def test_a_hostile_article_narrated_directly(tmp_path_factory: pytest.TempPathFactory, title: str,
                                            body: str) -> None:
    out = tmp_path_factory.mktemp("direct")
    article = Article(title, [Chapter(None, [LEAD, f"会议指出{body}要坚持稳中求进。"]), Chapter(body, [LEAD])],
                      source=f"来源{body}", url=f"https://user:pw@news.example.cn/{body}")
    try:
        narration = Narrator(NarrateOptions(voice="espeak", output_dir=out)).narrate_article(article)
    except ReaderError:
        return  # a one-line refusal (nothing speakable, not Chinese) is a fine answer
    write_page(narration.audio)
    check_narration(narration.audio)
    record = NarrationRecord.read(narration.audio.with_suffix(".json"))
    assert record.article.url is None or "pw@" not in record.article.url
