"""A small web site on 127.0.0.1 for batch tests: fixed pages, a request log, and the peak of requests in flight."""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from helpers.local_server import QuietHandler, running


@dataclass
class Page:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    delay: float = 0.0  # seconds before answering
    gate: threading.Event | None = None  # answer only once this is set
    hung_up: threading.Event = field(default_factory=threading.Event)  # the client closed while the gate was shut


@dataclass
class Site:
    pages: dict[str, Page]
    base: str = ""
    log: list[tuple[str, float]] = field(default_factory=list)  # (path, monotonic start)
    in_flight: int = 0
    peak: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return self.base + path

    def requested(self, path: str) -> int:
        with self.lock:
            return sum(p == path for p, _ in self.log)


def html_article(title: str, date: str, paragraphs: list[str], source: str = "本地日报") -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head><body>"
        f"<h1>{title}</h1><div class='info'>日期：{date} 来源：{source}</div><div class='content'>{body}</div>"
        "</body></html>"
    ).encode()


@contextmanager
def serve(pages: dict[str, Page]) -> Iterator[Site]:
    site = Site(pages)

    class Handler(QuietHandler):
        def do_GET(self) -> None:  # noqa: N802 (the base class's name)
            with site.lock:
                site.log.append((self.path, time.monotonic()))
                site.in_flight += 1
                site.peak = max(site.peak, site.in_flight)
            try:
                page = site.pages.get(self.path) or Page(b"<html><body>not found</body></html>", status=404)
                if page.gate is not None:
                    self._hold(page)
                if page.delay:
                    time.sleep(page.delay)
                self.send_response(page.status)
                self.send_header("Content-Type", page.content_type)
                self.send_header("Content-Length", str(len(page.body)))
                self.end_headers()
                self.wfile.write(page.body)
            finally:
                with site.lock:
                    site.in_flight -= 1

        def _hold(self, page: Page) -> None:
            """Wait for the page's gate; meanwhile notice the client hanging up (its side of the connection
            readable with nothing to read), so that a test can wait on that instead of guessing a time."""
            assert page.gate is not None
            deadline = time.monotonic() + 60
            while not page.gate.wait(0.02) and time.monotonic() < deadline:
                if not page.hung_up.is_set() and select.select([self.connection], [], [], 0)[0]:
                    try:
                        closed = self.connection.recv(1, socket.MSG_PEEK) == b""
                    except OSError:
                        closed = True
                    if closed:
                        page.hung_up.set()

    with running(Handler) as httpd:
        site.base = f"http://127.0.0.1:{httpd.server_address[1]}"
        try:
            yield site
        finally:
            for page in pages.values():
                if page.gate is not None:
                    page.gate.set()
