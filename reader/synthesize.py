"""Chunks → audio: each chunk from the cache or the backend, in parallel, reporting progress by callback.

``synthesize_iter`` yields the chunks' audio *in reading order*, each as soon as it and every chunk before it
are ready, so that the assembler (and a player) can consume the track while the rest is still being
synthesized. Work is handed to the backend's threads in reading order too, so at most about ``workers``
finished chunks ever wait for an earlier one: memory stays at a few chunks however long the article.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from .backends.base import Audio, Backend
from .cache import ChunkCache, chunk_key
from .exceptions import ReaderError, SynthesisError
from .models import Chunk


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    chars_done: int
    chars_total: int
    cached: int


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True)
class Synthesized:
    """One chunk's audio, its cache key, whether it came from the cache, and which backend spoke it."""

    audio: Audio
    key: str
    cached: bool
    backend: str


def chunk_keys(chunks: Sequence[Chunk], backend: Backend, voice: str, rate: float) -> list[str]:
    return [chunk_key(backend.name, backend.version, voice, rate, c.spoken) for c in chunks]


def synthesize_iter(
    chunks: Sequence[Chunk],
    backend: Backend,
    voice: str,
    rate: float,
    cache: ChunkCache,
    progress: ProgressCallback | None = None,
    workers: int | None = None,
) -> Generator[Synthesized, None, None]:
    """Audio for every chunk, yielded in order.

    Cached chunks are counted first (the progress bar then shows only real work ahead); the rest run on up to
    ``workers`` (default ``backend.max_workers``) threads, submitted in reading order. A text that occurs twice
    is synthesized once. On failure, on Ctrl-C, or when the consumer stops iterating, pending work is
    cancelled and the running calls are waited for; what finished is already in the cache, so a re-run
    resumes there.
    """
    keys = chunk_keys(chunks, backend, voice, rate)
    chars_total = sum(len(c.spoken) for c in chunks)
    state = {"done": 0, "chars": 0, "cached": 0}

    def report(i: int, cached: bool) -> None:
        state["done"] += 1
        state["chars"] += len(chunks[i].spoken)
        state["cached"] += cached
        if progress:
            progress(Progress(state["done"], len(chunks), state["chars"], chars_total, state["cached"]))

    def work(i: int) -> Audio:
        chunk = chunks[i]
        try:
            audio = backend.synthesize(chunk.spoken, voice, rate)
        except ReaderError:
            raise
        except Exception as exc:  # an engine's own error type: map it where it enters
            raise SynthesisError(f"{backend.name} failed on “{chunk.text}”: {exc}") from exc
        if audio.frames == 0:
            raise SynthesisError(f"{backend.name} returned no audio for “{chunk.text}”")
        cache.put(keys[i], audio)
        return audio

    # First sight of each key decides how it is made: from the cache, or by the one task that synthesizes it.
    cached: set[str] = set()
    first: dict[str, int] = {}
    for i, key in enumerate(keys):
        if key in first or key in cached:
            continue
        if cache.contains(key):
            cached.add(key)
        else:
            first[key] = i
    if progress:
        for i, key in enumerate(keys):
            if key in cached:
                report(i, True)

    n_workers = max(1, min(workers or backend.max_workers, len(first) or 1))
    pool = ThreadPoolExecutor(max_workers=n_workers, thread_name_prefix="synth")
    futures: dict[str, Future[Audio]] = {}
    made: dict[str, Audio] = {}  # audio of keys that occur again later, kept until their last use
    last_use = {key: i for i, key in enumerate(keys)}
    try:
        for key, i in first.items():
            futures[key] = pool.submit(work, i)
        for i, key in enumerate(keys):
            if key in made:
                audio, was_cached = made[key], True
            elif key in futures and i == first[key]:
                audio, was_cached = futures.pop(key).result(), False
            else:
                hit = cache.get(key)
                was_cached = hit is not None
                if hit is None:  # vanished or damaged since it was counted: make it now
                    hit = pool.submit(work, i).result()
                audio = hit
            if last_use[key] > i:
                made[key] = audio
            else:
                made.pop(key, None)
            if key not in cached:  # cached keys were counted up front
                report(i, was_cached)
            yield Synthesized(audio, key, was_cached, backend.name)
    finally:
        for future in futures.values():
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)


def synthesize_all(
    chunks: Sequence[Chunk],
    backend: Backend,
    voice: str,
    rate: float,
    cache: ChunkCache,
    progress: ProgressCallback | None = None,
    workers: int | None = None,
) -> list[Synthesized]:
    """Audio for every chunk, in order, as a list (see ``synthesize_iter``)."""
    return list(synthesize_iter(chunks, backend, voice, rate, cache, progress, workers))
