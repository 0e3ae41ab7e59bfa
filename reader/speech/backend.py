"""The contract between the pipeline and a speech engine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from reader.models import Audio


@dataclass(frozen=True)
class VoiceInfo:
    """A voice that a backend can speak with: ``id`` is what ``synthesize`` takes."""

    id: str
    language: str = "zh-CN"
    gender: str | None = None
    description: str = ""


@runtime_checkable
class Backend(Protocol):
    """A speech engine.

    Attributes:
        name: the registry name (``offline``, ``espeak``, ``edge``).
        version: identifies the engine and its models; part of every cache key, so change it whenever the
            same text would come out different.
        sample_rate: the rate of the PCM ``synthesize`` returns.
        max_chunk_chars: the longest text (in characters) that one ``synthesize`` call may be given; the
            segmenter cuts chunks to fit.
        max_workers: how many ``synthesize`` calls may usefully run at once. ``synthesize`` must be safe to
            call from that many threads concurrently (a CPU-bound engine keeps per-thread state and releases
            the GIL in native code; a network engine bounds its own requests in flight).

    ``synthesize(text, voice, rate)`` speaks ``text`` (already normalized: only characters the engine can
    read) with ``voice`` (an id from ``voices()``) at ``rate`` (1.0 = the engine's normal speed) and returns
    the whole utterance as PCM, with no leading or trailing silence added on purpose. It raises
    ``SynthesisError`` when the engine fails on this text, ``BackendUnavailable`` when the engine cannot run
    at all; it never returns empty audio for non-empty text.

    ``close()`` releases engine resources (models, connections); the backend is unusable afterwards.

    Optional (not part of the protocol's type; callers look for it with ``getattr``): ``preload()`` starts
    loading the engine's models in the background and returns at once, never raising: a load that fails is
    raised by the first ``synthesize``, which waits for a load in progress. Callers that stream (``reader
    play``, through ``Narrator.preload``) call it as early as they know the voice, so that loading overlaps
    fetching and extracting the article. An engine with nothing slow to load has no ``preload``. Likewise
    optional: ``load()`` (load now, blocking) and ``cancel()`` (give up requests in flight on Ctrl-C), and
    ``first_chunk_alone`` (true when one call spreads over several cores: the pipeline then runs the first
    chunk it must make alone, so that it, which a listener waits for, has every core, and only then the rest
    ``max_workers`` at a time).
    """

    name: str
    version: str
    sample_rate: int
    max_chunk_chars: int
    max_workers: int

    def voices(self) -> list[VoiceInfo]: ...

    def synthesize(self, text: str, voice: str, rate: float = 1.0) -> Audio: ...

    def close(self) -> None: ...
