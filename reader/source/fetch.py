"""Where an article comes from: a URL, a local file, or stdin → raw bytes plus what the source says.

Network errors from httpx are mapped to ``FetchError`` here, where they enter the library.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

import httpx

from reader import __version__
from reader.errors import FetchError, UsageError
from reader.models import Source

MAX_BYTES = 10 * 1024 * 1024
MAX_REDIRECTS = 5
TIMEOUT = httpx.Timeout(connect=10.0, read=20.0, write=10.0, pool=10.0)
USER_AGENT = f"Mozilla/5.0 (compatible; reader/{__version__}; +https://pypi.org/project/reader/)"
_HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "application/xml", "text/xml")
_TEXT_SUFFIXES = {".txt", ".text"}
_HTML_SUFFIXES = {".html", ".htm", ".xhtml", ".shtml"}


def is_url(spec: str) -> bool:
    return "://" in spec[:12]


def fetch(spec: str, stdin: BinaryIO | None = None, client: httpx.Client | None = None) -> Source:
    """Read ``spec``: ``-`` for stdin, an http(s) URL, or a path."""
    if spec == "-":
        return read_stdin(stdin)
    if is_url(spec):
        return fetch_url(spec, client=client)
    return read_file(Path(spec))


def from_text(text: str, name: str = "<text>") -> Source:
    """Text the user gave directly (``reader narrate --text …``), read like a plain-text file."""
    data = text.encode("utf-8")
    if len(data) > MAX_BYTES:
        raise UsageError(f"{name}: larger than {MAX_BYTES // (1024 * 1024)} MB")
    return Source(data=data, name=name, charset="utf-8", kind="text")


def read_stdin(stream: BinaryIO | None = None) -> Source:
    stream = stream if stream is not None else sys.stdin.buffer
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise FetchError(f"<stdin>: larger than {MAX_BYTES // (1024 * 1024)} MB")
    return Source(data=data, name="<stdin>")


def read_file(path: Path) -> Source:
    name = str(path)
    if not path.exists():
        raise UsageError(f"{name}: no such file")
    if path.is_dir():
        raise UsageError(f"{name}: is a directory, not a file")
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise FetchError(f"{name}: larger than {MAX_BYTES // (1024 * 1024)} MB")
        data = path.read_bytes()
    except PermissionError as exc:
        raise FetchError(f"{name}: permission denied") from exc
    except OSError as exc:
        raise FetchError(f"{name}: cannot read ({exc.strerror or exc})") from exc
    suffix = path.suffix.lower()
    kind = "text" if suffix in _TEXT_SUFFIXES else "html" if suffix in _HTML_SUFFIXES else "auto"
    return Source(data=data, name=name, kind=kind)


def fetch_url(url: str, client: httpx.Client | None = None) -> Source:
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise UsageError(f"{url}: unsupported scheme {scheme!r} (only http and https URLs are fetched)")
    own = client is None
    client = client or httpx.Client(
        timeout=TIMEOUT,
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        headers={"User-Agent": USER_AGENT, "Accept": "text/html,application/xhtml+xml,text/plain;q=0.9"},
    )
    try:
        with client.stream("GET", url) as response:
            if response.status_code >= 400:
                raise FetchError(f"{url}: HTTP {response.status_code} {response.reason_phrase}")
            ctype = response.headers.get("content-type", "")
            mime = ctype.split(";")[0].strip().lower()
            if mime and mime not in _HTML_TYPES:
                raise FetchError(f"{url}: not a web page (content type {mime})")
            declared_length = response.headers.get("content-length")
            if declared_length and declared_length.isdigit() and int(declared_length) > MAX_BYTES:
                raise FetchError(f"{url}: larger than {MAX_BYTES // (1024 * 1024)} MB")
            chunks: list[bytes] = []
            total = 0
            for chunk in response.iter_bytes():
                total += len(chunk)
                if total > MAX_BYTES:
                    raise FetchError(f"{url}: larger than {MAX_BYTES // (1024 * 1024)} MB")
                chunks.append(chunk)
            charset = response.charset_encoding
            final_url = str(response.url)
    except httpx.TooManyRedirects as exc:
        raise FetchError(f"{url}: too many redirects (more than {MAX_REDIRECTS})") from exc
    except httpx.TimeoutException as exc:
        raise FetchError(f"{url}: timed out") from exc
    except httpx.ConnectError as exc:
        raise FetchError(f"{url}: cannot connect ({_reason(exc)})") from exc
    except httpx.HTTPError as exc:
        raise FetchError(f"{url}: {_reason(exc)}") from exc
    finally:
        if own:
            client.close()
    kind = "text" if mime == "text/plain" else "html"
    return Source(data=b"".join(chunks), name=url, url=final_url, charset=charset, kind=kind)


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__
