"""``reader serve``'s voices, chunk stream, progress and ids on 127.0.0.1: a request may name any voice the server
offers (each narrated into its own library), the chunks heard ahead are served only as whole files of the
job's stream folder, progress moves per chunk and never back, and a library made by ``reader batch`` is
served as it is, found by id. Real engines (espeak, Baker), real ffmpeg, real files."""

from __future__ import annotations

# ruff: noqa: E402  (the imports after the skip need the serve extra)
import json
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("starlette", reason="reader serve's extra (zh-news-reader[serve]) is not installed")

from helpers.site_server import Page, html_article, serve
from serving import running_app
from test_serve_api import raw_get

from reader.library.batch import BatchOptions, run_batch
from reader.library.catalog import SQLiteCatalog
from reader.models import Audio
from reader.narration.pipeline import NarrateOptions
from reader.serve.app import create_app
from reader.serve.jobs import Narrations, Sites, job_id
from reader.speech import registry

SHORT = html_article("春天的公园", "2024-03-01", ["春天来了，公园里的花都开了。"])
LONG = html_article("秋天的田野", "2024-09-01", [
    "稻谷熟了，农民在田里收割，孩子们在田边跑来跑去。",
    "天气很好，风吹过田野，到处都是金色的稻子。",
    "晚上，大家在村口一起吃饭，说今年是一个好年。",
    "明年春天，他们还要种更多的稻子和蔬菜。",
])


def test_a_request_names_a_voice_the_server_offers(tmp_path: Path) -> None:
    available, why = registry.availability("offline")
    if not available:
        pytest.skip(why)
    with serve({"/news/a.html": Page(SHORT)}) as site, \
            Narrations(tmp_path / "library", NarrateOptions(voice="espeak"), Sites([site.url("/news/")]),
                       voices=["baker"], processes=False) as narrations, \
            running_app(create_app(narrations)) as base, \
            httpx.Client(base_url=base, timeout=30) as client:
        url = site.url("/news/a.html")
        offered = client.get("/api/v1/voices").json()
        assert offered["voice"] == "espeak"
        assert [(v["name"], v["current"]) for v in offered["voices"]] == [("espeak", True), ("baker", False)]

        for wrong, says in ((b'{"url": "%s", "voice": "yunxi"}', "yunxi"), (b'{"url": "%s", "voice": 5}', "voice")):
            answer = client.post("/api/v1/narrations", content=wrong.replace(b"%s", url.encode()))
            assert answer.status_code == 400, answer.text
            assert says in answer.json()["error"] and "\n" not in answer.json()["error"]

        default = client.post("/api/v1/narrations", json={"url": url})
        baker = client.post("/api/v1/narrations", json={"url": url, "voice": "baker"})
        assert default.status_code == baker.status_code == 202
        assert default.json()["id"] == job_id(url) and baker.json()["id"] == f"{job_id(url)}-baker"
        for key in (default.json()["id"], baker.json()["id"]):
            job = narrations.job(key)
            assert job is not None and job.done.wait(120) and job.status == "done", job.error

        one = client.get(f"/api/v1/narrations/{job_id(url)}").json()
        two = client.get(f"/api/v1/narrations/{job_id(url)}-baker").json()
        assert (one["voice"], two["voice"]) == ("espeak", "baker")
        assert two["audio"].startswith("/media/voices/baker/") and not one["audio"].startswith("/media/voices/")
        assert one["key"] != two["key"]  # the listener's position is remembered per narration
        heard = [client.get(n["audio"]) for n in (one, two)]
        assert [h.status_code for h in heard] == [200, 200] and heard[0].content != heard[1].content
        # Two narrations of one URL, each in a library as batch makes it.
        for library, engine in ((tmp_path / "library", "espeak"), (tmp_path / "library" / "voices" / "baker", "offline")):
            with SQLiteCatalog(library) as catalog:
                entry = catalog.get(url)
            assert entry is not None and entry.status == "done" and entry.audio is not None
            assert (library / entry.audio).is_file()
            assert entry.manifest is not None
            record = json.loads((library / entry.manifest).read_text(encoding="utf-8"))
            assert record["voice"]["backend"] == engine
        # Already narrated in that voice: 200 at once; the id of a voice not offered is no narration.
        again = client.post("/api/v1/narrations", json={"url": url, "voice": "baker"})
        assert again.status_code == 200 and again.json()["audio"] == two["audio"]
        assert client.get(f"/api/v1/narrations/{job_id(url)}-yunxi").status_code == 404
        assert client.get(f"/api/v1/narrations/{job_id(url)}-espeak").status_code == 404  # the default has no suffix


class Stepped:
    """espeak, speaking one chunk per permit the test gives (``permits``)."""

    def __init__(self) -> None:
        self.inner = registry.get("espeak")
        self.name, self.version = "espeak", self.inner.version
        self.sample_rate, self.max_chunk_chars = self.inner.sample_rate, 12  # several chunks per paragraph
        self.max_workers = 1
        self.permits = threading.Semaphore(0)

    def voices(self) -> Any:
        return self.inner.voices()

    def synthesize(self, text: str, voice: str, rate: float = 1.0) -> Audio:
        assert self.permits.acquire(timeout=120)
        return self.inner.synthesize(text, voice, rate)

    def close(self) -> None:
        pass


def test_progress_moves_per_chunk_and_the_stream_serves_whole_chunk_files_only(tmp_path: Path) -> None:
    engine = Stepped()
    with serve({"/news/long.html": Page(LONG)}) as site, registry.using("espeak", engine), \
            Narrations(tmp_path / "library", NarrateOptions(voice="espeak", use_cache=False),
                       Sites([site.url("/news/")]), processes=False) as narrations, \
            running_app(create_app(narrations)) as base, \
            httpx.Client(base_url=base, timeout=30) as client:
        url = site.url("/news/long.html")
        answer = client.post("/api/v1/narrations", json={"url": url})
        assert answer.status_code == 202
        key = answer.json()["id"]
        job = narrations.job(key)
        assert job is not None
        seen = []
        while not job.done.is_set() and job.progress < 1:  # one chunk at a time: the progress after each
            before = job.progress
            engine.permits.release()
            for _ in range(12_000):  # a hang guard, not a speed limit
                if job.progress != before or job.done.wait(0.01):
                    break
            seen.append(job.progress)
        assert job.done.wait(120) and job.status == "done", job.error
        chunks = len(job.chunks)
        assert chunks >= 8 and len(seen) >= chunks - 1, (chunks, seen)
        steps = [b - a for a, b in zip([0.0, *seen], seen, strict=False)]
        assert all(step > 0 for step in steps), seen  # never backwards, never standing still
        assert all(abs(step - 1 / chunks) < 1e-6 for step in steps[:-2]), seen  # a step per chunk
        assert seen[-1] == 1.0 and all(v < 1 for v in seen[:-1])  # 1 only once the file is in place
        body = client.get(f"/api/v1/narrations/{key}").json()
        assert body["status"] == "done" and body["progress"] == 1.0

        # Every chunk of the track was written whole to the job's stream folder, and is served from there only.
        assert len(body["chunk_starts"]) == len(job.chunks) >= 8
        assert [c.index for c in job.chunks] == list(range(len(job.chunks)))
        first = client.get(f"/api/v1/narrations/{key}/stream/0.wav")
        assert first.status_code == 200 and first.headers["content-type"] == "audio/wav"
        assert first.content[:4] == b"RIFF"
        assert abs(job.chunks[0].duration - (len(first.content) - 44) / 2 / engine.sample_rate) < 0.01
        folder = narrations.library / ".streams" / key
        assert sorted(p.name for p in folder.iterdir()) == sorted(f"{i}.wav" for i in range(len(job.chunks)))
        (folder / "5.wav.0123abcd-1.part").write_bytes(b"partial")  # a chunk being written (write_atomic's temp)
        (tmp_path / "outside.wav").write_bytes(b"RIFF")
        (folder / "99.wav").symlink_to(tmp_path / "outside.wav")
        for path in (f"/api/v1/narrations/{key}/stream/5.wav.0123abcd-1.part", f"/api/v1/narrations/{key}/stream/99.wav",
                     f"/api/v1/narrations/{key}/stream/{len(job.chunks)}.wav",
                     f"/api/v1/narrations/{key}/stream/..%2F..%2Fcatalog.sqlite",
                     f"/api/v1/narrations/..%2F{key}/stream/0.wav", "/api/v1/narrations/.streams/stream/0.wav",
                     f"/media/.streams/{key}/0.wav"):
            assert raw_get(base, path) == 404, path
    assert not (tmp_path / "library" / ".streams").exists()  # cleared when the server stops


def test_a_library_made_by_batch_is_served_as_it_is_and_found_by_id(tmp_path: Path) -> None:
    library = tmp_path / "library"
    with serve({"/news/a.html": Page(SHORT)}) as site:
        url = site.url("/news/a.html")
        result = run_batch(url, BatchOptions(library, narration=NarrateOptions(voice="espeak")))
        assert len(result.done) == 1, result.failed
        with Narrations(library, NarrateOptions(voice="espeak"), Sites([site.url("/news/")]),
                        processes=False) as narrations, \
                running_app(create_app(narrations)) as base, \
                httpx.Client(base_url=base, timeout=30) as client:
            body = client.get(f"/api/v1/narrations/{job_id(url)}")  # no job of this run: the catalog's row, by id
            assert body.status_code == 200, body.text
            assert body.json()["status"] == "done" and client.get(body.json()["audio"]).status_code == 200
            posted = client.post("/api/v1/narrations", json={"url": url})
            assert posted.status_code == 200 and posted.json()["audio"] == body.json()["audio"]
            assert site.requested("/news/a.html") == 1  # served from the library, not fetched again
