"""``reader batch --cluster`` on a real Dask cluster on 127.0.0.1 (a ``dask scheduler`` and two ``dask worker``
processes, no mocks), with the real offline engine and ffmpeg: a batch of URLs fetched politely by the batch
process and narrated by the workers, a re-run that skips everything, Ctrl-C, a worker killed mid-article,
and ``--cluster local``. Articles are short: the offline engine is fast on short text."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers.catalog import rows
from helpers.dask_cluster import DaskCluster, dask_cluster
from helpers.site_server import Page, Site, html_article, serve

from reader.audio.ffmpeg import probe_duration
from reader.cli import cli
from reader.errors import BatchInterrupted, ClusterError
from reader.library.batch import BatchEvent, BatchOptions, run_batch
from reader.library.cluster import worker_stats

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")

DELAY = 0.3  # seconds between two requests to the site


def write_article(path: Path, title: str, date: str, paragraphs: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([title, f"日期:{date} 来源:测试日报", "", *paragraphs]) + "\n", encoding="utf-8")
    return path


def leftovers(*folders: Path) -> list[str]:
    """What a clean stop must not leave: temporary files, the staging folder, workers' scratch folders."""
    return [str(p) for folder in folders for p in folder.rglob("*")
            if p.name.endswith(".part") or p.name == ".staging" or p.name.startswith("reader-")]


def assert_published(library: Path, row: sqlite3.Row) -> None:
    """The row's files are all there and agree with it and with each other."""
    assert row["status"] == "done" and row["error"] is None and row["claim"] is None, dict(row)
    mp3 = library / row["audio"]
    assert abs(probe_duration(mp3) - row["duration"]) < 0.1
    record = json.loads((library / row["manifest"]).read_text(encoding="utf-8"))
    assert record["audio"]["file"] == row["audio"] and record["article"]["title"] == row["title"]
    assert (library / row["vtt"]).read_text(encoding="utf-8").startswith("WEBVTT")
    assert (library / row["page"]).is_file()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaskCluster]:
    base = tmp_path_factory.mktemp("dask")
    # The workers' chunk cache and narration store: the session's cache, as the batch's own would be.
    env = {"READER_CACHE_DIR": str(tmp_path_factory.getbasetemp() / "cache"),
           "READER_CONFIG_DIR": str(tmp_path_factory.getbasetemp() / "config")}
    with dask_cluster(base, workers=2, env=env) as running:
        yield running


@pytest.fixture(scope="module")
def client(cluster: DaskCluster) -> Iterator[Any]:
    """The test's own view of the cluster (the batch has its own client)."""
    with distributed.Client(cluster.address, timeout=30, set_as_default=False) as own:
        yield own


def stats(client: Any) -> dict[str, dict[str, int]]:
    result: dict[str, dict[str, int]] = client.run(worker_stats)
    return result


# -- a batch of URLs on the cluster -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    pages = {
        "/robots.txt": Page(b"User-agent: *\nDisallow: /private/\n", "text/plain"),
        "/news/1.html": Page(html_article("城市公园开放", "2024-08-01", ["城市公园今天正式对市民开放。"])),
        "/news/2.html": Page(html_article("图书馆延长开放时间", "2024-08-02", ["图书馆从本周起晚上也开门。"])),
        "/news/3.html": Page(html_article("新的公交线路", "2024-08-03", ["下个月起，新的公交线路开始运营。"])),
        # extracted in the batch process, refused by the worker's narrator: a failure that comes back
        "/news/en.html": Page(html_article("English news", "2024-08-04", [
            "This page is written in English only, so a Mandarin voice should not read it at all."])),
        "/private/4.html": Page(html_article("内部资料", "2024-08-05", ["不应该被读取。"])),
    }
    with serve(pages) as running:
        yield running


@pytest.fixture(scope="module")
def first_run(cluster: DaskCluster, client: Any, site: Site,
              tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str, int, dict[str, dict[str, int]]]:
    base = tmp_path_factory.mktemp("cluster-batch")
    urls = base / "urls.txt"
    urls.write_text("\n".join(site.url(p) for p in ("/news/1.html", "/news/2.html", "/news/3.html",
                                                     "/news/en.html", "/private/4.html")) + "\n", encoding="utf-8")
    library = base / "library"
    before = stats(client)
    result = CliRunner().invoke(cli, ["batch", str(urls), "-o", str(library), "--cluster", cluster.address,
                                      "--delay", str(DELAY)])
    return urls, library, result.output, result.exit_code, before


@pytest.mark.timeout(240)
def test_batch_on_a_cluster(first_run: tuple[Path, Path, str, int, dict[str, dict[str, int]]], site: Site,
                            client: Any, cluster: DaskCluster) -> None:
    _, library, output, code, before = first_run
    assert code == 1, output
    # The summary a local batch prints, with each failure's reason: the robots.txt refusal in the batch
    # process, the language refusal from a worker.
    assert "3 narrated, 0 unchanged, 2 failed" in output
    assert "disallowed by the site's robots.txt" in output and "not a Chinese article" in output
    assert "Traceback" not in output
    catalog = rows(library)
    for name in ("1.html", "2.html", "3.html"):
        assert_published(library, catalog[name])
    assert catalog["en.html"]["status"] == "failed" and catalog["en.html"]["audio"] is None
    assert leftovers(library, cluster.base) == []
    # Fetching is the batch's: never more than two requests to the site at once, DELAY apart, robots obeyed.
    assert site.requested("/private/4.html") == 0 and site.peak <= 2
    # (The delay is kept start to start by the fetcher's clock; seen from the server each gap jitters with
    # thread scheduling, so the check is on the whole span, with a little slack.)
    starts = sorted(t for path, t in site.log if path.startswith("/news/"))
    assert len(starts) == 4 and starts[-1] - starts[0] >= 3 * DELAY - 0.05, starts
    # Both workers narrated, each loaded its narrator (and so its engine) once.
    after = stats(client)
    narrated = {w: after[w]["articles"] - before.get(w, {}).get("articles", 0) for w in after}
    assert sum(narrated.values()) == 3
    assert all(s["narrators"] <= 1 for s in after.values()), after


@pytest.mark.timeout(120)
def test_rerun_on_the_cluster_skips_everything(first_run: tuple[Path, Path, str, int, dict[str, dict[str, int]]],
                                               client: Any, cluster: DaskCluster) -> None:
    urls, library, _, _, _ = first_run
    before = stats(client)
    mtimes = {p.name: p.stat().st_mtime_ns for p in library.glob("*.mp3")}
    result = run_batch(str(urls), BatchOptions(library=library, cluster=cluster.address))
    assert (len(result.done), len(result.skipped), len(result.failed)) == (0, 3, 2)
    assert {p.name: p.stat().st_mtime_ns for p in library.glob("*.mp3")} == mtimes
    after = stats(client)
    # Nothing was narrated: the unchanged articles never left the batch process (the English page was
    # tried again, as failed articles are).
    assert sum(s["articles"] for s in after.values()) == sum(s["articles"] for s in before.values())


# -- Ctrl-C ------------------------------------------------------------------------------------------------------


@pytest.mark.timeout(180)
def test_ctrl_c_stops_the_cluster_tasks_and_the_next_run_resumes(tmp_path: Path, client: Any,
                                                                   cluster: DaskCluster) -> None:
    inputs = tmp_path / "in"
    for i, text in enumerate(["今天是晴天，适合出门散步。公园里有很多人。", "明天会下雨，记得带伞出门。路上要小心。"]):
        write_article(inputs / f"{i}.txt", f"第{i + 1}篇中断测试", f"2024-05-0{i + 1}", [text])
    options = BatchOptions(library=tmp_path / "lib", cluster=cluster.address)
    before = stats(client)

    def ctrl_c(event: BatchEvent) -> None:
        if event.kind == "chunks":
            raise KeyboardInterrupt  # in the middle of an article's synthesis on a worker

    with pytest.raises(BatchInterrupted, match="run the same command again to resume"):
        run_batch(str(inputs), options, progress=ctrl_c)
    library = tmp_path / "lib"
    catalog = rows(library)
    assert all(r["status"] == "interrupted" and r["claim"] is None for r in catalog.values()), catalog
    assert list(library.glob("*.mp3")) == [] and leftovers(library) == []
    # The tasks running on the workers stop at their next report and remove their scratch folders.
    deadline = _deadline(60)
    while sum(s["cancelled"] - before[w]["cancelled"] for w, s in stats(client).items()) < 1:
        assert not deadline(), stats(client)
    while leftovers(cluster.base):
        assert not deadline(), leftovers(cluster.base)

    resumed = run_batch(str(inputs), options)
    assert len(resumed.done) == 2 and not resumed.failed
    for row in rows(library).values():
        assert_published(library, row)


def _deadline(seconds: float) -> Any:
    import time

    end = time.monotonic() + seconds

    def passed() -> bool:
        time.sleep(0.1)
        return time.monotonic() > end

    return passed


# -- a worker dies mid-article ---------------------------------------------------------------------------------


@pytest.mark.timeout(240)
def test_a_worker_killed_mid_article_costs_a_retry_elsewhere(tmp_path: Path, client: Any,
                                                              cluster: DaskCluster) -> None:
    inputs = tmp_path / "in"
    for i in range(3):
        write_article(inputs / f"{i}.txt", f"第{i + 1}篇工人测试", f"2024-07-0{i + 1}", [
            f"这是第{i + 1}篇文章的第一段。天气预报说今天有小雨，气温十五度左右。",
            "市民出门的时候要记得带伞。路面比较湿滑，开车的朋友要注意安全。",
        ])
    pids: dict[str, int] = client.run(os.getpid)
    before = stats(client)
    killed: dict[str, Any] = {}
    finished: list[str] = []
    lock = threading.Lock()

    def kill_one(event: BatchEvent) -> None:
        with lock:
            if event.kind == "finished":
                finished.append(event.source)
            if event.kind != "chunks" or killed:
                return
            busy = {w: keys for w, keys in client.processing().items() if keys and w in pids}
            if not busy:
                return
            worker, keys = sorted(busy.items())[0]
            os.kill(pids[worker], signal.SIGKILL)  # the worker narrating this article, mid-synthesis
            killed.update(worker=worker, keys=list(keys), finished=len(finished))

    result = run_batch(str(inputs), BatchOptions(library=tmp_path / "lib", cluster=cluster.address),
                       progress=kill_one)
    assert killed, "no worker was busy when the first chunk was reported"
    assert len(result.done) == 3 and not result.failed, result
    library = tmp_path / "lib"
    catalog = rows(library)
    for row in catalog.values():
        assert_published(library, row)
        assert row["attempts"] == 1  # the retry was the cluster's, invisible to the catalog
    assert sorted(p.name for p in library.glob("*.mp3")) == sorted(r["audio"] for r in catalog.values())
    assert leftovers(library) == []
    # The one worker left did the rest, the killed worker's article among them.
    alive = stats(client)
    assert killed["worker"] not in alive and len(alive) == 1
    ((survivor, counts),) = alive.items()
    assert counts["articles"] - before[survivor]["articles"] >= 3 - killed["finished"]
    # (The module's cluster is left with one worker, for the last test, which kills its scheduler.)


@pytest.mark.timeout(180)
def test_a_lost_scheduler_stops_the_batch_resumably(tmp_path: Path, cluster: DaskCluster) -> None:
    inputs = tmp_path / "in"
    for i in range(2):
        write_article(inputs / f"{i}.txt", f"第{i + 1}篇调度测试", f"2024-10-0{i + 1}",
                      [f"调度器在第{i + 1}篇文章朗读的时候停止了工作。大家不要担心。"])

    def kill_scheduler(event: BatchEvent) -> None:
        if event.kind == "chunks" and cluster.scheduler.poll() is None:
            os.killpg(cluster.scheduler.pid, signal.SIGKILL)

    # Dask waits its connect timeout for a scheduler to come back before giving its tasks up.
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}), \
            pytest.raises(ClusterError, match=r"^lost the Dask scheduler at tcp://127\.0\.0\.1:\d+: .* not done; "
                                              r"run the same command again to resume$"):
        run_batch(str(inputs), BatchOptions(library=tmp_path / "lib", cluster=cluster.address),
                  progress=kill_scheduler)
    library = tmp_path / "lib"
    assert {r["status"] for r in rows(library).values()} <= {"done", "interrupted"}
    assert leftovers(library) == []
    resumed = run_batch(str(inputs), BatchOptions(library=library))  # on this machine, say
    assert len(resumed.done) + len(resumed.skipped) == 2 and not resumed.failed
    for row in rows(library).values():
        assert_published(library, row)


# -- --cluster local, and what cannot work -----------------------------------------------------------------------


@pytest.mark.timeout(180)
def test_local_cluster_batch(tmp_path: Path) -> None:
    article = write_article(tmp_path / "in" / "a.txt", "本地集群测试", "2024-09-01", ["本地集群用两个进程朗读文章。"])
    result = CliRunner().invoke(cli, ["batch", str(article.parent), "-o", str(tmp_path / "lib"), "--cluster",
                                      "local", "-j", "1"])
    assert result.exit_code == 0, result.output
    assert "1 narrated, 0 unchanged, 0 failed" in result.output
    (row,) = rows(tmp_path / "lib").values()
    assert_published(tmp_path / "lib", row)


def test_cluster_errors_are_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    article = write_article(tmp_path / "in" / "a.txt", "错误测试", "2024-09-02", ["正文。"])
    runner = CliRunner()
    bad = runner.invoke(cli, ["batch", str(article), "-o", str(tmp_path / "lib1"), "--cluster", "somewhere"])
    assert bad.exit_code == 2 and "give 'local' or a Dask scheduler's address" in bad.output, bad.output
    # Nothing listens on this port: refused until Dask's connect timeout, nothing written.
    with socket_bound() as port, dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        closed = runner.invoke(cli, ["batch", str(article), "-o", str(tmp_path / "lib2"), "--cluster",
                                     f"tcp://127.0.0.1:{port}"])
    assert closed.exit_code == 1, closed.output
    assert closed.output.startswith("reader: error: cannot reach the Dask scheduler at tcp://127.0.0.1:")
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if zh-news-reader[cluster] were not installed
    missing = runner.invoke(cli, ["batch", str(article), "-o", str(tmp_path / "lib3"), "--cluster", "local"])
    assert missing.exit_code == 1
    assert missing.output.strip() == ("reader: error: --cluster needs Dask's distributed scheduler, which is not "
                                      "installed; install it with: pip install 'zh-news-reader[cluster]'")
    for name in ("lib1", "lib2", "lib3"):
        assert not (tmp_path / name).exists()
    with pytest.raises(ClusterError):
        run_batch(str(article), BatchOptions(library=tmp_path / "lib4", cluster="local"))


class socket_bound:  # noqa: N801 (used as a context manager)
    """A port on 127.0.0.1 that is bound but not listening: connections to it are refused."""

    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        port: int = self.sock.getsockname()[1]
        return port

    def __exit__(self, *exc: object) -> None:
        self.sock.close()


def test_a_local_cluster_of_several_workers_gives_each_one_kokoro_thread() -> None:
    """Two worker processes on the same cores: each runs its Kokoro calls on one ONNX Runtime thread (two
    each lost 7 % to oversubscription; one worker keeps the engine's default)."""
    import distributed

    from reader.library.cluster import _local_cluster

    with _local_cluster(distributed, 2) as cluster, distributed.Client(cluster) as client:
        found = client.run(lambda: os.environ.get("READER_KOKORO_THREADS"))
    assert sorted(found.values()) == ["1", "1"], found
