"""Polite fetching for batches: at most two requests in flight per host, a delay between them, robots.txt.

``PoliteFetcher.fetch(url)`` wraps ``reader.source.fetch.fetch_url`` (which maps network errors to ``FetchError``)
with one shared ``httpx.Client`` (thread-safe, keeps connections alive). Per host it keeps:

- a semaphore of ``per_host`` (2) concurrent requests;
- a start-to-start delay of ``delay`` seconds, or the site's robots.txt ``Crawl-delay`` if that is longer;
- the host's robots.txt, read once with the standard library's ``urllib.robotparser`` and asked about every
  URL for our user agent. Following RFC 9309: a robots.txt that is missing (HTTP 4xx) allows everything; a
  server error (5xx) disallows everything for this run; a host that cannot be reached at all is left to
  the page request itself, which then fails with the real network error.

A ``stop`` event makes waiting for the delay end early (Ctrl-C in a batch).
"""

from __future__ import annotations

import threading
import time
import urllib.robotparser
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import httpx

from reader.errors import FetchError
from reader.i18n import _
from reader.models import Source
from reader.source.fetch import MAX_REDIRECTS, TIMEOUT, USER_AGENT, fetch_url

#: The product token robots.txt rules are matched against (our User-Agent starts with "reader/").
ROBOTS_AGENT = "reader"
PER_HOST = 2


@dataclass
class _Host:
    slots: threading.BoundedSemaphore
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_start: float = 0.0
    robots: urllib.robotparser.RobotFileParser | None = None
    robots_error: str | None = None
    robots_read: bool = False


class Stopped(Exception):
    """The fetcher was asked to stop while waiting."""


class PoliteFetcher:
    def __init__(
        self,
        *,
        delay: float = 0.0,
        per_host: int = PER_HOST,
        robots: bool = True,
        stop: threading.Event | None = None,
        client: httpx.Client | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], bool] | None = None,
    ) -> None:
        """``clock`` and ``sleep`` are injected by tests: ``sleep(seconds)`` waits and returns True if the
        fetcher was stopped meanwhile (default: ``stop.wait``, which returns at once when ``stop`` is set)."""
        if delay < 0:
            raise ValueError("delay must be >= 0")
        self.delay = delay
        self.per_host = per_host
        self.robots = robots
        self.stop = stop or threading.Event()
        self._clock = clock
        self._sleep = sleep if sleep is not None else self.stop.wait
        self._own_client = client is None
        self.client = client or httpx.Client(
            timeout=TIMEOUT,
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            headers={"User-Agent": USER_AGENT, "Accept": "text/html,application/xhtml+xml,text/plain;q=0.9"},
        )
        self._hosts: dict[str, _Host] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        if self._own_client:
            self.client.close()

    def __enter__(self) -> PoliteFetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _host(self, key: str) -> _Host:
        with self._lock:
            host = self._hosts.get(key)
            if host is None:
                host = self._hosts[key] = _Host(threading.BoundedSemaphore(self.per_host))
            return host

    def fetch(self, url: str) -> Source:
        parts = urlsplit(url)
        key = f"{parts.scheme.lower()}://{parts.netloc.lower()}"
        host = self._host(key)
        with host.slots:
            self._check_robots(host, key, url)
            self._wait_turn(host)
            return fetch_url(url, client=self.client)

    def _wait_turn(self, host: _Host) -> None:
        delay = self.delay
        if host.robots is not None:
            crawl_delay = host.robots.crawl_delay(ROBOTS_AGENT)
            if crawl_delay is not None:
                delay = max(delay, float(crawl_delay))
        with host.lock:
            now = self._clock()
            start = max(now, host.next_start)
            host.next_start = start + delay
        if start > now and self._sleep(start - now):
            raise Stopped

    def _check_robots(self, host: _Host, key: str, url: str) -> None:
        if not self.robots:
            return
        with host.lock:  # the first request to a host reads robots.txt; the others wait for it
            if not host.robots_read:
                host.robots, host.robots_error = self._read_robots(key)
                host.robots_read = True
        if host.robots_error is not None:
            raise FetchError(_("{url}: {robots_error}").format(url=url, robots_error=host.robots_error))
        if host.robots is not None and not host.robots.can_fetch(ROBOTS_AGENT, url):
            raise FetchError(_("{url}: disallowed by the site's robots.txt").format(url=url))

    def _read_robots(self, key: str) -> tuple[urllib.robotparser.RobotFileParser | None, str | None]:
        parts = urlsplit(key)
        robots_url = urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))
        parser = urllib.robotparser.RobotFileParser(robots_url)
        try:
            response = self.client.get(robots_url)
        except httpx.HTTPError:
            return None, None  # unreachable: the page request will say why
        if response.status_code >= 500:
            return None, f"robots.txt answered HTTP {response.status_code}; not fetching from this site (RFC 9309)"
        if response.status_code >= 400:
            parser.parse([])  # no rules: everything allowed
            return parser, None
        parser.parse(response.text.splitlines())
        return parser, None
