"""The chunk cache: synthesized chunks by content (finished narrations are ``reader.narration.store``).

The key is a hash of everything that decides the audio (backend, engine version, voice, rate, spoken text),
so re-narrating an unchanged article synthesizes nothing and editing one paragraph redoes only its chunks.
Each entry carries a SHA-256 of everything else in it (its header, the sample rate among it, and its
samples), and its values are checked when read: a rate no engine uses is damage, and a chunk whose duration
cannot be its text spoken (``plausible``) is too. A truncated, flipped or implausible entry is deleted and
redone, never played. Writes go to a temporary file in the same directory and are renamed into place, so a
crash or Ctrl-C never leaves a half-written entry under a valid name. Entries of the first format (whose
checksum covered only the samples) read as misses and are made again.
"""

from __future__ import annotations

import hashlib
import json
import struct
import unicodedata
from pathlib import Path

from reader._files import write_atomic
from reader.errors import OutputError
from reader.models import Audio

_MAGIC = b"RDRPCM2\n"
_HEADER = struct.Struct("<8sIQ32s")  # magic, sample rate, payload bytes, sha256 of the rest (see _digest)
_FIELDS = struct.Struct("<8sIQ")
#: Sample rates an entry may have: the engines speak 16–48 kHz.
RATES = range(8000, 96001)
#: The slowest speech a chunk may hold: a second per speakable character at rate 1.0, and two seconds more
#: (the engines say 3–8 characters a second; a spelled-out Latin letter takes under half a second).
SECONDS_PER_CHAR, SECONDS_SLACK = 1.0, 2.0


def plausible(seconds: float, spoken: str, rate: float) -> bool:
    """Whether ``seconds`` of audio can be ``spoken`` said at ``rate``: more than nothing, and no longer than
    ``SECONDS_PER_CHAR`` a speakable character (letters and digits) at that rate, plus ``SECONDS_SLACK``."""
    chars = sum(unicodedata.category(c)[0] in "LN" for c in spoken)
    return 0 < seconds <= (chars * SECONDS_PER_CHAR / max(rate, 0.1)) + SECONDS_SLACK


def chunk_key(backend: str, version: str, voice: str, rate: float, spoken: str) -> str:
    material = json.dumps([backend, version, voice, round(rate, 4), spoken], ensure_ascii=False)
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


class ChunkCache:
    """Audio by key under ``root``; ``root=None`` disables caching (every lookup misses, nothing is stored)."""

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self.hits = 0
        self.misses = 0
        self.corrupt = 0

    def _path(self, key: str) -> Path:
        assert self.root is not None
        return self.root / "chunks" / key[:2] / f"{key}.pcm"

    def contains(self, key: str) -> bool:
        """Whether an entry exists (cheap: no read, no checksum; ``get`` still verifies it)."""
        return self.root is not None and self._path(key).is_file()

    def discard(self, key: str) -> None:
        """Delete an entry found wrong by its reader (``synthesize`` checks each against its text)."""
        self.corrupt += 1
        if self.root is not None:
            self._path(key).unlink(missing_ok=True)

    def get(self, key: str) -> Audio | None:
        if self.root is None:
            self.misses += 1
            return None
        path = self._path(key)
        try:
            data = path.read_bytes()
        except OSError:
            self.misses += 1
            return None
        audio = _decode(data)
        if audio is None:
            self.corrupt += 1
            self.misses += 1
            path.unlink(missing_ok=True)
            return None
        self.hits += 1
        return audio

    def put(self, key: str, audio: Audio) -> None:
        if self.root is None:
            return
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, _encode(audio))
        except (OSError, OutputError):
            # A cache that cannot be written (full disk, read-only) costs speed, never the narration.
            pass


def _digest(rate: int, size: int, pcm: bytes) -> bytes:
    """The checksum of an entry: its magic, rate and size fields and its samples, so a flipped bit anywhere
    in what is read back is found."""
    return hashlib.sha256(_FIELDS.pack(_MAGIC, rate, size) + pcm).digest()


def _encode(audio: Audio) -> bytes:
    size = len(audio.pcm)
    return _HEADER.pack(_MAGIC, audio.sample_rate, size, _digest(audio.sample_rate, size, audio.pcm)) + audio.pcm


def _decode(data: bytes) -> Audio | None:
    if len(data) < _HEADER.size:
        return None
    magic, rate, size, digest = _HEADER.unpack_from(data)
    pcm = data[_HEADER.size :]
    if magic != _MAGIC or size != len(pcm) or size == 0 or size % 2 or rate not in RATES:
        return None
    if _digest(rate, size, pcm) != digest:
        return None
    return Audio(pcm, rate)
