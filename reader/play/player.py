"""The player: a ``Track`` played with pause, seek, chapters and speed, pulled block by block by an output.

``Player.render(frames)`` is the one place audio is made: an output (the sound device's callback, or the
WAV sink of ``reader.play.outputs``) calls it for the next block and plays what it returns, so tests
that read the sink hear exactly what a speaker would. Controls (``pause``, ``seek``, ``next_chapter``,
``set_speed``…) may be called from any thread; they take effect at the next block.

Speed changes keep the pitch: at any speed but 1.0 the PCM goes through WSOLA time-scale modification
(``audiotsm``, numpy), which drops or repeats whole pitch periods instead of resampling. At 1.0 the samples
pass through untouched. The position is the position in the track (input frames consumed), so at 1.5× the
position advances 1.5 s for every second of sound.

Events (``PlayerEvent``) go to the ``on_event`` callback: a new chapter or sentence, a change of state or
speed, the end. It is called on the thread that caused it (usually the audio thread), after the player's
lock is released, so it may call the player; it should be quick.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np

from reader.errors import UsageError
from reader.i18n import _
from reader.models import ChapterMark, Cue
from reader.play.tracks import PCM, LiveTrack, Track, chapter_at, cue_at, empty_pcm
from reader.settings import (
    PLAY_RESTART_SECONDS,
    PLAY_SEEK_SECONDS,
    PLAY_SPEED_MAX,
    PLAY_SPEED_MIN,
    PLAY_SPEED_STEP,
)

log = logging.getLogger(__name__)

#: Input frames fed to the time stretcher at a time.
_TSM_BLOCK = 2048


class PlayerState(StrEnum):
    PLAYING = "playing"
    PAUSED = "paused"
    ENDED = "ended"


@dataclass(frozen=True)
class PlayerEvent:
    """``kind``: "chapter" (``index`` is the new chapter), "sentence" (``index`` of the cue, ``text``),
    "state" (``text`` is the new ``PlayerState``), "speed" (``value``), "end", or "error" (``text``).
    ``position`` is the track position in seconds when it happened."""

    kind: str
    position: float
    index: int | None = None
    text: str | None = None
    value: float | None = None


EventCallback = Callable[[PlayerEvent], None]


class _Stretcher:
    """audiotsm's WSOLA run block by block on int16 PCM."""

    def __init__(self, channels: int, speed: float) -> None:
        from audiotsm import wsola

        self.channels = channels
        self.tsm: Any = wsola(channels, speed=speed)
        self.flushed = False

    def feed(self, pcm: PCM) -> PCM:
        from audiotsm.io.array import ArrayReader, ArrayWriter

        reader, writer = ArrayReader(pcm.T.astype(np.float32) / 32768), ArrayWriter(self.channels)
        while not reader.empty:
            self.tsm.read_from(reader)
            self.tsm.write_to(writer)
        return self._pcm(writer.data)

    def flush(self) -> PCM:
        from audiotsm.io.array import ArrayWriter

        writer = ArrayWriter(self.channels)
        finished = False
        while not finished:
            _written, finished = self.tsm.flush_to(writer)
        self.flushed = True
        return self._pcm(writer.data)

    @staticmethod
    def _pcm(data: Any) -> PCM:
        return np.clip(np.round(data.T * 32768), -32768, 32767).astype(np.int16)


class Player:
    """Plays ``track``; starts at ``start_chapter`` (0-based) when given, and paused when ``paused``.

    On a ``LiveTrack`` a chapter that is not synthesized yet is waited for; the player waits likewise when it
    catches up with the narration (``waiting`` is then true).
    """

    def __init__(self, track: Track, *, on_event: EventCallback | None = None, start_chapter: int | None = None,
                 speed: float = 1.0, paused: bool = False) -> None:
        self.track = track
        self.on_event = on_event
        self._lock = threading.RLock()
        self._ended = threading.Event()
        self._pos = 0  # the next input frame
        self._speed = round(min(PLAY_SPEED_MAX, max(PLAY_SPEED_MIN, speed)), 4)
        self._stretcher: _Stretcher | None = None
        self._out = empty_pcm(track.channels)  # stretched output not yet handed out
        self._anchor = 0  # the input frame where the stretcher started
        self._emitted = 0  # frames of sound it has handed out since
        self._state = PlayerState.PAUSED if paused else PlayerState.PLAYING
        self._chapter: int | None = None
        self._cue: int | None = None
        self._waiting = False
        self._pending_chapter: int | None = None
        self.error: BaseException | None = None
        self._events: list[PlayerEvent] = []
        self._reset_stretcher()
        if start_chapter is not None:
            if start_chapter < 0:
                raise UsageError(_("chapter {value} does not exist").format(value=start_chapter + 1))
            chapters = track.chapters()
            if start_chapter < len(chapters):
                self._jump(self._frame(chapters[start_chapter].start))
            elif isinstance(track, LiveTrack) and not track.complete():
                self._pending_chapter = start_chapter
            else:
                raise UsageError(_("chapter {value} does not exist (the track has "
                                    "{chapters_count})").format(
                                        value=start_chapter + 1, chapters_count=len(chapters)))

    # -- what is playing ---------------------------------------------------------------------------------

    @property
    def state(self) -> PlayerState:
        return self._state

    @property
    def speed(self) -> float:
        return self._speed

    @property
    def waiting(self) -> bool:
        """Playing, but the narration has not reached this point yet (a ``LiveTrack``)."""
        return self._waiting

    @property
    def position(self) -> float:
        """Seconds into the track of what is being played now."""
        with self._lock:
            return self._position()

    def _position(self) -> float:
        frame = self._pos
        if self._stretcher is not None and not self._stretcher.flushed:
            # The stretcher holds input it has not turned into sound yet: what has been heard is the
            # sound handed out since it started, at ``speed`` frames of track per frame of sound.
            frame = min(frame, self._anchor + round(self._emitted * self._speed))
        return frame / self.track.sample_rate

    @property
    def duration(self) -> float | None:
        """The track's length in seconds; None while it is still being narrated."""
        if not self.track.complete():
            return None
        return self.track.available() / self.track.sample_rate

    @property
    def available(self) -> float:
        """Seconds of the track that can be played now (all of it, unless it is being narrated)."""
        return self.track.available() / self.track.sample_rate

    @property
    def chapters(self) -> list[ChapterMark]:
        return self.track.chapters()

    @property
    def chapter_index(self) -> int | None:
        return chapter_at(self.track.chapters(), self.position)

    @property
    def sentence(self) -> Cue | None:
        cues = self.track.cues()
        i = cue_at(cues, self.position)
        return cues[i] if i is not None else None

    def wait(self, timeout: float | None = None) -> bool:
        """Block until playback has ended (True) or ``timeout`` passed (False)."""
        return self._ended.wait(timeout)

    @property
    def ended(self) -> bool:
        return self._ended.is_set()

    # -- controls ----------------------------------------------------------------------------------------
    # Each takes the lock once, queues its events, and hands them out after releasing it.

    def play(self) -> None:
        with self._lock:
            self._set_state(PlayerState.PLAYING)
        self._dispatch()

    def pause(self) -> None:
        with self._lock:
            self._set_state(PlayerState.PAUSED)
        self._dispatch()

    def toggle(self) -> None:
        """Pause when playing, play when paused."""
        with self._lock:
            if self._state is PlayerState.PLAYING:
                self._set_state(PlayerState.PAUSED)
            elif self._state is PlayerState.PAUSED:
                self._set_state(PlayerState.PLAYING)
        self._dispatch()

    def stop(self) -> None:
        """End playback now (the outputs stop pulling)."""
        with self._lock:
            self._set_state(PlayerState.ENDED)
        self._dispatch()

    def seek(self, seconds: float) -> None:
        """Go to ``seconds`` into the track (clamped to what can be played; the end ends playback)."""
        with self._lock:
            self._seek(seconds)
        self._dispatch()

    def seek_by(self, delta: float) -> None:
        with self._lock:
            self._seek(self._position() + delta)
        self._dispatch()

    def forward(self) -> None:
        self.seek_by(PLAY_SEEK_SECONDS)

    def back(self) -> None:
        self.seek_by(-PLAY_SEEK_SECONDS)

    def goto_chapter(self, index: int) -> bool:
        """Start chapter ``index`` (0-based); False if there is no such chapter (yet)."""
        with self._lock:
            done = self._goto(index)
        self._dispatch()
        return done

    def next_chapter(self) -> bool:
        """The next chapter; from the last one, the end of the track. False if it is not narrated yet, or
        if the track has no chapters at all (then there is nothing to skip to)."""
        with self._lock:
            chapters = self.track.chapters()
            current = chapter_at(chapters, self._position())
            target = 0 if current is None else current + 1
            if not chapters:
                done = False
            elif target < len(chapters):
                done = self._goto(target)
            elif self.track.complete():
                self._seek(self.track.available() / self.track.sample_rate)
                done = True
            else:
                done = False
        self._dispatch()
        return done

    def previous_chapter(self) -> bool:
        """The start of this chapter, or of the one before when this one began less than
        ``PLAY_RESTART_SECONDS`` ago (as CD players do)."""
        with self._lock:
            chapters = self.track.chapters()
            position = self._position()
            current = chapter_at(chapters, position)
            if current is None:
                self._seek(0.0)
            elif position - chapters[current].start > PLAY_RESTART_SECONDS or current == 0:
                self._goto(current)
            else:
                self._goto(current - 1)
        self._dispatch()
        return True

    def set_speed(self, speed: float) -> None:
        """Playback speed, ``PLAY_SPEED_MIN``–``PLAY_SPEED_MAX`` (clamped), pitch unchanged."""
        speed = round(min(PLAY_SPEED_MAX, max(PLAY_SPEED_MIN, speed)), 4)
        with self._lock:
            if speed != self._speed:
                self._pos = self._frame(self._position())  # stretched but not yet played: played again
                self._speed = speed
                self._reset_stretcher()
                self._events.append(PlayerEvent("speed", self._position(), value=speed))
        self._dispatch()

    def faster(self) -> None:
        self.set_speed(self._speed + PLAY_SPEED_STEP)

    def slower(self) -> None:
        self.set_speed(self._speed - PLAY_SPEED_STEP)

    # -- making sound ------------------------------------------------------------------------------------

    def render(self, frames: int) -> PCM:
        """The next ``frames`` frames to play, shape (n, channels), int16; fewer (or none) when paused,
        waiting for the narration, or at the end. Outputs call this; a device plays silence for the rest."""
        try:
            with self._lock:
                out = self._render(frames) if self._state is PlayerState.PLAYING else empty_pcm(self.track.channels)
                if self._pending_chapter is None:
                    self._notice()
        except Exception as exc:  # a decoder failing mid-track: stop with the error, never kill the audio thread
            log.debug("playback failed", exc_info=True)
            with self._lock:
                self.error = exc
                self._events.append(PlayerEvent("error", self._position(), text=str(exc)))
                self._set_state(PlayerState.ENDED)
            out = empty_pcm(self.track.channels)
        self._dispatch()
        return out

    def _render(self, frames: int) -> PCM:
        track = self.track
        if self._pending_chapter is not None:
            chapters = track.chapters()
            if self._pending_chapter < len(chapters):
                self._jump(self._frame(chapters[self._pending_chapter].start))
                self._pending_chapter = None
            elif track.complete():
                self._pending_chapter = None
                self._jump(self._frame(chapters[-1].start) if chapters else 0)
            else:
                self._waiting = True
                return empty_pcm(track.channels)
        if self._stretcher is None:
            out = track.read(self._pos, frames)
            self._pos += len(out)
        else:
            out = self._render_stretched(frames)
        if len(out) < frames:
            if track.complete() and self._pos >= track.available() and not len(self._out):
                if self._stretcher is None or self._stretcher.flushed:
                    self._set_state(PlayerState.ENDED)
            else:
                self._waiting = not track.complete()
        else:
            self._waiting = False
        return out

    def _render_stretched(self, frames: int) -> PCM:
        assert self._stretcher is not None
        parts: list[PCM] = []
        have = 0
        while have < frames:
            if len(self._out):
                take = self._out[: frames - have]
                self._out = self._out[len(take):]
                parts.append(take)
                have += len(take)
                continue
            if self._stretcher.flushed:
                break
            block = self.track.read(self._pos, _TSM_BLOCK)
            if len(block):
                self._pos += len(block)
                self._out = self._stretcher.feed(block)
            elif self.track.complete() and self._pos >= self.track.available():
                self._out = self._stretcher.flush()
            else:
                break  # waiting for the narration
        self._emitted += have
        return np.concatenate(parts) if parts else empty_pcm(self.track.channels)

    # -- internals ---------------------------------------------------------------------------------------

    def _frame(self, seconds: float) -> int:
        return round(seconds * self.track.sample_rate)

    def _jump(self, frame: int) -> None:
        available = self.track.available()
        frame = min(frame, available)  # on a track being narrated: wait there for the rest
        self._pos = frame
        self._reset_stretcher()
        self._notice()
        if self.track.complete() and frame >= available:
            self._set_state(PlayerState.ENDED)

    def _reset_stretcher(self) -> None:
        self._out = empty_pcm(self.track.channels)
        self._anchor, self._emitted = self._pos, 0
        self._stretcher = None if self._speed == 1.0 else _Stretcher(self.track.channels, self._speed)

    def _seek(self, seconds: float) -> None:
        if self._state is PlayerState.ENDED:
            return
        self._pending_chapter = None
        self._jump(self._frame(max(0.0, seconds)))

    def _goto(self, index: int) -> bool:
        chapters = self.track.chapters()
        if not 0 <= index < len(chapters):
            return False
        self._seek(chapters[index].start)
        return True

    def _set_state(self, state: PlayerState) -> None:
        if self._state is state or self._state is PlayerState.ENDED:
            return
        self._state = state
        self._events.append(PlayerEvent("state", self._position(), text=str(state)))
        if state is PlayerState.ENDED:
            self._events.append(PlayerEvent("end", self._position()))
            self._ended.set()

    def _notice(self) -> None:
        """Queue events for a change of chapter or sentence at the current position."""
        position = self._position()
        chapter = chapter_at(self.track.chapters(), position)
        if chapter != self._chapter:
            self._chapter = chapter
            if chapter is not None:
                self._events.append(PlayerEvent("chapter", position, index=chapter,
                                                text=self.track.chapters()[chapter].title))
        cues = self.track.cues()
        cue = cue_at(cues, position)
        if cue != self._cue:
            self._cue = cue
            if cue is not None:
                self._events.append(PlayerEvent("sentence", position, index=cue, text=cues[cue].text))

    def _dispatch(self) -> None:
        """Hand the queued events to the callback; called without the lock held."""
        with self._lock:
            events, self._events = self._events, []
        if self.on_event is not None:
            for event in events:
                try:
                    self.on_event(event)
                except Exception:  # a listener's bug must not stop the sound (this may be the audio thread)
                    log.exception("the player's event callback failed on %s", event)
