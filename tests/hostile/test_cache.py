"""Issue 14, item 7 — a damaged chunk cache: a flipped bit in an entry's header (its sample rate) or an entry
whose audio cannot be its text is found, deleted and made again; it never reaches the MP3. Real espeak, real
files; the narration store is emptied between runs so that the chunk cache is what is read."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import pytest

from reader.models import Audio
from reader.narration.pipeline import NarrateOptions, Narration, Narrator
from reader.speech.cache import ChunkCache, _encode, plausible

ARTICLE = "缓存测试文章\n日期:2024-05-01 来源:测试日报\n\n今天上午，市里召开了一次重要的工作会议。\n会议总结了去年的工作。\n"


def narrate(article: Path, out: Path, cache: Path) -> Narration:
    shutil.rmtree(cache / "narrations", ignore_errors=True)  # so the chunks are read from the chunk cache
    return Narrator(NarrateOptions(voice="espeak", cache_dir=cache, output=out)).narrate(str(article))


@pytest.fixture
def narrated(tmp_path: Path) -> tuple[Path, Path, Narration]:
    article = tmp_path / "a.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    cache = tmp_path / "cache"
    first = narrate(article, tmp_path / "first.mp3", cache)
    return article, cache, first


@pytest.mark.timeout(120)  # a rate of 1 made minutes of audio before the fix
@pytest.mark.parametrize("rate", [7616, 100, 1])
def test_a_flipped_sample_rate_is_found_and_redone(narrated: tuple[Path, Path, Narration], tmp_path: Path,
                                                   rate: int) -> None:
    article, cache, first = narrated
    victim = first.chunks[-1].cache_key
    path = cache / "chunks" / victim[:2] / f"{victim}.pcm"
    data = bytearray(path.read_bytes())
    struct.pack_into("<I", data, 8, rate)  # the sample-rate field of the header
    path.write_bytes(bytes(data))
    again = narrate(article, tmp_path / "again.mp3", cache)
    cached = {c.cache_key: c.cached for c in again.chunks}
    assert cached[victim] is False  # made again, not reported as cached
    assert sum(cached.values()) == len(cached) - 1
    assert abs(again.duration - first.duration) < 0.05


def test_an_entry_that_cannot_be_its_text_is_redone(narrated: tuple[Path, Path, Narration],
                                                    tmp_path: Path) -> None:
    article, cache, first = narrated
    chunk = first.chunks[-1]
    path = cache / "chunks" / chunk.cache_key[:2] / f"{chunk.cache_key}.pcm"
    rate = struct.unpack_from("<I", path.read_bytes(), 8)[0]
    # A checksum-valid entry of ten minutes for one short sentence (a bug, or a hand-made entry).
    path.write_bytes(_encode(Audio(b"\x01\x00" * rate * 600, rate)))
    again = narrate(article, tmp_path / "again.mp3", cache)
    assert {c.cache_key: c.cached for c in again.chunks}[chunk.cache_key] is False
    assert abs(again.duration - first.duration) < 0.05


def test_the_checksum_covers_the_header(tmp_path: Path) -> None:
    cache = ChunkCache(tmp_path)
    cache.put("ab" * 32, Audio(b"\x10\x00" * 2400, 24000))
    path = tmp_path / "chunks" / "ab" / f"{'ab' * 32}.pcm"
    data = bytearray(path.read_bytes())
    for offset in (0, 8, 12):  # magic, rate, size
        damaged = bytearray(data)
        damaged[offset] ^= 0x01
        path.write_bytes(bytes(damaged))
        assert cache.get("ab" * 32) is None and not path.exists()
        path.write_bytes(bytes(data))
    assert cache.get("ab" * 32) == Audio(b"\x10\x00" * 2400, 24000)


def test_plausible_durations() -> None:
    assert plausible(1.5, "今天天气很好。", 1.0)
    assert not plausible(0.0, "今天天气很好。", 1.0)
    assert not plausible(600.0, "今天天气很好。", 1.0)
    assert plausible(9.0, "今天天气很好。", 0.5)  # a slow rate takes longer
