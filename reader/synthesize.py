"""Chunks → audio: each chunk from the cache or the backend, in parallel, reporting progress by callback."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
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
    audio: Audio
    key: str
    cached: bool


def synthesize_all(
    chunks: Sequence[Chunk],
    backend: Backend,
    voice: str,
    rate: float,
    cache: ChunkCache,
    progress: ProgressCallback | None = None,
    workers: int | None = None,
) -> list[Synthesized]:
    """Audio for every chunk, in order. Cached chunks are served first; the rest run on up to
    ``backend.max_workers`` threads. On failure or Ctrl-C, pending work is cancelled; what finished is
    already in the cache, so a re-run resumes."""
    keys = [chunk_key(backend.name, backend.version, voice, rate, c.spoken) for c in chunks]
    results: list[Synthesized | None] = [None] * len(chunks)
    chars_total = sum(len(c.spoken) for c in chunks)
    state = {"done": 0, "chars": 0, "cached": 0}

    def report(i: int, cached: bool) -> None:
        state["done"] += 1
        state["chars"] += len(chunks[i].spoken)
        state["cached"] += cached
        if progress:
            progress(Progress(state["done"], len(chunks), state["chars"], chars_total, state["cached"]))

    todo: list[int] = []
    memo: dict[str, int] = {}
    for i, key in enumerate(keys):
        audio = cache.get(key)
        if audio is not None:
            results[i] = Synthesized(audio, key, True)
            report(i, True)
        elif key in memo:
            continue  # the same text twice: synthesized once, copied below
        else:
            memo[key] = i
            todo.append(i)

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

    n_workers = max(1, min(workers or backend.max_workers, len(todo) or 1))
    pool = ThreadPoolExecutor(max_workers=n_workers, thread_name_prefix="synth")
    futures: dict[Future[Audio], int] = {}
    try:
        futures = {pool.submit(work, i): i for i in todo}
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                i = futures[future]
                results[i] = Synthesized(future.result(), keys[i], False)
                report(i, False)
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    for i, key in enumerate(keys):
        if results[i] is None:
            first = results[memo[key]]
            assert first is not None
            results[i] = Synthesized(first.audio, key, True)
            report(i, True)
    return [r for r in results if r is not None]
