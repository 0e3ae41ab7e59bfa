"""Polite fetching for batches: at most two requests in flight per host, a delay between them, robots.txt.

``PoliteFetcher.fetch(url)`` wraps ``reader.source.fetch.fetch_url`` (which maps network errors to ``FetchError``)
with one shared ``httpx.Client`` (thread-safe, keeps connections alive). Per host it keeps:

- a semaphore of ``per_host`` (2) concurrent requests;
- a start-to-start delay of ``delay`` seconds, or the site's robots.txt ``Crawl-delay`` if that is longer;
- the host's robots.txt, read once with the standard library's ``urllib.robotparser`` and asked about every
  URL for our user agent. Following RFC 9309: a robots.txt that is missing (HTTP 4xx) allows everything; a
  server error (5xx) disallows everything for this run; a host that cannot be reached at all is left to
  the page request itself, which then fails with the real network error. Nothing, robots.txt included, is
  sent to a host before the page's URL has passed its ``Scope`` (``reader.source.address``): a link that may
  not reach an internal address reaches neither its robots.txt. robots.txt is fetched like a page
  (``reader.source.fetch.get``): at most ``MAX_ROBOTS_BYTES`` after decompression, within the fetch
  deadline, redirects on its own site only. A ``Crawl-delay`` longer than ``MAX_CRAWL_DELAY`` is not waited
  for in full: the wait is capped and a warning says so, once per site.

A ``stop`` event makes waiting for the delay end early and aborts requests in flight (Ctrl-C in a batch);
``fetch`` then raises ``Stopped``.
"""

from __future__ import annotations

import logging
import threading
import time
import urllib.robotparser
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import httpx

from reader._clean import url_for_display
from reader.errors import FetchError
from reader.i18n import _
from reader.models import Source
from reader.settings import FETCH_TIMEOUT, MAX_CRAWL_DELAY
from reader.source.address import Scope, site_of
from reader.source.fetch import MAX_ROBOTS_BYTES, Stopped, fetch_url, get, make_client

__all__ = ["PoliteFetcher", "Stopped", "ROBOTS_AGENT", "PER_HOST"]

log = logging.getLogger(__name__)

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
    warned: bool = False


class PoliteFetcher:
    def __init__(
        self,
        *,
        delay: float = 0.0,
        per_host: int = PER_HOST,
        robots: bool = True,
        timeout: float = FETCH_TIMEOUT,
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
        self.timeout = timeout
        self.stop = stop or threading.Event()
        self._clock = clock
        self._sleep = sleep if sleep is not None else self.stop.wait
        self._own_client = client is None
        self.client = client or make_client()
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

    def fetch(self, url: str, scope: Scope | None = None) -> Source:
        """The page at ``url`` (``scope``: where it and its redirects may go; default: as typed)."""
        if self.stop.is_set():
            raise Stopped(url_for_display(url))
        scope = scope if scope is not None else Scope.typed(url)
        scope.check(url, hop=0)  # before anything goes to its host, robots.txt included
        parts = urlsplit(url)
        key = f"{parts.scheme.lower()}://{(parts.hostname or '').lower()}:{parts.port or ''}"
        host = self._host(key)
        with host.slots:
            self._check_robots(host, url, scope)
            self._wait_turn(host, url)
            return fetch_url(url, client=self.client, timeout=self.timeout, scope=scope, cancel=self.stop)

    def _wait_turn(self, host: _Host, url: str) -> None:
        delay = self.delay
        if host.robots is not None:
            crawl_delay = host.robots.crawl_delay(ROBOTS_AGENT)
            if crawl_delay is not None:
                asked = float(crawl_delay)
                if asked > MAX_CRAWL_DELAY:
                    with host.lock:
                        warned, host.warned = host.warned, True
                    if not warned:
                        log.warning(_("%s: robots.txt asks for a Crawl-delay of %g s; waiting %g s between its "
                                      "requests instead"), site_of(url), asked, MAX_CRAWL_DELAY)
                    asked = MAX_CRAWL_DELAY
                delay = max(delay, asked)
        with host.lock:
            now = self._clock()
            start = max(now, host.next_start)
            host.next_start = start + delay
        if start > now and self._sleep(start - now):
            raise Stopped

    def _check_robots(self, host: _Host, url: str, scope: Scope) -> None:
        if not self.robots:
            return
        with host.lock:  # the first request to a host reads robots.txt; the others wait for it
            if not host.robots_read:
                host.robots, host.robots_error = self._read_robots(url, scope)
                host.robots_read = True
        shown = url_for_display(url)
        if host.robots_error is not None:
            raise FetchError(_("{shown}: {robots_error}").format(shown=shown, robots_error=host.robots_error))
        if host.robots is not None and not host.robots.can_fetch(ROBOTS_AGENT, url):
            raise FetchError(_("{shown}: disallowed by the site's robots.txt").format(shown=shown))

    def _read_robots(self, url: str, scope: Scope) -> tuple[urllib.robotparser.RobotFileParser | None, str | None]:
        """The robots.txt of ``url``'s host, fetched within the rules of ``scope``, the page's own (its host
        has passed them: the robots.txt and its redirects stay on that site and trust the same host)."""
        parts = urlsplit(url)
        robots_url = urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))
        parser = urllib.robotparser.RobotFileParser(url_for_display(robots_url))
        try:
            # RFC 9309 § 2.5: only the first 500 KiB (here 512) of a robots.txt are parsed.
            answer = get(robots_url, self.client, limit=MAX_ROBOTS_BYTES, timeout=self.timeout,
                         scope=Scope(site_of(robots_url), scope.trusted_host), cancel=self.stop, truncate=True)
        except FetchError:
            return None, None  # unreachable or too slow: the page request will say why
        if answer.status >= 500:
            return None, f"robots.txt answered HTTP {answer.status}; not fetching from this site (RFC 9309)"
        if answer.status >= 400:
            parser.parse([])  # no rules: everything allowed
            return parser, None
        parser.parse(answer.data.decode("utf-8", "replace").splitlines())
        return parser, None
