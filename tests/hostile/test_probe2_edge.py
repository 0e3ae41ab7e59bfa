"""Issue 23 B10 — Edge's voice list is read within a cap: an endpoint that sends without end (300 MB took 775 MB of
memory, then the list was dropped without a word) is stopped at ``MAX_VOICE_LIST_BYTES`` with a one-line reason.
The endpoint is a hostile server on 127.0.0.1; the test failed before the fix."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from helpers.hostile_server import Conn, head, serve

from reader.errors import BackendUnavailable
from reader.settings import EdgeSettings
from reader.speech.engines.edge import MAX_VOICE_LIST_BYTES, EdgeBackend

VOICE = (b'{"ShortName": "zh-CN-YunyangNeural", "Locale": "zh-CN", "Gender": "Male", '
         b'"FriendlyName": "Yunyang", "Padding": "' + b"x" * 900 + b'"}')
TOTAL = 64 << 20  # the whole list the server would send: 64 MB


def endless(path: str, conn: Conn) -> None:
    conn.write(head(200, "application/json") + b"[" + VOICE)
    sent = 0
    block = b"".join([b"," + VOICE] * 64)
    while sent < TOTAL:
        conn.write(block)
        sent += len(block)
    conn.write(b"]")


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)


@pytest.mark.timeout(120)  # a hang guard
def test_an_endless_voice_list_is_capped(tmp_path: Path) -> None:
    with serve({"/voices/list": endless}) as site:
        edge = EdgeBackend(EdgeSettings(voices_url=site.url("/voices/list?trustedclienttoken=x"), timeout=60.0),
                           cache_dir=tmp_path)
        with pytest.raises(BackendUnavailable, match=f"larger than {MAX_VOICE_LIST_BYTES >> 20} MB"):
            edge.voices()
        for _ in range(600):  # the server finds out when it writes next
            if site.hung_up:
                break
            time.sleep(0.05)
        assert site.hung_up == ["/voices/list"]  # before the fix: all 64 MB read, parsed and used
