"""Issue 14, item 12 — Ctrl-C and SIGTERM stop any command at once, and leave nothing behind: a batch stuck in a
slow fetch, a narration waiting on a stalled Edge service, a narration in the middle of its audio; the
leftovers of a run killed outright (SIGKILL) are removed by the next run. Real processes, real signals; the
``wait`` time-outs are hang guards (before the fix these took 60 to 240 s), not speed assertions."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers.fake_edge import FakeEdge
from helpers.hostile_server import article_html, drip, serve

ARTICLE = "中断测试文章\n日期:2024-05-01 来源:测试日报\n\n今天上午，市里召开了一次重要的工作会议。\n会议总结了去年的工作，安排了今年的任务。\n" \
          "会议指出，要坚持稳中求进的工作总基调。\n会议要求，各部门要抓好落实。\n"
GUARD = 20  # seconds: a hang guard


def start(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "reader", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.05)


def stop(proc: subprocess.Popen[str], sig: int) -> tuple[int, str]:
    proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=GUARD)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError(f"still running {GUARD} s after the signal") from None
    return proc.returncode, err


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.name.endswith(".part") or p.name == ".staging")


@pytest.mark.timeout(120)
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_batch_in_a_slow_fetch_stops_at_once(tmp_path: Path, sig: int) -> None:
    page = article_html("慢慢发送的文章标题", ["这一页每半秒才发一个字节。"])
    with serve({"/slow.html": drip(page, every=0.5)}) as site:
        urls = tmp_path / "urls.txt"
        urls.write_text(site.url("/slow.html") + "\n", encoding="utf-8")
        library = tmp_path / "library"
        proc = start(["batch", str(urls), "-o", str(library), "--voice", "espeak", "-q"])
        wait_for(lambda: site.requested("/slow.html") > 0, "the page was requested")
        code, err = stop(proc, sig)
    assert code == 130, err
    assert "Traceback" not in err and "interrupted" in err
    assert leftovers(library) == []


@pytest.fixture
def stalled_edge(tmp_path: Path) -> Iterator[tuple[FakeEdge, dict[str, str]]]:
    with FakeEdge() as fake:
        fake.misbehave("stall")
        env = {"READER_EDGE_WSS_URL": fake.wss_url, "READER_EDGE_VOICES_URL": fake.voices_url,
               "READER_CACHE_DIR": str(tmp_path / "cache")}
        yield fake, env


@pytest.mark.timeout(120)
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_narrate_against_a_stalled_edge_service_stops_at_once(tmp_path: Path, sig: int,
                                                              stalled_edge: tuple[FakeEdge, dict[str, str]]) -> None:
    fake, env = stalled_edge
    article = tmp_path / "a.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    proc = start(["narrate", str(article), "--voice", "yunyang", "--output-dir", str(out), "-q"], env)
    wait_for(lambda: len(fake.requests) > 0, "a request reached the service")
    code, err = stop(proc, sig)
    assert code == 130, err
    assert "Traceback" not in err and err.strip() == "reader: interrupted"
    assert list(out.iterdir()) == []


@pytest.fixture
def slow_edge(tmp_path: Path) -> Iterator[tuple[FakeEdge, dict[str, str]]]:
    """A working service, slowly: the narration is in the middle of its audio for seconds."""
    with FakeEdge(latency=0.4) as fake:
        config = tmp_path / "config"
        config.mkdir()
        (config / "config.toml").write_text("[edge]\nconcurrency = 1\n", encoding="utf-8")
        env = {"READER_EDGE_WSS_URL": fake.wss_url, "READER_EDGE_VOICES_URL": fake.voices_url,
               "READER_CACHE_DIR": str(tmp_path / "cache"), "READER_CONFIG_DIR": str(config)}
        yield fake, env


@pytest.mark.timeout(180)
def test_sigterm_mid_narration_leaves_no_part_files_and_sigkill_leftovers_are_cleaned(
        tmp_path: Path, slow_edge: tuple[FakeEdge, dict[str, str]]) -> None:
    fake, env = slow_edge
    article = tmp_path / "a.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    args = ["narrate", str(article), "--voice", "yunyang", "-o", str(out / "a.mp3"), "-q"]

    proc = start(args, env)
    wait_for(lambda: any(p.name.endswith(".pcm.part") for p in out.iterdir()), "the audio is being laid out")
    code, err = stop(proc, signal.SIGTERM)
    assert code == 130 and "Traceback" not in err, err
    assert list(out.iterdir()) == []

    proc = start(args, env)
    wait_for(lambda: any(p.name.endswith(".pcm.part") for p in out.iterdir()), "the audio is being laid out")
    proc.kill()  # no chance to clean up
    proc.communicate(timeout=GUARD)
    assert leftovers(out)  # what a killed run leaves …
    done = subprocess.run([sys.executable, "-m", "reader", *args], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=120)
    assert done.returncode == 0, done.stderr
    assert leftovers(out) == []  # … the next run removes
    assert sorted(p.name for p in out.iterdir()) == ["a.json", "a.mp3", "a.vtt"]
