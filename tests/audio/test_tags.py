"""ID3 tags and chapters on real MP3s made by ffmpeg, read back by mutagen and by ffmpeg."""

from __future__ import annotations

from pathlib import Path

import pytest
from mutagen.id3 import CHAP, CTOC, ID3, TIT2, CTOCFlags, Encoding

from reader.audio.ffmpeg import run_ffmpeg
from reader.audio.tags import TrackInfo, chapter_marks, read_chapters, write_tags
from reader.errors import AudioError
from reader.models import ChapterMark

INFO = TrackInfo(title="万州：奋力推进示范区建设", artist="万州时报", album="万州区人民政府", date="2022-01-28",
                 url="http://www.wz.gov.cn/a.html", lyrics="第一段。\n第二段。")
# The long title first: mutagen alone would write its (bigger) CHAP frame after the others.
MARKS = [
    ChapterMark("导语：一个相当长的标题，比其他章节的标题长得多得多", 0.0, 1.25),
    ChapterMark("高位推动", 1.25, 2.5),
    ChapterMark("看成效", 2.5, 4.0),
]


def make_mp3(path: Path, *extra: str, seconds: float = 4.0) -> Path:
    run_ffmpeg(["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}:sample_rate=24000",
                "-c:a", "libmp3lame", "-b:a", "64k", *extra, "-y", str(path)])
    return path


@pytest.fixture
def mp3(tmp_path: Path) -> Path:
    return make_mp3(tmp_path / "t.mp3")


def ffmpeg_chapter_titles(path: Path) -> list[str]:
    text = run_ffmpeg(["-i", str(path), "-f", "ffmetadata", "-"]).decode("utf-8")
    return [line.removeprefix("title=") for section in text.split("[CHAPTER]")[1:]
            for line in section.splitlines() if line.startswith("title=")]


def test_round_trip(mp3: Path) -> None:
    write_tags(mp3, INFO, MARKS)
    assert read_chapters(mp3) == MARKS
    tags = ID3(mp3)
    assert tags.version[:2] == (2, 4)
    assert str(tags["TIT2"]) == INFO.title and str(tags["TPE1"]) == INFO.artist
    assert str(tags["TALB"]) == INFO.album and str(tags["TDRC"]) == INFO.date
    assert str(tags["TLAN"]) == "zho"
    (lyrics,) = tags.getall("USLT")
    assert lyrics.text == INFO.lyrics and lyrics.lang == "zho"
    assert tags.getall("WOAS")[0].url == INFO.url and tags.getall("WXXX")[0].url == INFO.url
    assert "TSSE" in tags  # ffmpeg's own frame is kept
    (toc,) = tags.getall("CTOC")
    assert toc.flags == CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED
    assert toc.child_element_ids == ["ch0", "ch1", "ch2"]
    assert [(c.start_time, c.end_time) for c in sorted(tags.getall("CHAP"), key=lambda c: c.element_id)] == [
        (0, 1250), (1250, 2500), (2500, 4000)]


def test_chap_frames_are_in_chapter_order_in_the_file(mp3: Path) -> None:
    """ffmpeg ignores the CTOC and lists chapters in frame order: the frames must be in time order."""
    write_tags(mp3, INFO, MARKS)
    assert ffmpeg_chapter_titles(mp3) == [m.title for m in MARKS]
    # and mutagen still reads the rewritten tag whole
    assert len(ID3(mp3).getall("CHAP")) == 3 and str(ID3(mp3)["TIT2"]) == INFO.title


def test_rewriting_replaces_instead_of_adding(mp3: Path) -> None:
    write_tags(mp3, INFO, MARKS)
    write_tags(mp3, TrackInfo(title="新标题"), MARKS[:2])
    tags = ID3(mp3)
    assert str(tags["TIT2"]) == "新标题"
    assert len(tags.getall("CHAP")) == 2 and len(tags.getall("CTOC")) == 1
    for key in ("TPE1", "TALB", "TDRC", "WOAS", "WXXX", "USLT"):
        assert not tags.getall(key), key
    write_tags(mp3, INFO, [])
    assert read_chapters(mp3) == [] and not ID3(mp3).getall("CTOC")


def test_mp3_without_tag_or_chapters(tmp_path: Path) -> None:
    bare = make_mp3(tmp_path / "bare.mp3", "-write_id3v2", "0")
    assert read_chapters(bare) == []
    tagged = make_mp3(tmp_path / "tagged.mp3", "-metadata", "title=x")
    assert read_chapters(tagged) == []
    write_tags(bare, INFO, MARKS)  # a file without any tag gets one
    assert read_chapters(bare) == MARKS


def test_reads_chapters_written_by_ffmpeg(tmp_path: Path) -> None:
    """Another tool's chapters: ffmpeg's muxer writes CHAP times as given, i.e. gapless-track times."""
    meta = tmp_path / "meta.txt"
    meta.write_text(";FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1500\ntitle=第一章\n"
                    "[CHAPTER]\nTIMEBASE=1/1000\nSTART=1500\nEND=4000\ntitle=第二章\n", encoding="utf-8")
    out = tmp_path / "ff.mp3"
    run_ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:duration=4:sample_rate=24000", "-i", str(meta),
                "-map", "0:a", "-map_chapters", "1", "-c:a", "libmp3lame", "-b:a", "64k", "-y", str(out)])
    assert [(c.title, c.start) for c in read_chapters(out)] == [("第一章", 0.0), ("第二章", 1.5)]


def test_chapters_without_ctoc_or_titles(mp3: Path) -> None:
    tags = ID3()
    tags.add(CHAP(element_id="b", start_time=2000, end_time=4000, sub_frames=[]))
    tags.add(CHAP(element_id="a", start_time=0, end_time=2000,
                  sub_frames=[TIT2(encoding=Encoding.UTF8, text=["开头"])]))
    tags.save(mp3)
    assert read_chapters(mp3) == [ChapterMark("开头", 0.0, 2.0), ChapterMark("b", 2.0, 4.0)]
    # a CTOC that is not top-level does not order anything
    tags.add(CTOC(element_id="toc", flags=CTOCFlags.ORDERED, child_element_ids=["b", "a"], sub_frames=[]))
    tags.save(mp3)
    assert [c.title for c in read_chapters(mp3)] == ["开头", "b"]
    # a top-level one does, and leaves out what it does not list
    tags.delall("CTOC")
    tags.add(CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL, child_element_ids=["b"], sub_frames=[]))
    tags.save(mp3)
    assert [c.title for c in read_chapters(mp3)] == ["b"]


def test_chapter_marks_cover_the_track() -> None:
    marks = chapter_marks([("导语", 0.31), ("一", 12.5), ("二", 30.0)], 45.25)
    assert marks == [
        ChapterMark("导语", 0.0, 12.5), ChapterMark("一", 12.5, 30.0), ChapterMark("二", 30.0, 45.25)]
    assert chapter_marks([], 10.0) == []
    with pytest.raises(ValueError, match="does not fit"):
        chapter_marks([("a", 0.0), ("b", 5.0), ("c", 5.0)], 10.0)
    with pytest.raises(ValueError, match="does not fit"):
        chapter_marks([("a", 0.0), ("b", 11.0)], 10.0)


def test_malformed_chapters_are_refused(mp3: Path) -> None:
    with pytest.raises(ValueError, match="does not start where"):
        write_tags(mp3, INFO, [ChapterMark("a", 0, 1), ChapterMark("b", 1.5, 2)])
    with pytest.raises(ValueError, match="has start"):
        write_tags(mp3, INFO, [ChapterMark("a", 2, 1)])
    assert read_chapters(mp3) == []  # nothing was written


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="missing.mp3"):
        read_chapters(tmp_path / "missing.mp3")
    with pytest.raises(AudioError, match="missing.mp3"):
        write_tags(tmp_path / "missing.mp3", INFO, MARKS)
