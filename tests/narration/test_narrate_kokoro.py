"""End to end with a Kokoro voice: the real engine, real ffmpeg, real files; a short article, once."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from helpers.articles import SHORT

from reader.audio.ffmpeg import probe_duration
from reader.narration.pipeline import NarrateOptions, Narration, narrate_article
from reader.narration.vtt import parse_webvtt

pytest.importorskip("onnxruntime")
pytest.importorskip("misaki.transcription")

PRESET = "kokoro-yunxi"


@pytest.fixture(scope="module")
def narrated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Narration, Path]:
    base = tmp_path_factory.mktemp("kokoro")
    return narrate_article(SHORT, NarrateOptions(voice=PRESET, output=base / "a.mp3", cache_dir=base / "c")), base


def test_narration_with_a_kokoro_voice(narrated: tuple[Narration, Path]) -> None:
    narration, _ = narrated
    assert narration.audio.is_file() and abs(probe_duration(narration.audio) - narration.duration) < 0.1
    assert narration.vtt is not None and narration.manifest is not None
    manifest = json.loads(narration.manifest.read_text(encoding="utf-8"))
    assert manifest["voice"]["backend"] == "kokoro" and manifest["voice"]["voice"] == "zm_yunxi"
    assert manifest["voice"]["engine_version"].startswith("kokoro-82m-v1.0/")
    assert {c["backend"] for c in manifest["chunks"]} == {"kokoro"}
    # Sentence timings for the VTT and the listen page: in order, inside the track, one cue per sentence.
    starts = [t.start for t in narration.chunks]
    assert starts == sorted(starts) and narration.chunks[-1].end <= narration.duration + 0.05
    cues = parse_webvtt(narration.vtt.read_text(encoding="utf-8"))
    texts = [c.text for c in cues]
    assert {"第一部分的正文有两句话。", "这是第二句话。", "第二部分的正文，到此结束。"} <= set(texts), texts
    assert all(a.end <= b.start for a, b in zip(cues, cues[1:], strict=False))
    # Duration fits the text: 3-8 spoken characters a second of speech.
    chars = sum(len(re.sub(r"\W", "", t.spoken)) for t in narration.chunks)
    speech = sum(t.end - t.start for t in narration.chunks)
    assert 3.0 <= chars / speech <= 8.0, (chars, speech)
    assert len(narration.chapters) == 3
    assert -17.5 <= manifest["audio"]["loudness_lufs"] <= -14.5


def test_kokoro_narration_is_served_from_the_store(narrated: tuple[Narration, Path]) -> None:
    narration, base = narrated
    again = narrate_article(SHORT, NarrateOptions(voice=PRESET, output=base / "b.mp3", cache_dir=base / "c"))
    assert again.audio.read_bytes() == narration.audio.read_bytes()
    assert all(t.cached for t in again.chunks)


def test_chunks_are_cached_under_the_engine_version(narrated: tuple[Narration, Path]) -> None:
    """Another voice of the same engine reuses nothing: the voice is part of every chunk key."""
    narration, base = narrated
    other = narrate_article(replace(SHORT, chapters=SHORT.chapters[:1]),
                            NarrateOptions(voice="kokoro-xiaoxiao", output=base / "x.mp3", cache_dir=base / "c",
                                           header=False))
    assert not any(t.cached for t in other.chunks)
    assert {t.cache_key for t in other.chunks}.isdisjoint({t.cache_key for t in narration.chunks})
