"""A hostile web site on 127.0.0.1: answers written byte by byte, so a test can be as rude as a real server.

Each route is a function that gets the request path and a ``Conn`` to write raw bytes to (status line,
headers, body, at any pace). Helpers build the usual answers (``page``, ``redirect``) and the rude ones
(``drip``: one byte at a time; ``gzip_bomb``: a small compressed body that expands without end). ``Site.hung_up``
records the routes whose client went away before the answer was complete, so a test can tell that reader
stopped reading instead of swallowing the whole thing.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from helpers.local_server import QuietHandler, running


class Conn:
    """The raw connection of one request."""

    def __init__(self, handler: BaseHTTPRequestHandler, stop: threading.Event) -> None:
        self._handler = handler
        self.stop = stop  # set when the site shuts down: slow routes end

    def write(self, data: bytes) -> None:
        self._handler.wfile.write(data)
        self._handler.wfile.flush()


Route = Callable[[str, Conn], None]


@dataclass
class Site:
    routes: dict[str, Route]
    base: str = ""
    port: int = 0
    log: list[str] = field(default_factory=list)
    hung_up: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str) -> str:
        return self.base + path

    def requested(self, path: str) -> int:
        with self.lock:
            return self.log.count(path)


def head(status: int = 200, ctype: str = "text/html; charset=utf-8", length: int | None = None,
         extra: dict[str, str] | None = None) -> bytes:
    lines = [f"HTTP/1.1 {status} X", f"Content-Type: {ctype}", "Connection: close"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    lines += [f"{k}: {v}" for k, v in (extra or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def page(body: bytes, ctype: str = "text/html; charset=utf-8", status: int = 200) -> Route:
    def route(path: str, conn: Conn) -> None:
        conn.write(head(status, ctype, len(body)) + body)

    return route


def redirect(location: str, status: int = 302) -> Route:
    def route(path: str, conn: Conn) -> None:
        conn.write(head(status, length=0, extra={"Location": location}))

    return route


def drip(body: bytes, *, every: float, headers_too: bool = False) -> Route:
    """One byte every ``every`` seconds: of the body, or of the whole answer headers included."""

    def route(path: str, conn: Conn) -> None:
        data = head(200, length=len(body))
        if not headers_too:
            conn.write(data)
            data = b""
        for byte in data + body:
            conn.write(bytes([byte]))
            if conn.stop.wait(every):
                return

    return route


def gzip_bomb(expanded: int, ctype: str = "text/plain", chunk: int = 1 << 20) -> Route:
    """``expanded`` bytes of "a" gzip-compressed on the fly (about 1000:1), sent as fast as the client reads."""

    def route(path: str, conn: Conn) -> None:
        conn.write(head(200, ctype, extra={"Content-Encoding": "gzip"}))
        compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
        block = b"a" * chunk
        for _ in range(expanded // chunk):
            out = compressor.compress(block)
            if out:
                conn.write(out)
        conn.write(compressor.flush())

    return route


@contextmanager
def serve(routes: dict[str, Route]) -> Iterator[Site]:
    site = Site(routes)

    class Handler(QuietHandler):
        def do_GET(self) -> None:  # noqa: N802 (the base class's name)
            path = self.path.split("?")[0]
            with site.lock:
                site.log.append(path)
            route = site.routes.get(path) or page(b"<html><body>not found</body></html>", status=404)
            try:
                route(path, Conn(self, site.stop))
            except (BrokenPipeError, ConnectionResetError):
                with site.lock:
                    site.hung_up.append(path)
            self.close_connection = True

    with running(Handler) as httpd:
        site.port = httpd.server_address[1]
        site.base = f"http://127.0.0.1:{site.port}"
        try:
            yield site
        finally:
            site.stop.set()


def article_html(title: str, paragraphs: list[str], date: str = "2024-03-01", extra_head: str = "") -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>{extra_head}</head><body>"
        f"<h1>{title}</h1><div class='info'>日期：{date} 来源：本地日报</div><div class='content'>{body}</div>"
        "</body></html>"
    ).encode()
