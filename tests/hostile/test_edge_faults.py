"""Issue 14 — the Edge service as a hostile server (tests/helpers/fake_edge.py, the real edge-tts client): a
malformed binary frame is the service's fault, retried, and ``--fallback`` applies (item 15); a stalled
service fails after about one time-out, not one per attempt (item 12)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers.articles import SHORT
from helpers.fake_edge import FakeEdge

from reader.cli import cli
from reader.errors import BackendUnavailable, SynthesisError
from reader.narration.pipeline import NarrateOptions, Narrator
from reader.settings import EdgeSettings
from reader.speech import registry
from reader.speech.engines.edge import EdgeBackend

TEXT = "两江潮起，平湖浪涌。"
YUNYANG = "zh-CN-YunyangNeural"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeEdge]:
    with FakeEdge() as server:
        server.prepare([TEXT])  # rendered ahead: a retry is answered at once
        yield server


@pytest.fixture(autouse=True)
def _fresh(fake: FakeEdge) -> None:
    fake.reset()


def backend(fake: FakeEdge, tmp_path: Path, **kw: float) -> EdgeBackend:
    values = {"timeout": 30.0, "backoff": 0.01, "attempts": 3, "concurrency": 4, **kw}  # 30 s: a loaded machine
    return EdgeBackend(EdgeSettings(wss_url=fake.wss_url, voices_url=fake.voices_url, timeout=values["timeout"],
                                    backoff=values["backoff"], attempts=int(values["attempts"]),
                                    concurrency=int(values["concurrency"])), cache_dir=tmp_path)


def test_a_malformed_frame_is_a_service_fault_that_is_retried(fake: FakeEdge, tmp_path: Path) -> None:
    edge = backend(fake, tmp_path)
    fake.misbehave("bad-frame", times=1)
    assert edge.synthesize(TEXT, YUNYANG).duration > 1.0  # the retry is answered
    fake.misbehave("bad-frame")
    with pytest.raises(SynthesisError, match=r"sent a malformed answer .*\(after 3 attempts\)"):
        edge.synthesize(TEXT, YUNYANG)


def test_a_service_that_streams_without_end_is_cut_off(fake: FakeEdge, tmp_path: Path) -> None:
    """What comes from outside is capped while it streams: the audio of one reply too (item 3)."""
    fake.misbehave("flood")
    with pytest.raises(SynthesisError, match=r"sent more audio than .* can take"):
        backend(fake, tmp_path, attempts=2).synthesize(TEXT, YUNYANG)


def test_a_malformed_frame_lets_the_fallback_speak(fake: FakeEdge, tmp_path: Path) -> None:
    fake.misbehave("bad-frame")
    options = NarrateOptions(voice="yunyang", output=tmp_path / "a.mp3", cache_dir=tmp_path / "c",
                             fallback="espeak")
    narration = Narrator(options, backend=backend(fake, tmp_path, attempts=2)).narrate_article(SHORT)
    assert {c.backend for c in narration.chunks} == {"espeak"}


def test_the_cli_says_it_is_the_service_not_the_user(fake: FakeEdge, tmp_path: Path) -> None:
    fake.misbehave("bad-frame")
    src = tmp_path / "a.txt"
    src.write_text("测试文章标题\n\n这是导语，用来测试朗读。\n", encoding="utf-8")
    with registry.using("edge", backend(fake, tmp_path, attempts=2)):
        result = CliRunner().invoke(cli, ["narrate", str(src), "--voice", "yunyang", "-o", str(tmp_path / "o.mp3"),
                                          "--cache-dir", str(tmp_path / "c"), "-q"])
    assert result.exit_code == 1, result.output  # a failure, not a usage error (2)
    assert "malformed answer" in result.output and "rejects voice" not in result.output


@pytest.mark.timeout(120)  # a hang guard
def test_a_stalled_service_fails_after_one_round_of_time_outs(fake: FakeEdge, tmp_path: Path) -> None:
    """Four requests in flight, four attempts each: before, every chunk waited out all its attempts (16
    requests, 4 × timeout); now the service counts as stalled once every request in flight timed out twice."""
    fake.misbehave("stall")
    edge = backend(fake, tmp_path, timeout=1.0, attempts=4, backoff=0.05)
    options = NarrateOptions(voice="yunyang", output=tmp_path / "a.mp3", cache_dir=tmp_path / "c")
    with pytest.raises(BackendUnavailable, match="did not answer within 1 s"):
        Narrator(options, backend=edge).narrate_article(SHORT)
    assert len(fake.requests) <= 9
