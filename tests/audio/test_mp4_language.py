"""The tracks of an M4B/M4A are Chinese, the chapter track that ffmpeg makes too (it leaves it "eng");
read back by ffprobe, and the file still read by mutagen and decoded by ffmpeg (issue 23 A5)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.articles import SHORT
from helpers.ffprobe import chapters, probe

from reader.audio import formats
from reader.audio.ffmpeg import probe_duration
from reader.audio.mp4lang import packed
from reader.narration.pipeline import NarrateOptions, narrate_article


@pytest.mark.parametrize("suffix", [".m4b", ".m4a"])
def test_every_track_is_chinese(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"a{suffix}"
    narrated = narrate_article(SHORT, NarrateOptions(output=out, cache_dir=tmp_path / "cache"))
    streams = probe(out)["streams"]
    assert [s["codec_type"] for s in streams] == ["audio", "data"]  # the audio and the chapter track
    assert {s["tags"]["language"] for s in streams} == {"zho"}
    assert [c[0] for c in chapters(out)] == ["测试标题", "第一部分", "第二部分"]
    fmt = formats.by_name(suffix[1:])
    assert fmt.read_tags(out).title == "测试标题"
    assert abs(probe_duration(out) - narrated.duration) < 0.1


def test_language_codes_pack_as_iso_639_2() -> None:
    assert packed("zho") == 0x690F and packed("und") == 0x55C4
    with pytest.raises(ValueError):
        packed("zh")
