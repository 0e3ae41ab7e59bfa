"""reader._clean: which characters each output may hold, and URLs without credentials."""

from __future__ import annotations

import pytest

from reader import _clean
from reader.models import Article, Chapter
from reader.narration.naming import MAX_NAME_BYTES, safe_filename


@pytest.mark.parametrize(("raw", "text", "display", "filename"), [
    ("公告", "公告", "公告", "公告"),
    ("标题\x1b[31m\x07", "标题[31m", "标题[31m", "标题[31m"),
    ("a\r\nb\rc\td", "a\nb\nc\td", "a\nb\nc\td", "a\nb\nc\td"),
    ("报告\u202egpj.exe", "报告\u202egpj.exe", "报告gpj.exe", "报告gpj.exe"),
    ("零\u200b宽\u00ad\ufeff字", "零\u200b宽\u00ad\ufeff字", "零\u200b宽\u00ad\ufeff字", "零宽字"),
    ("\ud800孤\udfff\ufffe\uffff\U0010ffff", "孤", "孤", "孤"),
    ("行\u2028段\u2029", "行\u2028段\u2029", "行\u2028段\u2029", "行 段 "),
    ("\U0001F468\u200d\U0001F469", "\U0001F468\u200d\U0001F469", "\U0001F468\u200d\U0001F469",
     "\U0001F468\U0001F469"),
])
def test_levels(raw: str, text: str, display: str, filename: str) -> None:
    assert _clean.text(raw) == text
    assert _clean.display(raw) == display
    assert _clean.filename(raw) == filename
    display.encode("utf-8")  # whatever it was, it can be written now


@pytest.mark.parametrize(("url", "shown"), [
    ("http://user:pass@example.cn/a.html", "http://example.cn/a.html"),
    ("https://user@example.cn:8443/a?b=c#d", "https://example.cn:8443/a?b=c#d"),
    ("http://u:p@[::1]:80/x", "http://[::1]:80/x"),
    ("http://example.cn/@someone", "http://example.cn/@someone"),
    ("http://u:p@[::1/x", "http://[::1/x"),  # not even a valid URL: the credentials still go
    ("/plain/path", "/plain/path"),
])
def test_url_for_display(url: str, shown: str) -> None:
    assert _clean.url_for_display(url) == shown


def test_uri_is_ascii() -> None:
    assert _clean.uri("https://u:p@news.example.cn/新闻 1.html?q=中") == \
        "https://news.example.cn/%E6%96%B0%E9%97%BB%201.html?q=%E4%B8%AD"


def test_clean_article_cleans_every_field_and_keeps_clean_ones() -> None:
    clean = Article("标题", [Chapter(None, ["正文。"])], url="https://example.cn/a")
    assert _clean.clean_article(clean) is clean
    dirty = Article("标\x1b题", [Chapter("小\x00节", ["正\ud800文。"])], subtitle="副\x07", source="来\x0b源",
                    url="https://u:p@example.cn/a", captions=["图\x08"])
    cleaned = _clean.clean_article(dirty)
    assert (cleaned.title, cleaned.subtitle, cleaned.source, cleaned.url) == ("标题", "副", "来源",
                                                                               "https://example.cn/a")
    assert cleaned.chapters == [Chapter("小节", ["正文。"])] and cleaned.captions == ["图"]


def test_safe_filename_keeps_within_the_bytes_a_file_system_allows() -> None:
    assert safe_filename("\u202e\u200b") == "article"
    assert len(safe_filename("很长" * 200).encode("utf-8")) <= MAX_NAME_BYTES
    # …with room left under the 255 bytes of a name for " (123)", the longest suffix and two layers of temporary
    # names ".<8 hex>-<pid>.part" (reader._files: the output group's, then the encoder's)
    assert MAX_NAME_BYTES + len(" (123).html" + 2 * ".0123abcd-4194304.part") <= 255
    assert safe_filename('a/b\\c:d*e?"f<g>h|i') == "a_b_c_d_e_f_g_h_i"
