"""Every error the library raises on purpose: a base ``ReaderError`` and one-line subclasses.

Third-party errors are mapped to these where they enter (fetching, decoding, engines, ffmpeg), with
``raise … from exc``, so that the CLI can turn any ``ReaderError`` into a one-line message and an exit status.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ReaderError(Exception):
    """Base class: a failure the user can understand from its message alone."""

    exit_code = 1


class UsageError(ReaderError):
    """The input or an option is malformed (missing file, bad scheme, bad value)."""

    exit_code = 2


class FetchError(ReaderError):
    """The input could not be read or downloaded."""


class DecodeError(ReaderError):
    """The bytes are not text in any encoding we can recognise (binary, empty)."""


class ExtractError(ReaderError):
    """The page holds no article text."""


class SegmentError(ReaderError):
    """The article has nothing speakable in it."""


class ConfigError(UsageError):
    """A voice preset, lexicon or setting is invalid."""


class BackendUnavailable(ReaderError):
    """A synthesis engine is not installed or cannot start; the message says how to install it."""


class SynthesisError(ReaderError):
    """An engine failed to speak a chunk."""


class AudioError(ReaderError):
    """Assembling, encoding or tagging the audio failed (ffmpeg, disk)."""


class OutputError(ReaderError):
    """The output cannot be written (directory missing or read-only, disk full)."""


class RecordError(ReaderError):
    """A narration record (the JSON beside the audio, or a store entry) is missing, damaged or too new."""


class PageError(ReaderError):
    """A listen page cannot be made: the narration's manifest is missing or is not a reader manifest."""


class LibraryError(ReaderError):
    """A batch library cannot be used: its catalog is damaged or newer than this reader, or it is in use."""


class ClusterError(ReaderError):
    """A Dask cluster cannot be used: ``distributed`` is missing, the scheduler cannot be reached or was lost,
    or a worker narrates with other settings than the batch."""


class BatchInterrupted(ReaderError):
    """A batch was stopped (Ctrl-C) cleanly: what finished is kept, the next run resumes."""

    exit_code = 130


class InstallError(ReaderError):
    """A voice cannot be installed into the environment reader runs in (no pip there, read-only, pip failed)."""


class PlaybackError(ReaderError):
    """A track cannot be played: not an audio file reader plays, or no sound device to play it on."""


class QueueFull(ReaderError):
    """``reader serve``'s queue is at its bound; ``retry_after``: seconds worth waiting (HTTP 429)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class OffSite(ReaderError):
    """A URL ``reader serve`` was asked for is not under one of its sites (HTTP 403)."""


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """The end of an "unknown NAME" message: ``"; did you mean 'x'?"`` with the known names closest to a
    mistyped ``name`` (difflib, case-insensitive), or ``" (known: a, b, c)"`` when none is close."""
    names = sorted(known)
    scores = {n: difflib.SequenceMatcher(None, name.casefold(), n.casefold()).ratio() for n in names}
    best = max(scores.values(), default=0.0)
    # The closest names only: a clear winner is named alone, near ties together.
    close = sorted((n for n, score in scores.items() if score >= max(0.6, best - 0.08)), key=lambda n: -scores[n])[:3]
    from reader.i18n import _

    if close:
        return _("; did you mean {names}?").format(names=_(" or ").join(repr(c) for c in close))
    return _(" (known: {names})").format(names=", ".join(names))
