"""End to end: the real offline engine, real ffmpeg, real files; the seed article narrated once."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SEED
from helpers.articles import SHORT
from mutagen.id3 import ID3

from reader.audio import formats
from reader.audio.ffmpeg import ffmpeg_path, probe_duration
from reader.cli import cli
from reader.errors import ConfigError, OutputError, SegmentError, UsageError
from reader.models import Article, Chapter
from reader.narration.pipeline import NarrateOptions, Narration, Narrator, narrate, narrate_article
from reader.narration.vtt import parse_webvtt


@pytest.fixture(scope="module")
def seed_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Narration, Narration, Path]:
    """The seed, narrated cold into a fresh cache, then again warm."""
    base = tmp_path_factory.mktemp("seed")
    cache = base / "cache"
    (base / "cold").mkdir()
    (base / "warm").mkdir()
    cold = narrate(str(SEED), NarrateOptions(output_dir=base / "cold", cache_dir=cache))
    warm = narrate(str(SEED), NarrateOptions(output_dir=base / "warm", cache_dir=cache))
    return cold, warm, base


@pytest.mark.slow
def test_seed_duration_fits_its_text(seed_run: tuple[Narration, Narration, Path]) -> None:
    cold, _, _ = seed_run
    assert cold.audio.name == "2022-01-28-推进协作当样板 同心共融经济圈.mp3"
    duration = probe_duration(cold.audio)
    assert abs(duration - cold.duration) < 0.1
    chars = sum(len(re.sub(r"\W", "", t.chunk.text)) for t in cold.chunks)
    speech = sum(t.end - t.start for t in cold.chunks)
    assert 4.0 <= chars / speech <= 6.5, (chars, speech)
    assert 3.5 <= chars / duration <= 6.0


@pytest.mark.slow
def test_seed_chapters_read_back_by_mutagen_and_ffmpeg(seed_run: tuple[Narration, Narration, Path]) -> None:
    cold, _, _ = seed_run
    tags = ID3(cold.audio)
    tocs = tags.getall("CTOC")
    assert len(tocs) == 1 and tocs[0].flags & 0x03 == 0x03  # top level, ordered
    chaps = {c.element_id: c for c in tags.getall("CHAP")}
    assert len(chaps) == 8 and list(tocs[0].child_element_ids) == sorted(chaps, key=lambda k: chaps[k].start_time)
    titles = [chaps[k].sub_frames["TIT2"].text[0] for k in tocs[0].child_element_ids]
    assert titles[1:] == [c.title for c in cold.article.chapters[1:]]
    assert titles[1] == "高位推动，建立“1+3”工作机制"
    assert tags["TIT2"].text[0] == "推进协作当样板 同心共融经济圈" and tags["TPE1"].text[0] == "万州时报"
    assert "两江潮起，平湖浪涌。" in tags.getall("USLT")[0].text

    # Each chapter starts at the first sample of its heading, as the manifest says.
    manifest = json.loads(cold.manifest.read_text(encoding="utf-8")) if cold.manifest else {}
    headings = [c for c in manifest["chunks"] if c["kind"] == "heading"]
    assert [h["text"] for h in headings] == titles[1:]
    starts = [chaps[k].start_time for k in tocs[0].child_element_ids]
    for h, start_ms in zip(headings, starts[1:], strict=True):
        assert abs(h["start"] * 1000 - start_ms) <= 50
    assert [round(c["start"] * 1000) for c in manifest["chapters"]] == pytest.approx(starts, abs=1)

    # Only stdout is text we assert on; ffmpeg's stderr cuts long UTF-8 titles mid-character.
    out = subprocess.run([ffmpeg_path(), "-hide_banner", "-i", str(cold.audio), "-f", "ffmetadata", "-"],
                         capture_output=True, check=True).stdout.decode("utf-8")
    sections = re.findall(r"\[CHAPTER\]\nTIMEBASE=1/1000\nSTART=(\d+)\nEND=(\d+)\ntitle=(.*)", out)
    assert len(sections) == 8
    assert sorted(t for _, _, t in sections) == sorted(titles)


@pytest.mark.slow
def test_seed_sidecars(seed_run: tuple[Narration, Narration, Path]) -> None:
    cold, _, _ = seed_run
    assert cold.vtt is not None and cold.manifest is not None
    cues = parse_webvtt(cold.vtt.read_text(encoding="utf-8"))
    assert cues[0].text == "推进协作当样板 同心共融经济圈"
    assert all(a.end <= b.start for a, b in zip(cues, cues[1:], strict=False))
    assert cues[-1].end <= cold.duration + 0.05 and cues[-1].end > cold.duration - 3
    assert all(len(line) <= 21 for c in cues for line in c.text.splitlines())  # subtitle-sized
    sentence = "“这些企业已经开始发挥积极作用，有力推动了万州数字产业化、产业数字化，促进了数字经济快速发展。”"
    assert sentence in [s.text for s in cold.record.sentences()]  # whole sentences stay in the record
    manifest = json.loads(cold.manifest.read_text(encoding="utf-8"))
    assert manifest["article"]["title"] == "推进协作当样板 同心共融经济圈"
    assert manifest["voice"]["backend"] == "offline"
    spoken = " ".join(c["spoken"] for c in manifest["chunks"])
    assert "二零二一年" in spoken and "三点七一亿元" in spoken and "百分之十五点二" in spoken
    assert not re.search(r"[0-9A-Za-z]", spoken)
    assert -17.5 <= manifest["audio"]["loudness_lufs"] <= -14.5


@pytest.mark.slow
def test_second_run_is_served_from_the_cache(seed_run: tuple[Narration, Narration, Path]) -> None:
    cold, warm, _ = seed_run
    assert cold.cached == 0 or cold.cached < len(cold.chunks) // 4  # repeated phrases only
    assert warm.cached == len(warm.chunks)
    assert warm.from_store and not cold.from_store  # copied: nothing synthesized or encoded (its speed: benchmarks)
    assert abs(warm.duration - cold.duration) < 0.01


def test_short_article_through_the_cli(tmp_path: Path) -> None:
    src = tmp_path / "a.txt"
    src.write_text("测试文章标题\n\n日期：2023-10-01 来源：某某日报\n\n这是导语，用来测试朗读。\n\n第一部分\n\n"
                   "第一部分的正文有两句话。这是第二句话。\n", encoding="utf-8")
    out = tmp_path / "out.mp3"
    result = CliRunner().invoke(cli, ["narrate", str(src), "-o", str(out), "--cache-dir", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    assert out.is_file() and out.with_suffix(".vtt").is_file() and out.with_suffix(".json").is_file()
    assert "2 chapters" in result.output
    assert [f.name for f in tmp_path.iterdir() if f.name.endswith(".part")] == []


def test_the_format_is_resolved_once_per_narration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``formats.choose`` runs when the options are made; the name, the fingerprint, the output path, the encode
    and the record all take the options' ``fmt``."""
    calls: list[tuple[object, ...]] = []
    choose = formats.choose
    monkeypatch.setattr(formats, "choose", lambda *args: calls.append(args) or choose(*args))
    narration = narrate_article(SHORT, NarrateOptions(output_dir=tmp_path, format="opus", cache_dir=tmp_path / "c"))
    assert calls == [(None, "opus")]
    assert narration.audio.suffix == ".opus" and narration.record.audio.format == "opus"
    assert formats.sniff(narration.audio) is formats.OPUS


def test_an_output_of_another_format_is_refused_before_any_work(tmp_path: Path) -> None:
    narrator = Narrator(NarrateOptions(cache_dir=tmp_path / "c"))  # mp3
    with pytest.raises(UsageError, match=re.escape("the suffix '.wav' is wav, not the mp3 asked for")):
        narrator.narrate_article(SHORT, output=tmp_path / "a.wav")
    assert list(tmp_path.iterdir()) == []


def test_edit_one_paragraph_resynthesizes_only_its_chunks(tmp_path: Path) -> None:
    options = NarrateOptions(output=tmp_path / "a.mp3", cache_dir=tmp_path / "c", sidecars=False)
    first = narrate_article(SHORT, options)
    edited = Article(SHORT.title, [SHORT.chapters[0], Chapter("第一部分", ["这一段改过了。"]), SHORT.chapters[2]],
                     date=SHORT.date, source=SHORT.source)
    second = narrate_article(edited, options)
    fresh = [t.text for t in second.chunks if not t.cached]
    assert fresh == ["这一段改过了。"]
    assert first.cached == 0


def test_rate_changes_duration(tmp_path: Path) -> None:
    base = narrate_article(SHORT, NarrateOptions(output=tmp_path / "a.mp3", cache_dir=tmp_path / "c"))
    fast = narrate_article(SHORT, NarrateOptions(output=tmp_path / "b.mp3", cache_dir=tmp_path / "c", rate=1.5))
    speech = sum(t.end - t.start for t in base.chunks)
    speech_fast = sum(t.end - t.start for t in fast.chunks)
    assert 0.55 < speech_fast / speech < 0.8


def test_corrupt_cache_entry_is_redone(tmp_path: Path) -> None:
    options = NarrateOptions(output=tmp_path / "a.mp3", cache_dir=tmp_path / "c", sidecars=False)
    narrate_article(SHORT, options)
    entries = sorted((tmp_path / "c").rglob("*.pcm"))
    entries[0].write_bytes(entries[0].read_bytes()[:-100])  # truncated
    shutil.rmtree(tmp_path / "c" / "narrations")  # else the finished narration is served whole
    again = narrate_article(SHORT, options)
    assert sum(not t.cached for t in again.chunks) == 1


def test_unchanged_article_is_copied_from_the_narration_store(tmp_path: Path) -> None:
    options = NarrateOptions(output=tmp_path / "a.mp3", cache_dir=tmp_path / "c")
    first = narrate_article(SHORT, options)
    again = narrate_article(SHORT, replace(options, output=tmp_path / "b.mp3"))
    assert again.audio.read_bytes() == first.audio.read_bytes()
    assert all(t.cached for t in again.chunks) and len(again.chunks) == len(first.chunks)
    assert again.chapters == first.chapters and replace(again.record.audio, file="") == replace(first.record.audio, file="")
    assert json.loads(again.manifest.read_text("utf-8"))["chunks"] == json.loads(  # type: ignore[union-attr]
        first.manifest.read_text("utf-8"))["chunks"]  # type: ignore[union-attr]
    assert again.vtt is not None and again.vtt.read_text("utf-8") == first.vtt.read_text("utf-8")  # type: ignore[union-attr]
    # Settings that change the MP3 are part of the key: this one is made anew (from cached chunks).
    louder = narrate_article(SHORT, replace(options, output=tmp_path / "c.mp3", target_lufs=-14.0))
    assert louder.audio.read_bytes() != first.audio.read_bytes()
    assert abs(louder.record.audio.loudness_lufs + 14.0) < 0.5


def test_damaged_narration_store_entry_is_redone(tmp_path: Path) -> None:
    options = NarrateOptions(output=tmp_path / "a.mp3", cache_dir=tmp_path / "c", sidecars=False)
    first = narrate_article(SHORT, options)
    (stored,) = (tmp_path / "c" / "narrations").rglob("*.mp3")
    stored.write_bytes(stored.read_bytes()[:1000])
    again = narrate_article(SHORT, replace(options, output=tmp_path / "b.mp3"))
    assert again.audio.read_bytes() == first.audio.read_bytes()
    assert stored.stat().st_size == first.audio.stat().st_size  # stored again, whole


def test_sidecars_have_ordinary_permissions(tmp_path: Path) -> None:
    out = narrate_article(SHORT, NarrateOptions(output=tmp_path / "a.mp3", cache_dir=tmp_path / "c"))
    umask = os.umask(0)
    os.umask(umask)
    for path in (out.audio, out.vtt, out.manifest):
        assert path is not None and path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_interrupt_leaves_no_partial_output_and_resumes(tmp_path: Path) -> None:
    options = NarrateOptions(output=tmp_path / "a.mp3", cache_dir=tmp_path / "c")
    seen = []

    def stop_after_three(p: object) -> None:
        seen.append(p)
        if len(seen) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        narrate_article(SHORT, options, progress=stop_after_three)
    assert list(tmp_path.glob("a.*")) == [] and list(tmp_path.glob("*.part")) == []
    resumed = narrate_article(SHORT, options)
    assert resumed.cached >= 3


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["narrate", "/no/such/file.txt"], 2, "no such file"),
        (["narrate", "{seed}", "--voice", "nobody"], 2, "unknown voice 'nobody'"),
        (["narrate", "{seed}", "--output-dir", "{empty}/dir"], 1, "cannot create the output directory"),
        (["narrate", "{seed}", "-o", "/no/such/dir/a.mp3"], 1, "output directory does not exist"),
        (["narrate", "{seed}", "--rate", "5"], 2, "5"),
        (["narrate", "{empty}"], 1, "is empty"),
        (["narrate", "{punct}"], 1, "no article text"),
    ],
)
def test_bad_input_is_one_line_error(tmp_path: Path, args: list[str], code: int, message: str) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "punct.txt").write_text("标题标题\n\n……\n\n。。。！！\n", encoding="utf-8")
    argv = [a.format(seed=SEED, empty=tmp_path / "empty.txt", punct=tmp_path / "punct.txt") for a in args]
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == code, result.output
    err = result.stderr.strip().splitlines()
    assert len(err) == 1 and message in err[-1] and "Traceback" not in result.output


def test_unwritable_output_directory(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who can write anywhere")
        with pytest.raises(OutputError, match="not writable"):
            narrate_article(SHORT, NarrateOptions(output_dir=locked))
    finally:
        locked.chmod(0o700)


def test_full_disk_leaves_no_partial_mp3(tmp_path: Path) -> None:
    """A file-size limit stands in for a full disk: ffmpeg's writes fail part way through the MP3."""
    out = tmp_path / "out.mp3"
    script = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))\n"
        "from reader.cli import main\n"
        f"sys.argv = ['reader', 'narrate', {str(SEED)!r}, '-o', {str(out)!r}, '--no-cache', '-q']\n"
        "main()\n"
    )
    short = tmp_path / "short.txt"
    lines = SEED.read_text(encoding="utf-8").splitlines()[:22]
    short.write_text("\n".join(lines), encoding="utf-8")
    script = script.replace(repr(str(SEED)), repr(str(short)))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("reader: error:")
    assert list(tmp_path.glob("out*")) == [] and list(tmp_path.glob("*.part")) == []


def test_nothing_speakable_is_refused() -> None:
    with pytest.raises(SegmentError):
        narrate_article(Article("……", [Chapter(None, ["……"])]), NarrateOptions(output_dir=Path("/tmp")))


def test_unknown_preset() -> None:
    with pytest.raises(ConfigError):
        narrate_article(SHORT, NarrateOptions(voice="nobody"))


def test_an_english_article_is_refused_not_spelled_out(tmp_path: Path) -> None:
    english = Article("Emirates inks order", [Chapter(None, [
        "Emirates inked a deal for 30 Boeing 787 jets on Wednesday, the airline said at the Dubai Airshow."])])
    with pytest.raises(SegmentError, match="not a Chinese article"):
        narrate_article(english, NarrateOptions(output=tmp_path / "e.mp3", cache_dir=tmp_path / "c"))
    assert list(tmp_path.iterdir()) == []
    # Chinese with English words in it is read.
    mixed = Article("测试", [Chapter(None, ["苹果公司发布了新款iPhone和MacBook，售价为999美元。"])])
    assert narrate_article(mixed, NarrateOptions(output=tmp_path / "m.mp3", cache_dir=tmp_path / "c")).duration > 2
