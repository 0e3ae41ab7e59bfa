"""What the page leaves behind is not read: link-only lines, pointer tails, 原标题, separators in titles,
source lines after the text; and a pasted one-line notice is an untitled article, not an error."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CORPUS

from reader.cli import cli
from reader.extraction import extract_html, extract_text
from reader.extraction.article import clean_title, untitled_title
from reader.models import Source
from reader.text.segment import header_lines

BODY = "好的营商环境就是一个城市的核心竞争力，苏州召开大会表彰先进、鼓舞士气。"


@pytest.mark.parametrize("line", [
    "（详情请点击链接：", "详情请点击这里", "点击查看原文", "【详见附件】", "详见附件", "扫码关注", "扫描二维码下载",
    "原标题：春季学期开学，织密返校疫情防控网", "附件：2024年申报名单.doc", "附件1：表格.xlsx", "附件：",
])
def test_lines_that_only_point_elsewhere_are_not_read(line: str) -> None:
    article = extract_text(f"城市营商环境报道\n\n日期：2024-02-10\n\n{BODY}\n\n{line}\n\n第二段的正文，到此结束。\n")
    assert line not in article.paragraphs()
    assert article.paragraphs() == [BODY, "第二段的正文，到此结束。"]


def test_a_pointer_at_the_end_of_a_paragraph_is_cut() -> None:
    html = ("<html><head><title>新春第一会_江苏</title></head><body><h1>新春第一会</h1>"
            f"<div class='content'><p>{BODY}（详情请点击链接：<a href='http://x.cn'></a></p>"
            f"<p>{BODY.replace('苏州', '无锡')}（详情请点击链接：http://example.cn/a ）</p></div></body></html>")
    article = extract_html(html)
    assert all("点击" not in p for p in article.paragraphs())
    assert article.paragraphs()[0] == BODY


def test_a_source_line_after_the_text_is_metadata() -> None:
    article = extract_text(f"城市营商环境报道\n\n{BODY}\n\n第二段的正文，到此结束。\n\n来源：新华社\n")
    assert article.source == "新华社" and "来源：新华社" not in article.paragraphs()


@pytest.mark.parametrize(("raw", "clean"), [
    ("关于调整国债余额限额的决议_", "关于调整国债余额限额的决议"), ("标题 | ", "标题"), ("— 标题 —", "标题"), ("标题", "标题"),
])
def test_a_title_never_ends_with_a_separator(raw: str, clean: str) -> None:
    assert clean_title(raw) == clean


@pytest.mark.skipif(not (CORPUS / "048").is_dir(), reason="needs ../shared/corpus")
def test_corpus_titles_and_pointers() -> None:
    from reader.extraction import extract
    from reader.source.fetch import read_file

    gov = extract(read_file(CORPUS / "048" / "page.html"))
    assert not gov.title.endswith(("_", "-", "|"))
    jiangsu = extract(read_file(CORPUS / "036" / "page.html"))
    assert not any("点击" in p for p in jiangsu.paragraphs())  # seven "（详情请点击链接：" were read before


def test_one_pasted_line_is_an_untitled_article() -> None:
    text = "因管网维修，本周六上午9时至下午5时，万州区部分路段停水，敬请谅解。"
    article = extract_text(text + "\n")
    assert article.title == "因管网维修" and article.paragraphs() == [text]
    assert header_lines(article) == []  # its name is its opening: not read twice
    assert untitled_title("这是一个没有任何标点而且非常非常长的句子用来测试截断的规则是否正确") .endswith("…")


def test_untitled_text_through_stdin_and_text_option(tmp_path: Path) -> None:
    notice = "因管网维修，本周六上午9时至下午5时，万州区部分路段停水，敬请谅解。"
    out = CliRunner().invoke(cli, ["extract", "-"], input=notice + "\n")
    assert out.exit_code == 0 and out.output.splitlines() == ["因管网维修", notice]
    made = CliRunner().invoke(cli, ["narrate", "--text", notice, "--output-dir", str(tmp_path), "-q"])
    assert made.exit_code == 0, made.output
    assert (tmp_path / "因管网维修.mp3").is_file() and (tmp_path / "因管网维修.vtt").is_file()
    both = CliRunner().invoke(cli, ["narrate", "page.html", "--text", notice])
    assert both.exit_code == 2 and "one of them" in both.output


def test_source_from_text_is_plain_text() -> None:
    from reader.source.fetch import from_text

    source = from_text("<p>不是网页</p>")
    assert source == Source(data="<p>不是网页</p>".encode(), name="<text>", charset="utf-8", kind="text")
