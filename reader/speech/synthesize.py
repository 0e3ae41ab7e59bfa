"""Chunks → audio: each chunk from the cache or the backend, in parallel, reporting progress by callback.

``synthesize_iter`` yields the chunks' audio *in reading order*, each as soon as it and every chunk before it
are ready, so that the assembler (and a player) can consume the track while the rest is still being
synthesized. Work is handed to the backend's threads in reading order too, so at most about ``workers``
finished chunks ever wait for an earlier one: memory stays at a few chunks however long the article.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from dataclasses import dataclass, replace

from reader.errors import BackendUnavailable, ReaderError, SynthesisError
from reader.i18n import _
from reader.models import Audio, Chunk
from reader.speech.backend import Backend
from reader.speech.cache import ChunkCache, chunk_key, plausible

log = logging.getLogger(__name__)


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
    voice: str = ""  # the voice id it was spoken with (a fallback engine has its own)


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
    fallback: Backend | None = None,
) -> Generator[Synthesized, None, None]:
    """Audio for every chunk, yielded in order.

    Cached chunks are counted first (the progress bar then shows only real work ahead); the rest run on up to
    ``workers`` (default ``backend.max_workers``) threads, submitted in reading order. A text that occurs twice
    is synthesized once. On failure, on Ctrl-C, or when the consumer stops iterating, pending work is
    cancelled and the running calls are waited for; what finished is already in the cache, so a re-run
    resumes there.

    With a ``fallback`` backend, a chunk that ``backend`` cannot speak (``SynthesisError``,
    ``BackendUnavailable``) is spoken by ``fallback`` with its first voice instead, cached under the
    fallback's own key (never the primary's, so a later run asks the primary again) and yielded with
    ``backend=fallback.name``.

    A cached chunk is used only if it fits: the engine's sample rate, and a duration its text can take
    (``reader.speech.cache.plausible``); one that does not is deleted and synthesized again.

    Ctrl-C (``KeyboardInterrupt`` in the consumer) tells the engines to give up their requests in flight
    (their ``cancel()``, when they have one), so that waiting for the running calls takes no time.
    """
    keys = chunk_keys(chunks, backend, voice, rate)
    chars_total = sum(len(c.spoken) for c in chunks)
    state = {"done": 0, "chars": 0, "cached": 0, "fell_back": 0}

    def report(i: int, cached: bool) -> None:
        state["done"] += 1
        state["chars"] += len(chunks[i].spoken)
        state["cached"] += cached
        if progress:
            progress(Progress(state["done"], len(chunks), state["chars"], chars_total, state["cached"]))

    def speak(engine: Backend, engine_voice: str, chunk: Chunk) -> Audio:
        try:
            audio = engine.synthesize(chunk.spoken, engine_voice, rate)
        except ReaderError:
            raise
        except Exception as exc:  # an engine's own error type: map it where it enters
            raise SynthesisError(_("{name} failed on “{text}”: {exc}").format(
                name=engine.name, text=chunk.text, exc=exc)) from exc
        if audio.frames == 0:
            raise SynthesisError(_("{name} returned no audio for “{text}”").format(
                name=engine.name, text=chunk.text))
        return audio

    def fits(audio: Audio | None, engine: Backend, key: str, chunk: Chunk) -> Audio | None:
        if audio is None:
            return None
        if audio.sample_rate != engine.sample_rate or not plausible(audio.duration, chunk.spoken, rate):
            log.info("cached chunk %s does not fit “%s” (%.1f s at %d Hz): made again", key[:12], chunk.text,
                     audio.duration, audio.sample_rate)
            cache.discard(key)
            return None
        return audio

    def work(i: int) -> Synthesized:
        chunk = chunks[i]
        try:
            audio = speak(backend, voice, chunk)
        except (SynthesisError, BackendUnavailable) as exc:
            if fallback is None:
                raise
            # Said once a run (the backend usually fails the same way for every chunk), then only logged.
            log.log(logging.INFO if state["fell_back"] else logging.WARNING,
                    "%s failed on “%s”, spoken by %s instead: %s", backend.name, chunk.text, fallback.name, exc)
            state["fell_back"] += 1
            fallback_voice = fallback.voices()[0].id
            key = chunk_key(fallback.name, fallback.version, fallback_voice, rate, chunk.spoken)
            hit = fits(cache.get(key), fallback, key, chunk)
            if hit is not None:
                return Synthesized(hit, key, True, fallback.name, fallback_voice)
            audio = speak(fallback, fallback_voice, chunk)
            cache.put(key, audio)
            return Synthesized(audio, key, False, fallback.name, fallback_voice)
        cache.put(keys[i], audio)
        return Synthesized(audio, keys[i], False, backend.name, voice)

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
    # An engine whose one call uses every core (``first_chunk_alone``) makes the first chunk alone: the rest,
    # though submitted, wait until it is done (measured with Kokoro: the first sentence of ``reader play`` in
    # about half the time, the whole narration no slower).
    alone = bool(getattr(backend, "first_chunk_alone", False)) and n_workers > 1 and len(first) > 1
    first_made = threading.Event()
    stopped = threading.Event()  # the consumer left: what still waits for the first chunk is not made

    def work_first(i: int) -> Synthesized:
        try:
            return work(i)
        finally:
            first_made.set()

    def work_after_first(i: int) -> Synthesized:
        first_made.wait()
        if stopped.is_set():
            raise CancelledError
        return work(i)

    futures: dict[str, Future[Synthesized]] = {}
    made: dict[str, Synthesized] = {}  # keys that occur again later, kept until their last use
    last_use = {key: i for i, key in enumerate(keys)}
    try:
        for n, (key, i) in enumerate(first.items()):
            futures[key] = pool.submit((work_first if n == 0 else work_after_first) if alone else work, i)
        for i, key in enumerate(keys):
            if key in made:
                result = replace(made[key], cached=True)
            elif key in futures and i == first[key]:
                result = futures.pop(key).result()
            else:
                hit = fits(cache.get(key), backend, key, chunks[i])
                if hit is None:  # vanished or damaged since it was counted: make it now
                    result = pool.submit(work, i).result()
                else:
                    result = Synthesized(hit, key, True, backend.name, voice)
            if last_use[key] > i:
                made[key] = result
            else:
                made.pop(key, None)
            if key not in cached:  # cached keys were counted up front
                report(i, result.cached)
            yield result
    except KeyboardInterrupt:
        for engine in (backend, fallback):
            cancel = getattr(engine, "cancel", None)
            if callable(cancel):
                cancel()
        raise
    finally:
        for future in futures.values():
            future.cancel()
        stopped.set()
        first_made.set()  # (a task still waiting for the first one must not hold up the shutdown)
        pool.shutdown(wait=True, cancel_futures=True)


def synthesize_all(
    chunks: Sequence[Chunk],
    backend: Backend,
    voice: str,
    rate: float,
    cache: ChunkCache,
    progress: ProgressCallback | None = None,
    workers: int | None = None,
    fallback: Backend | None = None,
) -> list[Synthesized]:
    """Audio for every chunk, in order, as a list (see ``synthesize_iter``)."""
    return list(synthesize_iter(chunks, backend, voice, rate, cache, progress, workers, fallback))
