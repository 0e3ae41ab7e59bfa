"""The player, driven for real: a narration made by the offline engine, played by ``Player`` into the WAV sink,
and the sink's samples found again in the track as ffmpeg decodes it (which chapter, where, how long)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from helpers.play_helpers import (
    ARTICLE,
    ARTICLE_TEXT,
    RATE,
    Narrated,
    decode,
    f0_median,
    locate,
    narrate_short,
    read_wav,
)
from helpers.site_server import Page, html_article, serve
from mutagen.id3 import ID3

from reader.cli import cli
from reader.errors import PlaybackError, UsageError
from reader.models import Cue
from reader.narration.pipeline import NarrateOptions, narrate_article
from reader.narration.record import NarrationRecord
from reader.narration.vtt import parse_webvtt
from reader.play.live import is_audio_file, open_article, plays_dir
from reader.play.outputs import DeviceOutput, WavSink, open_output
from reader.play.player import Player, PlayerEvent, PlayerState
from reader.play.tracks import FileTrack, LiveTrack

#: Played audio must come from where the player says, to the sample (1 ms leaves room for rounding).
WHERE = 0.001


@pytest.fixture(scope="module")
def short(tmp_path_factory: pytest.TempPathFactory) -> Narrated:
    return narrate_short(tmp_path_factory.mktemp("play"))


def segments(played: np.ndarray, reference: np.ndarray, spans: list[tuple[float, float]]) -> None:
    """``played`` is, in order, the pieces of ``reference`` starting at each (start, seconds) of ``spans``."""
    assert len(played) == round(sum(length for _, length in spans) * RATE)
    at = 0
    for start, length in spans:
        piece = played[at : at + round(length * RATE)]
        found, score = locate(piece, reference)
        assert score > 0.99 and abs(found - start) <= WHERE, (start, found, score)
        at += len(piece)


def same_cues(ours: list[Cue], theirs: list[Cue]) -> None:
    """The same sentences at the same times (sidecars round times to the millisecond)."""
    assert [c.text for c in ours] == [c.text for c in theirs]
    assert all(abs(a.start - b.start) < 0.002 and abs(a.end - b.end) < 0.002 for a, b in zip(ours, theirs, strict=True))


def test_the_file_track_reads_chapters_from_the_mp3_and_sentences_from_the_vtt(short: Narrated) -> None:
    track = FileTrack(short.mp3)
    assert track.sample_rate == RATE and track.channels == 1
    assert abs(track.available() / RATE - short.narration.duration) < 0.001
    assert [c.title for c in track.chapters()] == ["播放测试", "第一部分", "第二部分"]
    assert [round(c.start, 3) for c in track.chapters()] == [round(c.start, 3) for c in short.narration.chapters]
    assert track.cues() == parse_webvtt(short.mp3.with_suffix(".vtt").read_text(encoding="utf-8"))
    track.close()


def test_start_at_a_chapter(short: Narrated, tmp_path: Path) -> None:
    player = Player(FileTrack(short.mp3), start_chapter=2)
    sink = WavSink(tmp_path / "out.wav", pace=0)
    assert sink.pump(player, 1.0) == 1.0
    sink.close()
    start = short.narration.chapters[2].start
    segments(read_wav(tmp_path / "out.wav"), short.reference, [(start, 1.0)])
    assert player.chapter_index == 2 and abs(player.position - (start + 1.0)) < WHERE
    with pytest.raises(UsageError, match="chapter 4 does not exist"):
        Player(FileTrack(short.mp3), start_chapter=3)


def test_next_and_previous_chapter(short: Narrated, tmp_path: Path) -> None:
    starts = [c.start for c in short.narration.chapters]
    player = Player(FileTrack(short.mp3))
    sink = WavSink(tmp_path / "out.wav", pace=0)
    sink.pump(player, 0.5)
    assert player.next_chapter()  # → 2
    sink.pump(player, 0.5)
    assert player.next_chapter()  # → 3
    sink.pump(player, 0.5)
    assert player.previous_chapter()  # 0.5 s into 3: back to 2
    sink.pump(player, 4.0)
    assert player.previous_chapter()  # 4 s into 2: 2 again, from its start
    sink.pump(player, 0.5)
    sink.close()
    segments(read_wav(tmp_path / "out.wav"), short.reference,
             [(0.0, 0.5), (starts[1], 0.5), (starts[2], 0.5), (starts[1], 4.0), (starts[1], 0.5)])
    # From the last chapter, "next" is the end of the track.
    player.goto_chapter(2)
    assert player.next_chapter() and player.state is PlayerState.ENDED and player.ended


def test_seek(short: Narrated, tmp_path: Path) -> None:
    player = Player(FileTrack(short.mp3))
    sink = WavSink(tmp_path / "out.wav", pace=0)
    sink.pump(player, 1.0)
    player.forward()  # 1 → 11
    sink.pump(player, 1.0)
    player.back()  # 12 → 2
    sink.pump(player, 1.0)
    player.back()  # 3 → 0, not before the start
    sink.pump(player, 1.0)
    player.seek(7.25)
    sink.pump(player, 1.0)
    sink.close()
    segments(read_wav(tmp_path / "out.wav"), short.reference,
             [(0.0, 1.0), (11.0, 1.0), (2.0, 1.0), (0.0, 1.0), (7.25, 1.0)])
    player.seek(short.narration.duration + 5)  # past the end: ends
    assert player.ended and sink.pump(player, 1.0) == 0


def test_pause_plays_nothing_then_resumes_where_it_was(short: Narrated, tmp_path: Path) -> None:
    player = Player(FileTrack(short.mp3))
    sink = WavSink(tmp_path / "out.wav", pace=0)
    sink.pump(player, 1.5)
    player.toggle()
    assert player.state is PlayerState.PAUSED
    assert sink.pump(player, 1.0) == 0 and abs(player.position - 1.5) < WHERE
    player.toggle()
    sink.pump(player, 1.5)
    sink.close()
    played = read_wav(tmp_path / "out.wav")
    segments(played, short.reference, [(0.0, 3.0)])  # seamless: one piece


def test_speed_changes_tempo_not_pitch(short: Narrated, tmp_path: Path) -> None:
    start = short.narration.chapters[1].start
    player = Player(FileTrack(short.mp3), start_chapter=1, speed=1.5)
    sink = WavSink(tmp_path / "out.wav", pace=0)
    assert sink.pump(player, 4.0) == 4.0
    sink.close()
    played = read_wav(tmp_path / "out.wav")
    # 4 s of sound covered 6 s of the track...
    assert abs(player.position - start - 6.0) < WHERE, player.position - start
    # ...at the voice's own pitch: WSOLA drops periods, it does not resample (which would raise it by half).
    original = short.reference[round(start * RATE) : round((start + 6) * RATE)]
    assert abs(f0_median(played) / f0_median(original) - 1) < 0.08
    # The speed steps and stays within 0.5–2×.
    for _ in range(10):
        player.faster()
    assert player.speed == 2.0
    for _ in range(10):
        player.slower()
    assert player.speed == 0.5


def test_slow_speed_plays_longer(short: Narrated, tmp_path: Path) -> None:
    player = Player(FileTrack(short.mp3), start_chapter=2, speed=0.75)
    sink = WavSink(tmp_path / "out.wav", pace=0)
    sink.pump(player, 60)  # to the end of the track
    sink.close()
    chapter = short.narration.chapters[2]
    played = read_wav(tmp_path / "out.wav")
    assert player.ended
    assert abs(len(played) / RATE - (chapter.end - chapter.start) / 0.75) < 0.1


def test_playing_through_in_the_background_emits_events_in_order(short: Narrated, tmp_path: Path) -> None:
    events: list[PlayerEvent] = []
    player = Player(FileTrack(short.mp3), on_event=events.append)
    sink = WavSink(tmp_path / "out.wav", pace=0)
    sink.start(player)
    assert player.wait(30)
    sink.close()
    played = read_wav(tmp_path / "out.wav")
    assert len(played) == len(short.reference)  # every sample, once
    assert np.abs(played - short.reference).max() < 0.02  # and the same audio as ffmpeg decodes
    chapters = [(e.index, e.text) for e in events if e.kind == "chapter"]
    assert chapters == [(0, "播放测试"), (1, "第一部分"), (2, "第二部分")]
    sentences = [e.text for e in events if e.kind == "sentence"]
    assert sentences == [c.text for c in parse_webvtt(short.mp3.with_suffix(".vtt").read_text(encoding="utf-8"))]
    assert [e.kind for e in events[-2:]] == ["state", "end"]
    # Each chapter event came when its audio started (within a 50 ms block).
    for e in events:
        if e.kind == "chapter" and e.index:
            assert 0 <= e.position - short.narration.chapters[e.index].start <= 0.051


def test_real_time_sink_keeps_pace(short: Narrated, tmp_path: Path) -> None:
    player = Player(FileTrack(short.mp3))
    player.seek(short.narration.duration - 1.0)
    sink = WavSink(tmp_path / "out.wav", pace=1.0)
    started = time.monotonic()
    sink.start(player)
    assert player.wait(10)
    elapsed = time.monotonic() - started
    sink.close()
    assert elapsed >= 0.9, elapsed  # never faster than real time (how much slower is the machine's business)


def test_miniaudio_null_device_pulls_in_real_time(short: Narrated) -> None:
    events: list[PlayerEvent] = []
    player = Player(FileTrack(short.mp3), on_event=events.append)
    player.seek(short.narration.duration - 1.0)
    output = DeviceOutput("null")
    output.start(player)
    try:
        assert player.wait(10)
    finally:
        output.close()
    assert abs(player.position - short.narration.duration) < WHERE
    assert events[-1].kind == "end"


def test_no_sound_device_is_a_clear_error(short: Narrated, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("READER_AUDIO_SINK", raising=False)
    output = open_output("default")
    assert isinstance(output, DeviceOutput)
    try:
        output.start(Player(FileTrack(short.mp3), paused=True))
    except PlaybackError as exc:
        assert "no sound device" in str(exc) and "--output-device null" in str(exc) and "\n" not in str(exc)
    else:  # a machine with a sound card: nothing to check here
        output.close()
        pytest.skip("this machine has a sound device")


# -- the CLI: bad input, no terminal -------------------------------------------------------------------------


def test_cli_without_a_terminal_plays_and_prints_chapter_changes(short: Narrated, sink: Path) -> None:
    result = CliRunner().invoke(cli, ["play", str(short.mp3), "--chapter", "2"])
    assert result.exit_code == 0, result.output
    starts = [c.start for c in short.narration.chapters]
    assert result.output.splitlines() == [f"[0:{int(starts[1]):02d}] chapter 2: 第一部分",
                                          f"[0:{int(starts[2]):02d}] chapter 3: 第二部分"]
    played = read_wav(sink)
    segments(played[: RATE], short.reference, [(starts[1], 1.0)])
    assert abs(len(played) / RATE - (short.narration.duration - starts[1])) < WHERE
    quiet = CliRunner().invoke(cli, ["play", str(short.mp3), "--chapter", "3", "-q"])
    assert quiet.exit_code == 0 and quiet.output == ""


def one_line_error(result: object, code: int, *fragments: str) -> None:
    output = result.output  # type: ignore[attr-defined]
    assert result.exit_code == code, output  # type: ignore[attr-defined]
    assert result.exception is None or isinstance(result.exception, SystemExit)  # type: ignore[attr-defined]
    lines = output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("reader: error: "), output
    for fragment in fragments:
        assert fragment in lines[0]


def test_cli_bad_files(tmp_path: Path, sink: Path) -> None:
    runner = CliRunner()
    text = tmp_path / "notes.mp3"
    text.write_text("这不是音频。\n", encoding="utf-8")
    one_line_error(runner.invoke(cli, ["play", str(text)]), 1, "not an MP3")
    empty = tmp_path / "empty.mp3"
    empty.write_bytes(b"")
    one_line_error(runner.invoke(cli, ["play", str(empty)]), 1, "not an MP3")
    fake = tmp_path / "fake.m4b"
    fake.write_text("这不是音频。\n", encoding="utf-8")
    one_line_error(runner.invoke(cli, ["play", str(fake)]), 1, "not a M4B file")
    one_line_error(runner.invoke(cli, ["play", str(tmp_path / "missing.mp3")]), 2, "no such file")
    one_line_error(runner.invoke(cli, ["play", str(tmp_path / "missing.mp3"), "--output-device", "x"]), 2)
    assert not sink.exists()


def test_cli_truncated_mp3_plays_what_is_there(short: Narrated, tmp_path: Path, sink: Path) -> None:
    cut = tmp_path / "cut.mp3"
    data = short.mp3.read_bytes()
    cut.write_bytes(data[: len(data) * 2 // 5])  # the tag, and the first ~40 % of the audio
    result = CliRunner().invoke(cli, ["play", str(cut)])
    assert result.exit_code == 0, result.output
    played = read_wav(sink)
    assert 0.25 * len(short.reference) < len(played) < 0.45 * len(short.reference)
    segments(played[-RATE:], short.reference, [(len(played) / RATE - 1.0, 1.0)])
    # Chapters past the cut are not announced: it ended where the audio did.
    assert "chapter 3" not in result.output


def test_cli_mp3_without_chapters_or_sidecars(short: Narrated, tmp_path: Path, sink: Path) -> None:
    bare = tmp_path / "bare.mp3"
    shutil.copyfile(short.mp3, bare)  # no .vtt, no .json beside it
    tags = ID3(bare)
    tags.delall("CHAP")
    tags.delall("CTOC")
    tags.save(bare)
    track = FileTrack(bare)
    assert track.chapters() == [] and track.cues() == [] and track.title == "播放测试"
    player = Player(track)
    assert not player.next_chapter() and player.position == 0 and not player.ended  # nothing to skip to
    result = CliRunner().invoke(cli, ["play", str(bare)])
    assert result.exit_code == 0 and result.output == ""
    assert len(read_wav(sink)) == len(short.reference)
    one_line_error(CliRunner().invoke(cli, ["play", str(bare), "--chapter", "2"]), 2, "chapter 2 does not exist")


def test_manifest_gives_the_sentences_when_the_vtt_is_missing(short: Narrated, tmp_path: Path) -> None:
    copy = tmp_path / "copy.mp3"
    shutil.copyfile(short.mp3, copy)
    shutil.copyfile(short.mp3.with_suffix(".json"), copy.with_suffix(".json"))
    same_cues(FileTrack(copy).cues(), FileTrack(short.mp3).cues())
    copy.with_suffix(".json").write_text("{not json", encoding="utf-8")  # damaged: no sentences, still plays
    assert FileTrack(copy).cues() == []


def test_what_is_an_mp3_to_play(short: Narrated, tmp_path: Path) -> None:
    renamed = tmp_path / "audio.bin"
    shutil.copyfile(short.mp3, renamed)
    assert is_audio_file(str(short.mp3)) and is_audio_file(str(renamed)) and is_audio_file("missing.mp3")
    article = tmp_path / "article.txt"
    article.write_text(ARTICLE_TEXT, encoding="utf-8")
    assert not is_audio_file(str(article)) and not is_audio_file("https://example.org/a.mp3") and not is_audio_file("-")


# -- the other formats: decoded by ffmpeg, streamed ----------------------------------------------------------


@pytest.fixture(scope="module")
def other_formats(short: Narrated, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Narrated]:
    """ARTICLE in M4B, Opus and WAV (from the chunk cache: only the encodes), each with its own decode."""
    base = tmp_path_factory.mktemp("formats")
    made = {}
    for name in ("m4b", "opus", "wav"):
        narration = narrate_article(ARTICLE, NarrateOptions(output=base / f"short.{name}"))
        made[name] = Narrated(narration, narration.audio, decode(narration.audio))
    return made


@pytest.mark.parametrize("name", ["m4b", "opus", "wav"])
def test_file_track_of_every_format(other_formats: dict[str, Narrated], short: Narrated, name: str,
                                    tmp_path: Path) -> None:
    made = other_formats[name]
    track = FileTrack(made.mp3)
    assert track.sample_rate == RATE and track.channels == 1 and track.title == "播放测试"
    assert abs(track.available() / RATE - made.narration.duration) <= 0.011
    assert [c.title for c in track.chapters()] == ["播放测试", "第一部分", "第二部分"]
    assert [round(c.start, 3) for c in track.chapters()] == [c.start for c in made.narration.chapters]
    assert len(track.cues()) == len(short.narration.record.cues())  # from the .vtt beside it
    # Played from a chapter, then after a seek: the samples ffmpeg's whole decode has there, to the sample.
    starts = [c.start for c in made.narration.chapters]
    player = Player(track, start_chapter=1)
    sink = WavSink(tmp_path / "out.wav", pace=0)
    sink.pump(player, 1.0)
    player.seek(3.3)
    sink.pump(player, 1.0)
    player.seek(made.narration.duration - 0.5)
    assert sink.pump(player, 2.0) == pytest.approx(0.5, abs=0.011)  # to the end, not past it
    sink.close()
    assert player.ended
    played = read_wav(tmp_path / "out.wav")
    segments(played[: 2 * RATE], made.reference, [(starts[1], 1.0), (3.3, 1.0)])
    track.close()


def test_file_track_streams_a_long_file(tmp_path: Path) -> None:
    """Ten minutes of WAV (29 MB) played through ffmpeg's pipe: Python holds a block at a time."""
    import tracemalloc

    from reader.audio.ffmpeg import run_ffmpeg

    long = tmp_path / "long.wav"
    run_ffmpeg(["-f", "lavfi", "-i", f"sine=frequency=300:duration=600:sample_rate={RATE}", "-ac", "1",
                "-c:a", "pcm_s16le", "-y", str(long)])
    track = FileTrack(long)
    assert abs(track.available() / RATE - 600) <= 0.011
    tracemalloc.start()
    frames = 0
    while chunk := len(track.read(frames, RATE)):
        frames += chunk
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    track.close()
    assert frames == 600 * RATE and peak < 4 * 1024 * 1024, peak


def test_cli_plays_an_opus_file(other_formats: dict[str, Narrated], sink: Path) -> None:
    made = other_formats["opus"]
    result = CliRunner().invoke(cli, ["play", str(made.mp3), "--chapter", "3"])
    assert result.exit_code == 0, result.output
    start = made.narration.chapters[2].start
    assert result.output.splitlines() == [f"[0:{int(start):02d}] chapter 3: 第二部分"]
    played = read_wav(sink)
    assert abs(len(played) / RATE - (made.narration.duration - start)) <= 0.011
    segments(played[:RATE], made.reference, [(start, 1.0)])


# -- an article: narrated while it plays ---------------------------------------------------------------------


def test_article_plays_while_it_is_narrated_and_again_from_the_store(tmp_path: Path) -> None:
    article = tmp_path / "article.txt"
    article.write_text(ARTICLE_TEXT, encoding="utf-8")
    cache = tmp_path / "cache"
    stream = open_article(str(article), NarrateOptions(cache_dir=cache))
    track = stream.start()
    assert isinstance(track, LiveTrack)
    # Playback can start before the narration is done: only the first chunk(s) are there yet.
    assert not track.complete() or stream.narration is None
    events: list[PlayerEvent] = []
    player = Player(track, on_event=events.append)
    sink = WavSink(tmp_path / "live.wav", pace=0)
    sink.start(player)
    assert player.wait(60)
    sink.close()
    narration = stream.close()
    assert narration is not None and narration.audio.parent == plays_dir(cache)
    assert narration.audio.with_suffix(".vtt").is_file() and narration.audio.with_suffix(".json").is_file()
    # What was heard is the finished MP3, sample for sample in time (its level differs: the MP3 is
    # loudness-normalized after the last chunk).
    played, final = read_wav(tmp_path / "live.wav"), decode(narration.audio)
    assert len(played) == len(final)
    assert np.corrcoef(played, final)[0, 1] > 0.99
    for chapter in narration.chapters[1:]:
        at = round(chapter.start * RATE)
        found, score = locate(played[at : at + RATE // 2], final)
        assert score > 0.99 and abs(found - chapter.start) <= WHERE
    assert [(round(c.start, 3), c.title) for c in track.chapters()] == [
        (round(c.start, 3), c.title) for c in narration.chapters]
    same_cues(track.cues(), parse_webvtt(narration.audio.with_suffix(".vtt").read_text(encoding="utf-8")))
    assert [e.index for e in events if e.kind == "chapter"] == [0, 1, 2]

    # Second play: the store's copy, no synthesis at all, the MP3 file played at once.
    again = open_article(str(article), NarrateOptions(cache_dir=cache))
    second = again.start()
    assert isinstance(second, FileTrack) and again.progress is None
    replay = Player(second)
    sink = WavSink(tmp_path / "again.wav", pace=0)
    sink.pump(replay, 60)
    sink.close()
    stored = again.close()
    assert stored is not None and stored.cached == len(stored.chunks)
    assert len(read_wav(tmp_path / "again.wav")) == len(final)


def test_live_track_waits_for_the_chapter_asked_for(tmp_path: Path) -> None:
    article = tmp_path / "article.txt"
    article.write_text(ARTICLE_TEXT.replace("流式播放测试", "等待章节测试"), encoding="utf-8")
    stream = open_article(str(article), NarrateOptions(cache_dir=tmp_path / "cache"))
    track = stream.start()
    player = Player(track, start_chapter=2)
    sink = WavSink(tmp_path / "out.wav", pace=0)
    sink.start(player)
    assert player.wait(60)
    sink.close()
    narration = stream.close()
    assert narration is not None
    final = decode(narration.audio)
    played = read_wav(tmp_path / "out.wav")
    start = narration.chapters[2].start
    assert abs(len(played) / RATE - (narration.duration - start)) < WHERE
    found, score = locate(played[: RATE // 2], final)
    assert score > 0.99 and abs(found - start) <= WHERE


def test_quitting_early_stops_the_narration(tmp_path: Path) -> None:
    article = tmp_path / "article.txt"
    article.write_text(ARTICLE_TEXT.replace("流式播放测试", "提前退出测试"), encoding="utf-8")
    cache = tmp_path / "cache"
    stream = open_article(str(article), NarrateOptions(cache_dir=cache))
    track = stream.start()
    track.close()
    assert stream.close() is None  # stopped at the next chunk
    assert list(plays_dir(cache).iterdir()) == []  # no MP3, nothing half-written
    assert list((cache / "chunks").rglob("*.pcm"))  # what was synthesized is kept for the next time


def test_cli_plays_an_article(tmp_path: Path, sink: Path) -> None:
    article = tmp_path / "article.txt"
    article.write_text(ARTICLE_TEXT.replace("流式播放测试", "命令行播放测试"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["play", str(article), "--cache-dir", str(tmp_path / "cache")])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split("] ", 1)[1] for line in lines] == [
        "chapter 1: 命令行播放测试", "chapter 2: 一、开始部分", "chapter 3: 二、结束部分"]
    [mp3] = plays_dir(tmp_path / "cache").glob("*.mp3")
    assert len(read_wav(sink)) == len(decode(mp3))


@pytest.mark.parametrize("where", ["file", "url"])
def test_a_played_article_s_record_names_its_source(tmp_path: Path, sink: Path, where: str) -> None:
    """What ``reader play`` narrates says what it was read from, as ``reader narrate``'s record does (the front
    is the Narrator's: a repeated fetch → extract lost the source)."""
    title = f"来源记录测试{where}"
    cache = tmp_path / "cache"
    if where == "file":
        article = tmp_path / "article.txt"
        article.write_text(ARTICLE_TEXT.replace("流式播放测试", title), encoding="utf-8")
        result = CliRunner().invoke(cli, ["play", str(article), "--cache-dir", str(cache)])
        expected = str(article.resolve())
    else:
        page = html_article(title, "2023-10-02", ["网页上的文章也要记下它的来源地址。"])
        with serve({"/a.html": Page(page)}) as site:
            expected = site.url("/a.html")
            result = CliRunner().invoke(cli, ["play", expected, "--cache-dir", str(cache)])
    assert result.exit_code == 0, result.output
    [manifest] = plays_dir(cache).glob("*.json")
    record = NarrationRecord.read(manifest)
    assert record.article.title == title and record.source == expected
