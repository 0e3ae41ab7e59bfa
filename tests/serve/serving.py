"""``reader serve``'s tests' helper: the real application on uvicorn in a thread on 127.0.0.1 (the tests skip
without the serve extra: importing this module does)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

pytest.importorskip("starlette", reason="reader serve's extra (zh-news-reader[serve]) is not installed")
pytest.importorskip("uvicorn")
pytest.importorskip("prometheus_client")

import uvicorn  # noqa: E402  (after the skip)


@contextmanager
def running_app(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn on a free port of 127.0.0.1 until the block ends; yields its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30  # a hang guard: uvicorn has no event to wait on for "listening"
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
