"""What a batch narrates: folders, URL lists (garbage and duplicates), list pages (--follow) and their links."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.site_server import Page, serve

from reader.errors import UsageError
from reader.source.discover import article_links, discover
from reader.source.polite import PoliteFetcher

LIST_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>要闻列表</title></head><body>
<nav><a href="/news/2024/01/a.html">导航里的一篇长标题文章链接</a><a href="/">首页</a></nav>
<header><a href="/about.html">关于我们这个网站的介绍</a></header>
<ul class="list">
  <li><a href="/news/2024/01/a.html">第一篇文章：经济运行稳中向好</a></li>
  <li><a href="news/2024/01/b.html#comments">第二篇文章：春运客流创新高</a></li>
  <li><a href="/news/2024/01/a.html">第一篇文章：经济运行稳中向好（重复）</a></li>
  <li><a href="https://other.example.cn/news/c.html">别的网站的一篇文章标题</a></li>
  <li><a href="/files/report.pdf">年度报告全文下载文件</a></li>
  <li><a href="javascript:void(0)">脚本链接不是文章标题</a></li>
  <li><a href="/news/2024/01/d.html" title="第三篇文章：标题在属性里"><img src="d.jpg" alt=""></a></li>
  <li><a href="/list.html">要闻列表本页的链接自己</a></li>
</ul>
<div class="pager"><a href="/list_2.html">2</a><a href="/list_3.html">下一页</a></div>
<footer><a href="/contact.html">联系我们网站管理员信箱</a></footer>
</body></html>"""


def test_article_links_same_site_deduplicated_in_order() -> None:
    links = article_links(LIST_PAGE, "http://news.example.cn/list.html")
    assert links == [
        "http://news.example.cn/news/2024/01/a.html",
        "http://news.example.cn/news/2024/01/b.html",
        "http://news.example.cn/news/2024/01/d.html",
    ]


def test_base_href_decides_the_site() -> None:
    page = '<html><head><base href="https://www.gov.example.cn/zw/"></head><body>' \
           '<a href="art/1.html">关于做好春节期间工作的通知</a></body></html>'
    assert article_links(page, "file:///tmp/saved.html") == ["https://www.gov.example.cn/zw/art/1.html"]


def test_folder_lists_article_files_but_not_the_library_or_hidden_ones(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "library").mkdir()
    for name in ("a.html", "b/c.HTM", "b/d.txt", "z.pdf", ".e.txt", ".hidden/f.txt", "library/g.html"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    found = discover(str(tmp_path), exclude=tmp_path / "library")
    assert [Path(p).relative_to(tmp_path).as_posix() for p in found.items] == ["a.html", "b/c.HTM", "b/d.txt"]
    assert len(discover(str(tmp_path), limit=2).items) == 2
    with pytest.raises(UsageError, match="library itself"):
        discover(str(tmp_path / "library"), exclude=tmp_path / "library")


def test_empty_folder_and_missing_input_are_usage_errors(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("x")
    with pytest.raises(UsageError, match="no .html, .htm or .txt files"):
        discover(str(tmp_path))
    with pytest.raises(UsageError, match="no such file or folder"):
        discover(str(tmp_path / "nope"))
    with pytest.raises(UsageError, match="not stdin"):
        discover("-")
    with pytest.raises(UsageError, match="unsupported scheme"):
        discover("ftp://example.cn/a.html")


def test_url_list_reports_garbage_and_drops_duplicates(tmp_path: Path) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text(
        "# my reading list\n"
        "https://news.example.cn/a.html\n"
        "\n"
        "  http://news.example.cn/b.html  \n"
        "not a url at all\n"
        "https://news.example.cn/a.html#top\n"
        "ftp://files.example.cn/c.txt\n"
        "https://news.example.cn/c.html\n",
        encoding="utf-8",
    )
    found = discover(str(urls))
    assert found.items == ["https://news.example.cn/a.html", "http://news.example.cn/b.html",
                           "https://news.example.cn/c.html"]
    assert found.duplicates == 1
    assert found.ignored == [f"{urls}:5: not an http(s) URL: 'not a url at all'",
                             f"{urls}:7: not an http(s) URL: 'ftp://files.example.cn/c.txt'"]


def test_a_text_article_is_not_taken_for_a_url_list(tmp_path: Path) -> None:
    article = tmp_path / "article.txt"
    article.write_text("标题在这里\n日期:2024-01-01\n正文第一段。\n参考：https://example.cn/x\n", encoding="utf-8")
    assert discover(str(article)).items == [str(article.resolve())]


def test_follow_a_saved_list_page_gives_its_web_links_never_local_files(tmp_path: Path) -> None:
    """A saved list page's relative links point into the local file system: never followed (issue 14, item 1).
    Its absolute links on the site it came from are."""
    (tmp_path / "a.html").write_text("x")
    (tmp_path / "list.html").write_text(
        '<html><body><a href="a.html">本地保存的第一篇文章</a><a href="http://example.cn/x.html">网上的某篇文章标题</a>'
        '<a href="file:///etc/passwd">系统里的一个私密文件</a></body></html>', encoding="utf-8")
    found = discover(str(tmp_path / "list.html"), follow=True)
    assert found.items == ["http://example.cn/x.html"]
    assert found.scope is not None and found.scope.trusted_host is None  # a file's links reach no internal host
    (tmp_path / "empty.html").write_text("<html><body><a href='/'>首页</a><p>没有文章</p></body></html>")
    with pytest.raises(UsageError, match="no article links on this list page"):
        discover(str(tmp_path / "empty.html"), follow=True)
    with pytest.raises(UsageError, match="not a folder"):
        discover(str(tmp_path), follow=True)


def test_follow_a_list_page_url() -> None:
    with serve({"/list.html": Page(LIST_PAGE.encode())}) as site, PoliteFetcher() as fetcher:
        found = discover(site.url("/list.html"), follow=True, limit=2, fetch_page=fetcher.fetch)
        assert found.items == [site.url("/news/2024/01/a.html"), site.url("/news/2024/01/b.html")]
