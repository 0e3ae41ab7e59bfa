"""`reader play`'s first sound: the engine starts loading before the page is fetched, and the first chunk
synthesized is the first sentence cut short, alone; then the rest, the whole text in order (issue 22 §2).

Order, never speed: the events are recorded, and a page that answers only once the engine's ``preload`` has
been called proves that it was called before the fetch finished (else the fetch times out).
"""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from helpers.site_server import Page, html_article, serve

from reader.models import Audio
from reader.narration import pipeline
from reader.narration.pipeline import NarrateOptions, Narration, Narrator
from reader.play.live import ArticleStream, open_article
from reader.play.outputs import WavSink
from reader.play.player import Player
from reader.speech import registry
from reader.speech.backend import Backend, VoiceInfo
from reader.text.segment import FIRST_CHUNK_CHARS, segment

FIRST = "区县对口协同发展，是重庆推进全市“一区两群”协调发展的重要抓手，为经济圈建设注入了动力。"
PARAGRAPHS = [FIRST, "两江潮起，平湖浪涌。", "万州区和两江新区对口协同发展，推进有力、成效显著。"]


class Recording:
    """The real offline engine, with what is asked of it written down in order; ``preload`` opens ``gate``."""

    def __init__(self, engine: Backend, events: list[Any], gate: threading.Event) -> None:
        self.engine, self.events, self.gate = engine, events, gate
        self.name, self.version, self.sample_rate = engine.name, engine.version, engine.sample_rate
        self.max_chunk_chars, self.max_workers = engine.max_chunk_chars, engine.max_workers
        self._lock = threading.Lock()

    def voices(self) -> list[VoiceInfo]:
        return self.engine.voices()

    def preload(self) -> None:
        with self._lock:
            self.events.append("preload")
        self.gate.set()

    def synthesize(self, text: str, voice: str, rate: float = 1.0) -> Audio:
        with self._lock:
            self.events.append(("synthesize", text))
        return self.engine.synthesize(text, voice, rate)

    def close(self) -> None:
        pass


def played(stream: ArticleStream, wav: Path) -> Narration | None:
    """Play ``stream`` through to its end into ``wav`` (as fast as it comes); its narration."""
    player = Player(stream.start())
    sink = WavSink(wav, pace=0)
    sink.start(player)
    assert player.wait(120)
    sink.close()
    return stream.close()


@pytest.fixture
def recorded_fetches(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Events, with "fetched" appended when the Narrator's fetch returns."""
    events: list[Any] = []
    real = pipeline.fetch

    def fetch(*args: Any, **kwargs: Any) -> Any:
        source = real(*args, **kwargs)
        events.append("fetched")
        return source

    monkeypatch.setattr(pipeline, "fetch", fetch)
    return events


def test_play_preloads_then_speaks_the_first_sentence_short_and_alone_then_the_rest_in_order(
        tmp_path: Path, recorded_fetches: list[Any]) -> None:
    events = recorded_fetches
    gate = threading.Event()
    page = Page(html_article("首句先说测试", "2023-10-03", PARAGRAPHS), gate=gate)
    options = NarrateOptions(voice="baker", cache_dir=tmp_path / "cache", header=False, workers=1, timeout=20)
    engine = Recording(registry.get("offline"), events, gate)
    with serve({"/a.html": page}) as site, registry.using("offline", engine):
        stream = open_article(site.url("/a.html"), options)
        narration = played(stream, tmp_path / "out.wav")
    assert narration is not None
    # The engine was told to load before the page had come (the page waited for it).
    assert events.index("preload") < events.index("fetched")
    spoken = [e[1] for e in events if isinstance(e, tuple)]
    # The first call is the first sentence's first clause, alone; then the rest, in the usual chunks.
    assert spoken[0] == "区县对口协同发展，" and len(spoken[0]) <= FIRST_CHUNK_CHARS
    narrator = Narrator(options)
    chunks = segment(narration.article, engine.max_chunk_chars, pipeline.spoken_form(
        narrator.lexicon, narrator.abilities), header=False)
    usual = [c.spoken for c in chunks]
    assert spoken[1:] == [usual[0][len(spoken[0]):], *usual[1:]]
    assert "".join(spoken) == "".join(usual)
    # The record (subtitles, the player's lines) has the same sentences as a narration without the cut.
    record = narration.record
    assert [c.pause_after for c in record.chunks] == ["clause", *(c.pause_after for c in chunks)]
    assert [s.text for s in record.sentences()] == [FIRST, "两江潮起，平湖浪涌。", PARAGRAPHS[2]]


def test_narrate_keeps_its_chunks(tmp_path: Path) -> None:
    """A file narration is not cut short: its chunks, and so its chunk cache, stay as they were."""
    article = tmp_path / "a.txt"
    article.write_text("首句测试\n\n" + "\n\n".join(PARAGRAPHS) + "\n", encoding="utf-8")
    options = NarrateOptions(voice="baker", output=tmp_path / "a.mp3", cache_dir=tmp_path / "cache", header=False)
    narrator = Narrator(options)
    narration = narrator.narrate(str(article))
    chunks = segment(narration.article, narrator.backend.max_chunk_chars, pipeline.spoken_form(
        narrator.lexicon, narrator.abilities), header=False)
    assert [c.text for c in narration.record.chunks] == [c.text for c in chunks]
    assert len(chunks[0].spoken) > FIRST_CHUNK_CHARS  # which play would have cut


def test_a_narration_cut_short_is_not_stored_for_narrate(tmp_path: Path) -> None:
    """play's narration (first sentence cut short) is never what a later narrate copies from the store; a
    narrate's narration is what a later play copies."""
    article = tmp_path / "a.txt"
    article.write_text("首句测试\n\n" + "\n\n".join(PARAGRAPHS) + "\n", encoding="utf-8")
    base = NarrateOptions(voice="baker", cache_dir=tmp_path / "cache", header=False)
    played = Narrator(replace(base, output=tmp_path / "p.mp3", short_first=True)).narrate(str(article))
    assert played.record.chunks[0].pause_after == "clause" and not played.from_store
    narrated = Narrator(replace(base, output=tmp_path / "n.mp3")).narrate(str(article))
    assert not narrated.from_store  # synthesized again, chunked as narrate chunks
    assert [c.text for c in narrated.record.chunks][0] == played.record.chunks[0].text + played.record.chunks[1].text
    again = Narrator(replace(base, output=tmp_path / "q.mp3", short_first=True)).narrate(str(article))
    assert again.from_store


def test_a_kokoro_voice_starts_loading_before_the_page_is_fetched(tmp_path: Path, recorded_fetches: list[Any],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("onnxruntime")
    pytest.importorskip("misaki.transcription")
    from reader.speech.engines.kokoro import KokoroBackend

    events = recorded_fetches
    real = KokoroBackend.preload

    def preload(self: KokoroBackend) -> None:
        events.append("preload")
        real(self)
        assert self._preloading is not None or self._session is not None  # the load is under way (or done)

    monkeypatch.setattr(KokoroBackend, "preload", preload)
    with serve({"/a.html": Page(html_article("预先加载测试", "2023-10-04", PARAGRAPHS[1:]))}) as site:
        stream = open_article(site.url("/a.html"), NarrateOptions(voice="kokoro-yunxi", cache_dir=tmp_path / "c",
                                                                  header=False))
        narration = played(stream, tmp_path / "out.wav")
    assert events == ["preload", "fetched"]
    assert narration is not None and [c.text for c in narration.record.chunks] == PARAGRAPHS[1:]
