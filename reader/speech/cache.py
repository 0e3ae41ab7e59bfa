"""The chunk cache: synthesized chunks by content (finished narrations are ``reader.narration.store``).

The key is a hash of everything that decides the audio (backend, engine version, voice, rate, spoken text),
so re-narrating an unchanged article synthesizes nothing and editing one paragraph redoes only its chunks.
Each entry carries a checksum of its samples: a truncated or corrupted file is detected, deleted and redone.
Writes go to a temporary file in the same directory and are renamed into place, so a crash or Ctrl-C never
leaves a half-written entry under a valid name.
"""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path

from reader._files import write_atomic
from reader.errors import OutputError
from reader.models import Audio

_MAGIC = b"RDRPCM1\n"
_HEADER = struct.Struct("<8sIQ32s")  # magic, sample rate, payload bytes, sha256 of payload


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


def _encode(audio: Audio) -> bytes:
    digest = hashlib.sha256(audio.pcm).digest()
    return _HEADER.pack(_MAGIC, audio.sample_rate, len(audio.pcm), digest) + audio.pcm


def _decode(data: bytes) -> Audio | None:
    if len(data) < _HEADER.size:
        return None
    magic, rate, size, digest = _HEADER.unpack_from(data)
    pcm = data[_HEADER.size :]
    if magic != _MAGIC or size != len(pcm) or size == 0 or hashlib.sha256(pcm).digest() != digest:
        return None
    return Audio(pcm, rate)
