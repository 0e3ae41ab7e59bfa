"""Where an article comes from: a URL, a local file, or stdin → raw bytes plus what the source says.

Everything read from outside is bounded while it streams:

- **Size.** At most ``MAX_BYTES`` (10 MB) of a page, a file, a pipe or stdin, counted as the bytes arrive.
  A compressed HTTP answer is decoded here, not by httpx, one layer at a time and a piece at a time
  (``_decoded``): reader asks for gzip and deflate only, refuses other codings and more than
  ``MAX_CODINGS`` layers, and caps the bytes on the wire and the output of every layer as they stream, so
  ``Content-Encoding: gzip, gzip`` over a kilobyte that expands to a gigabyte stops at the cap holding at
  most ``_PIECE`` bytes per layer. robots.txt gets ``MAX_ROBOTS_BYTES``. A regular file's size is checked before it is read; named pipes are
  read up to the cap; devices (``/dev/zero``), sockets and folders are refused.
- **Time.** One total deadline per fetch (``timeout``, default ``FETCH_TIMEOUT`` = 30 s), redirects and
  a server sending one byte a second (in its headers or its body) included: a watchdog thread shuts the
  connection's socket down when the deadline passes, or at once when the fetch's ``cancel`` event is set
  (Ctrl-C in a batch), which makes the blocked read fail immediately. httpx's own time-outs are per
  operation, so they cannot do this alone.
- **Place.** Redirects are followed here, one at a time, each checked against the fetch's
  ``reader.source.address.Scope``: they stay on the site that was asked for and reach internal addresses
  only on the host the user named.
- **Credentials.** A URL's ``user:password@`` is used for the request and shown nowhere: the ``Source``'s
  name and URL, and every message, carry ``reader._clean.url_for_display`` of it.

Network errors from httpx are mapped to ``FetchError`` here, where they enter the library.
"""

from __future__ import annotations

import os
import socket
import stat
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urljoin

import httpx

from reader._clean import url_for_display
from reader._files import reason
from reader._version import __version__
from reader.errors import FetchError, UsageError
from reader.i18n import _
from reader.models import Source
from reader.settings import FETCH_TIMEOUT
from reader.source.address import Scope, parse_url

MAX_BYTES = 10 * 1024 * 1024
#: RFC 9309 asks crawlers to parse at least 500 KiB of a robots.txt; more is not read.
MAX_ROBOTS_BYTES = 512 * 1024
MAX_REDIRECTS = 5
#: httpx's per-operation limits; the whole fetch is bounded by its deadline besides.
TIMEOUT = httpx.Timeout(connect=10.0, read=20.0, write=10.0, pool=10.0)
USER_AGENT = f"Mozilla/5.0 (compatible; reader/{__version__}; +https://pypi.org/project/zh-news-reader/)"
ACCEPT = "text/html,application/xhtml+xml,text/plain;q=0.9"
_HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "application/xml", "text/xml")
_TEXT_SUFFIXES = {".txt", ".text"}
_HTML_SUFFIXES = {".html", ".htm", ".xhtml", ".shtml"}
_REDIRECTS = (301, 302, 303, 307, 308)
#: The content codings reader asks for, and decodes itself (``_decoded``).
ACCEPT_ENCODING = "gzip, deflate"
_CODINGS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
#: At most this many layers of compression (``gzip, gzip`` is two); more is refused.
MAX_CODINGS = 2
#: The most one decoding step hands on, whatever its input expands to.
_PIECE = 64 * 1024


class Stopped(Exception):
    """A fetch (or the wait before it) was cancelled: the batch is stopping."""


def is_url(spec: str) -> bool:
    return "://" in spec[:12]


def _megabytes(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"


def make_client() -> httpx.Client:
    """The HTTP client reader fetches with: redirects are followed by ``get`` (checked one by one), and no
    connection is kept alive, so that every request opens its own socket and the watchdog can see it."""
    return httpx.Client(
        timeout=TIMEOUT,
        follow_redirects=False,
        limits=httpx.Limits(max_keepalive_connections=0),
        headers={"User-Agent": USER_AGENT, "Accept": ACCEPT},
    )


def fetch(spec: str, stdin: BinaryIO | None = None, client: httpx.Client | None = None, *,
          timeout: float = FETCH_TIMEOUT) -> Source:
    """Read ``spec``: ``-`` for stdin, an http(s) URL, or a path."""
    if spec == "-":
        return read_stdin(stdin)
    if is_url(spec):
        return fetch_url(spec, client=client, timeout=timeout)
    return read_file(Path(spec))


def from_text(text: str, name: str = "<text>") -> Source:
    """Text the user gave directly (``reader narrate --text …``), read like a plain-text file."""
    data = text.encode("utf-8")
    if len(data) > MAX_BYTES:
        raise UsageError(_("{name}: larger than {value} MB").format(name=name, value=MAX_BYTES // (1024 * 1024)))
    return Source(data=data, name=name, charset="utf-8", kind="text")
# ---------------------------------------------------------------------------------------------------------
# stdin and files


def read_stdin(stream: BinaryIO | None = None) -> Source:
    """stdin, up to ``MAX_BYTES``; ``UsageError`` when there is none (the shell closed it: ``<&-``)."""
    if stream is None:
        if sys.stdin is None or getattr(sys.stdin, "buffer", None) is None:
            raise UsageError(_("<stdin>: there is no standard input (it is closed)"))
        stream = sys.stdin.buffer
    try:
        data = stream.read(MAX_BYTES + 1)
    except (OSError, ValueError) as exc:  # a closed descriptor or file object
        raise UsageError(_("<stdin>: cannot read the standard input ({getattr})").format(getattr=getattr(exc, 'strerror', None) or exc)
                         ) from exc
    if data is None:
        data = b""
    if len(data) > MAX_BYTES:
        raise FetchError(_("<stdin>: larger than {megabytes}").format(megabytes=_megabytes(MAX_BYTES)))
    return Source(data=data, name="<stdin>")


def read_file(path: Path, *, limit: int = MAX_BYTES) -> Source:
    """The file at ``path``, read up to ``limit`` bytes: a regular file or a pipe (``<(cat page.html)``).

    Opened without blocking, so a named pipe nobody writes to reads as empty instead of hanging; devices,
    sockets and folders are refused (``UsageError``) before a byte is read.
    """
    name = str(path)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError as exc:
        raise UsageError(_("{name}: no such file").format(name=name)) from exc
    except IsADirectoryError as exc:
        raise UsageError(_("{name}: is a directory, not a file").format(name=name)) from exc
    except PermissionError as exc:
        raise FetchError(_("{name}: permission denied").format(name=name)) from exc
    except OSError as exc:
        raise FetchError(_("{name}: cannot read ({strerror})").format(name=name, strerror=reason(exc))) from exc
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise UsageError(_("{name}: is a directory, not a file").format(name=name))
        if stat.S_ISREG(mode):
            if os.fstat(fd).st_size > limit:
                raise FetchError(_("{name}: larger than {megabytes}").format(name=name, megabytes=_megabytes(limit)))
        elif not stat.S_ISFIFO(mode):
            raise UsageError(_("{name}: is a device or socket, not a file").format(name=name))
        os.set_blocking(fd, True)
        data = read_capped(fd, name, limit)
    except OSError as exc:
        raise FetchError(_("{name}: cannot read ({strerror})").format(name=name, strerror=reason(exc))) from exc
    finally:
        os.close(fd)
    suffix = path.suffix.lower()
    kind = "text" if suffix in _TEXT_SUFFIXES else "html" if suffix in _HTML_SUFFIXES else "auto"
    return Source(data=data, name=name, kind=kind)


def read_capped(fd: int, name: str, limit: int) -> bytes:
    """Everything ``fd`` holds, or ``FetchError`` as soon as more than ``limit`` bytes have come."""
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = os.read(fd, min(1 << 20, limit + 1 - total))
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > limit:
            raise FetchError(_("{name}: larger than {megabytes}").format(name=name, megabytes=_megabytes(limit)))
        chunks.append(chunk)



# ---------------------------------------------------------------------------------------------------------
# HTTP


class _Watchdog:
    """Ends a request at its deadline, or at once when ``cancel`` is set, by shutting its socket down.

    httpx (httpcore) reports each new connection's network stream to the request's ``trace`` extension;
    a thread waits for the deadline or the cancel event and then shuts that socket down, which makes the
    thread blocked in ``recv`` get an error at once. ``fired`` says why, so the error is reported as a
    time-out or a stop rather than as the connection error it looks like.
    """

    def __init__(self, timeout: float, cancel: threading.Event | None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.timeout = timeout
        self.deadline = clock() + timeout
        self._clock = clock
        self._cancel = cancel
        self._streams: list[Any] = []
        self._lock = threading.Lock()
        self._done = threading.Event()
        self.fired: str | None = None

    def trace(self, event: str, info: dict[str, Any]) -> None:
        if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            stream = info.get("return_value")
            if stream is not None:
                with self._lock:
                    self._streams.append(stream)
                    fired = self.fired
                if fired:
                    self._shut(stream)

    def remaining(self) -> float:
        return self.deadline - self._clock()

    def check(self) -> None:
        if self._cancel is not None and self._cancel.is_set():
            self.fired = self.fired or "cancel"
        elif self.remaining() <= 0:
            self.fired = self.fired or "timeout"

    def _watch(self) -> None:
        while not self._done.wait(0.05):
            if (self._cancel is not None and self._cancel.is_set()) or self.remaining() <= 0:
                with self._lock:
                    self.fired = "cancel" if self._cancel is not None and self._cancel.is_set() else "timeout"
                    streams = list(self._streams)
                for stream in streams:
                    self._shut(stream)
                return

    @staticmethod
    def _shut(stream: Any) -> None:
        try:
            sock = stream.get_extra_info("socket")
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)
        except (OSError, AttributeError, ValueError):
            pass

    @contextmanager
    def running(self) -> Iterator[_Watchdog]:
        thread = threading.Thread(target=self._watch, name="fetch-watchdog", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._done.set()
            thread.join()


@dataclass(frozen=True)
class Answer:
    """What ``get`` brought back: the final status, URL (after redirects), headers and the body."""

    status: int
    reason: str
    url: str
    content_type: str
    charset: str | None
    data: bytes


def _op_timeout(client: httpx.Client, remaining: float) -> httpx.Timeout:
    base = client.timeout
    def cap(value: float | None) -> float:
        return max(0.05, min(value if value is not None else remaining, remaining))
    return httpx.Timeout(connect=cap(base.connect), read=cap(base.read), write=cap(base.write), pool=cap(base.pool))


def get(url: str, client: httpx.Client, *, limit: int = MAX_BYTES, timeout: float = FETCH_TIMEOUT,
        scope: Scope | None = None, cancel: threading.Event | None = None,
        check_type: Callable[[int, str], None] | None = None, truncate: bool = False) -> Answer:
    """GET ``url`` within ``timeout`` seconds in all, following at most ``MAX_REDIRECTS`` redirects that
    ``scope`` allows (default: ``Scope.typed(url)``), reading at most ``limit`` bytes of the final body
    (after decompression; ``truncate``: the first ``limit`` bytes instead of an error). ``check_type(status,
    mime)`` may refuse the answer before its body is read.
    Raises ``FetchError`` (one line, the URL shown without credentials) or ``Stopped`` (``cancel`` set)."""
    shown = url_for_display(url)
    scope = scope if scope is not None else Scope.typed(url)
    dog = _Watchdog(timeout, cancel)
    try:
        with dog.running():
            answer = _follow(url, shown, client, dog, scope, limit, check_type, truncate)
    except (httpx.InvalidURL, UnicodeError) as exc:  # idna's errors are UnicodeErrors, not httpx's
        raise FetchError(_("{shown}: not a valid URL ({exc})").format(shown=shown, exc=exc)) from exc
    except httpx.HTTPError as exc:
        dog.check()
        if not dog.fired:
            raise _mapped(shown, exc) from exc
        answer = None
    if answer is not None:
        return answer
    if dog.fired == "cancel":
        raise Stopped(shown)
    raise FetchError(_("{shown}: timed out (no complete answer within {timeout:g} s)").format(shown=shown, timeout=dog.timeout))


def _follow(url: str, shown: str, client: httpx.Client, dog: _Watchdog, scope: Scope, limit: int,
            check_type: Callable[[int, str], None] | None, truncate: bool) -> Answer | None:
    """The redirects, one request at a time; None when the watchdog fired."""
    current = url
    for hop in range(MAX_REDIRECTS + 1):
        scope.check(current, hop=hop)
        dog.check()
        if dog.fired:
            return None
        with client.stream("GET", current, follow_redirects=False, extensions={"trace": dog.trace},
                           headers={"Accept-Encoding": ACCEPT_ENCODING},
                           timeout=_op_timeout(client, dog.remaining())) as response:
            location = response.headers.get("location")
            if response.status_code in _REDIRECTS and location:
                current = urljoin(str(response.url), location.strip())
                continue
            mime = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if check_type is not None:
                check_type(response.status_code, mime)
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit and not truncate:
                raise FetchError(_("{shown}: larger than {megabytes}").format(shown=shown, megabytes=_megabytes(limit)))
            chunks: list[bytes] = []
            total = 0
            larger = FetchError(_("{shown}: larger than {megabytes}").format(shown=shown, megabytes=_megabytes(limit)))
            try:
                for chunk in _decoded(response, shown, limit):
                    total += len(chunk)
                    if total > limit:
                        if not truncate:
                            raise larger
                        chunks.append(chunk[: len(chunk) - (total - limit)])
                        break
                    chunks.append(chunk)
                    dog.check()
                    if dog.fired:
                        return None
            except _Capped:  # a layer below went past its own cap
                if not truncate:
                    raise larger from None
            return Answer(response.status_code, response.reason_phrase, url_for_display(str(response.url)), mime,
                          response.charset_encoding, b"".join(chunks))
    raise FetchError(_("{shown}: too many redirects (more than {MAX_REDIRECTS})").format(shown=shown, MAX_REDIRECTS=MAX_REDIRECTS))


class _Capped(Exception):
    """A layer of the body (the wire, or one decoding) went past its cap."""


def _decoded(response: httpx.Response, shown: str, limit: int) -> Iterator[bytes]:
    """The body of ``response`` decoded from its ``Content-Encoding``, in pieces of at most ``_PIECE`` bytes.

    Each layer is a generator pulling from the one below, so nothing is decoded before it is needed, and
    each stops with ``_Capped`` past ``limit`` plus room for a compressed body a little larger than what it
    holds: the work of the whole fetch is bounded by the number of layers times the cap, its memory by a
    piece per layer. httpx decodes a whole network read at once, each layer in full (1 KB of ``gzip, gzip``
    becomes 1 GB in one call), so the body is read raw and decoded here."""
    cap = limit + limit // 8 + _PIECE
    codings = [c.strip().lower() for c in response.headers.get("content-encoding", "").split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if len(codings) > MAX_CODINGS:
        raise FetchError(_("{shown}: refused: more than {count} content codings ({codings})").format(
            shown=shown, count=MAX_CODINGS, codings=", ".join(codings)[:80]))
    for coding in codings:
        if coding not in _CODINGS:
            raise FetchError(_("{shown}: compressed with {coding!r}, which reader does not read").format(
                shown=shown, coding=coding[:40]))
    body: Iterator[bytes] = _capped(response.iter_raw(), cap)
    for coding in codings:  # the first one listed was applied first: it is the innermost
        body = _capped(_inflate(body, coding, shown), cap)
    return body


def _capped(pieces: Iterator[bytes], cap: int) -> Iterator[bytes]:
    total = 0
    for piece in pieces:
        total += len(piece)
        if total > cap:
            raise _Capped
        yield piece


def _inflate(pieces: Iterator[bytes], coding: str, shown: str) -> Iterator[bytes]:
    """One layer of gzip or deflate, at most ``_PIECE`` bytes per step. "deflate" is meant to be zlib's
    format, but some servers send raw deflate: like browsers (and httpx), that is tried when zlib's fails
    at once. What follows the end of the compressed stream is not read."""
    inflater = zlib.decompressobj(_CODINGS[coding])
    fresh = coding == "deflate"
    for data in pieces:
        while True:
            try:
                out = inflater.decompress(data, _PIECE)
            except zlib.error as exc:
                if fresh:
                    inflater, fresh = zlib.decompressobj(-zlib.MAX_WBITS), False
                    continue
                raise FetchError(_("{shown}: the compressed answer is damaged ({exc})").format(shown=shown, exc=exc)) from None
            fresh = False
            data = inflater.unconsumed_tail
            if out:
                yield out
            if inflater.eof:
                return
            if not data and len(out) < _PIECE:  # all input taken and no output pending: the next piece
                break


def _mapped(shown: str, exc: httpx.HTTPError) -> FetchError:
    if isinstance(exc, httpx.TooManyRedirects):
        return FetchError(_("{shown}: too many redirects (more than {MAX_REDIRECTS})").format(shown=shown, MAX_REDIRECTS=MAX_REDIRECTS))
    if isinstance(exc, httpx.TimeoutException):
        return FetchError(_("{shown}: timed out").format(shown=shown))
    if isinstance(exc, httpx.ConnectError):
        return FetchError(_("{shown}: cannot connect ({reason})").format(shown=shown, reason=_reason(exc)))
    return FetchError(_("{shown}: {reason}").format(shown=shown, reason=_reason(exc)))


def fetch_url(url: str, client: httpx.Client | None = None, *, timeout: float = FETCH_TIMEOUT,
              scope: Scope | None = None, cancel: threading.Event | None = None) -> Source:
    """The web page at ``url`` (see ``get``): ``FetchError`` for an HTTP error status or a body that is
    not a web page."""
    parse_url(url)  # a malformed URL or another scheme is the user's mistake: UsageError
    shown = url_for_display(url)

    def check_type(status: int, mime: str) -> None:
        if status >= 400:
            raise FetchError(_("{url}: HTTP {status}").format(url=shown, status=f"{status} {_phrase(status)}".rstrip()))
        if mime and mime not in _HTML_TYPES:
            raise FetchError(_("{shown}: not a web page (content type {mime})").format(shown=shown, mime=mime))

    own = client is None
    client = client or make_client()
    try:
        answer = get(url, client, timeout=timeout, scope=scope, cancel=cancel, check_type=check_type)
    finally:
        if own:
            client.close()
    kind = "text" if answer.content_type == "text/plain" else "html"
    return Source(data=answer.data, name=shown, url=answer.url, charset=answer.charset, kind=kind)


def _phrase(status: int) -> str:
    try:
        from http import HTTPStatus

        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return url_for_display(text[-1]) if text else type(exc).__name__
