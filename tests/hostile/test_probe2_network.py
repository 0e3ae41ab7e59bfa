"""Issue 23 part B — the second hostile probe, network side: nested compression (B1), robots.txt from a host the
address rules refuse (B2), and URLs that are not URLs (B8). Servers on 127.0.0.1 only; each test failed before
the fix. Memory is checked by the bytes decoded (every zlib decompressor counted), never by time."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers.hostile_server import Conn, Route, article_html, head, page, serve

from reader.cli import cli
from reader.errors import FetchError
from reader.source.fetch import MAX_BYTES, MAX_ROBOTS_BYTES, fetch_url
from reader.source.polite import PoliteFetcher

ARTICLE = article_html("本地新闻标题测试文章", ["这是第一段正文，讲的是本地的新闻。", "这是第二段正文，说明了更多的情况。"])
#: 256 MB of zeros, gzip-compressed twice: about a kilobyte on the wire.
EXPANDED = 256 << 20


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)


def _gzip_stream(chunks: Iterator[bytes]) -> Iterator[bytes]:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    for chunk in chunks:
        out = compressor.compress(chunk)
        if out:
            yield out
    yield compressor.flush()


def _zeros(total: int, block: int = 1 << 20) -> Iterator[bytes]:
    zero = bytes(block)
    for _ in range(total // block):
        yield zero


_BOMBS: dict[int, bytes] = {}


def nested_bomb(layers: int) -> bytes:
    """``EXPANDED`` zeros under ``layers`` layers of gzip (made once per session)."""
    if layers not in _BOMBS:
        stream: Iterator[bytes] = _zeros(EXPANDED)
        for _ in range(layers):
            stream = _gzip_stream(stream)
        _BOMBS[layers] = b"".join(stream)
    return _BOMBS[layers]


def encoded(body: bytes, coding: str, ctype: str = "text/html") -> Route:
    def route(path: str, conn: Conn) -> None:
        conn.write(head(200, ctype, len(body), extra={"Content-Encoding": coding}) + body)

    return route


class Decoded:
    """Every zlib decompressor made while it is installed, and the bytes each call gave: the memory a fetch
    holds is bounded by the largest piece, its work by the sum."""

    def __init__(self) -> None:
        self.pieces: list[int] = []

    @property
    def total(self) -> int:
        return sum(self.pieces)

    @property
    def largest(self) -> int:
        return max(self.pieces, default=0)


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> Decoded:
    seen = Decoded()
    real = zlib.decompressobj

    class Counting:
        def __init__(self, *args: Any) -> None:
            self._inner = real(*args)

        def decompress(self, data: bytes, *args: Any) -> bytes:
            out = self._inner.decompress(data, *args)
            seen.pieces.append(len(out))
            return out

        def flush(self, *args: Any) -> bytes:
            out = self._inner.flush(*args)
            seen.pieces.append(len(out))
            return out

        def __getattr__(self, name: str) -> Any:
            return getattr(self._inner, name)

    monkeypatch.setattr(zlib, "decompressobj", Counting)
    return seen


# -- B1: every decoding layer is capped as it streams ---------------------------------------------------------


@pytest.mark.timeout(120)  # a hang guard
@pytest.mark.parametrize("coding", ["gzip, gzip", "gzip,x-gzip"])
def test_nested_gzip_is_capped_at_every_layer(coding: str, decoded: Decoded) -> None:
    with serve({"/bomb.html": encoded(nested_bomb(2), coding)}) as site:
        with pytest.raises(FetchError, match="larger than 10 MB"):
            fetch_url(site.url("/bomb.html"))
    # Before the fix the inner layer inflated the whole 256 MB in one call.
    assert decoded.largest <= 1 << 20
    assert decoded.total <= 3 * MAX_BYTES


@pytest.mark.timeout(120)
def test_nested_gzip_robots_txt_is_capped_and_the_page_is_fetched(decoded: Decoded) -> None:
    with serve({"/robots.txt": encoded(nested_bomb(2), "gzip, gzip", "text/plain"),
                "/a.html": page(ARTICLE)}) as site:
        with PoliteFetcher() as fetcher:
            source = fetcher.fetch(site.url("/a.html"))
    assert "本地新闻" in source.data.decode("utf-8")
    assert decoded.largest <= 1 << 20
    assert decoded.total <= 3 * MAX_ROBOTS_BYTES


def test_too_many_codings_and_unknown_ones_are_refused() -> None:
    small = zlib.compress(ARTICLE)
    with serve({"/many.html": encoded(small, "deflate, identity, deflate, deflate, deflate"),
                "/br.html": encoded(ARTICLE, "br"), "/deflate.html": encoded(small, "deflate"),
                "/raw.html": encoded(zlib.compress(ARTICLE)[2:-4], "deflate")}) as site:
        with pytest.raises(FetchError, match="content codings"):
            fetch_url(site.url("/many.html"))
        with pytest.raises(FetchError, match="'br'"):
            fetch_url(site.url("/br.html"))
        assert fetch_url(site.url("/deflate.html")).data == ARTICLE  # zlib-wrapped deflate
        assert fetch_url(site.url("/raw.html")).data == ARTICLE  # raw deflate, as some servers send it


# -- B2: polite fetching obeys the same address rules: no robots.txt from a host the rules refuse ----------------


def test_a_saved_list_page_sends_nothing_to_an_internal_host_not_even_for_robots_txt(tmp_path: Path) -> None:
    secret = article_html("内部服务的机密页面内容", ["这是不应该被读取的内部页面内容，在另一个端口上。"])
    with serve({"/secret/1.html": page(secret), "/robots.txt": page(b"User-agent: *\n", "text/plain")}) as inside:
        listing = tmp_path / "list.html"
        listing.write_text(f'<html><head><base href="{inside.base}/"></head><body>'
                           '<a href="secret/1.html">内部服务的机密页面内容链接</a></body></html>', encoding="utf-8")
        result = CliRunner().invoke(cli, ["batch", str(listing), "--follow", "-o", str(tmp_path / "lib"),
                                          "--voice", "espeak", "-q"])
        assert "internal address 127.0.0.1" in result.output, result.output
        assert "Traceback" not in result.output
        assert inside.log == []  # before the fix: ["/robots.txt"]


def test_robots_txt_of_an_allowed_host_is_still_read() -> None:
    with serve({"/robots.txt": page(b"User-agent: *\nDisallow: /private/\n", "text/plain"),
                "/private/a.html": page(ARTICLE)}) as site:
        with PoliteFetcher() as fetcher, pytest.raises(FetchError, match="robots.txt"):
            fetcher.fetch(site.url("/private/a.html"))
        assert site.log == ["/robots.txt"]


# -- B8: host names that are not host names: one line, never a traceback ------------------------------------------

BAD_HOSTS = ["http://xn--/", "http://xn--zz-9999999999a/a.html", f"http://{'a' * 300}.example/a.html",
             "http://news..example.cn/a.html", f"http://{'b' * 60}.{'c' * 60}.{'d' * 60}.{'e' * 60}.{'f' * 60}/"]


@pytest.mark.parametrize("url", BAD_HOSTS)
def test_a_bad_host_name_is_a_usage_error(url: str) -> None:
    result = CliRunner().invoke(cli, ["extract", url])
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 2 and len(lines) == 1 and "not a valid URL" in lines[0], result.output


def test_bad_host_names_in_a_url_list_are_ignored_lines(tmp_path: Path) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text("\n".join(BAD_HOSTS) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["batch", str(urls), "-o", str(tmp_path / "lib"), "--voice", "espeak"])
    assert "Traceback" not in result.output and "unexpected" not in result.output, result.output
    assert result.output.count("not a valid URL") == len(BAD_HOSTS)


def test_a_redirect_to_a_bad_host_name_is_a_fetch_error() -> None:
    with serve({"/a.html": page(b"", status=302)}) as site:
        site.routes["/a.html"] = lambda path, conn: conn.write(head(302, length=0, extra={"Location": "http://xn--/"}))
        with pytest.raises(FetchError):
            fetch_url(site.url("/a.html"))
