"""Chunks → audio through the real offline engine: order, the cache, duplicates, progress, stopping early."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from reader.models import Audio, Chunk
from reader.speech import registry as backends
from reader.speech.cache import ChunkCache
from reader.speech.synthesize import Progress, synthesize_all, synthesize_iter

TEXTS = ["两江潮起。", "平湖浪涌。", "两江潮起。", "万州区发改委有关负责人介绍。", "你好。"]


def _chunks(texts: list[str]) -> list[Chunk]:
    return [Chunk(t, t, 0, i) for i, t in enumerate(texts)]


@pytest.fixture(scope="module")
def engine() -> backends.Backend:
    return backends.get("offline")


def test_in_order_duplicates_once_then_all_from_cache(tmp_path: Path, engine: backends.Backend) -> None:
    cache = ChunkCache(tmp_path)
    seen: list[Progress] = []
    first = synthesize_all(_chunks(TEXTS), engine, "baker", 1.0, cache, seen.append)
    # Each result is the audio of its own text: the engine is deterministic, so compare to a direct call.
    for text, result in zip(TEXTS, first, strict=True):
        assert result.audio.pcm == engine.synthesize(text, "baker", 1.0).pcm
        assert result.backend == "offline"
    assert [r.cached for r in first] == [False, False, True, False, False]  # the repeat is made once
    assert first[0].key == first[2].key and first[0].audio == first[2].audio
    assert len(list(tmp_path.rglob("*.pcm"))) == 4
    assert [p.done for p in seen] == [1, 2, 3, 4, 5] and seen[-1].chars_done == seen[-1].chars_total

    seen.clear()
    second = synthesize_all(_chunks(TEXTS), engine, "baker", 1.0, cache, seen.append)
    assert all(r.cached for r in second) and [r.audio for r in second] == [r.audio for r in first]
    assert seen[-1] == Progress(5, 5, seen[-1].chars_total, seen[-1].chars_total, 5)


def test_consumer_that_stops_early_leaves_finished_chunks_cached(tmp_path: Path,
                                                                 engine: backends.Backend) -> None:
    cache = ChunkCache(tmp_path)
    stream = synthesize_iter(_chunks(TEXTS[1:]), engine, "baker", 1.0, cache, workers=1)
    head = next(stream)
    assert head.audio.duration > 0.3
    stream.close()  # cancels what had not started; waits for what had
    stored = len(list(tmp_path.rglob("*.pcm")))
    assert 1 <= stored <= 3  # never the whole list: the rest was cancelled
    again = synthesize_all(_chunks(TEXTS[1:]), engine, "baker", 1.0, cache)
    assert sum(r.cached for r in again) == stored


def test_a_cache_entry_damaged_after_it_was_counted_is_made_again(tmp_path: Path,
                                                                 engine: backends.Backend) -> None:
    cache = ChunkCache(tmp_path)
    synthesize_all(_chunks(["你好。"]), engine, "baker", 1.0, cache)
    (entry,) = tmp_path.rglob("*.pcm")
    stream = synthesize_iter(_chunks(["你好。", "平湖浪涌。"]), engine, "baker", 1.0, cache)
    entry.write_bytes(b"garbage")  # still there, so counted as cached; found damaged when read
    results = list(stream)
    assert results[0].cached is False and results[0].audio.duration > 0.3


class _FirstAlone:
    """The real offline engine, declared as one whose call uses every core (``first_chunk_alone``), two calls
    at once, recording which calls overlapped."""

    first_chunk_alone = True
    max_workers = 2

    def __init__(self, engine: backends.Backend) -> None:
        self._engine = engine
        self.name, self.version, self.sample_rate = engine.name, engine.version, engine.sample_rate
        self.max_chunk_chars = engine.max_chunk_chars
        self.lock = threading.Lock()
        self.calls: list[str] = []
        self.overlapped_first: list[str] = []
        self.first_running = threading.Event()
        self.other_started = threading.Event()
        self.pair = threading.Barrier(2, timeout=60)  # the 2nd and 3rd calls must be in flight together

    def voices(self) -> list[backends.VoiceInfo]:
        return self._engine.voices()

    def synthesize(self, text: str, voice: str, rate: float = 1.0) -> Audio:
        with self.lock:
            n = len(self.calls)
            self.calls.append(text)
            if self.first_running.is_set():
                self.overlapped_first.append(text)
        if n == 0:
            self.first_running.set()
            self.other_started.wait(0.5)  # time for a second call to start, had it been submitted to run
            self.first_running.clear()
        else:
            self.other_started.set()
            if n in (1, 2):
                self.pair.wait()
        return self._engine.synthesize(text, voice, rate)

    def close(self) -> None:
        pass


def test_an_engine_that_uses_every_core_makes_the_first_chunk_alone_then_the_rest_together(
        tmp_path: Path, engine: backends.Backend) -> None:
    """Kokoro's first chunk (a listener's first sound) gets both cores; the rest still run two at once."""
    alone = _FirstAlone(engine)
    out = synthesize_all(_chunks(TEXTS), alone, "baker", 1.0, ChunkCache(tmp_path))
    assert alone.calls[0] == TEXTS[0] and sorted(alone.calls) == sorted(set(TEXTS))
    assert alone.overlapped_first == []  # nothing else ran while the first chunk was made
    assert not alone.pair.broken  # the next two did run at once
    assert [s.audio.pcm for s in out] == [engine.synthesize(t, "baker", 1.0).pcm for t in TEXTS]
