from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CORPUS, FIXTURES, SEED
from extract_quality import best_score

from reader.cli import cli
from reader.errors import ExtractError
from reader.extraction.article import extract, extract_html, extract_text
from reader.models import Source
from reader.source.decode import decode
from reader.source.fetch import read_file

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


def test_hidden_rest_of_article_behind_expand_button_is_kept() -> None:
    """Page 034 folds the second half of the article behind 展开全文; a listener wants all of it."""
    article = extract_html(page("034"))
    text = article.text()
    assert "展开全文" not in text
    assert "他觉得自己这4年多，命运就跟这件T恤正反面一样，经历了一次折叠。" in text  # the last paragraph
    assert "回顾刺人案：“每个人都有自己的盲点”" in [c.title for c in article.chapters]
    assert "返回搜狐" not in text


@pytest.mark.parametrize(
    ("page_title", "headings", "expected"),
    [
        ("土豆不“土” 土豆无“土” 松花江网", ["松花江网", "土豆不“土” 土豆无“土”"], "土豆不“土” 土豆无“土”"),
        ("新竹尖石_美樹營地賞楓 (2) @ 史蒂文的家_藍天 :: 痞客邦 PIXNET ::",
         ["痞客邦 PIXNET", "史蒂文的家_藍天", "新竹尖石_美樹營地賞楓 (2)"], "新竹尖石_美樹營地賞楓 (2)"),
        ("民间资本成投资活动的主体 民间资本路在何方-搜狐财经", [], "民间资本成投资活动的主体 民间资本路在何方"),
        ("书记市长这一周 | 奋马扬鞭争春色，“虎”力全开向未来", [], "书记市长这一周 | 奋马扬鞭争春色，“虎”力全开向未来"),
        ("1-10月德清县固定资产投资结构趋稳趋优", [], "1-10月德清县固定资产投资结构趋稳趋优"),
        ("稳经济一揽子政策措施落地见效_政策解读_内蒙古自治区政府门户网站",
         ["内蒙古自治区人民政府门户网站", "稳经济一揽子政策措施落地见效"], "稳经济一揽子政策措施落地见效"),
    ],
)
def test_title_is_the_article_heading_not_the_site_name(page_title: str, headings: list[str],
                                                        expected: str) -> None:
    hs = "".join(f"<h{1 + i % 3}>{h}</h{1 + i % 3}>" for i, h in enumerate(headings))
    body = "<p>" + "这是文章的正文，内容用来测试标题的选择是否正确。" * 3 + "</p>"
    article = extract_html(f"<html><head><title>{page_title}</title></head><body>{hs}<div>{body}</div></body></html>")
    assert article.title == expected


def test_subtitle_date_and_source_from_the_page_header() -> None:
    html = """<html><head><title>“厕所革命”改善农牧区人居环境</title></head><body>
    <div class="top"><span id="paperdate">2022年02月13日</span></div>
    <h2 id="Title">“厕所革命”改善农牧区人居环境</h2><p class="subtitle" id="SubTitle">去年改造户用卫生厕所4.66万座</p>
    <div class="info">发布时间：<span>2022-02-13</span> 来源：<a href="/">西藏日报</a></div>
    <div class="content"><p>据新华社拉萨电，记者近日从全区农牧业工作会议上了解到，2021年西藏改造户用卫生厕所4.66万座。</p>
    <p>近年来，西藏坚持从农牧民实际需求出发，因地制宜，分类施策，全面推进城乡厕所新建改建工作。</p></div>
    </body></html>"""
    article = extract_html(html)
    assert article.subtitle == "去年改造户用卫生厕所4.66万座"
    assert article.date == "2022-02-13" and article.source == "西藏日报"
    assert article.paragraphs()[0].startswith("据新华社拉萨电")
    assert "去年改造户用卫生厕所4.66万座" not in article.paragraphs()


def test_repeated_labels_and_closing_contact_lines_are_article_text() -> None:
    sessions = "".join(
        f"<p>({i}) 分会场{i}</p><p>地 点：经济学院第二教学楼201</p>"
        f"<p>论文{i}：关于区域协调发展的实证研究，讨论了产业转移、财政分权与地区差距的关系。</p>"
        for i in range(1, 4)
    )
    html = (f"<html><head><title>年会会议议程</title></head><body><h1>年会会议议程</h1><div>{sessions}"
            "<p>会务组负责人联系方式：</p><p>沈老师<br>电话：022-23501436</p><p>传真：022-23500216</p>"
            "</div></body></html>")
    paragraphs = extract_html(html).paragraphs()
    assert paragraphs.count("地 点：经济学院第二教学楼201") == 3
    assert paragraphs[-1] == "传真：022-23500216" and "电话：022-23501436" in paragraphs[-2]


def test_source_label_is_not_part_of_the_source() -> None:
    html = ('<html><head><title>江苏多地要求师生暂不返校</title><meta name="source" content="来源：新华日报">'
            "</head><body><h1>江苏多地要求师生暂不返校</h1><div><p>"
            + "记者从江苏省教育厅获悉，多地要求中高风险地区师生员工暂不返校，确保开学工作平稳有序。" * 2
            + "</p></div></body></html>")
    assert extract_html(html).source == "新华日报"
