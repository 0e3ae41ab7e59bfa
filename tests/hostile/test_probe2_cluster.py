"""Issue 23 part B — ``--cluster`` at an address that is not a Dask scheduler (B9), and Ctrl-C while connecting
(B8): one line within the connect timeout, and exit 130 at once with no traceback. Real servers on 127.0.0.1,
real signals; the time bounds are hang guards (before the fix: a hang killed at 420 s, and 60 s more then a
traceback after Ctrl-C), not speed assertions. Each test failed before the fix."""

from __future__ import annotations

import http.server
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from reader.cli import cli

dask = pytest.importorskip("dask")
pytest.importorskip("distributed")

ARTICLE = "集群测试文章的标题\n\n今天上午，市里召开了一次重要的工作会议。\n"


@contextmanager
def silent_server(spoken: threading.Event | None = None) -> Iterator[tuple[int, threading.Event]]:
    """A port that accepts connections and never says a word; the event is set once one was accepted, and
    ``spoken`` once a client has sent its first bytes (Dask's handshake: it is then waiting for the answer)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            held.append(conn)
            accepted.set()
            if spoken is not None:
                threading.Thread(target=listen, args=(conn,), daemon=True).start()

    def listen(conn: socket.socket) -> None:
        try:
            if conn.recv(1):
                spoken.set()  # type: ignore[union-attr]
        except OSError:
            pass

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield listener.getsockname()[1], accepted
    finally:
        listener.close()
        for conn in held:
            conn.close()


@contextmanager
def http_server() -> Iterator[tuple[int, threading.Event]]:
    """A plain HTTP server (the standard library's), as `python3 -m http.server` runs it."""
    accepted = threading.Event()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def setup(self) -> None:
            accepted.set()
            super().setup()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], accepted
    finally:
        server.shutdown()
        server.server_close()


def article(tmp_path: Path) -> Path:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(ARTICLE, encoding="utf-8")
    return tmp_path / "in"


@pytest.mark.timeout(90)  # a hang guard: before the fix, an HTTP server held the batch until it was killed
@pytest.mark.parametrize("server", [http_server, silent_server], ids=["http", "silent"])
def test_a_cluster_address_that_is_not_a_scheduler_fails_in_one_line(server: object, tmp_path: Path) -> None:
    with server() as (port, accepted), dask.config.set({"distributed.comm.timeouts.connect": "3s"}):  # type: ignore[operator]
        result = CliRunner().invoke(cli, ["batch", str(article(tmp_path)), "-o", str(tmp_path / "lib"), "--voice",
                                          "espeak", "--cluster", f"tcp://127.0.0.1:{port}"])
        assert accepted.is_set()  # it was reached, and did not answer as a scheduler
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 1 and len(lines) == 1, result.output
    assert lines[0].startswith(f"reader: error: cannot reach the Dask scheduler at tcp://127.0.0.1:{port}: ")
    assert "within 3 s" in lines[0] or "closed the connection" in lines[0], lines[0]
    assert not (tmp_path / "lib").exists()


@pytest.mark.timeout(120)
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_while_connecting_to_a_cluster_exits_130_at_once(sig: int, tmp_path: Path) -> None:
    folder = article(tmp_path)
    env = {**os.environ, "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "60s"}
    spoken = threading.Event()
    with silent_server(spoken) as (port, _accepted):
        proc = subprocess.Popen([sys.executable, "-m", "reader", "batch", str(folder), "-o", str(tmp_path / "lib"),
                                 "--voice", "espeak", "--cluster", f"tcp://127.0.0.1:{port}"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        try:
            # Once its handshake has arrived the client waits for an answer that never comes: the signal lands
            # in that wait (an event, not a guessed sleep).
            assert spoken.wait(60), "the batch never sent its handshake"
            proc.send_signal(sig)
            signalled = time.monotonic()
            _out, err = proc.communicate(timeout=60)
            took = time.monotonic() - signalled
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err, err
    assert took < 20, f"{took:.1f} s after the signal"  # a hang guard: the connect timeout is 60 s
    assert not (tmp_path / "lib").exists()


@pytest.mark.timeout(60)
def test_the_handshake_is_bounded_when_called_from_a_coroutine_too() -> None:
    """An application already running an event loop (an ASGI server's start-up) gets the same bound."""
    import asyncio

    from reader.errors import ClusterError
    from reader.library.cluster import _reach

    async def start_up(port: int) -> None:
        _reach(f"tcp://127.0.0.1:{port}", None)

    with silent_server() as (port, _accepted), dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        with pytest.raises(ClusterError, match="no answer as a Dask scheduler within 1 s"):
            asyncio.run(start_up(port))
