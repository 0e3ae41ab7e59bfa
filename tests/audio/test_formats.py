"""Every output format through the real pipeline (offline engine, the bundled ffmpeg), read back by other tools.

One short article is narrated once per format into one cache (so only the first synthesizes). Each file is
then decoded by ffmpeg (duration, and its offset against the WAV, which is the laid-out track itself),
measured (loudness), and its chapters and tags are read back by ffprobe (Debian's, an independent build)
and by mutagen where mutagen reads them.
"""

from __future__ import annotations

import functools
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from helpers import ffprobe
from helpers.articles import SHORT

from reader.audio import formats
from reader.audio.assemble import Piece, assemble
from reader.audio.ffmpeg import decode_to_pcm, measure_loudness, probe_duration
from reader.audio.formats import FORMATS, M4A, M4B, MP3, OPUS, WAV, AudioFormat
from reader.audio.tags import Cover, TrackInfo
from reader.cli import cli
from reader.cli.options import FORMAT_HELP
from reader.errors import UsageError
from reader.models import Audio, ChapterMark
from reader.narration.pipeline import NarrateOptions, Narration, narrate_article

TARGET = -16.0
#: A chapter a player lists must be within this of where its heading is heard (the issue's bound).
CHAPTER_TOLERANCE = 0.050
NAMES = list(FORMATS)
CHAPTERED = [name for name in NAMES if FORMATS[name].chapters]


@pytest.fixture(scope="module")
def narrated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Narration]:
    base = tmp_path_factory.mktemp("formats")
    options = NarrateOptions(cache_dir=base / "cache", output_dir=base)
    return {name: narrate_article(SHORT, replace(options, format=name))
            for name in ["wav", *[n for n in NAMES if n != "wav"]]}


@functools.cache
def decoded(path: Path, rate: int) -> np.ndarray:
    return np.frombuffer(decode_to_pcm(path, rate).pcm, dtype="<i2").astype(np.float64)


def lag_seconds(signal: np.ndarray, reference: np.ndarray, rate: int, search: float = 0.2) -> float:
    """How late ``signal`` is against ``reference`` (seconds), by cross-correlation within ±``search``."""
    n = len(signal) + len(reference)
    size = 1 << (n - 1).bit_length()
    corr = np.fft.irfft(np.fft.rfft(signal, size) * np.conj(np.fft.rfft(reference, size)), size)
    window = round(search * rate)
    lags = np.concatenate([np.arange(0, window + 1), np.arange(-window, 0)])
    values = np.concatenate([corr[: window + 1], corr[size - window:]])
    return float(lags[int(np.argmax(values))]) / rate


def test_each_file_is_its_format(narrated: dict[str, Narration]) -> None:
    for name, narration in narrated.items():
        fmt = FORMATS[name]
        assert narration.audio.suffix == fmt.suffix and narration.audio.name == f"2023-10-01-测试标题{fmt.suffix}"
        assert formats.sniff(narration.audio) is fmt
        assert narration.record.audio.format == name and narration.record.audio.file == narration.audio.name
        assert narration.vtt is not None and narration.vtt.name == "2023-10-01-测试标题.vtt"
        assert narration.manifest is not None and narration.manifest.is_file()
    assert not list(next(iter(narrated.values())).audio.parent.glob("*.part"))


@pytest.mark.parametrize("name", NAMES)
def test_plays_back_to_the_right_duration_in_step_with_the_track(narrated: dict[str, Narration], name: str) -> None:
    narration, reference = narrated[name], narrated["wav"]
    rate = reference.record.audio.sample_rate
    audio = decoded(narration.audio, rate)
    assert abs(len(audio) / rate - narration.duration) <= 0.005
    assert abs(probe_duration(narration.audio) - narration.duration) <= 0.011
    # The WAV holds the laid-out track itself: every other format decodes in step with it (encoder delay,
    # AAC priming and Opus pre-skip are all removed by the decoder).
    lag = lag_seconds(audio, decoded(reference.audio, rate), rate)
    assert abs(lag) <= 0.001, lag


@pytest.mark.parametrize("name", NAMES)
def test_loudness_measured_on_the_file(narrated: dict[str, Narration], name: str) -> None:
    narration = narrated[name]
    measured = measure_loudness(narration.audio).integrated_lufs
    assert abs(measured - TARGET) <= 0.5
    assert abs(measured - narration.record.audio.loudness_lufs) <= 0.1  # the record says what the file has


@pytest.mark.parametrize("name", CHAPTERED)
def test_chapters_listed_by_ffprobe_where_the_headings_are(narrated: dict[str, Narration], name: str) -> None:
    narration = narrated[name]
    listed = ffprobe.chapters(narration.audio)
    record = narration.record.chapters
    assert [title for title, _, _ in listed] == [c.title for c in record] == ["测试标题", "第一部分", "第二部分"]
    rate = narrated["wav"].record.audio.sample_rate
    lag = lag_seconds(decoded(narration.audio, rate), decoded(narrated["wav"].audio, rate), rate)
    for (_, start, _), mark in zip(listed, record, strict=True):
        assert abs(start - (mark.start + lag)) <= CHAPTER_TOLERANCE, (name, start, mark)
    assert abs(listed[-1][2] - narration.duration) <= CHAPTER_TOLERANCE + 0.05


@pytest.mark.parametrize("name", CHAPTERED)
def test_chapters_read_back_by_mutagen(narrated: dict[str, Narration], name: str) -> None:
    """MP3: ID3 CHAP/CTOC; MP4: the Nero chpl atom; Opus: the CHAPTERnnn comments (all through mutagen)."""
    narration = narrated[name]
    back = FORMATS[name].read_chapters(narration.audio)
    assert [c.title for c in back] == [c.title for c in narration.record.chapters]
    for got, mark in zip(back, narration.record.chapters, strict=True):
        assert abs(got.start - mark.start) <= 0.001 and abs(got.end - mark.end) <= 0.011


def test_wav_has_no_chapters(narrated: dict[str, Narration]) -> None:
    assert ffprobe.chapters(narrated["wav"].audio) == []
    assert WAV.read_chapters(narrated["wav"].audio) == []
    assert len(narrated["wav"].record.chapters) == 3  # the record keeps them: the page and the player use them


@pytest.mark.parametrize("name", NAMES)
def test_tags_read_back(narrated: dict[str, Narration], name: str) -> None:
    narration = narrated[name]
    info = FORMATS[name].read_tags(narration.audio)
    text = SHORT.text()
    assert (info.title, info.artist, info.date) == ("测试标题", "某某日报", "2023-10-01")
    assert info.lyrics == text and info.url is None  # SHORT has no URL: see test_url_tag for one
    listed = ffprobe.tags(narration.audio)
    assert (listed["title"], listed["artist"], listed["date"]) == ("测试标题", "某某日报", "2023-10-01")
    where = {"mp3": "lyrics-zho", "m4b": "lyrics", "m4a": "lyrics", "opus": "lyrics", "wav": "isbj"}[name]
    assert listed[where] == text


@pytest.mark.parametrize("fmt", list(FORMATS.values()), ids=NAMES)
def test_url_and_hostile_titles_round_trip(tmp_path: Path, fmt: AudioFormat) -> None:
    """Every tag field, and chapter titles with the characters ffmetadata escapes, in each format's own way."""
    rate = 24_000
    tone = (0.1 * np.sin(2 * np.pi * 220 * np.arange(3 * rate) / rate) * 32767).astype("<i2").tobytes()
    out = tmp_path / f"t{fmt.suffix}"
    info = TrackInfo("标题 = ; # \\ 二", "来源", "网站", "2024-02-29", "https://example.org/a?b=1&c=2#d",
                     "第一段。\n第二段 = ; #", "zho")
    marks = [ChapterMark("导语=1;#2\\3", 0.0, 1.25), ChapterMark("第二章\n换行", 1.25, 3.0)]
    assemble([Piece(Audio(tone, rate))], out, fmt=fmt,
             before_publish=lambda tmp, _: fmt.write_tags(tmp, info, marks if fmt.chapters else []))
    assert fmt.read_tags(out) == info
    if fmt.chapters:
        assert fmt.read_chapters(out) == [ChapterMark("导语=1;#2\\3", 0.0, 1.25), ChapterMark("第二章\n换行", 1.25, 3.0)]
        assert [t for t, _, _ in ffprobe.chapters(out)] == ["导语=1;#2\\3", "第二章\n换行"]


@pytest.mark.parametrize("fmt", list(FORMATS.values()), ids=NAMES)
def test_every_format_cleans_hostile_text_in_its_tags(tmp_path: Path, fmt: AudioFormat) -> None:
    """Control and bidi characters and URL credentials never reach a tag, whatever the format (reader._clean)."""
    rate = 24_000
    tone = (0.1 * np.sin(2 * np.pi * 220 * np.arange(2 * rate) / rate) * 32767).astype("<i2").tobytes()
    out = tmp_path / f"h{fmt.suffix}"
    info = TrackInfo("标题\x1b[31m\u202egpj.exe", "来\x07源", None, "2024-02-29", "https://u:secret@example.org/a",
                     "正文\x00。", "zho")
    marks = [ChapterMark("章\u202e节\x08", 0.0, 2.0)]
    assemble([Piece(Audio(tone, rate))], out, fmt=fmt,
             before_publish=lambda tmp, _: fmt.write_tags(tmp, info, marks if fmt.chapters else []))
    back = fmt.read_tags(out)
    assert (back.title, back.artist) == ("标题[31mgpj.exe", "来源")
    assert back.lyrics in ("正文。", None) and b"secret" not in out.read_bytes()
    if fmt.chapters:
        assert [m.title for m in fmt.read_chapters(out)] == ["章节"]


def test_writing_tags_twice_gives_the_same_tags(tmp_path: Path) -> None:
    rate = 24_000
    tone = (0.1 * np.sin(2 * np.pi * 220 * np.arange(2 * rate) / rate) * 32767).astype("<i2").tobytes()
    for fmt in (M4B, OPUS, WAV):
        out = tmp_path / f"t{fmt.suffix}"
        assemble([Piece(Audio(tone, rate))], out, fmt=fmt)
        for title in ("一", "二"):
            fmt.write_tags(out, TrackInfo(title, artist="甲"), [ChapterMark(title, 0.0, 2.0)] if fmt.chapters else [])
        assert fmt.read_tags(out) == TrackInfo("二", artist="甲")
        assert fmt.read_chapters(out) == ([ChapterMark("二", 0.0, 2.0)] if fmt.chapters else [])
        assert not list(tmp_path.glob("*.part"))


def test_opus_from_a_rate_opus_does_not_take(tmp_path: Path) -> None:
    """espeak speaks at 22.05 kHz, which libopus does not take: ffmpeg resamples, in step."""
    rate = 22_050
    t = np.arange(2 * rate) / rate
    burst = np.where((t > 0.5) & (t < 1.2), np.sin(2 * np.pi * 300 * t), 0.0)
    out = tmp_path / "t.opus"
    result = assemble([Piece(Audio((0.2 * burst * 32767).astype("<i2").tobytes(), rate), 0.3)], out, fmt=OPUS)
    back = decoded(out, rate)
    assert abs(len(back) / rate - result.duration) <= 0.005
    assert abs(lag_seconds(back, burst, rate)) <= 0.001


def test_mp4_is_fast_start_and_branded(narrated: dict[str, Narration]) -> None:
    for fmt in (M4B, M4A):
        data = narrated[fmt.name].audio.read_bytes()
        assert data[4:12] == b"ftyp" + fmt.brand.encode()  # type: ignore[attr-defined]
        assert data.index(b"moov") < data.index(b"mdat")  # the index first: playable while downloading


def test_mp4_quicktime_chapter_track_alone(narrated: dict[str, Narration], tmp_path: Path) -> None:
    """Apple's players read the QuickTime chapter track, not Nero's chpl: without chpl, ffprobe still lists
    the chapters, from the track alone."""
    from reader.audio.ffmpeg import run_ffmpeg

    alone = tmp_path / "alone.m4b"
    run_ffmpeg(["-i", str(narrated["m4b"].audio), "-map", "0:a", "-c", "copy", "-movflags", "+disable_chpl",
                "-f", "ipod", "-y", str(alone)])
    data = alone.read_bytes()
    assert b"chpl" not in data and b"chap" in data  # no Nero atom; the track reference to the chapter track
    assert [(t, round(s, 3)) for t, s, _ in ffprobe.chapters(alone)] == [
        (c.title, c.start) for c in narrated["m4b"].record.chapters]


def test_the_store_keeps_each_format_apart(narrated: dict[str, Narration], tmp_path: Path) -> None:
    keys = {n.record.fingerprint for n in narrated.values()}
    assert len(keys) == len(FORMATS)
    cache = narrated["mp3"].audio.parent / "cache"
    stored = sorted(p.suffix for p in (cache / "narrations").rglob("*") if p.suffix not in (".json", ""))
    assert stored == sorted(f.suffix for f in FORMATS.values())
    again = narrate_article(SHORT, NarrateOptions(cache_dir=cache, output=tmp_path / "again.m4b"))
    assert again.from_store and again.audio.read_bytes() == narrated["m4b"].audio.read_bytes()
    assert again.record.audio.format == "m4b" and again.record.audio.file == "again.m4b"


# -- choosing the format -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("output", "name", "expected"),
    [
        (None, None, MP3), (Path("a.mp3"), None, MP3), (Path("a.M4B"), None, M4B), (Path("a.m4a"), None, M4A),
        (Path("a.opus"), None, OPUS), (Path("a.ogg"), None, OPUS), (Path("a.wav"), "wav", WAV),
        (None, "OPUS", OPUS), (Path("out"), "m4b", M4B), (Path("2022.01 会议"), None, MP3),
    ],
)
def test_choose(output: Path | None, name: str | None, expected: AudioFormat) -> None:
    assert formats.choose(output, name) is expected


@pytest.mark.parametrize(
    ("output", "name", "message"),
    [
        (Path("out.wma"), None, "unknown audio format '.wma'"),
        (Path("out.mp3"), "opus", "the suffix '.mp3' is mp3, not the opus asked for"),
        (None, "flac", "unknown audio format 'flac' (known: mp3, m4b, m4a, opus, wav)"),
    ],
)
def test_choose_refuses(output: Path | None, name: str | None, message: str) -> None:
    with pytest.raises(UsageError, match=re.escape(message)):
        formats.choose(output, name)


def test_output_path_adds_the_suffix_only_when_there_is_none() -> None:
    assert formats.output_path(Path("d/out"), M4B) == Path("d/out.m4b")
    assert formats.output_path(Path("d/2022.01 会议"), OPUS) == Path("d/2022.01 会议.opus")
    assert formats.output_path(Path("d/out.ogg"), OPUS) == Path("d/out.ogg")


def test_sniff_and_help_know_every_format(tmp_path: Path) -> None:
    assert all(name in FORMAT_HELP for name in FORMATS)
    (tmp_path / "x.txt").write_text("不是音频", encoding="utf-8")
    assert formats.sniff(tmp_path / "x.txt") is None and formats.sniff(tmp_path / "missing") is None


def test_ffmetadata_round_trip() -> None:
    tags = {"title": "a=b;c#d\\e\nf", "ISBJ": "二"}
    marks = [ChapterMark("x=1\n#2", 0.0, 1.5)]
    assert formats.parse_ffmetadata(formats.ffmetadata(tags, marks)) == ({k.lower(): v for k, v in tags.items()},
                                                                          marks)


# -- through the CLI -----------------------------------------------------------------------------------------

ARTICLE_TEXT = "测试文章标题\n\n日期：2023-10-01 来源：某某日报\n\n这是导语，用来测试朗读。\n\n第一部分\n\n第一部分的正文有两句话。\n"


@pytest.fixture
def article(tmp_path: Path) -> Path:
    src = tmp_path / "in" / "a.txt"
    src.parent.mkdir()
    src.write_text(ARTICLE_TEXT, encoding="utf-8")
    return src


def test_cli_output_suffix_picks_the_format(narrated: dict[str, Narration], article: Path, cover: Path,
                                            tmp_path: Path) -> None:
    cache = narrated["mp3"].audio.parent / "cache"
    out = tmp_path / "x.m4b"
    result = CliRunner().invoke(cli, ["narrate", str(article), "-o", str(out), "--cache-dir", str(cache), "-q",
                                      "--cover", str(cover)])
    assert result.exit_code == 0, result.output
    assert formats.sniff(out) is M4B and out.with_suffix(".json").is_file()
    assert len(ffprobe.chapters(out)) == 2 and M4B.read_tags(out).cover is not None


def test_cli_format_names_the_default_file(narrated: dict[str, Narration], article: Path, tmp_path: Path) -> None:
    cache = narrated["mp3"].audio.parent / "cache"
    result = CliRunner().invoke(cli, ["narrate", str(article), "--format", "opus", "--output-dir", str(tmp_path),
                                      "--cache-dir", str(cache)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "2023-10-01-测试文章标题.opus"
    assert formats.sniff(out) is OPUS and str(out) in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "{dir}/out.wma"], "unknown audio format '.wma'"),
        (["-o", "{dir}/out.wav", "--format", "m4b"], "the suffix '.wav' is wav, not the m4b asked for"),
        (["--format", "flac", "--output-dir", "{dir}"], "unknown audio format 'flac'"),
    ],
)
def test_cli_bad_format_is_a_usage_error_and_writes_nothing(article: Path, tmp_path: Path, args: list[str],
                                                             message: str) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    argv = ["narrate", str(article), "--cache-dir", str(tmp_path / "c"), *[a.format(dir=out_dir) for a in args]]
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in result.output
    assert list(out_dir.iterdir()) == [] and not (tmp_path / "c").exists()


# -- cover art -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cover(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from reader.audio.ffmpeg import run_ffmpeg

    path = tmp_path_factory.mktemp("cover") / "cover.png"
    run_ffmpeg(["-f", "lavfi", "-i", "color=c=red:s=64x64", "-frames:v", "1", "-y", str(path)])
    return path


@pytest.mark.parametrize("name", ["mp3", "m4b", "opus"])
def test_cover_art(narrated: dict[str, Narration], cover: Path, name: str, tmp_path: Path) -> None:
    cache = narrated["mp3"].audio.parent / "cache"
    out = tmp_path / f"c{FORMATS[name].suffix}"
    narration = narrate_article(SHORT, NarrateOptions(output=out, cache_dir=cache, cover=cover))
    assert narration.record.fingerprint != narrated[name].record.fingerprint  # another file, another key
    assert FORMATS[name].read_tags(out).cover == Cover(cover.read_bytes(), "image/png")
    pictures = [s for s in ffprobe.probe(out)["streams"] if s.get("disposition", {}).get("attached_pic")]
    assert len(pictures) == 1 and pictures[0]["codec_name"] == "png"
    assert abs(measure_loudness(out).integrated_lufs - TARGET) <= 0.5 and len(ffprobe.chapters(out)) == 3


def test_cover_art_refused(cover: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="a WAV file has no place for cover art"):
        NarrateOptions(output=tmp_path / "a.wav", cover=cover)
    (tmp_path / "fake.png").write_text("不是图片", encoding="utf-8")
    for bad, message in ((tmp_path / "fake.png", "not a JPEG or PNG image"), (tmp_path / "gone.png", "No such file")):
        with pytest.raises(UsageError, match=message):
            narrate_article(SHORT, NarrateOptions(output=tmp_path / "a.m4b", cover=bad))
    assert not list(tmp_path.glob("a.*"))
