from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CORPUS, FIXTURES, SEED
from extract_quality import best_score

from reader.cli import cli
from reader.decode import decode
from reader.exceptions import ExtractError
from reader.extract import extract, extract_html, extract_text
from reader.fetch import Source, read_file

SEED_CHAPTERS = [
    None,
    "高位推动，建立“1+3”工作机制",
    "飞地建园，打造5大协同载体",
    "产业协作，补链强链做大实体",
    "开放合作，提升港口物流功能",
    "城乡互动，携手筑牢民生底板",
    "看成效·数字说话",
    "展宏图·新年目标",
]
FURNITURE = ["语音播报", "扫一扫", "我要找政策", "您当前位置", "政务公开", "中国政府网 |", "政务服务"]


def page(name: str) -> str:
    return decode((FIXTURES / "pages" / f"{name}.html").read_bytes()).text


def test_seed_metadata_and_chapters() -> None:
    article = extract(read_file(SEED))
    assert article.title == "推进协作当样板 同心共融经济圈"
    assert article.subtitle == "——万州区两江新区对口协同发展谱新篇"
    assert article.date == "2022-01-28"
    assert article.source == "万州时报"
    assert article.byline == "记者 解书睿 通讯员 丁彦/文 冉孟军/图"
    assert [c.title for c in article.chapters] == SEED_CHAPTERS
    assert len(article.captions) == 1 and article.captions[0].startswith("①重庆两江数字经济产业园万州园。")
    lead = article.chapters[0].paragraphs
    assert lead[0].startswith("区县对口协同发展") and lead[1] == "两江潮起，平湖浪涌。"
    assert article.chapters[-1].paragraphs[-1].endswith("更好发挥引领带动和标杆示范作用。")
    assert sum(len(c.paragraphs) for c in article.chapters) == 43


def test_seed_drops_furniture_and_repeated_title() -> None:
    text = extract(read_file(SEED)).text()
    for junk in FURNITURE:
        assert junk not in text
    assert text.count("推进协作当样板") == 1
    assert "①" not in text  # captions are kept apart, not read as body text


def test_plain_text_fixes_half_width_punctuation_between_chinese() -> None:
    article = extract_text("标题一二三四\n\n正文第一段,有逗号;还有分号:以及冒号?对吧!很好。\n")
    assert article.chapters[0].paragraphs == ["正文第一段，有逗号；还有分号：以及冒号？对吧！很好。"]


@pytest.mark.parametrize(
    ("name", "title", "encoding", "phrase"),
    [
        ("002", "内蒙古延续部分到期税收优惠政策助企纾困", "utf-8", "自治区财政厅传出最新消息"),
        ("008", "江苏多地要求中高风险地区师生员工暂不返校", "gb18030", "中高风险地区"),
        ("039", "DeepMind新电脑已可利用记忆自学", "utf-8", "人工智能"),  # declares gb2312, is UTF-8
        ("047", "话剧《约定无期限》河北各市巡演结束", "gb18030", "约定无期限"),  # declares utf-8, is GB
        ("052", "女儿出嫁，郑板桥画了几笔兰花当嫁妆", "utf-8", "郑板桥"),  # declares GB2312, is UTF-8
    ],
)
def test_corpus_pages_decode_and_extract(name: str, title: str, encoding: str, phrase: str) -> None:
    article = extract(read_file(FIXTURES / "pages" / f"{name}.html"))
    assert article.encoding == encoding
    assert article.title.startswith(title)
    text = article.text()
    assert phrase in text
    assert "\ufffd" not in text
    # Mojibake of GB bytes read as Latin-1/UTF-8 shows up as runs of these; real text has none.
    assert not any(ch in text for ch in "ÃÂÐÑÒÓÔÕÖ×ØÙÚÛÜÝÞß")


@pytest.mark.parametrize("name", ["002", "039"])
def test_corpus_pages_match_ground_truth(name: str) -> None:
    article = extract_html(page(name))
    expected = (FIXTURES / "pages" / f"{name}.expected.txt").read_text(encoding="utf-8")
    body = article.text().split("\n", 1)[1]
    assert best_score(article.title, body, expected)[2] >= 0.93


def test_gov_page_that_lxml_truncates() -> None:
    article = extract_html(page("048"))
    assert article.title.startswith("全国人民代表大会常务委员会关于批准财政部发行特别国债购买外汇")
    assert "批准发行15500亿元特别国债购买外汇" in article.text()


def test_text_folded_behind_expand_button_is_read() -> None:
    """Sohu folds the second half behind 展开全文; a listener wants the whole article."""
    text = extract_html(page("034")).text()
    assert "苏银霞打小做生意" in text and "经历了一次折叠" in text
    assert "展开全文" not in text and "返回搜狐" not in text


def test_html_headings_become_chapters() -> None:
    html = """<html><head><title>测试文章标题_某某网</title></head><body>
    <div class="nav"><a href="/">首页</a> | <a href="/a">政务公开</a> | <a href="/b">政务服务</a></div>
    <h1>测试文章标题</h1><div class="info">发布时间：2023-10-01 09:00 来源：某某日报</div>
    <div id="content"><p>导语第一段，交代了事情的来龙去脉，内容很充实。</p>
    <h3>一、第一部分标题</h3><p>第一部分的正文，包含若干句子，用来测试章节划分。第二句话。</p>
    <p><strong>第二部分标题</strong></p><p>第二部分的正文，也包含若干句子，用来测试章节划分。</p>
    <p>扫一扫在手机打开当前页面</p><p>【打印】【关闭】</p></div>
    <div class="footer">版权所有：某某网 京ICP备12345678号</div></body></html>"""
    article = extract_html(html)
    assert article.title == "测试文章标题"
    assert article.date == "2023-10-01" and article.source == "某某日报"
    assert [c.title for c in article.chapters] == [None, "一、第一部分标题", "第二部分标题"]
    assert "扫一扫" not in article.text() and "版权所有" not in article.text()


def test_page_without_article_is_a_clean_error() -> None:
    with pytest.raises(ExtractError, match="no article"):
        extract(Source("<html><body><a href='/'>首页</a></body></html>".encode(), "menu.html", kind="html"))


def test_cli_json_schema(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["extract", str(SEED), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data) == ["title", "subtitle", "date", "source", "byline", "url", "encoding", "captions",
                          "chapters"]
    assert data["date"] == "2022-01-28" and data["encoding"] == "utf-8"
    assert [c["title"] for c in data["chapters"]] == SEED_CHAPTERS
    assert all(isinstance(p, str) for c in data["chapters"] for p in c["paragraphs"])


def test_cli_text_format_reads_from_stdin() -> None:
    result = CliRunner().invoke(cli, ["extract", "-"], input=SEED.read_bytes())
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "推进协作当样板 同心共融经济圈"
    assert "看成效·数字说话" in lines


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus not present")
def test_every_corpus_page_extracts() -> None:
    for d in sorted(p for p in CORPUS.iterdir() if (p / "page.html").is_file()):
        article = extract(read_file(d / "page.html"))
        assert article.title and article.chapters, d.name
        assert "\ufffd" not in article.text(), d.name
