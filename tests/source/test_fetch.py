"""Fetching and reading inputs: a local HTTP server on 127.0.0.1 (no internet), files, stdin, and the CLI's
one-line error messages and exit statuses."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result
from conftest import FIXTURES, ROOT, SEED

from reader.cli import cli
from reader.errors import FetchError, UsageError
from reader.extraction.article import extract
from reader.models import Article, Source
from reader.source.fetch import MAX_BYTES, fetch, fetch_url

PAGES = FIXTURES / "pages"
EXAMPLE = SEED

# A phrase of each page's article text, and its title: found only when the bytes were decoded right.
PHRASES = {
    "002": ("内蒙古延续部分到期税收优惠政策", "自治区财政厅传出最新消息"),  # UTF-8
    "008": ("江苏多地要求中高风险地区师生员工暂不返校", "南京发布“疫情防控指挥部学校专项组"),  # GBK
    "039": ("DeepMind新电脑已可利用记忆自学", "人工智能公司DeepMind开发出一款"),  # UTF-8, says gb2312
    "047": ("话剧《约定无期限》河北各市巡演结束", "一个约定，信守15年"),  # GB bytes, says utf-8
    "052": ("女儿出嫁，郑板桥画了几笔兰花当嫁妆", "父亲的教诲像一盏灯"),  # UTF-8, says GB2312
}
BIG = MAX_BYTES + 1024 * 1024  # a body just over the cap
CHUNK = 64 * 1024


def page(number: str) -> bytes:
    return (PAGES / f"{number}.html").read_bytes()


def article_text(article: Article) -> str:
    return "\n".join([article.title, *article.paragraphs()])


def assert_reads(article: Article, number: str) -> None:
    title, phrase = PHRASES[number]
    text = article_text(article)
    assert title in article.title
    assert phrase in text
    assert "\ufffd" not in text and "锟斤拷" not in text  # no replacement characters, no GBK-of-UTF-8 mojibake


# ---------------------------------------------------------------------------------------------------------
# The local server


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    routes: dict[str, Callable[[_Handler], None]] = {}

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.close_connection = True
        route = self.routes.get(self.path.split("?")[0])
        try:
            if route is None:
                self.send_body(b"<html><body>not found</body></html>", status=404)
            else:
                route(self)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client hung up on purpose (size cap, timeout)

    def send_body(self, body: bytes, ctype: str = "text/html; charset=utf-8", status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, location: str, status: int = 302) -> None:
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False


def _stream_big(handler: _Handler, *, length: bool, chunked: bool = False) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html; charset=utf-8")
    if length:
        handler.send_header("Content-Length", str(BIG))
    elif chunked:
        handler.send_header("Transfer-Encoding", "chunked")
    handler.send_header("Connection", "close")
    handler.end_headers()
    piece = b"<p>" + "很长的页面。".encode() * ((CHUNK - 7) // 18) + b"</p>"
    sent = 0
    while sent < BIG:
        if chunked:
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        else:
            handler.wfile.write(piece)
        sent += len(piece)
    if chunked:
        handler.wfile.write(b"0\r\n\r\n")


def _stall_body(stop: threading.Event) -> Callable[[_Handler], None]:
    def route(handler: _Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        handler.wfile.write(b"<html><head><title>")
        handler.wfile.flush()
        stop.wait(10)

    return route


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    stop = threading.Event()
    routes: dict[str, Callable[[_Handler], None]] = {
        "/utf8.html": lambda h: h.send_body(page("002"), "text/html; charset=utf-8"),
        "/gbk.html": lambda h: h.send_body(page("008"), "text/html; charset=gbk"),
        "/lying-utf8.html": lambda h: h.send_body(page("047"), "text/html; charset=utf-8"),
        "/gb2312-039.html": lambda h: h.send_body(page("039"), "text/html; charset=gb2312"),
        "/gb2312-052.html": lambda h: h.send_body(page("052"), "text/html; charset=GB2312"),
        "/no-charset.html": lambda h: h.send_body(page("008"), "text/html"),
        "/dump-gbk.txt": lambda h: h.send_body(EXAMPLE.read_text("utf-8").encode("gb18030"), "text/plain; charset=gbk"),
        "/404": lambda h: h.send_body(b"<html><body>gone</body></html>", status=404),
        "/500": lambda h: h.send_body(b"<html><body>oops</body></html>", status=500),
        "/loop": lambda h: h.redirect("/loop"),
        "/ping": lambda h: h.redirect("/pong", 301),
        "/pong": lambda h: h.redirect("/ping", 307),
        "/r3": lambda h: h.redirect(f"http://127.0.0.1:{h.server.server_address[1]}/r2"),
        "/r2": lambda h: h.redirect("/r1", 301),
        "/r1": lambda h: h.redirect("utf8.html", 303),
        "/image.png": lambda h: h.send_body(b"\x89PNG\r\n\x1a\n" + bytes(200), "image/png"),
        "/doc.pdf": lambda h: h.send_body(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + bytes(200), "application/pdf"),
        "/big-length": lambda h: _stream_big(h, length=True),
        "/big-stream": lambda h: _stream_big(h, length=False),
        "/big-chunked": lambda h: _stream_big(h, length=False, chunked=True),
        "/stall": _stall_body(stop),
    }
    handler = type("Handler", (_Handler,), {"routes": routes})
    httpd = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        stop.set()
        httpd.shutdown()
        httpd.server_close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------------------------
# CLI helpers


def run_cli(*args: str, input: bytes | None = None) -> Result:  # noqa: A002 (CliRunner's name)
    return CliRunner().invoke(cli, ["extract", *args], input=input)


def assert_cli_error(result: Result, code: int, name: str) -> str:
    """Exit status ``code``, one line on stderr naming the input, nothing on stdout, no traceback."""
    assert result.exit_code == code, (result.exit_code, result.output, result.exc_info)
    assert result.exc_info is None or result.exc_info[0] is SystemExit, result.exc_info
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("reader: error:"), lines[0]
    assert name in lines[0], lines[0]
    assert result.stdout == ""
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    return lines[0]


# ---------------------------------------------------------------------------------------------------------
# Encodings over HTTP


def test_utf8_page(server: str) -> None:
    source = fetch(f"{server}/utf8.html")
    assert source.charset == "utf-8" and source.kind == "html"
    assert source.url == f"{server}/utf8.html" and source.name == f"{server}/utf8.html"
    article = extract(source)
    assert_reads(article, "002")
    assert article.url == f"{server}/utf8.html"


def test_gbk_page_with_gbk_header(server: str) -> None:
    source = fetch_url(f"{server}/gbk.html")
    assert source.charset == "gbk"
    article = extract(source)
    assert_reads(article, "008")
    assert article.encoding == "gb18030"


def test_gbk_page_without_header_charset(server: str) -> None:
    source = fetch_url(f"{server}/no-charset.html")
    assert source.charset is None
    assert_reads(extract(source), "008")


def test_gbk_page_with_lying_utf8_header(server: str) -> None:
    """047 is GB bytes; both the HTTP header and its meta tag say utf-8."""
    source = fetch_url(f"{server}/lying-utf8.html")
    assert source.charset == "utf-8"
    article = extract(source)
    assert_reads(article, "047")
    assert article.encoding == "gb18030"


@pytest.mark.parametrize("number", ["039", "052"])
def test_utf8_page_with_gb2312_header(server: str, number: str) -> None:
    source = fetch_url(f"{server}/gb2312-{number}.html")
    assert source.charset is not None and source.charset.lower() == "gb2312"
    article = extract(source)
    assert_reads(article, number)
    assert article.encoding == "utf-8"


def test_text_plain_dump_in_gbk(server: str) -> None:
    source = fetch_url(f"{server}/dump-gbk.txt")
    assert source.kind == "text"
    article = extract(source)
    assert article.title == "推进协作当样板 同心共融经济圈"
    assert "\ufffd" not in article_text(article)


def test_cli_fetches_url(server: str) -> None:
    result = run_cli(f"{server}/lying-utf8.html")
    assert result.exit_code == 0, result.output
    assert "一个约定，信守15年" in result.stdout
    assert result.stderr == ""


# ---------------------------------------------------------------------------------------------------------
# HTTP failures


@pytest.mark.parametrize(("path", "status"), [("/404", 404), ("/500", 500)])
def test_http_error_status(server: str, path: str, status: int) -> None:
    url = server + path
    with pytest.raises(FetchError, match=rf"HTTP {status}") as info:
        fetch_url(url)
    assert url in str(info.value)
    line = assert_cli_error(run_cli(url), 1, url)
    assert str(status) in line


@pytest.mark.parametrize("path", ["/loop", "/ping"])
def test_redirect_loop(server: str, path: str) -> None:
    with pytest.raises(FetchError, match="too many redirects"):
        fetch_url(server + path)
    line = assert_cli_error(run_cli(server + path), 1, server + path)
    assert "too many redirects" in line


def test_redirect_chain_of_three(server: str) -> None:
    source = fetch_url(f"{server}/r3")
    assert source.url == f"{server}/utf8.html"
    assert source.name == f"{server}/r3"
    article = extract(source)
    assert article.url == f"{server}/utf8.html"
    assert_reads(article, "002")


@pytest.mark.parametrize(("path", "mime"), [("/image.png", "image/png"), ("/doc.pdf", "application/pdf")])
def test_not_a_web_page(server: str, path: str, mime: str) -> None:
    with pytest.raises(FetchError, match="not a web page") as info:
        fetch_url(server + path)
    assert mime in str(info.value)
    assert "not a web page" in assert_cli_error(run_cli(server + path), 1, server + path)


@pytest.mark.parametrize("path", ["/big-length", "/big-stream", "/big-chunked"])
def test_body_over_10_mb(server: str, path: str) -> None:
    with pytest.raises(FetchError, match="larger than 10 MB"):
        fetch_url(server + path)


@pytest.mark.timeout(60)  # a hang guard: the 0.3 s timeout must fire (no assertion on how fast)
def test_server_that_never_answers() -> None:
    """The port accepts connections (the kernel completes the handshake) and never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/article.html"
        with httpx.Client(timeout=0.3, follow_redirects=True) as client:
            with pytest.raises(FetchError, match="timed out") as info:
                fetch_url(url, client=client)
        assert url in str(info.value)


@pytest.mark.timeout(60)  # a hang guard: the 0.3 s timeout must fire (no assertion on how fast)
def test_server_that_stalls_mid_body(server: str) -> None:
    with httpx.Client(timeout=0.3) as client:
        with pytest.raises(FetchError, match="timed out"):
            fetch(f"{server}/stall", client=client)


def test_connection_refused() -> None:
    url = f"http://127.0.0.1:{_free_port()}/article.html"
    with pytest.raises(FetchError, match="cannot connect") as info:
        fetch_url(url)
    assert url in str(info.value)
    assert "cannot connect" in assert_cli_error(run_cli(url), 1, url)


def test_passed_client_is_not_closed(server: str) -> None:
    with httpx.Client(follow_redirects=True) as client:
        fetch_url(f"{server}/r3", client=client)
        assert not client.is_closed
        assert fetch_url(f"{server}/gbk.html", client=client).charset == "gbk"


# ---------------------------------------------------------------------------------------------------------
# Schemes, files and stdin


@pytest.mark.parametrize("spec", ["file:///etc/passwd", "ftp://x", "FTP://example.com/a.html", "gopher://x/"])
def test_unsupported_scheme(spec: str) -> None:
    with pytest.raises(UsageError, match="unsupported scheme"):
        fetch(spec)
    assert_cli_error(run_cli(spec), 2, spec)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "no-such-page.html"
    with pytest.raises(UsageError):
        fetch(str(path))
    assert "no such file" in assert_cli_error(run_cli(str(path)), 2, str(path))


def test_directory(tmp_path: Path) -> None:
    assert "directory" in assert_cli_error(run_cli(str(tmp_path)), 2, str(tmp_path))


@pytest.mark.parametrize("content", [b"", b"   \n\t\r\n  "])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.html"
    path.write_bytes(content)
    assert "empty" in assert_cli_error(run_cli(str(path)), 1, str(path))


def test_binary_file_random_bytes(tmp_path: Path) -> None:
    path = tmp_path / "noise.html"
    path.write_bytes(os.urandom(4096) + b"\x00" * 16 + os.urandom(4096))
    assert "binary" in assert_cli_error(run_cli(str(path)), 1, str(path))


def test_binary_file_executable(tmp_path: Path) -> None:
    ls = Path("/bin/ls")
    if not ls.is_file():
        pytest.skip("no /bin/ls")
    path = tmp_path / "ls"
    path.write_bytes(ls.read_bytes())
    assert_cli_error(run_cli(str(path)), 1, str(path))


def run_real_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed command in a child process: what a user's terminal shows, logging included (under
    pytest, the logging plugin's handlers would swallow what logging's last-resort handler prints)."""
    code = "import sys; from reader.cli import main; sys.argv = ['reader', *sys.argv[1:]]; main()"
    return subprocess.run([sys.executable, "-c", code, "extract", *args], capture_output=True, text=True,
                          cwd=ROOT,
                          timeout=120, check=False)


@pytest.mark.parametrize(
    "content",
    [
        b"\x00\x01 binary",
        b"\xef\xbb\xbf\xef\xbb\xbf",  # two BOMs: the text "\ufeff", on which readability fails and logs
        # A control character in a broken comment: lxml_html_clean raises ValueError inside readability.
        b'<\x01-- \xe6' + b" " * 13 + b'<style type="text/css">\n' + b" " * 20 + b".vi      }\n"
        + b" " * 16 + b"</style>\n ",
    ],
    ids=["binary", "two-boms", "control-char"],
)
def test_real_cli_prints_one_line(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(content)
    result = run_real_cli(str(path))
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("reader: error: ") and str(path) in lines[0], result.stderr


def test_unreadable_file(tmp_path: Path) -> None:
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        pytest.skip("root reads everything")
    path = tmp_path / "secret.html"
    path.write_bytes(page("002"))
    path.chmod(0)
    try:
        assert "permission denied" in assert_cli_error(run_cli(str(path)), 1, str(path))
    finally:
        path.chmod(0o600)


def test_file_kinds(tmp_path: Path) -> None:
    for name, kind in (("a.txt", "text"), ("a.HTM", "html"), ("a.shtml", "html"), ("a", "auto")):
        path = tmp_path / name
        path.write_bytes(b"x")
        assert fetch(str(path)).kind == kind


def test_stdin_gbk_page() -> None:
    result = run_cli("-", input=page("008"))
    assert result.exit_code == 0, result.output
    assert "江苏多地要求中高风险地区师生员工暂不返校" in result.stdout
    assert "\ufffd" not in result.stdout
    assert result.stderr == ""


def test_stdin_lying_page_json() -> None:
    result = run_cli("-", "--format", "json", input=page("047"))
    assert result.exit_code == 0, result.output
    assert '"encoding": "gb18030"' in result.stdout
    assert "一个约定，信守15年" in result.stdout


@pytest.mark.parametrize("data", [b"", b"\x00\x01\x02\x03" * 100])
def test_stdin_errors(data: bytes) -> None:
    assert_cli_error(run_cli("-", input=data), 1, "<stdin>")


def test_stdin_over_10_mb() -> None:
    import io

    with pytest.raises(FetchError, match="larger than 10 MB"):
        fetch("-", stdin=io.BytesIO(b"a" * (MAX_BYTES + 1)))
    assert isinstance(fetch("-", stdin=io.BytesIO(b"<p>x</p>")), Source)
