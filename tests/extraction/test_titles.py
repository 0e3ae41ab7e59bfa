"""Chapters and titles as a listener hears them: a poem's title is its chapter, not its author's line or a
verse; a headline's "（图）" is not read (issue 23 A5)."""

from __future__ import annotations

import pytest
from conftest import CORPUS

from reader.extraction import extract, extract_html
from reader.source.fetch import read_file


@pytest.mark.skipif(not (CORPUS / "052" / "page.html").is_file(), reason="../shared/corpus not present")
def test_a_poems_title_is_its_chapter_and_its_author_a_line_of_it() -> None:
    article = extract(read_file(CORPUS / "052" / "page.html"))
    assert [c.title for c in article.chapters] == [None, "《冬夜读书示子聿》", "《诫子诗》"]
    poem = article.chapters[1].paragraphs
    assert poem[:3] == ["——（宋）陆游", "古人学问无遗力，少壮工夫老始成。", "纸上得来终觉浅，绝知此事要躬行。"]
    verses = article.chapters[2].paragraphs
    assert "是故才尽者身危，好名者得华；" in verses and "遗馀者不匮，自尽者无多；" in verses  # verses, not headings
    assert "《冬夜读书示子聿》" not in article.chapters[0].paragraphs
    assert "【1】【2】【3】【4】" not in article.text()  # the pager


def test_a_picture_note_is_not_read_in_a_title_or_a_heading() -> None:
    html = """<html><head><title>女儿出嫁，郑板桥画了几笔兰花当嫁妆（图）--文化--人民网</title></head><body>
    <h1>女儿出嫁，郑板桥画了几笔兰花当嫁妆（图）</h1>
    <div id="content"><p>导语第一段，交代了事情的来龙去脉，内容很充实，也足够长。</p>
    <h3>一、兰花的来历【组图】</h3><p>第一部分的正文，包含若干句子，用来测试章节划分。第二句话。</p>
    <h3>二、嫁妆（视频）</h3><p>第二部分的正文，也包含若干句子，用来测试章节划分。第二句话。</p></div>
    </body></html>"""
    article = extract_html(html)
    assert article.title == "女儿出嫁，郑板桥画了几笔兰花当嫁妆"
    assert [c.title for c in article.chapters] == [None, "一、兰花的来历", "二、嫁妆"]
    assert "图" not in article.text().replace("图书", "")
