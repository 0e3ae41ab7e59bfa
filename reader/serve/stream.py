"""The first sentences of a narration, heard before the whole article is made.

While a job narrates, each chunk of the track, as the assembler lays it out (in reading order: the narrator's
``listen`` callback), is written to the job's stream folder as a small WAV file: the chunk's audio followed by
the pause after it, so that the files played one after another sound as the track does. Each file is written
to a temporary name and renamed, and only a renamed file is listed: a file listed is whole.

The folders live in ``.streams`` of the library (hidden: ``/media`` never serves it), one per job, by the job's
id; ``/api/v1/narrations/{id}/stream/{n}.wav`` serves them (``Streams.file``), and the job's status lists them
(``chunks``). They are not the narration: the final file is the loudness-normalized track that the library
keeps, and the widget moves to it, at the same chunk, once it is done. A folder is removed when its job has
been done for a while (the widget has moved on by then), and the whole ``.streams`` at start and stop.

The first chunk of a narration is already short (the title, a sentence of its own), and the narrator
synthesizes in reading order, so the first file is ready after one sentence's synthesis.
"""

from __future__ import annotations

import io
import re
import shutil
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reader._files import write_atomic
from reader.models import Audio, Chunk

STREAMS = ".streams"
#: Finished jobs whose stream stays servable (the most recent ones): a listener still on a chunk keeps it.
KEEP_FINISHED = 16
_NAME = re.compile(r"^(\d{1,6})\.wav$")


@dataclass(frozen=True)
class StreamChunk:
    """One chunk heard ahead: its number in the track, its text (what the widget highlights), and the
    seconds of its file (the chunk and the pause after it)."""

    index: int
    text: str
    duration: float


def wav_bytes(audio: Audio, pause: float) -> bytes:
    """``audio`` and ``pause`` seconds of silence after it, as a WAV file."""
    silence = b"\0\0" * round(max(0.0, pause) * audio.sample_rate)
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(audio.sample_rate)
        wav.writeframes(audio.pcm + silence)
    return out.getvalue()


def writer(folder: Path, report: Callable[[StreamChunk], None]) -> Callable[[Chunk, Audio, float], None]:
    """A narrator's ``listen`` callback writing each chunk laid out to ``folder`` (``0.wav``, ``1.wav`` …,
    temp file and rename), then telling ``report``."""
    folder.mkdir(parents=True, exist_ok=True)
    index = 0

    def listen(chunk: Chunk, audio: Audio, pause: float) -> None:
        nonlocal index
        write_atomic(folder / f"{index}.wav", wav_bytes(audio, pause))
        report(StreamChunk(index, chunk.text, round(audio.duration + max(0.0, pause), 3)))
        index += 1

    return listen


class Streams:
    """The library's ``.streams`` folder: one folder per job narrating (see the module docstring)."""

    def __init__(self, library: Path) -> None:
        self.root = library / STREAMS
        self._finished: list[str] = []

    def clear(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def folder(self, key: str) -> Path:
        """The stream folder of job ``key`` (emptied: a job starts its stream anew)."""
        folder = self.root / key
        shutil.rmtree(folder, ignore_errors=True)
        return folder

    def finished(self, key: str) -> None:
        """Job ``key`` ended: its folder stays until ``KEEP_FINISHED`` later jobs have ended."""
        if key in self._finished:
            self._finished.remove(key)
        self._finished.append(key)
        while len(self._finished) > KEEP_FINISHED:
            shutil.rmtree(self.root / self._finished.pop(0), ignore_errors=True)

    def file(self, key: str, name: str) -> Path | None:
        """The stream file ``name`` (``3.wav``) of job ``key``, if it is whole (renamed into place)."""
        if not re.fullmatch(r"[0-9a-z_.-]{1,80}", key) or key.startswith(".") or not _NAME.match(name):
            return None
        path = self.root / key / name
        try:
            if path.is_symlink() or not path.is_file() or (self.root / key).is_symlink():
                return None
        except OSError:
            return None
        return path
