"""Bounded load on loopback: 500 requests for a narrated article's media, 50 at a time, whole files and ranges,
every one answered right (the latencies are printed, not asserted: speed is for benchmarks/)."""

from __future__ import annotations

# ruff: noqa: E402  (the imports after the skip need the serve extra)
import asyncio
import random
import statistics
import time
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="reader serve's extra (zh-news-reader[serve]) is not installed")

import httpx
from helpers.site_server import Page, html_article, serve
from serving import running_app

from reader.narration.pipeline import NarrateOptions
from reader.serve.app import create_app
from reader.serve.jobs import Narrations, Sites

REQUESTS = 500
CONCURRENT = 50


async def hammer(base: str, paths: list[str], files: dict[str, bytes]) -> list[float]:
    rng = random.Random(21)
    slots = asyncio.Semaphore(CONCURRENT)
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=CONCURRENT, max_keepalive_connections=CONCURRENT)

    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        async def one(i: int) -> None:
            path = paths[i % len(paths)]
            data = files[path]
            start = rng.randrange(len(data) - 1)
            end = min(len(data) - 1, start + rng.randrange(1, 65536))
            ranged = i % 2 == 1
            async with slots:
                t = time.perf_counter()
                answer = await client.get(path, headers={"Range": f"bytes={start}-{end}"} if ranged else {})
                latencies.append(time.perf_counter() - t)
            assert answer.status_code == (206 if ranged else 200), (path, answer.status_code)
            assert answer.content == (data[start:end + 1] if ranged else data)

        await asyncio.gather(*(one(i) for i in range(REQUESTS)))
    return latencies


def test_500_media_requests_at_50_concurrent_all_answered_right(tmp_path: Path) -> None:
    pages = {"/news/a.html": Page(html_article("城市公园开放", "2024-08-01", ["城市公园今天正式对市民开放，欢迎大家来玩。"]))}
    with serve(pages) as site, \
            Narrations(tmp_path / "library", NarrateOptions(voice="espeak"), Sites([site.url("/news/")]),
                       processes=False) as narrations, \
            running_app(create_app(narrations)) as base:
        job = narrations.submit(site.url("/news/a.html"))
        assert job.done.wait(120) and job.status == "done", job.error
        entry = narrations.catalog.get(site.url("/news/a.html"))
        assert entry is not None
        names = [n for n in (entry.audio, entry.vtt, entry.manifest) if n]
        files = {f"/media/{n}": (narrations.library / n).read_bytes() for n in names}
        latencies = asyncio.run(hammer(base, list(files), files))
    assert len(latencies) == REQUESTS
    cuts = statistics.quantiles(latencies, n=100)
    print(f"\n{REQUESTS} media requests, {CONCURRENT} at a time: p50 {cuts[49] * 1000:.1f} ms, "
          f"p99 {cuts[98] * 1000:.1f} ms")
