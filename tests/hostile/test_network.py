"""Issue 14 — a hostile or broken web site, served from 127.0.0.1 only: redirects and links to places the user
never named (item 2), memory bombs outside the page (3), slow servers and Crawl-delay (11), malformed URLs
(14), credentials in URLs (4, fetch side). Each test failed before the fix; time-outs are hang guards."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from helpers.hostile_server import article_html, drip, gzip_bomb, page, redirect, serve

from reader.cli import cli
from reader.errors import FetchError, UsageError
from reader.settings import MAX_CRAWL_DELAY
from reader.source.address import Scope, is_internal, site_of
from reader.source.discover import discover
from reader.source.fetch import fetch, fetch_url
from reader.source.polite import PoliteFetcher

ARTICLE = article_html("本地新闻标题测试文章", ["这是第一段正文，讲的是本地的新闻。", "这是第二段正文，说明了更多的情况。"])
SECRET = article_html("内部服务的机密页面内容", ["这是不应该被读取的内部页面内容，在另一个端口上。"])


def one_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("reader: error: "), output
    assert "Traceback" not in output
    return lines[0]


# -- item 2: redirects and links stay on the site the user named --------------------------------------------


@pytest.mark.parametrize(("address", "internal"), [
    ("169.254.169.254", True), ("127.0.0.1", True), ("127.8.9.10", True), ("10.1.2.3", True),
    ("172.16.0.1", True), ("192.168.1.1", True), ("100.64.0.1", True), ("0.0.0.0", True),
    ("::1", True), ("fe80::1", True), ("fd00::1", True), ("::ffff:169.254.169.254", True),
    ("64:ff9b::a9fe:a9fe", True), ("224.0.0.1", True), ("::", True), ("not-an-address", True),
    ("93.184.216.34", False), ("2606:2800:220:1:248:1893:25c8:1946", False), ("8.8.8.8", False),
])
def test_address_classifier(address: str, internal: bool) -> None:
    assert is_internal(address) is internal


def test_sites_fold_www_and_default_ports_only() -> None:
    assert site_of("http://example.cn/a") == site_of("https://www.example.cn:443/b")
    assert site_of("http://example.cn:8080/a") != site_of("http://example.cn/a")
    assert site_of("http://127.0.0.1:8000/") != site_of("http://127.0.0.1:8001/")
    assert site_of("file:///etc/passwd") is None


def test_links_and_redirects_never_reach_internal_hosts_unless_typed() -> None:
    resolver = {"metadata.example": ["169.254.169.254"], "news.example": ["93.184.216.34"]}

    def resolve(host: str, port: int) -> list[str]:
        return resolver.get(host, [host])

    followed = Scope.followed(site_of("http://metadata.example/"))  # a saved page's <base> said so
    with pytest.raises(FetchError, match="internal address 169.254.169.254"):
        followed.check("http://metadata.example/latest/meta-data/", hop=0, resolver=resolve)
    Scope.followed(site_of("http://news.example/")).check("http://news.example/a.html", hop=0, resolver=resolve)
    typed = Scope.typed("http://10.0.0.5/intranet.html")  # typed by the user: fetched as typed
    typed.check("http://10.0.0.5/intranet.html", hop=0, resolver=resolve)
    typed.check("http://10.0.0.5/other.html", hop=1, resolver=resolve)  # its own redirects, same host
    with pytest.raises(FetchError, match="off the site"):
        typed.check("http://169.254.169.254/", hop=1, resolver=resolve)


def test_redirect_to_another_port_of_the_machine_is_refused() -> None:
    with serve({"/secret.html": page(SECRET)}) as inside:
        with serve({"/a.html": redirect(inside.url("/secret.html")), "/b.html": redirect("/c.html"),
                    "/c.html": page(ARTICLE)}) as site:
            with pytest.raises(FetchError, match="refused: a redirect off the site") as info:
                fetch_url(site.url("/a.html"))
            assert inside.url("/secret.html") in str(info.value)
            assert inside.requested("/secret.html") == 0
            assert fetch_url(site.url("/b.html")).url == site.url("/c.html")  # its own site: followed
            result = CliRunner().invoke(cli, ["extract", site.url("/a.html")])
            assert result.exit_code == 1 and "refused" in one_line(result.output)


def test_base_href_cannot_send_followed_links_elsewhere() -> None:
    with serve({"/secret/1.html": page(SECRET)}) as inside, serve({"/news/2.html": page(ARTICLE)}) as site:
        site.routes["/list.html"] = page((
            f'<html><head><base href="{inside.base}/"></head><body>'
            '<a href="secret/1.html">内部服务的机密页面内容链接</a>'
            f'<a href="{site.base}/news/2.html">本地新闻标题测试文章的链接</a></body></html>').encode())
        with PoliteFetcher() as fetcher:
            found = discover(site.url("/list.html"), follow=True, fetch_page=fetcher.fetch)
        # The <base> only resolves relative links: the ones it sends to another port are dropped.
        assert found.items == [site.url("/news/2.html")]
        assert inside.requested("/secret/1.html") == 0


def test_a_saved_list_page_reaches_no_internal_address(tmp_path: Path) -> None:
    with serve({"/secret/1.html": page(SECRET)}) as inside:
        listing = tmp_path / "list.html"
        listing.write_text(f'<html><head><base href="{inside.base}/"></head><body>'
                           '<a href="secret/1.html">内部服务的机密页面内容链接</a></body></html>', encoding="utf-8")
        found = discover(str(listing), follow=True)
        assert found.items == [inside.url("/secret/1.html")]
        with PoliteFetcher() as fetcher, pytest.raises(FetchError, match="internal address 127.0.0.1"):
            fetcher.fetch(found.items[0], scope=found.scope)
        assert inside.requested("/secret/1.html") == 0


def test_batch_follow_of_a_saved_page_publishes_no_local_file(tmp_path: Path) -> None:
    """Item 1: ``<a href="../secret/diary.txt">`` in a saved list page is never followed."""
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "diary.txt").write_text("我的日记\n今天的心情很好，这是私人的内容，不能公开。\n", encoding="utf-8")
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "list.html").write_text(
        '<html><body><a href="../secret/diary.txt">某某报道的一篇长标题文章</a>'
        '<a href="file:///etc/hostname">另一篇某某报道的长标题文章</a></body></html>', encoding="utf-8")
    library = tmp_path / "library"
    result = CliRunner().invoke(cli, ["batch", str(tmp_path / "pages" / "list.html"), "--follow", "-o",
                                      str(library), "--voice", "espeak", "-q"])
    assert result.exit_code == 2, result.output
    assert "no article links" in one_line(result.output)
    assert not any(library.glob("*.mp3")) if library.exists() else True


# -- item 3: everything read from outside is capped while it streams -----------------------------------------


@pytest.mark.timeout(120)  # a hang guard: before the fix the whole bomb was read into memory
def test_robots_txt_gzip_bomb_is_capped() -> None:
    with serve({"/robots.txt": gzip_bomb(2 << 30), "/a.html": page(ARTICLE)}) as site:
        with PoliteFetcher() as fetcher:
            source = fetcher.fetch(site.url("/a.html"))
        assert "本地新闻" in source.data.decode("utf-8")
        for _ in range(600):  # the server finds out when it writes next
            if site.hung_up:
                break
            time.sleep(0.05)
        assert site.hung_up == ["/robots.txt"]  # reader stopped reading it: it never took the 2 GiB


def test_page_gzip_bomb_is_capped_after_decompression() -> None:
    with serve({"/bomb.html": gzip_bomb(64 << 20, "text/html")}) as site:
        with pytest.raises(FetchError, match="larger than 10 MB"):
            fetch_url(site.url("/bomb.html"))


# -- item 11: one deadline per fetch, whatever the server does ----------------------------------------------


@pytest.mark.timeout(60)  # hang guards: before the fix each of these took minutes
@pytest.mark.parametrize("headers_too", [False, True], ids=["body", "headers"])
def test_a_server_sending_a_byte_a_second_hits_the_deadline(headers_too: bool) -> None:
    with serve({"/slow.html": drip(ARTICLE, every=0.2, headers_too=headers_too)}) as site:
        with pytest.raises(FetchError, match=r"timed out \(no complete answer within 1\.5 s\)"):
            fetch_url(site.url("/slow.html"), timeout=1.5)
        result = CliRunner().invoke(cli, ["extract", site.url("/slow.html"), "--timeout", "1.5"])
        assert result.exit_code == 1 and "timed out" in one_line(result.output)


@pytest.mark.timeout(60)
def test_a_slow_robots_txt_does_not_hold_the_page() -> None:
    robots = b"User-agent: *\nDisallow: /private/\n"
    with serve({"/robots.txt": drip(robots, every=0.3, headers_too=True), "/a.html": page(ARTICLE)}) as site:
        with PoliteFetcher(timeout=1.5) as fetcher:
            assert b"<h1>" in fetcher.fetch(site.url("/a.html")).data


def test_crawl_delay_is_capped_and_reported(caplog: pytest.LogCaptureFixture) -> None:
    waits: list[float] = []
    now = [0.0]

    def sleep(seconds: float) -> bool:
        waits.append(seconds)
        now[0] += seconds
        return False

    robots = b"User-agent: *\nCrawl-delay: 86400\n"
    with serve({"/robots.txt": page(robots, "text/plain"), "/a.html": page(ARTICLE),
                "/b.html": page(ARTICLE)}) as site:
        with caplog.at_level(logging.WARNING), PoliteFetcher(clock=lambda: now[0], sleep=sleep) as fetcher:
            fetcher.fetch(site.url("/a.html"))
            fetcher.fetch(site.url("/b.html"))
    assert waits == [MAX_CRAWL_DELAY]
    assert any("Crawl-delay of 86400 s" in r.getMessage() for r in caplog.records)


# -- item 14: malformed URLs ------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["http://[::1", "http://[::1]:99999/a.html", "http://"])
def test_a_malformed_url_is_a_usage_error(url: str) -> None:
    with pytest.raises(UsageError, match="not a valid URL"):
        fetch(url)
    result = CliRunner().invoke(cli, ["extract", url])
    assert result.exit_code == 2 and "not a valid URL" in one_line(result.output)


def test_a_malformed_url_in_a_url_list_is_reported_not_an_internal_error(tmp_path: Path) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text("http://[::1\nhttps://news.example.cn/a.html\n", encoding="utf-8")
    found = discover(str(urls))
    assert found.items == ["https://news.example.cn/a.html"]
    assert found.ignored == [f"{urls}:1: not a valid URL: 'http://[::1'"]


# -- item 4 (fetch side): credentials are used, never shown ------------------------------------------------------


def test_credentials_are_not_in_the_source_or_the_messages() -> None:
    with serve({"/a.html": page(ARTICLE)}) as site:
        url = site.url("/a.html").replace("http://", "http://user:hunter2@")
        source = fetch_url(url)
        assert "hunter2" not in (source.name + (source.url or "")) and source.url == site.url("/a.html")
        with pytest.raises(FetchError) as info:
            fetch_url(url.replace("/a.html", "/missing.html"))
        assert "hunter2" not in str(info.value) and "HTTP 404" in str(info.value)


def test_a_stop_aborts_a_fetch_in_flight() -> None:
    """Ctrl-C in a batch (item 12): the stop event ends a request blocked on a dripping server at once."""
    stop = threading.Event()
    with serve({"/slow.html": drip(ARTICLE, every=0.5)}) as site, httpx.Client() as client:
        threading.Timer(0.5, stop.set).start()
        from reader.source.fetch import Stopped

        with pytest.raises(Stopped):
            fetch_url(site.url("/slow.html"), client=client, timeout=60, cancel=stop)
