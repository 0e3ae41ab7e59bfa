"""What ``reader play SOURCE`` plays: an audio file as it is, or an article narrated while it is heard.

For an article (a URL, an HTML or text file), a ``Narrator`` fetches and extracts it (``Narrator.read``: with
the options' timeout, and the source its record names), then ``narrate_article`` runs on a background thread
into ``plays/NAME.mp3`` under the cache directory, and its ``listen`` hook feeds each chunk, as it is laid out,
into a ``LiveTrack``: playback starts as soon as the first chunk is synthesized, while the engine keeps
synthesizing ahead of the listener. The finished narration lands in the narration store, so a second play
of the same article is a copy from the store (no synthesis) and plays the MP3 file at once.

The live track is played at a gain measured on the first chunk (integrated loudness to the narration's
target, held below clipping), since the MP3's own loudness normalization can only be measured once the
whole track exists; the level is therefore close to, not exactly, the finished MP3's.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np

from reader._files import reason
from reader.audio import formats
from reader.audio.ffmpeg import LoudnessMeter
from reader.errors import OutputError
from reader.i18n import _
from reader.models import Article, Audio, Chunk
from reader.narration.pipeline import NarrateOptions, Narration, Narrator
from reader.play.tracks import FileTrack, LiveTrack, Track
from reader.settings import user_cache_dir
from reader.speech.synthesize import Progress

log = logging.getLogger(__name__)

#: The live track's sample peak stays this far below full scale (the MP3's limiter ceiling).
_PEAK_CEILING_DB = -1.5
_MAX_GAIN_DB = 20.0


def is_audio_file(spec: str) -> bool:
    """Whether ``spec`` names an audio file to play rather than an article to narrate: a name with an audio
    format's suffix (``.mp3``, ``.m4b``…; existing or not: a missing one is an error, not an article), or a
    file that starts like one."""
    if "://" in spec or spec == "-":
        return False
    path = Path(spec)
    return formats.by_suffix(path.suffix) is not None or formats.sniff(path) is not None


def plays_dir(cache_dir: Path | None = None) -> Path:
    """Where ``reader play ARTICLE`` writes the narrations it makes (with their .vtt and .json)."""
    return (cache_dir or user_cache_dir()) / "plays"


class _Cancelled(Exception):
    """Raised in the narration thread, through ``listen``, when the listener has gone."""


def first_chunk_gain(audio: Audio, target_lufs: float) -> float:
    """The gain (dB) that brings ``audio`` to ``target_lufs``, capped so its peak stays below the ceiling;
    0 when it is too short or quiet to measure."""
    with LoudnessMeter(audio.sample_rate) as meter:
        meter.feed(audio.pcm)
        loudness = meter.result().integrated_lufs
    if not math.isfinite(loudness) or loudness <= -70.0:
        return 0.0
    samples = np.frombuffer(audio.pcm[: audio.frames * 2], dtype=np.int16)
    peak = int(np.abs(samples.astype(np.int32)).max()) if len(samples) else 0
    ceiling = _PEAK_CEILING_DB - 20 * math.log10(peak / 32768) if peak else _MAX_GAIN_DB
    return max(-_MAX_GAIN_DB, min(_MAX_GAIN_DB, target_lufs - loudness, ceiling))


class ArticleStream:
    """Narrates ``article`` with ``narrator`` into ``output`` on a thread while a ``LiveTrack`` fills with its
    audio; ``source`` is what its record names (``Narrator.read``).

    ``start()`` returns the track to play as soon as there is one: the live track once the first chunk is
    laid out, or the finished MP3 when the narration came from the store. ``close()`` stops a narration that
    is not finished (its synthesized chunks stay in the chunk cache) and returns the narration, if it
    finished; a narration error is raised there.
    """

    def __init__(self, article: Article, narrator: Narrator, output: Path, source: str | None = None) -> None:
        self.article = article
        self.narrator = narrator
        self.output = output
        self.source = source
        self.progress: Progress | None = None  # the synthesis so far
        self.live: LiveTrack | None = None
        self.narration: Narration | None = None
        self.error: BaseException | None = None
        self._cancel = threading.Event()
        self._changed = threading.Condition()
        self._done = False
        self._thread = threading.Thread(target=self._run, name="narrate", daemon=True)

    def _listen(self, chunk: Chunk, audio: Audio, pause: float) -> None:
        if self._cancel.is_set():
            raise _Cancelled
        if self.live is None:
            titles = [c.title or self.article.title for c in self.article.chapters]
            gain = first_chunk_gain(audio, self.narrator.options.target_lufs)
            live = LiveTrack(audio.sample_rate, titles, self.article.title, gain_db=gain)
            live.add(chunk, audio, pause)
            with self._changed:
                self.live = live
                self._changed.notify_all()
        else:
            self.live.add(chunk, audio, pause)

    def _on_progress(self, progress: Progress) -> None:
        self.progress = progress

    def _run(self) -> None:
        try:
            self.narration = self.narrator.narrate_article(self.article, output=self.output, source=self.source,
                                                           progress=self._on_progress, listen=self._listen)
        except _Cancelled:
            pass
        except BaseException as exc:  # handed to the caller in start() or close()
            self.error = exc
        finally:
            if self.live is not None:
                self.live.finish(self.error)
            with self._changed:
                self._done = True
                self._changed.notify_all()

    def start(self) -> Track:
        """Start narrating; return the track to play once its first chunk is there."""
        self._thread.start()
        try:
            with self._changed:
                while self.live is None and not self._done:
                    self._changed.wait(0.1)  # short waits: Ctrl-C is seen at once
        except BaseException:
            self.close()
            raise
        if self.live is not None:
            return self.live
        if self.error is not None:
            error, self.error = self.error, None
            raise error
        assert self.narration is not None
        return FileTrack(self.narration.audio)

    @property
    def done(self) -> bool:
        return self._done

    def close(self) -> Narration | None:
        """Stop narrating if it is still going (when the listener quits early) and wait for the thread."""
        self._cancel.set()
        if self._thread.is_alive():
            self._thread.join()
        if self.error is not None and not isinstance(self.error, _Cancelled):
            error, self.error = self.error, None
            raise error
        return self.narration


def open_article(spec: str, options: NarrateOptions | None = None) -> ArticleStream:
    """Fetch and extract the article at ``spec``; the stream that will narrate it into the plays folder.

    The engine starts loading its model first (``Narrator.preload``: Kokoro's session is made on a thread of
    its own) so that the load overlaps fetching and extracting the page, and the narration starts with a
    short first chunk (``NarrateOptions.short_first``). When the narration then comes from the store, the
    load was for nothing: that costs one core for about a second while the file starts playing.
    """
    narrator = Narrator(replace(options or NarrateOptions(), use_cache=True, short_first=True))
    narrator.preload()
    article, source = narrator.read(spec)
    folder = plays_dir(narrator.options.cache_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(_("cannot create {folder}: {strerror}").format(
            folder=folder, strerror=reason(exc))) from exc
    return ArticleStream(article, narrator, folder / narrator.file_name(article), source)
