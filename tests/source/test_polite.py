"""Polite fetching against a real local HTTP server: two requests per host at most, the delay, robots.txt."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from helpers.site_server import Page, serve

from reader.errors import FetchError
from reader.source.polite import PoliteFetcher, Stopped


def test_at_most_two_requests_per_host_in_flight() -> None:
    pages = {f"/a{i}.html": Page(f"<p>第{i}页</p>".encode(), delay=0.15) for i in range(6)}
    with serve(pages) as site, PoliteFetcher() as fetcher, ThreadPoolExecutor(6) as pool:
        sources = list(pool.map(fetcher.fetch, [site.url(p) for p in pages]))
        assert [s.data.decode() for s in sources] == [f"<p>第{i}页</p>" for i in range(6)]
        assert site.peak == 2
        assert site.requested("/robots.txt") == 1  # read once per host


class FrozenClock:
    """A clock that stands still: each request's wait is then exactly what the fetcher planned for it."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self._lock = threading.Lock()

    def now(self) -> float:
        return 1000.0

    def sleep(self, seconds: float) -> bool:
        with self._lock:
            self.waits.append(round(seconds, 6))
        return False  # not stopped


def test_delay_spaces_requests_to_one_host() -> None:
    pages = {f"/b{i}.html": Page(b"<p>x</p>") for i in range(4)}
    clock = FrozenClock()
    with serve(pages) as site, PoliteFetcher(delay=0.2, clock=clock.now, sleep=clock.sleep) as fetcher, \
            ThreadPoolExecutor(4) as pool:
        list(pool.map(fetcher.fetch, [site.url(p) for p in pages]))
        assert site.requested("/b0.html") == 1
    assert sorted(clock.waits) == [0.2, 0.4, 0.6]  # the first goes at once, each next one 0.2 s later


def test_robots_txt_is_honoured_with_its_crawl_delay() -> None:
    robots = b"User-agent: *\nDisallow: /private/\nCrawl-delay: 5\n\nUser-agent: reader\nDisallow: /no-reader/\n"
    pages = {
        "/robots.txt": Page(robots, "text/plain"),
        "/private/a.html": Page(b"<p>secret</p>"),
        "/no-reader/a.html": Page(b"<p>secret</p>"),
        "/open/a.html": Page(b"<p>ok</p>"),
        "/open/b.html": Page(b"<p>ok</p>"),
    }
    clock = FrozenClock()
    with serve(pages) as site, PoliteFetcher(clock=clock.now, sleep=clock.sleep) as fetcher:
        with pytest.raises(FetchError, match="disallowed by the site's robots.txt"):
            fetcher.fetch(site.url("/no-reader/a.html"))  # the group naming us applies, not '*'
        assert fetcher.fetch(site.url("/private/a.html")).data == b"<p>secret</p>"  # '*' is not for us
        fetcher.fetch(site.url("/open/a.html"))
        fetcher.fetch(site.url("/open/b.html"))
        assert site.requested("/no-reader/a.html") == 0
    assert clock.waits == []  # the reader group has no Crawl-delay (the '*' group's is 5 s)


def test_robots_crawl_delay_for_everyone() -> None:
    pages = {
        "/robots.txt": Page(b"User-agent: *\nDisallow: /private/\nCrawl-delay: 1\n", "text/plain"),
        "/private/a.html": Page(b"<p>secret</p>"),
        "/a.html": Page(b"<p>ok</p>"),
        "/b.html": Page(b"<p>ok</p>"),
    }
    clock = FrozenClock()
    with serve(pages) as site, PoliteFetcher(clock=clock.now, sleep=clock.sleep) as fetcher:
        with pytest.raises(FetchError, match="robots.txt"):
            fetcher.fetch(site.url("/private/a.html"))
        fetcher.fetch(site.url("/a.html"))
        fetcher.fetch(site.url("/b.html"))
        assert site.requested("/private/a.html") == 0
    assert clock.waits == [1.0]  # robotparser reads whole seconds only


def test_robots_server_error_stops_the_site_but_a_missing_one_allows_all() -> None:
    with serve({"/robots.txt": Page(b"oops", status=503), "/a.html": Page(b"<p>x</p>")}) as site:
        with PoliteFetcher() as fetcher, pytest.raises(FetchError, match="HTTP 503"):
            fetcher.fetch(site.url("/a.html"))
        assert site.requested("/a.html") == 0
    with serve({"/a.html": Page(b"<p>x</p>")}) as site, PoliteFetcher() as fetcher:
        assert fetcher.fetch(site.url("/a.html")).data == b"<p>x</p>"


def test_stop_ends_a_wait() -> None:
    stop = threading.Event()
    with serve({"/a.html": Page(b"<p>x</p>")}) as site, PoliteFetcher(delay=30, stop=stop) as fetcher:
        fetcher.fetch(site.url("/a.html"))
        threading.Timer(0.1, stop.set).start()
        with pytest.raises(Stopped):
            fetcher.fetch(site.url("/a.html"))
