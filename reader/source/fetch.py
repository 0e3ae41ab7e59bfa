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
from reader.i18n import _
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
        raise UsageError(_("{name}: larger than {value} MB").format(
            name=name, value=MAX_BYTES // (1024 * 1024)))
    return Source(data=data, name=name, charset="utf-8", kind="text")


def read_stdin(stream: BinaryIO | None = None) -> Source:
    stream = stream if stream is not None else sys.stdin.buffer
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise FetchError(_("<stdin>: larger than {value} MB").format(value=MAX_BYTES // (1024 * 1024)))
    return Source(data=data, name="<stdin>")


def read_file(path: Path) -> Source:
    name = str(path)
    if not path.exists():
        raise UsageError(_("{name}: no such file").format(name=name))
    if path.is_dir():
        raise UsageError(_("{name}: is a directory, not a file").format(name=name))
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise FetchError(_("{name}: larger than {value} MB").format(
                name=name, value=MAX_BYTES // (1024 * 1024)))
        data = path.read_bytes()
    except PermissionError as exc:
        raise FetchError(_("{name}: permission denied").format(name=name)) from exc
    except OSError as exc:
        raise FetchError(_("{name}: cannot read ({strerror})").format(
            name=name, strerror=exc.strerror or exc)) from exc
    suffix = path.suffix.lower()
    kind = "text" if suffix in _TEXT_SUFFIXES else "html" if suffix in _HTML_SUFFIXES else "auto"
    return Source(data=data, name=name, kind=kind)


def fetch_url(url: str, client: httpx.Client | None = None) -> Source:
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise UsageError(_("{url}: unsupported scheme {scheme!r} (only http and https URLs are "
                            "fetched)").format(url=url, scheme=scheme))
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
                raise FetchError(_("{url}: HTTP {status_code} {reason_phrase}").format(
                    url=url, status_code=response.status_code, reason_phrase=response.reason_phrase))
            ctype = response.headers.get("content-type", "")
            mime = ctype.split(";")[0].strip().lower()
            if mime and mime not in _HTML_TYPES:
                raise FetchError(_("{url}: not a web page (content type {mime})").format(url=url, mime=mime))
            declared_length = response.headers.get("content-length")
            if declared_length and declared_length.isdigit() and int(declared_length) > MAX_BYTES:
                raise FetchError(_("{url}: larger than {value} MB").format(
                    url=url, value=MAX_BYTES // (1024 * 1024)))
            chunks: list[bytes] = []
            total = 0
            for chunk in response.iter_bytes():
                total += len(chunk)
                if total > MAX_BYTES:
                    raise FetchError(_("{url}: larger than {value} MB").format(
                        url=url, value=MAX_BYTES // (1024 * 1024)))
                chunks.append(chunk)
            charset = response.charset_encoding
            final_url = str(response.url)
    except httpx.TooManyRedirects as exc:
        raise FetchError(_("{url}: too many redirects (more than {MAX_REDIRECTS})").format(
            url=url, MAX_REDIRECTS=MAX_REDIRECTS)) from exc
    except httpx.TimeoutException as exc:
        raise FetchError(_("{url}: timed out").format(url=url)) from exc
    except httpx.ConnectError as exc:
        raise FetchError(_("{url}: cannot connect ({reason})").format(url=url, reason=_reason(exc))) from exc
    except httpx.HTTPError as exc:
        raise FetchError(_("{url}: {reason}").format(url=url, reason=_reason(exc))) from exc
    finally:
        if own:
            client.close()
    kind = "text" if mime == "text/plain" else "html"
    return Source(data=b"".join(chunks), name=url, url=final_url, charset=charset, kind=kind)


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__
