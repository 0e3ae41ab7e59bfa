"""``reader serve`` on the command line: a real server process on 127.0.0.1, its usage errors in one line, and
reader without the serve extra."""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from helpers.site_server import Page, html_article, serve

from reader.cli import cli

EXTRA = all(importlib.util.find_spec(m) for m in ("starlette", "uvicorn", "prometheus_client"))
needs_extra = pytest.mark.skipif(not EXTRA, reason="reader serve's extra (zh-news-reader[serve]) is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@needs_extra
def test_the_server_process_answers_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("0123456789abcdef-token\n", encoding="utf-8")
    pages = {"/news/a.html": Page(html_article("城市公园开放", "2024-08-01", ["城市公园今天正式对市民开放。"]))}
    port = free_port()
    with serve(pages) as site:
        process = subprocess.Popen(
            [sys.executable, "-m", "reader", "serve", "--site", site.url("/news/"), "--port", str(port),
             "--library", str(tmp_path / "library"), "--voice", "espeak", "--token-file", str(token)],
            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
        try:
            assert process.stderr is not None
            line = process.stderr.readline()  # printed once the library is open, just before it listens
            assert f"127.0.0.1:{port}" in line, line
            deadline = time.monotonic() + 60  # a hang guard while uvicorn binds
            while True:
                try:
                    health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline and process.poll() is None
                    time.sleep(0.05)
            assert health.json()["status"] == "ok" and health.json()["queue"] == 0
            assert isinstance(health.json()["warm"], bool)  # the workers' voice loaded (then: first sound sooner)
            refused = httpx.post(f"http://127.0.0.1:{port}/api/v1/narrations", json={"url": "http://example.com/"})
            assert refused.status_code == 403
        finally:
            process.send_signal(signal.SIGINT)
            _out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert (tmp_path / "library" / "catalog.sqlite").is_file()
    assert not (tmp_path / "library" / ".staging").exists()


@needs_extra
@pytest.mark.parametrize(("args", "message"), [
    ([], "Missing option '--site'"),
    (["--site", "ftp://example.com/"], "unsupported scheme"),
    (["--site", "https://user:pw@example.com/"], "without credentials"),
    (["--site", "https://example.com/", "--voice", "nobody"], "nobody"),
    (["--site", "https://example.com/", "--voices", "espeak,nobody"], "nobody"),
    (["--site", "https://example.com/", "--token-file", "missing.txt"], "--token-file"),
    (["--site", "https://example.com/", "--token-file", "short.txt"], "at least 16"),
])
def test_usage_errors_are_one_line_and_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str],
                                             message: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "short.txt").write_text("abc\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["serve", "--library", str(tmp_path / "lib"), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "lib").exists()  # nothing made for a command that did not start


def test_reader_runs_without_the_serve_extra_and_says_which_extra_serve_needs(tmp_path: Path) -> None:
    # starlette, uvicorn and prometheus-client cannot be imported: reader still starts, and serve names the extra.
    code = ("import importlib.util, sys\n"
            "class Hide:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name.split('.')[0] in ('starlette', 'uvicorn', 'prometheus_client'):\n"
            "            raise ModuleNotFoundError(name)\n"
            "        return None\n"
            "sys.meta_path.insert(0, Hide())\n"
            "import reader.cli, reader.serve\n"
            "assert 'starlette' not in sys.modules\n"
            "from reader.cli.app import main\n"
            "sys.argv = ['reader', 'serve', '--site', 'https://example.com/']\n"
            "main()\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "pip install 'zh-news-reader[serve]'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def start_server(site_prefix: str, library: Path, port: int) -> subprocess.Popen[str]:
    """``reader serve`` in a session of its own (killing its group takes its worker processes too)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "reader", "serve", "--site", site_prefix, "--port", str(port), "--library",
         str(library), "--voice", "espeak"],
        stderr=subprocess.PIPE, text=True, start_new_session=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert process.stderr is not None
    assert f"127.0.0.1:{port}" in process.stderr.readline()
    return process


def ask(port: int, method: str, path: str, **kwargs: object) -> httpx.Response:
    deadline = time.monotonic() + 60  # a hang guard while uvicorn binds
    while True:
        try:
            return httpx.request(method, f"http://127.0.0.1:{port}{path}", timeout=10, **kwargs)  # type: ignore[arg-type]
        except httpx.TransportError:
            assert time.monotonic() < deadline
            time.sleep(0.05)


@needs_extra
def test_a_server_killed_mid_narration_leaves_no_partial_file_and_finishes_the_job_when_started_again(
        tmp_path: Path) -> None:
    paragraphs = [f"这是第{n}段，城市公园正式对市民开放，公园里种了很多花和树，孩子们在湖边看鱼。" for n in range(1, 41)]
    pages = {"/news/long.html": Page(html_article("很长的文章", "2024-08-01", paragraphs))}
    library = tmp_path / "library"
    with serve(pages) as site:
        url = site.url("/news/long.html")
        port = free_port()
        process = start_server(site.url("/news/"), library, port)
        try:
            key = ask(port, "POST", "/api/v1/narrations", json={"url": url}).json()["id"]
            deadline = time.monotonic() + 120  # a hang guard: wait until it is synthesizing
            while True:
                status = ask(port, "GET", f"/api/v1/narrations/{key}").json()
                if status["status"] == "running" and status["progress"] > 0:
                    break
                assert status["status"] in ("queued", "running") and time.monotonic() < deadline, status
                time.sleep(0.05)
        finally:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(30)
        assert not [p.name for p in library.iterdir()
                    if p.suffix in (".mp3", ".vtt", ".json", ".html") and p.name != "index.html"]

        port = free_port()
        process = start_server(site.url("/news/"), library, port)
        try:
            deadline = time.monotonic() + 300  # a hang guard
            while True:
                status = ask(port, "GET", f"/api/v1/narrations/{key}").json()
                if status["status"] == "done":
                    break
                assert status["status"] in ("queued", "running") and time.monotonic() < deadline, status
                time.sleep(0.1)
            audio = ask(port, "GET", status["audio"])
            assert audio.status_code == 200 and len(audio.content) > 10_000
        finally:
            process.send_signal(signal.SIGINT)
            process.communicate(timeout=60)
    assert not (library / ".staging").exists()
