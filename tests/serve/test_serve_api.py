"""``reader serve``'s HTTP API on 127.0.0.1 over a local test site: POST → poll → done → the media with Range and
ETag; 403 off the sites; 429 past the queue's bound; 400 malformed; no path escapes from /media; the metrics
parse; the admin calls need the token. The espeak voice (fast), the real ffmpeg, real files."""

from __future__ import annotations

# ruff: noqa: E402  (the imports after the skip need the serve extra)
import http.client
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("starlette", reason="reader serve's extra (zh-news-reader[serve]) is not installed")

from helpers.site_server import Page, Site, html_article, serve
from prometheus_client.parser import text_string_to_metric_families
from serving import running_app

from reader.errors import OffSite
from reader.library.catalog import SQLiteCatalog
from reader.models import Audio
from reader.narration.pipeline import NarrateOptions
from reader.serve.app import create_app
from reader.serve.jobs import Narrations, Sites, job_id
from reader.speech import registry

TOKEN = "s3cret-token-of-the-admin"
PAGES = {
    "/news/spring.html": Page(html_article("春天的公园", "2024-03-01", ["春天来了，公园里的花都开了，很多人来这里散步。"])),
    "/news/summer.html": Page(html_article("夏天的海边", "2024-06-01", ["海水很蓝，孩子们在沙滩上玩。"])),
    "/news/autumn.html": Page(html_article("秋天的田野", "2024-09-01", ["稻谷熟了，农民在田里收割。"])),
    "/private/secret.html": Page(html_article("内部文件", "2024-01-01", ["这一页不在允许的范围里。"])),
}


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with serve(PAGES) as found:
        yield found


def options(**fields: Any) -> NarrateOptions:
    return NarrateOptions(voice="espeak", **fields)


@pytest.fixture(scope="module")
def server(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Narrations]]:
    """The server as `reader serve` runs it: narrations in a pool of worker processes."""
    library = tmp_path_factory.mktemp("served") / "library"
    with Narrations(library, options(), Sites([site.url("/news/")]), workers=1, queue=4) as narrations:
        with running_app(create_app(narrations, token=TOKEN)) as base:
            yield base, narrations


def wait_done(narrations: Narrations, key: str) -> None:
    job = narrations.job(key)
    assert job is not None
    assert job.done.wait(120), "the narration did not finish"


def test_post_poll_done_and_the_media_with_range_and_etag(server: tuple[str, Narrations], site: Site) -> None:
    base, narrations = server
    url = site.url("/news/spring.html")
    with httpx.Client(base_url=base, timeout=30) as client:
        answer = client.post("/api/v1/narrations", json={"url": url})
        assert answer.status_code == 202, answer.text
        body = answer.json()
        assert body["status"] in ("queued", "running") and body["id"] == job_id(url)
        assert answer.headers["location"] == f"/api/v1/narrations/{body['id']}"
        again = client.post("/api/v1/narrations", json={"url": url, "voice": "espeak"})
        assert again.status_code == 202 and again.json()["id"] == body["id"]  # the same job, not a second one
        wait_done(narrations, body["id"])

        status = client.get(f"/api/v1/narrations/{body['id']}").json()
        assert status["status"] == "done", status.get("error")
        assert status["progress"] == 1.0 and status["title"] == "春天的公园"
        assert status["duration"] > 1.0
        assert status["audio"].startswith("/media/") and status["audio"].endswith(".mp3")
        assert status["subtitles"].endswith(".vtt")
        assert status["chapters"] and status["chapters"][0]["start"] == 0.0

        # Already narrated and current: 200 at once, with the narration.
        done = client.post("/api/v1/narrations", json={"url": url})
        assert done.status_code == 200 and done.json()["status"] == "done"
        assert done.json()["audio"] == status["audio"]

        whole = client.get(status["audio"])
        assert whole.status_code == 200 and whole.headers["content-type"] == "audio/mpeg"
        assert whole.headers["accept-ranges"] == "bytes" and "max-age" in whole.headers["cache-control"]
        data = (narrations.library / status["audio"].removeprefix("/media/")).read_bytes()
        assert whole.content == data
        part = client.get(status["audio"], headers={"Range": "bytes=100-1099"})
        assert part.status_code == 206
        assert part.headers["content-range"] == f"bytes 100-1099/{len(data)}"
        assert part.content == data[100:1100]
        etag = whole.headers["etag"]
        assert client.get(status["audio"], headers={"If-None-Match": etag}).status_code == 304
        vtt = client.get(status["subtitles"])
        assert vtt.status_code == 200 and vtt.text.startswith("WEBVTT")

        # The library is a batch library: catalog row, index page (GET / leads there).
        with SQLiteCatalog(narrations.library) as catalog:
            entry = catalog.get(url)
        assert entry is not None and entry.status == "done" and entry.audio == status["audio"].removeprefix("/media/")
        index = client.get("/", follow_redirects=True)
        assert index.status_code == 200 and "春天的公园" in index.text

        metrics = {s.name: s for family in text_string_to_metric_families(client.get("/metrics").text)
                   for s in family.samples}
        assert metrics["reader_queue_length"].value == 0
        assert metrics["reader_narrations_total"].labels == {"status": "done"}
        assert metrics["reader_narrations_total"].value >= 1
        assert metrics["reader_synthesis_seconds_count"].value >= 1

        assert client.get("/healthz").json()["status"] == "ok"
        assert client.get("/healthz").json()["warm"] is True  # the worker's warm-up ran before the article
        voices = client.get("/api/v1/voices").json()
        assert voices["voice"] == "espeak" and any(v["name"] == "espeak" and v["current"] for v in voices["voices"])


def test_urls_off_the_sites_are_refused_with_403(server: tuple[str, Narrations], site: Site) -> None:
    base, narrations = server
    other_port = int(site.base.rsplit(":", 1)[1]) % 60000 + 1
    with httpx.Client(base_url=base, timeout=30) as client:
        for url in (site.url("/private/secret.html"),  # the site, outside the prefix
                    site.url("/newsroom.html"),  # a prefix of the path is not the folder
                    "http://127.0.0.2:9/news/spring.html",  # another host
                    f"http://127.0.0.1:{other_port}/news/spring.html",  # another port
                    site.url("/news/spring.html").replace("http://", "http://user:pw@")):  # credentials
            answer = client.post("/api/v1/narrations", json={"url": url})
            assert answer.status_code == 403, (url, answer.text)
            assert "refused" in answer.json()["error"] and "\n" not in answer.json()["error"]
    assert site.requested("/private/secret.html") == 0  # never fetched


def test_malformed_requests_are_400(server: tuple[str, Narrations], site: Site) -> None:
    base, _narrations = server
    with httpx.Client(base_url=base, timeout=30) as client:
        for body in (b"not json", b"[]", b'{"link": "x"}', b'{"url": 5}', b'{"url": "ftp://127.0.0.1/news/a"}',
                     b'{"url": "http://[::1/news/"}'):
            answer = client.post("/api/v1/narrations", content=body, headers={"Content-Type": "application/json"})
            assert answer.status_code == 400, (body, answer.text)
            assert answer.json()["error"]
        other = client.post("/api/v1/narrations", json={"url": site.url("/news/summer.html"), "voice": "yunxi"})
        assert other.status_code == 400 and "espeak" in other.json()["error"]
        assert client.get("/api/v1/narrations/0123456789abcdef").status_code == 404


def raw_get(base: str, path: str) -> int:
    """A request with the path exactly as written (an HTTP client would normalize the ``..``)."""
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    finally:
        connection.close()


def test_media_serves_nothing_outside_the_library(tmp_path: Path, site: Site) -> None:
    library = tmp_path / "library"
    library.mkdir()
    (library / "a.vtt").write_text("WEBVTT\n", encoding="utf-8")
    (tmp_path / "outside.json").write_text('{"secret": 1}', encoding="utf-8")
    (library / "link.json").symlink_to(tmp_path / "outside.json")
    (library / "sub").mkdir()
    (library / "linked").symlink_to(tmp_path)
    (library / ".hidden.json").write_text("{}", encoding="utf-8")
    with Narrations(library, options(), Sites([site.url("/news/")]), processes=False) as narrations:
        with running_app(create_app(narrations, token=TOKEN)) as base:
            assert raw_get(base, "/media/a.vtt") == 200
            for path in ("/media/../outside.json", "/media/..%2Foutside.json", "/media/sub/../../outside.json",
                         "/media/link.json", "/media/linked/outside.json", "/media/.hidden.json",
                         "/media/catalog.sqlite", "/media/.lock", "/media//etc/passwd", "/media/%2Fetc%2Fpasswd",
                         "/media/sub", "/media/a.vtt%00.json"):
                assert raw_get(base, path) in (404, 400), path


class Gated:
    """The espeak engine, held at its first chunk until ``gate`` is set (``started`` says it got there)."""

    def __init__(self) -> None:
        self.inner = registry.get("espeak")
        self.name, self.version = "espeak", self.inner.version
        self.sample_rate, self.max_chunk_chars = self.inner.sample_rate, self.inner.max_chunk_chars
        self.max_workers = 1
        self.gate, self.started = threading.Event(), threading.Event()

    def voices(self) -> Any:
        return self.inner.voices()

    def synthesize(self, text: str, voice: str, rate: float = 1.0) -> Audio:
        self.started.set()
        assert self.gate.wait(60)
        return self.inner.synthesize(text, voice, rate)

    def close(self) -> None:
        pass


def test_a_full_queue_answers_429_and_the_admin_calls_need_the_token(tmp_path: Path, site: Site) -> None:
    backend = Gated()
    with registry.using("espeak", backend), \
            Narrations(tmp_path / "library", options(use_cache=False), Sites([site.url("/news/")]), workers=1,
                       queue=1, processes=False) as narrations, \
            running_app(create_app(narrations, token=TOKEN)) as base, \
            httpx.Client(base_url=base, timeout=30) as client:
        first = client.post("/api/v1/narrations", json={"url": site.url("/news/summer.html")})
        assert first.status_code == 202
        assert backend.started.wait(60)
        assert client.get(f"/api/v1/narrations/{first.json()['id']}").json()["status"] == "running"
        second = client.post("/api/v1/narrations", json={"url": site.url("/news/autumn.html")})
        assert second.status_code == 202 and second.json()["status"] == "queued"
        third = client.post("/api/v1/narrations", json={"url": site.url("/news/spring.html")})
        assert third.status_code == 429
        assert int(third.headers["retry-after"]) > 0 and "full" in third.json()["error"]
        gauge = {s.name: s.value for f in text_string_to_metric_families(client.get("/metrics").text)
                 for s in f.samples}
        assert gauge["reader_queue_length"] == 2

        key = first.json()["id"]
        assert client.delete(f"/api/v1/narrations/{key}").status_code == 401  # in flight, and no token anyway
        backend.gate.set()
        wait_done(narrations, key)
        wait_done(narrations, second.json()["id"])
        audio = client.get(f"/api/v1/narrations/{key}").json()["audio"]
        assert client.get(audio).status_code == 200

        assert client.delete(f"/api/v1/narrations/{key}").status_code == 401
        wrong = client.delete(f"/api/v1/narrations/{key}", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert client.post(f"/api/v1/narrations/{key}/renarrate").status_code == 401
        admin = {"Authorization": f"Bearer {TOKEN}"}
        assert client.delete(f"/api/v1/narrations/{key}", headers=admin).status_code == 204
        assert client.get(f"/api/v1/narrations/{key}").status_code == 404
        assert client.get(audio).status_code == 404
        assert not (narrations.library / audio.removeprefix("/media/")).exists()

        # Re-narrate (admin): made again although the library's narration is current.
        other = second.json()["id"]
        renarrated = client.post(f"/api/v1/narrations/{other}/renarrate", headers=admin)
        assert renarrated.status_code == 202 and renarrated.json()["status"] in ("queued", "running")
        wait_done(narrations, other)
        assert client.get(f"/api/v1/narrations/{other}").json()["status"] == "done"
    assert not os.path.exists(narrations.library / ".staging")


def test_cors_only_for_the_configured_sites(server: tuple[str, Narrations], site: Site) -> None:
    base, _narrations = server
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    with httpx.Client(base_url=base, timeout=30) as client:
        allowed = client.options("/api/v1/narrations", headers={"Origin": site.base, **preflight})
        assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == site.base
        other = client.options("/api/v1/narrations", headers={"Origin": "https://evil.example", **preflight})
        assert other.status_code == 400 and "access-control-allow-origin" not in other.headers
        simple = client.get("/healthz", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in simple.headers
        simple = client.get("/healthz", headers={"Origin": site.base})
        assert simple.headers["access-control-allow-origin"] == site.base


def test_narrations_on_a_local_dask_cluster(tmp_path: Path, site: Site) -> None:
    pytest.importorskip("distributed", reason="the cluster extra (zh-news-reader[cluster]) is not installed")
    with Narrations(tmp_path / "library", options(), Sites([site.url("/news/")]), workers=1,
                    cluster="local") as narrations, \
            running_app(create_app(narrations)) as base, httpx.Client(base_url=base, timeout=30) as client:
        answer = client.post("/api/v1/narrations", json={"url": site.url("/news/autumn.html")})
        assert answer.status_code == 202
        wait_done(narrations, answer.json()["id"])
        status = client.get(f"/api/v1/narrations/{answer.json()['id']}").json()
        assert status["status"] == "done", status.get("error")
        assert client.get(status["audio"]).status_code == 200
        assert client.get("/", follow_redirects=True).status_code == 200


def test_an_empty_library_has_its_index(tmp_path: Path, site: Site) -> None:
    with Narrations(tmp_path / "library", options(), Sites([site.url("/news/")]), processes=False) as narrations, \
            running_app(create_app(narrations)) as base, httpx.Client(base_url=base, timeout=30) as client:
        home = client.get("/", follow_redirects=True)
        assert home.status_code == 200 and "text/html" in home.headers["content-type"]
        assert (narrations.library / "index.html").is_file()


def test_a_body_past_the_limit_is_refused_unread(server: tuple[str, Narrations]) -> None:
    base, _narrations = server
    with httpx.Client(base_url=base, timeout=30) as client:
        answer = client.post("/api/v1/narrations", content=b'{"url": "' + b"a" * 100_000 + b'"}')
        assert answer.status_code == 400 and "too large" in answer.json()["error"]


def test_sites_are_url_prefixes_with_www_folded() -> None:
    sites = Sites(["https://www.example.gov.cn/news/", "http://127.0.0.1:8080/"])
    assert sites.origins == ["https://www.example.gov.cn", "https://example.gov.cn", "http://127.0.0.1:8080"]
    for url in ("https://www.example.gov.cn/news/a.html", "https://example.gov.cn/news/2024/a.html",
                "http://www.example.gov.cn/news/a.html", "http://127.0.0.1:8080/any/page.html"):
        sites.check(url)
    for url in ("https://www.example.gov.cn/newsroom/a.html", "https://www.example.gov.cn/", "https://evil.cn/news/",
                "https://www.example.gov.cn.evil.cn/news/a.html", "http://127.0.0.1:8081/any/page.html"):
        with pytest.raises(OffSite):
            sites.check(url)


def test_a_worker_process_that_dies_fails_its_article_only(tmp_path: Path) -> None:
    psutil = pytest.importorskip("psutil")
    paragraphs = [f"这是第{n}段，城市公园正式对市民开放，公园里种了很多花和树，孩子们在湖边看鱼。" for n in range(1, 41)]
    pages = {"/news/long.html": Page(html_article("很长的文章", "2024-08-01", paragraphs)),
             "/news/short.html": Page(html_article("城市公园开放", "2024-08-01", ["城市公园今天正式对市民开放。"]))}
    with serve(pages) as site, Narrations(tmp_path / "library", options(), Sites([site.url("/news/")])) as narrations:
        job = narrations.submit(site.url("/news/long.html"))
        while not job.done.is_set() and job.progress == 0:  # until the worker is synthesizing
            job.done.wait(0.05)
        workers = [p for p in psutil.Process().children(recursive=True)
                   if "spawn_main" in " ".join(p.cmdline()) and "resource_tracker" not in " ".join(p.cmdline())]
        assert workers and not job.done.is_set()
        for worker in workers:
            worker.kill()
        assert job.done.wait(60)
        assert job.status == "failed" and "died" in (job.error or ""), job.error
        assert not list((tmp_path / "library").glob("*.mp3"))
        after = narrations.submit(site.url("/news/short.html"))  # a new pool takes the next article
        assert after.done.wait(120) and after.status == "done", after.error
