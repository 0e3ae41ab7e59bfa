"""The edge backend: the real edge-tts client against tests/helpers/fake_edge.py (the service's protocol, real MP3
speech from the offline engine), every fault the service is known for, the fallback, the seed end to end."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import SEED
from edge_tts.drm import DRM
from helpers.articles import SHORT  # a lead and two chapters
from helpers.fake_edge import FakeEdge, Received
from mutagen.id3 import ID3

from reader.audio.ffmpeg import decode_to_pcm
from reader.cli import cli
from reader.errors import BackendUnavailable, ConfigError, SynthesisError
from reader.models import Chunk
from reader.narration.pipeline import NarrateOptions, Narrator, narrate_article
from reader.narration.vtt import parse_webvtt
from reader.settings import EdgeSettings, edge_settings, load_presets, preset
from reader.speech import registry as backends
from reader.speech.cache import ChunkCache
from reader.speech.engines.edge import EdgeBackend, decode_mp3, edge_rate, parse_voice, speech_span
from reader.speech.synthesize import chunk_keys, synthesize_all

TEXT = "两江潮起，平湖浪涌。"
YUNYANG = "zh-CN-YunyangNeural"
KEEP = 0.02  # what the backend keeps of silence on each side of the speech

@pytest.fixture(scope="module")
def fake() -> Iterator[FakeEdge]:
    with FakeEdge() as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh(fake: FakeEdge) -> Iterator[None]:
    fake.reset()
    DRM.clock_skew_seconds = 0.0
    yield
    fake.accept()
    DRM.clock_skew_seconds = 0.0


def settings(fake: FakeEdge, **kw: float) -> EdgeSettings:
    # A generous default: on a loaded machine the fake itself can take seconds to answer, and a test that
    # is not about timeouts must not fail on one (those pass a short timeout of their own).
    values: dict[str, float] = {"timeout": 30.0, "backoff": 0.01, "attempts": 3, **kw}
    return EdgeSettings(wss_url=fake.wss_url, voices_url=fake.voices_url, timeout=values["timeout"],
                        backoff=values["backoff"], attempts=int(values["attempts"]),
                        concurrency=int(values.get("concurrency", 4)))


@pytest.fixture
def edge(fake: FakeEdge, tmp_path: Path) -> Iterator[EdgeBackend]:
    """A backend on the fake, also what ``backends.get('edge')`` returns during the test."""
    backend = EdgeBackend(settings(fake), cache_dir=tmp_path / "voices-cache")
    with backends.using("edge", backend):
        yield backend


def samples(audio_pcm: bytes) -> np.ndarray:
    return np.frombuffer(audio_pcm, "<i2")


def boundary_span(requests: list[Received], text: str) -> float:
    """Seconds from the first boundary's onset to the last one's end, as the fake sent them for ``text``."""
    marks = next(r.boundaries for r in reversed(requests) if r.text == text and r.boundaries)
    return (max(o + d for o, d, _ in marks) - min(o for o, _, _ in marks)) / 1e7


# -- speech ------------------------------------------------------------------------------------------------


def test_speech_is_trimmed_to_the_sentence_boundaries(fake: FakeEdge, edge: EdgeBackend) -> None:
    audio = edge.synthesize(TEXT, YUNYANG)
    sent = fake.requests[-1]
    assert sent.voice == "Microsoft Server Speech Text to Speech Voice (zh-CN, YunyangNeural)"
    assert (sent.rate, sent.pitch, sent.volume, sent.text) == ("+0%", "+0Hz", "+0%", TEXT)
    assert sent.sentence_boundaries and not sent.word_boundaries
    # The service's leading silence (120 ms here) is gone: the speech is the boundary's span plus 20 ms a side.
    assert audio.sample_rate == 24000
    assert audio.duration == pytest.approx(boundary_span(fake.requests, TEXT) + 2 * KEEP, abs=0.03)
    pcm = samples(audio.pcm)
    assert np.abs(pcm[:240]).max() < 328 <= np.abs(pcm[240:1920]).max()  # quiet for 10 ms, loud within 80
    assert 3 <= 8 / audio.duration <= 8


def test_without_boundaries_the_level_decides(fake: FakeEdge, edge: EdgeBackend) -> None:
    with_marks = edge.synthesize(TEXT, YUNYANG)
    fake.misbehave("no-boundaries")
    without = edge.synthesize(TEXT, YUNYANG)
    assert not fake.requests[-1].boundaries
    assert without.duration == pytest.approx(with_marks.duration, abs=0.03)


def test_two_sentences_span_from_first_onset_to_last_end(fake: FakeEdge, edge: EdgeBackend) -> None:
    text = "你好。今天天气很好。"
    audio = edge.synthesize(text, YUNYANG)
    assert len(fake.requests[-1].boundaries) == 2
    assert audio.duration == pytest.approx(boundary_span(fake.requests, text) + 2 * KEEP, abs=0.03)


def test_rate_pitch_and_volume_reach_the_service(fake: FakeEdge, edge: EdgeBackend) -> None:
    normal = edge.synthesize(TEXT, "zh-CN-XiaoxiaoNeural")
    fast = edge.synthesize(TEXT, "zh-CN-XiaoxiaoNeural;pitch=+5Hz;volume=-10%", 1.25)
    sent = fake.requests[-1]
    assert (sent.rate, sent.pitch, sent.volume) == ("+25%", "+5Hz", "-10%")
    assert fast.duration < normal.duration * 0.9
    assert [edge_rate(r) for r in (0.5, 0.8, 1.0, 1.5, 2.0)] == ["-50%", "-20%", "+0%", "+50%", "+100%"]
    assert parse_voice("zh-CN-shaanxi-XiaoniNeural") == ("zh-CN-shaanxi-XiaoniNeural", "+0Hz", "+0%")
    for bad in ("yunyang", "zh-CN-YunyangNeural;pitch=5", "zh-CN-YunyangNeural;speed=+1%"):
        with pytest.raises(ConfigError):
            parse_voice(bad)
    with pytest.raises(ConfigError):
        edge_rate(3.0)


def test_speech_span_by_level_and_window() -> None:
    quiet, loud = np.zeros(2400, np.int16), np.full(4800, 3000, np.int16)
    pcm = np.concatenate([quiet, loud, quiet])
    assert speech_span(pcm) == (2400 - 480, 7200 + 480)
    assert speech_span(np.zeros(4800, np.int16)) == (0, 0)
    # a window with nothing loud in it is taken as the service says
    assert speech_span(np.zeros(9600, np.int16), (0.1, 0.3)) == (2400, 7200)
    # a click well before the window's onset does not count; the window allows for the codec's delay
    pcm = np.concatenate([np.zeros(7200, np.int16), loud, quiet])
    pcm[100] = 20000
    assert speech_span(pcm) == (0, 12000 + 480)
    assert speech_span(pcm, (0.25, 0.45)) == (7200 - 480, 12000 + 480)


# -- faults -------------------------------------------------------------------------------------------------


def test_403_with_a_date_corrects_the_clock_once(fake: FakeEdge, edge: EdgeBackend) -> None:
    fake.clock_offset = 3600.0  # the service's clock is an hour ahead: the client's token is stale
    audio = edge.synthesize(TEXT, YUNYANG)
    assert audio.duration > 1.0
    assert fake.handshakes == 2
    assert DRM.clock_skew_seconds == pytest.approx(3600, abs=5)


def test_403_that_persists_is_unavailable(fake: FakeEdge, edge: EdgeBackend) -> None:
    fake.misbehave("403")
    with pytest.raises(BackendUnavailable, match=r"refused the request \(HTTP 403.*--voice baker"):
        edge.synthesize(TEXT, YUNYANG)
    assert fake.handshakes == 2  # edge-tts's own retry after correcting the clock; no more


def test_403_without_a_date_is_unavailable(fake: FakeEdge, edge: EdgeBackend) -> None:
    fake.misbehave("403-no-date")
    with pytest.raises(BackendUnavailable, match=r"HTTP 403, with no date.*--voice baker"):
        edge.synthesize(TEXT, YUNYANG)
    assert fake.handshakes == 1


@pytest.mark.parametrize("fault", ["429", "500"])
def test_429_and_500_are_retried(fake: FakeEdge, edge: EdgeBackend, fault: str) -> None:
    fake.misbehave(fault, times=2)
    assert edge.synthesize(TEXT, YUNYANG).duration > 1.0
    assert fake.handshakes == 3


def test_429_that_persists_is_unavailable_and_then_fails_fast(fake: FakeEdge, edge: EdgeBackend) -> None:
    fake.misbehave("429")
    with pytest.raises(BackendUnavailable) as caught:
        edge.synthesize(TEXT, YUNYANG)
    message = str(caught.value)
    assert "rate-limited the requests (HTTP 429)" in message and "after 3 attempts" in message
    assert "--voice baker" in message and "\n" not in message
    assert fake.handshakes == 3
    with pytest.raises(BackendUnavailable):
        edge.synthesize("另一句话。", YUNYANG)
    assert fake.handshakes == 3  # the service was found down: no new request


@pytest.mark.timeout(60)  # a hang guard (no assertion on how fast)
def test_refused_connection_is_unavailable(fake: FakeEdge, edge: EdgeBackend) -> None:
    fake.refuse()
    with pytest.raises(BackendUnavailable, match=r"cannot be reached .*after 3 attempts.*--voice baker"):
        edge.synthesize(TEXT, YUNYANG)


def test_stream_closed_midway_is_retried(fake: FakeEdge, edge: EdgeBackend) -> None:
    whole = edge.synthesize(TEXT, YUNYANG)
    fake.misbehave("close", times=1)
    again = edge.synthesize(TEXT, YUNYANG)
    assert fake.handshakes == 3 and again.duration == pytest.approx(whole.duration, abs=0.001)


def test_truncated_audio_is_never_cached(fake: FakeEdge, edge: EdgeBackend, tmp_path: Path) -> None:
    fake.misbehave("close")  # every stream ends early, and the client raises nothing
    cache = ChunkCache(tmp_path / "cache")
    chunk = Chunk(TEXT, TEXT, 0, 0, "body", "sentence")
    with pytest.raises(SynthesisError, match=r"ended the stream early .*no turn\.end.*after 3 attempts"):
        synthesize_all([chunk], edge, YUNYANG, 1.0, cache)
    assert not list((tmp_path / "cache").rglob("*.pcm"))


def test_short_audio_fails_the_length_check(fake: FakeEdge, edge: EdgeBackend) -> None:
    fake.misbehave("short")  # a third of the audio, then a proper turn.end and no boundaries
    with pytest.raises(SynthesisError, match=r"s of speech for 8 characters \(expected"):
        edge.synthesize(TEXT, YUNYANG)
    assert fake.handshakes == 3


def test_audio_that_is_not_mp3_is_retried(fake: FakeEdge, edge: EdgeBackend) -> None:
    whole = edge.synthesize(TEXT, YUNYANG)
    fake.misbehave("not-mp3", times=1)
    again = edge.synthesize(TEXT, YUNYANG)
    assert fake.handshakes == 3 and np.array_equal(again.pcm, whole.pcm)
    fake.misbehave("not-mp3")
    with pytest.raises(SynthesisError, match=r"sent audio that is not MP3.*after 3 attempts"):
        edge.synthesize(TEXT, YUNYANG)


def test_the_service_stream_decodes_as_ffmpeg_decodes_it(fake: FakeEdge, tmp_path: Path) -> None:
    """The engine decodes in process (miniaudio); ffmpeg, which the rest of reader uses, hears the same."""
    mp3 = fake.rendered(TEXT, 1.0, 0.0).mp3
    (tmp_path / "reply.mp3").write_bytes(mp3)
    ours = decode_mp3(mp3).astype(np.int32)
    theirs = samples(decode_to_pcm(tmp_path / "reply.mp3", 24000).pcm).astype(np.int32)
    assert len(ours) == len(theirs) > 24000
    assert int(np.max(np.abs(ours - theirs))) <= 1  # rounding only: same length, same alignment


def test_no_audio_is_a_clear_synthesis_error(fake: FakeEdge, edge: EdgeBackend) -> None:
    fake.misbehave("noaudio")
    with pytest.raises(SynthesisError, match="sent no audio for “两江潮起"):
        edge.synthesize(TEXT, YUNYANG)
    assert fake.handshakes == 1
    with pytest.raises(SynthesisError, match="sent no audio"):  # a voice the service does not have
        edge.synthesize(TEXT, "zh-CN-NobodyNeural")


def test_punctuation_only_is_never_sent(fake: FakeEdge, edge: EdgeBackend) -> None:
    with pytest.raises(SynthesisError, match="nothing speakable"):
        edge.synthesize("……！", YUNYANG)
    assert fake.handshakes == 0


@pytest.mark.timeout(60)  # a hang guard: the 0.5 s timeout must fire (no assertion on how fast)
def test_stall_after_handshake_times_out(fake: FakeEdge, edge: EdgeBackend, tmp_path: Path) -> None:
    quick = EdgeBackend(settings(fake, timeout=0.5, attempts=2), cache_dir=tmp_path)
    fake.misbehave("stall", times=1)
    assert quick.synthesize(TEXT, YUNYANG).duration > 1.0  # the retry is answered
    fake.misbehave("stall")
    with pytest.raises(BackendUnavailable, match=r"did not answer within 0\.5 s \(after 2 attempts\)"):
        quick.synthesize(TEXT, YUNYANG)


def test_slow_answers(fake: FakeEdge, tmp_path: Path) -> None:
    patient = EdgeBackend(settings(fake, timeout=2.0), cache_dir=tmp_path)
    hasty = EdgeBackend(settings(fake, timeout=0.3, attempts=2), cache_dir=tmp_path)
    patient.synthesize(TEXT, YUNYANG)  # rendered once, so that only the latency is slow
    fake.latency = 0.5
    started = time.monotonic()
    assert patient.synthesize(TEXT, YUNYANG).duration > 1.0
    assert time.monotonic() - started >= 0.5
    with pytest.raises(BackendUnavailable, match="did not answer within 0.3 s"):
        hasty.synthesize(TEXT, YUNYANG)


def test_requests_in_flight_are_bounded(fake: FakeEdge, edge: EdgeBackend) -> None:
    edge.synthesize(TEXT, YUNYANG)
    fake.latency = 0.3
    with ThreadPoolExecutor(24) as pool:
        list(pool.map(lambda _: edge.synthesize(TEXT, YUNYANG), range(24)))
    assert 8 <= fake.max_active <= 16  # the hard cap, whatever the number of threads

    texts = ["一句话。", "两句话。", "三句话。", "四句话。", "五句话。", "六句话。"]
    fake.prepare(texts)  # rendered ahead: the latency alone keeps each request open
    fake.reset()
    fake.latency = 0.3
    chunks = [Chunk(t, t, 0, i, "body", "sentence") for i, t in enumerate(texts)]
    made = synthesize_all(chunks, edge, YUNYANG, 1.0, ChunkCache(None))
    assert [s.backend for s in made] == ["edge"] * 6
    assert fake.max_active == edge.max_workers == 4  # the default: four at once, not one after another


# -- fallback and the pipeline ------------------------------------------------------------------------------


def test_fallback_speaks_what_the_service_cannot(fake: FakeEdge, edge: EdgeBackend, tmp_path: Path) -> None:
    cache = ChunkCache(tmp_path / "cache")
    chunks = [Chunk(TEXT, TEXT, 0, 0, "body", "sentence"), Chunk("你好。", "你好。", 0, 1, "body", "sentence")]
    offline = backends.get("offline")
    fake.refuse()
    made = synthesize_all(chunks, edge, YUNYANG, 1.0, cache, fallback=offline)
    assert [s.backend for s in made] == ["offline", "offline"]
    assert [s.key for s in made] == chunk_keys(chunks, offline, "baker", 1.0)  # the fallback's own keys
    assert all(cache.contains(s.key) for s in made)
    assert not any(cache.contains(k) for k in chunk_keys(chunks, edge, YUNYANG, 1.0))  # never the primary's
    fake.accept()
    again = synthesize_all(chunks, EdgeBackend(settings(fake)), YUNYANG, 1.0, cache, fallback=offline)
    assert [s.backend for s in again] == ["edge", "edge"] and not any(s.cached for s in again)


def test_narration_with_fallback_records_it_and_is_not_stored(fake: FakeEdge, edge: EdgeBackend,
                                                              tmp_path: Path) -> None:
    options = NarrateOptions(voice="yunyang", output=tmp_path / "a.mp3", cache_dir=tmp_path / "c",
                             fallback="offline")
    fake.refuse()
    first = narrate_article(SHORT, options)
    manifest = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))
    assert {(c["backend"], c["voice"]) for c in manifest["chunks"]} == {("offline", "baker")}
    assert manifest["voice"]["backend"] == "edge"
    assert len(first.chapters) == 3

    fake.accept()
    # a new backend, passed in: the refused one fails fast for a while
    narrator = Narrator(options, backend=EdgeBackend(settings(fake)))
    stages: list[str] = []
    second = narrator.narrate_article(SHORT, stage=stages.append)
    assert "copy" not in stages  # not served from the narration store: the service was asked again
    assert {t.backend for t in second.chunks} == {"edge"}
    third_stages: list[str] = []
    narrator.narrate_article(SHORT, stage=third_stages.append)
    assert "copy" in third_stages  # all spoken by the service: now it is stored


def test_cli_failure_is_one_line_and_suggests_baker(fake: FakeEdge, edge: EdgeBackend, tmp_path: Path) -> None:
    src = tmp_path / "a.txt"
    src.write_text("测试文章标题\n\n这是导语，用来测试朗读。\n", encoding="utf-8")
    fake.misbehave("429")
    result = CliRunner().invoke(cli, ["narrate", str(src), "--voice", "yunyang", "-o", str(tmp_path / "o.mp3"),
                                      "--cache-dir", str(tmp_path / "c"), "-q"])
    assert result.exit_code == 1
    assert re.fullmatch(r"reader: error: the Edge voice service at 127\.0\.0\.1:\d+ rate-limited the requests "
                        r"\(HTTP 429\) \(after 3 attempts\); use --voice baker .*\n", result.output)
    assert not (tmp_path / "o.mp3").exists()
    bad = CliRunner().invoke(cli, ["narrate", str(src), "--fallback", "nonesuch", "-q"])
    assert bad.exit_code == 2 and "unknown fallback backend 'nonesuch'" in bad.output


# -- settings, presets, voices -----------------------------------------------------------------------------


def test_endpoints_from_the_environment_and_the_config_file(fake: FakeEdge, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config"
    config.mkdir()
    monkeypatch.setenv("READER_CONFIG_DIR", str(config))
    (config / "config.toml").write_text(f'[edge]\nwss_url = "{fake.wss_url}"\nconcurrency = 8\ntimeout = 5\n',
                                        encoding="utf-8")
    from_file = edge_settings()
    assert (from_file.wss_url, from_file.concurrency, from_file.timeout) == (fake.wss_url, 8, 5)
    assert EdgeBackend().synthesize(TEXT, YUNYANG).duration > 1.0  # the real client, pointed at the fake
    monkeypatch.setenv("READER_EDGE_WSS_URL", "wss://relay.example/edge/v1?TrustedClientToken=x")
    assert edge_settings().wss_url == "wss://relay.example/edge/v1?TrustedClientToken=x"
    for bad, message in (('wss_url = "wss://relay.example/no-query"', "containing '?'"),
                         ("concurrency = 17", "concurrency must be 1–16"),
                         ("timeout = -1", "timeout must be"),
                         ("proxy = 1", "unknown key")):
        monkeypatch.delenv("READER_EDGE_WSS_URL")
        (config / "config.toml").write_text(f"[edge]\n{bad}\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=message):
            edge_settings()
        monkeypatch.setenv("READER_EDGE_WSS_URL", fake.wss_url)
    monkeypatch.setenv("READER_EDGE_WSS_URL", "http://wrong")
    monkeypatch.setenv("READER_LANG", "en")
    (config / "config.toml").unlink()
    # A process of its own: this one may already hold an Edge backend made with other settings (each process
    # makes a backend once, reading the settings then).
    done = subprocess.run([sys.executable, "-m", "reader", "narrate", str(SEED), "--voice", "yunyang", "-q",
                           "--output-dir", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "wss_url" in done.stderr, done.stderr
    assert not list(tmp_path.glob("*.mp3"))


def test_presets_for_the_edge_voices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    presets = load_presets()
    expected = {"yunyang": "zh-CN-YunyangNeural", "xiaoxiao": "zh-CN-XiaoxiaoNeural",
                "xiaoyi": "zh-CN-XiaoyiNeural", "yunjian": "zh-CN-YunjianNeural", "yunxi": "zh-CN-YunxiNeural",
                "yunxia": "zh-CN-YunxiaNeural", "xiaobei": "zh-CN-liaoning-XiaobeiNeural",
                "xiaoni": "zh-CN-shaanxi-XiaoniNeural"}
    assert {n: (p.backend, p.voice) for n, p in presets.items() if n in expected} == {
        n: ("edge", v) for n, v in expected.items()}
    monkeypatch.setenv("READER_CONFIG_DIR", str(tmp_path))
    (tmp_path / "presets.toml").write_text('[anchor]\nbackend = "edge"\nvoice = "zh-CN-YunyangNeural"\n'
                                           'pitch = "-5Hz"\nvolume = "+10%"\n', encoding="utf-8")
    anchor = preset("anchor")
    assert anchor.voice == "zh-CN-YunyangNeural;pitch=-5Hz;volume=+10%"
    assert (anchor.pitch, anchor.volume) == ("-5Hz", "+10%")
    for bad in ('backend = "offline"\nvoice = "baker"\npitch = "+5Hz"',
                'backend = "edge"\nvoice = "x"\npitch = "5"'):
        (tmp_path / "presets.toml").write_text(f"[bad]\n{bad}\n", encoding="utf-8")
        with pytest.raises(ConfigError, match="pitch"):
            load_presets()


def test_voices_live_list_cached_for_a_day(fake: FakeEdge, edge: EdgeBackend) -> None:
    result = CliRunner().invoke(cli, ["voices", "--backend", "edge"])
    assert result.exit_code == 0, result.output
    assert re.search(r"^yunyang\s+云扬 男声 新闻\s+edge\s+online", result.output, re.M)
    assert "zh-CN-shaanxi-XiaoniNeural" in result.output and "zh-HK-HiuGaaiNeural" in result.output
    assert "en-US" not in result.output  # only the Chinese voices of the list
    assert CliRunner().invoke(cli, ["voices", "--backend", "edge"]).output == result.output
    assert fake.voice_requests == 1  # the second listing came from the cache directory


def test_voices_offline_shows_presets_with_a_note(fake: FakeEdge, edge: EdgeBackend) -> None:
    fake.refuse()
    result = CliRunner().invoke(cli, ["voices", "--backend", "edge"])
    assert result.exit_code == 0 and "Traceback" not in result.output
    assert "yunyang" in result.stdout and "edge voices" not in result.stdout
    assert re.fullmatch(r"reader: note: cannot fetch the Edge voice list from 127\.0\.0\.1:\d+: "
                        r"cannot be reached \(.*\); showing the presets only\n", result.stderr)


# -- the seed article, end to end --------------------------------------------------------------------------


def first_paragraphs_of_chapters(source: Path, target: Path) -> Path:
    """The seed page with only the first paragraph (line over 60 characters) after each shorter line: its
    header, title and all 8 chapter headings stay, half of its text goes (the fake speaks every sentence with
    the Baker engine: 20 s less of the suite)."""
    kept, after_long = [], False
    for line in source.read_text(encoding="utf-8").splitlines():
        long = len(line.strip()) > 60
        if long and after_long:
            continue
        kept.append(line)
        if line.strip():
            after_long = long
    target.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def seed_through_fake(fake: FakeEdge, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Received]]:
    """The seed narrated with --voice yunyang through the CLI, the fake standing in for the service; with
    the requests the fake received (and the boundaries it sent back)."""
    base = tmp_path_factory.mktemp("edge-seed")
    seed = first_paragraphs_of_chapters(SEED, base / SEED.name)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("READER_EDGE_WSS_URL", fake.wss_url)
        mp.setenv("READER_EDGE_VOICES_URL", fake.voices_url)
        fake.reset()
        # The engine made from the environment (as the CLI would make it), used only for this narration.
        with backends.using("edge", EdgeBackend()):
            result = CliRunner().invoke(cli, ["narrate", str(seed), "--voice", "yunyang", "-o",
                                              str(base / "seed.mp3"), "--cache-dir", str(base / "cache"), "-q"])
        assert result.exit_code == 0, result.output
    return base / "seed.mp3", list(fake.requests)


@pytest.mark.slow
def test_seed_through_the_fake_has_eight_chapters_on_the_speech(
        seed_through_fake: tuple[Path, list[Received]]) -> None:
    mp3, _ = seed_through_fake
    tags = ID3(mp3)
    toc = tags.getall("CTOC")
    chaps = sorted(tags.getall("CHAP"), key=lambda c: c.start_time)
    assert len(toc) == 1 and len(chaps) == 8 and list(toc[0].child_element_ids) == [c.element_id for c in chaps]
    manifest = json.loads(mp3.with_suffix(".json").read_text(encoding="utf-8"))
    assert manifest["voice"] == {**manifest["voice"], "backend": "edge", "voice": YUNYANG}
    assert {c["backend"] for c in manifest["chunks"]} == {"edge"}
    headings = [c for c in manifest["chunks"] if c["kind"] == "heading"]
    assert [c.sub_frames["TIT2"].text[0] for c in chaps[1:]] == [h["text"] for h in headings]
    # Each chapter mark is within 50 ms of the first loud sample of its heading, in the MP3 itself.
    pcm = samples(decode_to_pcm(mp3, 24000).pcm)
    for chap in chaps[1:]:
        at = round(chap.start_time / 1000 * 24000)
        window = np.abs(pcm[at - 7200: at + 7200].astype(np.int32))
        onset = (int(np.flatnonzero(window >= 328)[0]) - 7200) / 24000
        assert 0 <= onset <= 0.05, (chap.sub_frames["TIT2"].text[0], onset)


@pytest.mark.slow
def test_seed_subtitles_come_from_the_service_boundaries(
        seed_through_fake: tuple[Path, list[Received]]) -> None:
    mp3, requests = seed_through_fake
    manifest = json.loads(mp3.with_suffix(".json").read_text(encoding="utf-8"))
    cues = parse_webvtt(mp3.with_suffix(".vtt").read_text(encoding="utf-8"))
    chunks = manifest["chunks"]
    assert len(cues) >= sum(c["pause_after"] != "clause" for c in chunks)  # a sentence is one cue or more
    assert all(a.end <= b.start for a, b in zip(cues, cues[1:], strict=False))
    # Every chunk lasts what the fake's SentenceBoundary events said its speech lasts (+20 ms a side).
    for chunk in chunks:
        span = boundary_span(requests, chunk["spoken"])
        assert chunk["end"] - chunk["start"] == pytest.approx(span + 2 * KEEP, abs=0.035), chunk["text"]
    assert cues[0].text == "推进协作当样板 同心共融经济圈"
    assert cues[0].start == pytest.approx(chunks[0]["start"], abs=0.002)


# -- the real service -------------------------------------------------------------------------------------


@pytest.mark.network
@pytest.mark.skipif(os.environ.get("READER_NETWORK_TESTS") != "1",
                    reason="needs the internet (READER_NETWORK_TESTS=1)")
def test_real_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("READER_EDGE_WSS_URL", "READER_EDGE_VOICES_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("READER_CONFIG_DIR", str(tmp_path))
    backend = EdgeBackend(cache_dir=tmp_path)
    audio = backend.synthesize("两江潮起，平湖浪涌。万州的发展日新月异。", YUNYANG)
    assert 3 <= 18 / audio.duration <= 8
    assert any(v.id == YUNYANG for v in backend.voices())



def test_batch_with_fallback_redoes_helped_articles_when_the_service_is_back(
    fake: FakeEdge, edge: EdgeBackend, tmp_path: Path
) -> None:
    from reader.library.batch import BatchOptions, run_batch

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("测试文章标题\n\n这是导语，用来测试朗读。\n", encoding="utf-8")
    options = BatchOptions(library=tmp_path / "lib", narration=NarrateOptions(voice="yunyang", fallback="offline",
                                                                           cache_dir=tmp_path / "c"))
    fake.refuse()
    first = run_batch(str(folder), options)
    assert len(first.done) == 1 and not first.failed
    manifest = json.loads(next((tmp_path / "lib").glob("*.json")).read_text(encoding="utf-8"))
    assert {c["backend"] for c in manifest["chunks"]} == {"offline"}

    fake.accept()
    with backends.using("edge", EdgeBackend(settings(fake))):  # the refused one fails fast for a while
        second = run_batch(str(folder), options)
    assert len(second.done) == 1 and not second.skipped  # made anew by the service, not skipped
    manifest = json.loads(next((tmp_path / "lib").glob("*.json")).read_text(encoding="utf-8"))
    assert {c["backend"] for c in manifest["chunks"]} == {"edge"}
    with backends.using("edge", EdgeBackend(settings(fake))):
        third = run_batch(str(folder), options)
    assert len(third.skipped) == 1
