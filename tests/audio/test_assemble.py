"""assemble() against the real ffmpeg: timing, loudness, chapters as players see them, failures, memory.

The audio is synthetic but speech-like in the ways that matter here: bursts of harmonic "voiced" sound with
a sharp onset and a syllable-rate envelope, separated by silences, so that each piece's first sample can be
found again in the decoded MP3 and compared with where ``assemble`` says it put it.
"""

from __future__ import annotations

import os
import re
import resource
import stat
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from mutagen.id3 import ID3, CTOCFlags

from reader._files import atomic_output
from reader.audio import assemble as assemble_module
from reader.audio.assemble import Assembled, Piece, assemble
from reader.audio.ffmpeg import (
    decode_to_pcm,
    measure_loudness,
    probe_duration,
    run_ffmpeg,
    run_ffmpeg_capture,
)
from reader.audio.tags import TrackInfo, chapter_marks, read_chapters, write_tags
from reader.errors import AudioError, OutputError, SynthesisError
from reader.models import Audio, ChapterMark

RATE = 24_000
TARGET = -16.0
#: The tests assert tighter than the 50 ms a listener would notice: what we measure is well under 1 ms.
ONSET_TOLERANCE = 0.010


def voiced(seconds: float, f0: float, level: float = 0.1, rate: int = RATE) -> Audio:
    """A vowel-like burst: f0 and two harmonics, 2 ms attack, 4 Hz syllable envelope, 10 ms release."""
    n = round(seconds * rate)
    t = np.arange(n) / rate
    wave = np.sin(2 * np.pi * f0 * t) + 0.5 * np.sin(4 * np.pi * f0 * t) + 0.25 * np.sin(6 * np.pi * f0 * t)
    envelope = (0.6 + 0.4 * np.cos(2 * np.pi * 4 * t)) * np.minimum(1, t / 0.002)
    envelope *= np.minimum(1, (seconds - t) / 0.010)
    return pcm(level * wave * envelope / 1.75, rate)


def pcm(signal: np.ndarray, rate: int = RATE) -> Audio:
    return Audio((np.clip(signal, -1, 1) * 32767).astype("<i2").tobytes(), rate)


def samples(audio: Audio) -> np.ndarray:
    return np.frombuffer(audio.pcm, dtype="<i2").astype(np.float64) / 32768


def onset(decoded: np.ndarray, near: float, rate: int = RATE) -> float:
    """The first sample, within 150 ms of ``near``, louder than a quarter of the burst that follows it."""
    lo = max(0, round((near - 0.15) * rate))
    window = np.abs(decoded[lo : lo + round(0.3 * rate)])
    return (lo + int(np.argmax(window > 0.25 * window.max()))) / rate


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".part"))


# An "article": chapters of several chunks; a heading's chunk follows a long pause.
CHAPTERS = ["导语", "高位推动，建立“1+3”工作机制", "看成效·数字说话 <&>"]
LAYOUT = [  # (chapter, seconds, pause after)
    (0, 1.3, 0.35), (0, 0.9, 0.50), (0, 1.6, 1.20),
    (1, 0.7, 0.60), (1, 1.1, 0.35), (1, 0.8, 0.45), (1, 1.4, 1.20),
    (2, 0.6, 0.60), (2, 1.2, 0.40), (2, 0.9, 0.80),
]
LEAD_IN = 0.25
INFO = TrackInfo(title="万州：奋力推进万达开川渝统筹发展示范区建设", artist="万州时报", album="万州区人民政府",
                 date="2022-01-28", url="http://www.wz.gov.cn/article/1.html",
                 lyrics="第一段。\n第二段：<全文>&更多。")


def article_pieces() -> list[Piece]:
    return [Piece(voiced(seconds, 140 + 15 * i), pause) for i, (_, seconds, pause) in enumerate(LAYOUT)]


def heading_starts(result: Assembled) -> list[tuple[str, float]]:
    firsts: dict[int, float] = {}
    for (chapter, _, _), placed in zip(LAYOUT, result.placed, strict=True):
        firsts.setdefault(chapter, placed.start)
    return [(CHAPTERS[c], start) for c, start in sorted(firsts.items())]


class Made:
    def __init__(self, path: Path, result: Assembled, marks: list[ChapterMark], decoded: np.ndarray) -> None:
        self.path, self.result, self.marks, self.decoded = path, result, marks, decoded


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Made:
    """One article assembled and tagged the way the pipeline does it: tags written before publishing."""
    out = tmp_path_factory.mktemp("article") / "article.mp3"
    marks: list[ChapterMark] = []

    def publish(temp: Path, result: Assembled) -> None:
        assert temp.parent == out.parent and temp.name.endswith(".part") and not out.exists()
        marks.extend(chapter_marks(heading_starts(result), result.duration))
        write_tags(temp, INFO, marks)

    result = assemble(article_pieces(), out, target_lufs=TARGET, lead_in=LEAD_IN, before_publish=publish)
    return Made(out, result, marks, samples(decode_to_pcm(out, RATE)))


def test_layout_is_exact_and_output_is_published(made: Made) -> None:
    expected = LEAD_IN + sum(seconds + pause for _, seconds, pause in LAYOUT)
    assert made.result.duration == pytest.approx(expected, abs=1 / RATE)
    assert made.result.sample_rate == RATE
    assert len(made.result.placed) == len(LAYOUT)
    position = LEAD_IN
    for placed, (_, seconds, pause) in zip(made.result.placed, LAYOUT, strict=True):
        assert placed.start == pytest.approx(position, abs=1 / RATE)
        assert placed.end - placed.start == pytest.approx(seconds, abs=1 / RATE)
        position = placed.end + pause
    assert leftovers(made.path.parent) == []
    mode = stat.S_IMODE(made.path.stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask  # like any new file, not tempfile's 0600


def test_decoded_track_is_gapless(made: Made) -> None:
    """ffmpeg drops the encoder delay and padding recorded in the LAME header: same length, to the sample."""
    assert len(made.decoded) / RATE == pytest.approx(made.result.duration, abs=0.001)
    assert probe_duration(made.path) == pytest.approx(made.result.duration, abs=0.011)


def test_pieces_start_where_placed(made: Made) -> None:
    errors = [onset(made.decoded, p.start) - p.start for p in made.result.placed]
    assert max(abs(e) for e in errors) < ONSET_TOLERANCE, [round(e * 1000, 2) for e in errors]
    # and nothing but silence in the lead-in and the pauses (no shifted audio leaking into them)
    assert np.abs(made.decoded[: round(LEAD_IN * RATE) - 240]).max() < 0.01


def test_loudness_is_normalized(made: Made) -> None:
    measured = measure_loudness(made.path)
    assert measured.integrated_lufs == pytest.approx(TARGET, abs=0.5)
    assert made.result.loudness_lufs_after == pytest.approx(measured.integrated_lufs, abs=0.1)
    assert made.result.loudness_lufs_before < TARGET - 3  # the synthetic speech was quiet: it was raised
    assert not made.result.limited
    assert measured.true_peak_dbtp < -1.0


def stream_start(path: Path) -> float:
    """The start time ffmpeg gives the MP3's audio stream: the encoder delay it skips."""
    dump = run_ffmpeg_capture(["-i", str(path), "-t", "0", "-f", "null", "-"]).stderr
    match = re.search(r"start: (\d+\.\d+)", dump)
    assert match, dump
    return float(match.group(1))


def test_encoder_delay_is_1105_samples(made: Made) -> None:
    assert stream_start(made.path) == pytest.approx(1105 / RATE, abs=1e-5)


def test_mutagen_reads_chapters_at_heading_onsets(made: Made) -> None:
    tags = ID3(made.path)
    assert tags.version[:2] == (2, 4)
    chaps = tags.getall("CHAP")
    (toc,) = tags.getall("CTOC")
    assert toc.flags == CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED
    assert toc.child_element_ids == [f"ch{i}" for i in range(len(CHAPTERS))]
    assert len(chaps) == len(CHAPTERS)
    chapters = read_chapters(made.path)
    assert [c.title for c in chapters] == CHAPTERS
    assert chapters[0].start == 0.0
    assert chapters[-1].end == pytest.approx(made.result.duration, abs=0.001)
    for before, after in zip(chapters, chapters[1:], strict=False):
        assert before.end == after.start
    # each chapter after the first starts at its heading's first sample as decoded (mutagen: CHAP as written)
    for chapter, (_, start) in zip(chapters[1:], heading_starts(made.result)[1:], strict=True):
        assert abs(chapter.start - onset(made.decoded, start)) < ONSET_TOLERANCE
    assert str(tags["TIT2"]) == INFO.title and str(tags["TPE1"]) == "万州时报"
    assert str(tags["TALB"]) == INFO.album and str(tags["TDRC"]) == "2022-01-28"
    assert tags.getall("USLT")[0].text == INFO.lyrics and tags.getall("USLT")[0].lang == "zho"
    assert tags.getall("WXXX")[0].url == INFO.url and tags.getall("WOAS")[0].url == INFO.url


def ffmetadata_chapters(path: Path) -> list[tuple[str, float, float]]:
    text = run_ffmpeg(["-i", str(path), "-f", "ffmetadata", "-"]).decode("utf-8")
    chapters = []
    for section in text.split("[CHAPTER]")[1:]:
        fields = dict(line.split("=", 1) for line in section.strip().splitlines() if "=" in line)
        num, den = (int(x) for x in fields["TIMEBASE"].split("/"))
        chapters.append((fields["title"], int(fields["START"]) * num / den, int(fields["END"]) * num / den))
    return chapters


def test_ffmpeg_reads_chapters_within_50ms_never_late(made: Made) -> None:
    """ffmpeg lists ID3 chapters shifted back by the stream start (the encoder delay): 46 ms early here.

    CHAP times are gapless-track times (see reader.audio.tags); early is the harmless direction: a seek lands in
    the pause before the heading instead of cutting its first syllable.
    """
    listed = ffmetadata_chapters(made.path)
    assert [title for title, _, _ in listed] == CHAPTERS
    shift = stream_start(made.path)
    written = read_chapters(made.path)
    for (_, start, _), chapter in zip(listed[1:], written[1:], strict=True):
        assert start == pytest.approx(chapter.start - shift, abs=0.0015)
    for (_, start, _), (_, heading) in zip(listed[1:], heading_starts(made.result)[1:], strict=True):
        error = start - onset(made.decoded, heading)
        assert -0.050 < error <= 0.001, error


def laplace_speech(seconds: float, seed: int) -> Audio:
    """Noise with speech's heavy-tailed peaks (Laplacian), quiet on average, loud now and then."""
    rng = np.random.default_rng(seed)
    n = round(seconds * RATE)
    t = np.arange(n) / RATE
    envelope = np.minimum(1, t / 0.002) * (0.5 + 0.5 * np.abs(np.sin(2 * np.pi * 3 * t)))
    return pcm(rng.laplace(0, 0.02, n) * envelope)


def test_limiter_keeps_peaks_and_timing(tmp_path: Path) -> None:
    pieces = [Piece(laplace_speech(1.5, seed), 0.5) for seed in range(6)]
    out = tmp_path / "loud.mp3"
    result = assemble(pieces, out, target_lufs=TARGET)
    assert result.limited
    decoded = samples(decode_to_pcm(out, RATE))
    assert len(decoded) / RATE == pytest.approx(result.duration, abs=0.001)
    errors = [onset(decoded, p.start) - p.start for p in result.placed]
    assert max(abs(e) for e in errors) < ONSET_TOLERANCE
    measured = measure_loudness(out)
    assert measured.integrated_lufs == pytest.approx(TARGET, abs=1.0)
    assert measured.true_peak_dbtp < 0.0  # never clips (the ceiling is -1.5 on the PCM; see Assembled)


def test_long_track_is_encoded_while_laid_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past ``stream_encode_after`` the encode runs during the layout, with the gain planned on the start:
    same timing to the sample, loudness within 0.5 LU, and no second encode."""
    encodes: list[str] = []
    real_encode = assemble_module._encode
    monkeypatch.setattr(assemble_module, "_encode", lambda *a: encodes.append("after") or real_encode(*a))
    out = tmp_path / "streamed.mp3"
    result = assemble(article_pieces(), out, target_lufs=TARGET, lead_in=LEAD_IN, stream_encode_after=3.0)
    assert encodes == []  # the streamed encode was good enough: not redone
    decoded = samples(decode_to_pcm(out, RATE))
    assert len(decoded) / RATE == pytest.approx(result.duration, abs=0.001)
    errors = [onset(decoded, p.start) - p.start for p in result.placed]
    assert max(abs(e) for e in errors) < ONSET_TOLERANCE, [round(e * 1000, 2) for e in errors]
    measured = measure_loudness(out)
    assert measured.integrated_lufs == pytest.approx(TARGET, abs=0.5)
    assert result.loudness_lufs_after == pytest.approx(measured.integrated_lufs, abs=0.1)
    assert not result.limited and measured.true_peak_dbtp < -1.0
    assert leftovers(tmp_path) == []


def test_streamed_encode_that_misses_the_target_is_redone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A start much quieter than the rest predicts the wrong gain: the whole track's gain is used instead."""
    encodes: list[str] = []
    real_encode = assemble_module._encode
    monkeypatch.setattr(assemble_module, "_encode", lambda *a: encodes.append("after") or real_encode(*a))
    pieces = [Piece(voiced(1.0, 150, level=0.01), 0.3)] * 4 + [Piece(voiced(1.0, 150, level=0.2), 0.3)] * 8
    out = tmp_path / "uneven.mp3"
    result = assemble(pieces, out, target_lufs=TARGET, stream_encode_after=4.0)
    assert encodes == ["after"]
    measured = measure_loudness(out)
    assert measured.integrated_lufs == pytest.approx(TARGET, abs=0.5)
    assert result.loudness_lufs_after == pytest.approx(measured.integrated_lufs, abs=0.1)
    assert leftovers(tmp_path) == []


def test_failure_during_a_streamed_encode_cleans_up(tmp_path: Path) -> None:
    def pieces() -> Iterator[Piece]:
        yield from article_pieces()
        raise SynthesisError("engine crashed")

    with pytest.raises(SynthesisError):
        assemble(pieces(), tmp_path / "out.mp3", stream_encode_after=2.0)
    assert list(tmp_path.iterdir()) == []


def test_older_ffmpeg_measures_the_mp3_afterwards(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ffmpeg before 7.0 has no loopback decoder: the MP3 is measured afterwards, with the same result."""
    pieces = article_pieces()[:4]
    loopback = assemble(pieces, tmp_path / "a.mp3")
    monkeypatch.setattr("reader.audio.assemble.has_loopback_decoder", lambda: False)
    second_pass = assemble(pieces, tmp_path / "b.mp3")
    assert second_pass.loudness_lufs_after == pytest.approx(loopback.loudness_lufs_after, abs=0.1)
    assert second_pass.true_peak_dbtp_after == pytest.approx(loopback.true_peak_dbtp_after, abs=0.1)
    assert (tmp_path / "a.mp3").read_bytes()[-4096:] == (tmp_path / "b.mp3").read_bytes()[-4096:]


def test_piece_at_another_rate_is_resampled(tmp_path: Path) -> None:
    odd = voiced(0.8, 200, rate=16_000)
    pieces = [Piece(voiced(0.8, 150), 0.4), Piece(odd, 0.4), Piece(voiced(0.8, 180), 0.4)]
    out = tmp_path / "mixed.mp3"
    result = assemble(pieces, out)
    assert result.sample_rate == RATE
    assert result.placed[1].end - result.placed[1].start == pytest.approx(0.8, abs=2 / RATE)
    decoded = samples(decode_to_pcm(out, RATE))
    for placed in result.placed:
        assert abs(onset(decoded, placed.start) - placed.start) < ONSET_TOLERANCE


def test_silence_only_track_is_not_amplified(tmp_path: Path) -> None:
    result = assemble([Piece(pcm(np.zeros(RATE)), 0.5)], tmp_path / "quiet.mp3")
    assert result.gain_db == 0.0 and result.loudness_lufs_before <= -70
    assert result.duration == pytest.approx(1.5)


# --- failures: nothing is published and no temporary file is left behind -------------------------------


def test_missing_output_directory(tmp_path: Path) -> None:
    target = tmp_path / "nowhere" / "out.mp3"
    with pytest.raises(OutputError, match="nowhere") as caught:
        assemble(article_pieces()[:2], target)
    assert "\n" not in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_output_directory_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="not a directory"):
        assemble(article_pieces()[:2], tmp_path / "file" / "out.mp3")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_read_only_output_directory(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        with pytest.raises(OutputError, match="locked"):
            assemble(article_pieces()[:2], locked / "out.mp3")
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o755)


def test_ffmpeg_failure_cleans_up(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="ffmpeg failed"):
        assemble(article_pieces()[:2], tmp_path / "out.mp3", bitrate="no-such-rate")
    assert list(tmp_path.iterdir()) == []


def test_failing_hook_publishes_nothing_and_keeps_the_old_file(tmp_path: Path) -> None:
    out = tmp_path / "out.mp3"
    out.write_bytes(b"previous version")
    seen: list[Path] = []

    def hook(temp: Path, result: Assembled) -> None:
        seen.append(temp)
        assert temp.stat().st_size > 0
        raise RuntimeError("tagging went wrong")

    with pytest.raises(RuntimeError, match="tagging went wrong"):
        assemble(article_pieces()[:2], out, before_publish=hook)
    assert out.read_bytes() == b"previous version"
    assert seen and not seen[0].exists()
    assert leftovers(tmp_path) == []


def failing_pieces(error: BaseException) -> Iterator[Piece]:
    yield from article_pieces()[:3]
    raise error


@pytest.mark.parametrize("error", [SynthesisError("engine crashed"), KeyboardInterrupt()])
def test_failing_source_cleans_up(tmp_path: Path, error: BaseException) -> None:
    with pytest.raises(type(error)):
        assemble(failing_pieces(error), tmp_path / "out.mp3")
    assert list(tmp_path.iterdir()) == []


def test_no_pieces(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="no audio pieces"):
        assemble([], tmp_path / "out.mp3")
    assert list(tmp_path.iterdir()) == []


def test_full_disk_is_an_output_error(tmp_path: Path) -> None:
    """A file-size limit makes writes fail like a full disk (EFBIG instead of ENOSPC): same path."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (2_000_000, hard))
    try:
        with pytest.raises(OutputError, match="out.mp3"):
            assemble([Piece(voiced(30, 150), 0.5)] * 3, tmp_path / "out.mp3")
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert list(tmp_path.iterdir()) == []


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError):
        Piece(voiced(0.1, 100), -0.5)
    with pytest.raises(ValueError):
        assemble([], Path("out.mp3"), lead_in=float("nan"))


def test_atomic_output_replaces_only_on_success(tmp_path: Path) -> None:
    out = tmp_path / "x.txt"
    with atomic_output(out) as temp:
        temp.write_text("one")
        assert not out.exists()
    assert out.read_text() == "one"
    with pytest.raises(ZeroDivisionError), atomic_output(out) as temp:
        temp.write_text("two")
        _ = 1 / 0
    assert out.read_text() == "one" and leftovers(tmp_path) == []


# --- scale ----------------------------------------------------------------------------------------------


def test_thirty_minutes_streams_in_bounded_memory(tmp_path: Path) -> None:
    """900 two-second pieces: memory stays at one piece (the track goes to disk) (its speed is benchmarks/narrate.py's business)."""
    piece = Piece(voiced(1.6, 160), 0.4)

    def pieces() -> Iterator[Piece]:
        for _ in range(900):
            yield piece

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    tracemalloc.start()
    try:
        result = assemble(pieces(), tmp_path / "long.mp3")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    assert result.duration == pytest.approx(1800.0)
    assert probe_duration(tmp_path / "long.mp3") == pytest.approx(1800.0, abs=0.011)
    assert peak < 20 * 2**20, f"Python allocations peaked at {peak / 2**20:.1f} MiB"
    assert rss_growth < 400 * 1024, f"RSS grew by {rss_growth / 1024:.0f} MiB"
    assert leftovers(tmp_path) == []
