"""What the player plays: an audio file, or a narration that grows while it is being synthesized.

A ``Track`` hands out 16-bit PCM frames by position, with the track's chapters and the sentences to show.

- ``FileTrack``: a file in any format reader writes (``reader.audio.formats``), streamed from the file, so
  memory does not grow with its length. An MP3 is decoded by ``miniaudio`` (its own dr_mp3 decoder: no
  ffmpeg, no system packages); it is gapless (it drops the encoder delay recorded in the LAME header):
  measured sample-exact against ffmpeg on our MP3s, so frame N here is frame N of the track the CHAP times
  are written against (see ``reader/audio/tags.py``). miniaudio decodes neither AAC nor Opus, so M4B/M4A,
  Opus and WAV are decoded by the bundled ffmpeg (``reader.audio.ffmpeg.DecodeStream``: a pipe read block by
  block, restarted at the new position on a seek), gapless too (edit list, pre-skip). Chapters come from the
  file's own tags, each format's way (ID3 CHAP/CTOC, MP4 chapters, Vorbis comments), so files chaptered by
  other tools play too (a WAV has none: its chapters come from the ``NAME.json`` record beside it); the
  sentence being read comes from a sidecar beside it (``NAME.vtt``, else the ``NAME.json`` manifest), if
  there is one.
- ``LiveTrack``: PCM appended chunk by chunk as ``narrate_article`` lays the track out (its ``listen``
  hook), with the same sample positions as the MP3 being assembled from it, so chapters and sentences are
  known as soon as their audio is.

Reads happen on the audio thread; a ``LiveTrack`` is fed from the narration thread (it locks).
"""

from __future__ import annotations

import bisect
import logging
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import miniaudio
import numpy as np
import numpy.typing as npt

from reader.audio import formats
from reader.audio.ffmpeg import DecodeStream, probe_audio
from reader.errors import PlaybackError, ReaderError, RecordError, UsageError
from reader.i18n import _
from reader.models import Audio, ChapterMark, Chunk, Cue
from reader.narration.record import ChunkRecord, NarrationRecord, SentenceJoiner
from reader.narration.vtt import parse_webvtt

log = logging.getLogger(__name__)

PCM = npt.NDArray[np.int16]  # shape (frames, channels)

#: How many frames the file decoder hands out per step.
_DECODE_BLOCK = 4096
#: ffmpeg states a file's duration to 10 ms: an end this close to it is the end, not a truncated file.
_DURATION_SLACK = 0.02


class Track:
    """The interface the player reads. Positions are in frames of ``sample_rate``."""

    title: str = ""
    sample_rate: int = 0
    channels: int = 1

    def read(self, frame: int, count: int) -> PCM:
        """Up to ``count`` frames from ``frame`` on (fewer at the end of what is available, none past it)."""
        raise NotImplementedError

    def available(self) -> int:
        """Frames that can be read now (the length, once ``complete``)."""
        raise NotImplementedError

    def complete(self) -> bool:
        """True when no more frames will come."""
        return True

    def chapters(self) -> list[ChapterMark]:
        return []

    def cues(self) -> list[Cue]:
        return []

    def coming(self) -> list[str]:
        """Titles of the chapters still to come (a track being narrated); [] once complete."""
        return []

    def close(self) -> None:
        """Release the decoder or buffers."""


def empty_pcm(channels: int) -> PCM:
    return np.zeros((0, channels), dtype=np.int16)


class FileTrack(Track):
    """An audio file (MP3, M4B/M4A, Opus, WAV). ``PlaybackError`` if it is none of them; a truncated file
    plays up to where its audio ends."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.is_file():
            raise UsageError(_("{path}: no such file").format(path=path))
        fmt = formats.sniff(path) or formats.by_suffix(path.suffix)
        if fmt is None:
            known = ", ".join(f.label for f in formats.FORMATS.values())
            raise PlaybackError(_("{path}: not an audio file reader plays ({known})").format(path=path, known=known))
        self.format: formats.AudioFormat = fmt
        self._ffmpeg = self.format is not formats.MP3
        self._slack = 0
        if self._ffmpeg:
            try:
                stream = probe_audio(path)
            except ReaderError as exc:
                raise PlaybackError(_("{path}: not a {label} file (or a damaged one)").format(path=path, label=self.format.label)) from exc
            # Opus decodes at 48 kHz whatever it was made from; play it at the rate it was made at.
            self.sample_rate = formats.opus_input_rate(path) or stream.sample_rate
            self.channels = stream.channels
            self._length = round(stream.duration * self.sample_rate)
            self._slack = round(_DURATION_SLACK * self.sample_rate)
        else:
            try:
                info = miniaudio.mp3_get_file_info(str(path))
            except (miniaudio.MiniaudioError, OSError) as exc:
                raise PlaybackError(_("{path}: not an MP3 file (or a damaged one)").format(path=path)) from exc
            self.sample_rate = info.sample_rate
            self.channels = info.nchannels
            # The frame count from the Xing/LAME header: a truncated file has fewer, found when decoding ends.
            self._length = info.num_frames
        if self._length <= 0 or self.sample_rate <= 0:
            raise PlaybackError(_("{path}: the {label} holds no audio").format(path=path, label=self.format.label))
        self._stream: Iterator[Any] | None = None
        self._next = 0  # the frame the open stream hands out next
        self._pending = empty_pcm(self.channels)
        # A format without chapters (WAV) takes them from the narration's record beside it, if there is one.
        chapters = _chapters_of(path, self.format) if self.format.chapters else sidecar_chapters(path)
        self._chapters = _fit_chapters(chapters, self._length / self.sample_rate)
        self._cues = sidecar_cues(path)
        self.title = _title_of(path, self.format)

    def available(self) -> int:
        return self._length

    def chapters(self) -> list[ChapterMark]:
        return self._chapters

    def cues(self) -> list[Cue]:
        return self._cues

    def _open(self, frame: int) -> None:
        self.close()
        if self._ffmpeg:
            try:
                self._stream = DecodeStream(self.path, frame / self.sample_rate, self.sample_rate,
                                            self.channels, _DECODE_BLOCK, self.format.decode_args)
            except ReaderError as exc:
                raise PlaybackError(_("{path}: cannot decode: {exc}").format(path=self.path, exc=exc)) from exc
            self._next = frame
            return
        try:
            self._stream = miniaudio.stream_file(
                str(self.path), output_format=miniaudio.SampleFormat.SIGNED16, nchannels=self.channels,
                sample_rate=self.sample_rate, frames_to_read=_DECODE_BLOCK, seek_frame=frame)
        except (miniaudio.MiniaudioError, OSError):
            # Seeking past the audio a truncated file holds: the track ends before here.
            self._truncated_at(frame)
            return
        self._next = frame

    def _truncated_at(self, frame: int) -> None:
        if self._length - self._slack <= frame < self._length:
            self._length = frame  # the end ffmpeg's rounded duration did not say to the frame
            self._chapters = _fit_chapters(self._chapters, frame / self.sample_rate)
        elif frame < self._length:
            log.warning(_("%s: the audio ends at %.1f s, before the %.1f s its header declares (truncated?)"),
                        self.path, frame / self.sample_rate, self._length / self.sample_rate)
            self._length = frame
            self._chapters = _fit_chapters(self._chapters, frame / self.sample_rate)

    def read(self, frame: int, count: int) -> PCM:
        if frame >= self._length or count <= 0:
            return empty_pcm(self.channels)
        if self._stream is None or frame != self._next:
            self._open(frame)
            self._pending = empty_pcm(self.channels)
            if self._stream is None:
                return empty_pcm(self.channels)
        count = min(count, self._length - frame)
        parts = [self._pending[:count]]
        have = len(parts[0])
        self._pending = self._pending[count:]
        while have < count:
            try:
                block = next(self._stream)
            except StopIteration:
                self._truncated_at(self._next + have)
                self._stream = None
                break
            except miniaudio.MiniaudioError:
                self._truncated_at(self._next + have)
                self._stream = None
                break
            samples = np.frombuffer(block, dtype=np.int16).reshape(-1, self.channels)
            if not len(samples):
                continue
            take = samples[: count - have]
            parts.append(take)
            have += len(take)
            self._pending = samples[len(take):]
        out = np.concatenate(parts) if len(parts) > 1 else parts[0]
        self._next = frame + len(out)
        return out

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.close()  # type: ignore[attr-defined]


def _title_of(path: Path, fmt: formats.AudioFormat) -> str:
    try:
        return fmt.read_tags(path).title or path.stem
    except Exception:  # no tag, a damaged one: the file name will do
        return path.stem


def _chapters_of(path: Path, fmt: formats.AudioFormat) -> list[ChapterMark]:
    try:
        return fmt.read_chapters(path)
    except ReaderError as exc:
        log.warning(_("%s: chapters unreadable, playing without them (%s)"), path, exc)
        return []


def _fit_chapters(chapters: Sequence[ChapterMark], duration: float) -> list[ChapterMark]:
    """Chapters in order of start, inside the track; each ends where the next starts (CHAP end times written
    by other tools are often missing or overlapping)."""
    starts = sorted((c for c in chapters if 0 <= c.start < duration), key=lambda c: c.start)
    fitted: list[ChapterMark] = []
    for i, c in enumerate(starts):
        end = starts[i + 1].start if i + 1 < len(starts) else duration
        if end > c.start:
            fitted.append(ChapterMark(c.title, c.start, end))
    return fitted


def sidecar_chapters(audio: Path) -> list[ChapterMark]:
    """The chapters of ``audio`` from its ``NAME.json`` record; [] if there is none or it is unreadable."""
    record = audio.with_suffix(".json")
    if record.is_file():
        try:
            return NarrationRecord.read(record).chapters
        except RecordError as exc:
            log.warning("%s", exc)
    return []


def sidecar_cues(audio: Path) -> list[Cue]:
    """The sentences of ``audio`` from its ``NAME.json`` record (whole sentences), else the cues of
    ``NAME.vtt`` (subtitle-sized, maybe another tool's); [] if neither is there or readable (a damaged sidecar
    only costs the sentence display, with a warning)."""
    vtt, record = audio.with_suffix(".vtt"), audio.with_suffix(".json")
    if record.is_file():
        try:
            return NarrationRecord.read(record).cues()
        except RecordError as exc:
            log.warning("%s", exc)
    if vtt.is_file():
        try:
            return [Cue(c.start, c.end, " ".join(c.text.split())) for c in parse_webvtt(vtt.read_text("utf-8"))]
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            log.warning(_("%s: unreadable subtitles (%s)"), vtt, exc)
    return []


class LiveTrack(Track):
    """A track laid out while it is narrated: mono PCM, chapters and sentences appended as chunks come.

    ``add(chunk, audio, pause)`` places the chunk's audio and then ``pause`` seconds of silence, exactly as
    ``reader.audio.assemble`` lays out the MP3 (positions in samples, the pause rounded once), so times here are
    the times of the finished MP3. ``gain_db`` is applied to what is read (the engine's raw level; the MP3
    is loudness-normalized when it is encoded, after the last chunk). ``finish()`` marks the end.
    """

    def __init__(self, sample_rate: int, titles: Sequence[str], title: str = "", gain_db: float = 0.0) -> None:
        self.sample_rate = sample_rate
        self.channels = 1
        self.title = title
        self.gain = 10 ** (gain_db / 20)
        self._titles = list(titles)
        self._pcm = bytearray()
        self._chapters: list[ChapterMark] = []
        self._chapter_ids: list[int] = []
        self._cues: list[Cue] = []
        self._sentences = SentenceJoiner()
        self._complete = False
        self.error: BaseException | None = None
        self._lock = threading.Lock()
        self._grown = threading.Condition(self._lock)

    @property
    def frames(self) -> int:
        return len(self._pcm) // 2

    def add(self, chunk: Chunk, audio: Audio, pause: float) -> None:
        pcm = np.frombuffer(audio.pcm[: audio.frames * 2], dtype=np.int16)
        if audio.sample_rate != self.sample_rate:  # a fallback engine at another rate (rare)
            pcm = _resample(pcm, audio.sample_rate, self.sample_rate)
        if self.gain != 1.0:
            pcm = np.clip(pcm.astype(np.float32) * self.gain, -32768, 32767).astype(np.int16)
        silence = round(pause * self.sample_rate)
        with self._lock:
            start = self.frames / self.sample_rate
            self._pcm += pcm.tobytes()
            end = self.frames / self.sample_rate
            self._pcm += bytes(2 * silence)
            if not self._chapter_ids or chunk.chapter != self._chapter_ids[-1]:
                title = self._titles[chunk.chapter] if 0 <= chunk.chapter < len(self._titles) else ""
                self._chapter_ids.append(chunk.chapter)
                self._chapters.append(ChapterMark(title, 0.0 if not self._chapters else start, end))
            placed = ChunkRecord(chunk.text, chunk.spoken, chunk.chapter, chunk.paragraph, chunk.kind,
                                 chunk.pause_after, start, end, "", "", "")
            self._cues.extend(s.cue for s in self._sentences.add(placed))
            self._grown.notify_all()

    def finish(self, error: BaseException | None = None) -> None:
        with self._lock:
            self._cues.extend(s.cue for s in self._sentences.finish())
            self._complete = True
            self.error = error
            self._grown.notify_all()

    def wait(self, frames: int, timeout: float) -> bool:
        """Wait until more than ``frames`` frames are there, or the track is complete; False on timeout."""
        with self._lock:
            return self._grown.wait_for(lambda: self.frames > frames or self._complete, timeout)

    def available(self) -> int:
        with self._lock:
            return self.frames

    def complete(self) -> bool:
        with self._lock:
            return self._complete

    def chapters(self) -> list[ChapterMark]:
        with self._lock:
            end = self.frames / self.sample_rate
            # Each chapter ends where the next starts; the last one, for now, where the audio so far ends.
            return [ChapterMark(c.title, c.start, self._chapters[i + 1].start if i + 1 < len(self._chapters)
                                else end) for i, c in enumerate(self._chapters)]

    def cues(self) -> list[Cue]:
        with self._lock:
            return list(self._cues)

    def coming(self) -> list[str]:
        with self._lock:
            if self._complete:
                return []
            after = self._chapter_ids[-1] + 1 if self._chapter_ids else 0
            return self._titles[after:]

    def read(self, frame: int, count: int) -> PCM:
        with self._lock:
            stop = min(self.frames, frame + max(0, count))
            if frame >= stop:
                return empty_pcm(1)
            data = bytes(self._pcm[2 * frame : 2 * stop])
        return np.frombuffer(data, dtype=np.int16).reshape(-1, 1)


def _resample(pcm: npt.NDArray[np.int16], source_rate: int, target_rate: int) -> npt.NDArray[np.int16]:
    """Linear interpolation to ``target_rate``, the same length in frames as ``reader.audio.assemble`` gives
    (pydub's ratecv) within a sample: good enough for the rare chunk of a fallback engine."""
    n = round(len(pcm) * target_rate / source_rate)
    if n == 0 or len(pcm) == 0:
        return np.zeros(0, dtype=np.int16)
    x = np.linspace(0, len(pcm) - 1, n)
    return np.interp(x, np.arange(len(pcm)), pcm.astype(np.float64)).astype(np.int16)


def chapter_at(chapters: Sequence[ChapterMark], seconds: float) -> int | None:
    """The index of the chapter playing at ``seconds`` (None before the first one)."""
    i = bisect.bisect_right([c.start for c in chapters], seconds + 1e-6) - 1
    return i if i >= 0 else None


def cue_at(cues: Sequence[Cue], seconds: float) -> int | None:
    """The sentence being read at ``seconds``: the last one that has started (so it stays shown in the pause
    after it); None before the first."""
    i = bisect.bisect_right([c.start for c in cues], seconds + 1e-6) - 1
    return i if i >= 0 else None
