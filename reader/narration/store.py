"""The narration store: finished narrations by fingerprint, so that an unchanged article is never made twice.

A narration's key is ``reader.narration.fingerprint.narration_fingerprint`` (the article and everything that
decides its audio), so narrating an unchanged article again copies the audio file out of here instead of
laying out and encoding the track anew, and ``reader play`` of an article already narrated starts at once.
Each entry is the tagged audio file and its ``NarrationRecord`` with the file's size and SHA-256; an entry
that does not match them, or whose record cannot be read, is deleted and redone. ``root=None`` disables it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from reader._files import write_atomic
from reader.errors import OutputError, RecordError
from reader.narration.record import NarrationRecord


class NarrationStore:
    def __init__(self, root: Path | None) -> None:
        self.root = root

    def _folder(self, key: str) -> Path:
        assert self.root is not None
        return self.root / "narrations" / key[:2]

    def get(self, key: str) -> tuple[Path, NarrationRecord] | None:
        """The stored audio file and its record, or None (missing, damaged or unreadable: then deleted)."""
        if self.root is None:
            return None
        meta = self._folder(key) / f"{key}.json"
        audio: Path | None = None
        try:
            data = json.loads(meta.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ValueError("not an object")
            record = NarrationRecord.from_dict(data.get("record"), str(meta))
            audio = self._folder(key) / f"{key}{Path(record.audio.file).suffix or '.mp3'}"
            with audio.open("rb") as fh:
                digest = hashlib.file_digest(fh, "sha256").hexdigest()
            if data.get("sha256") != digest:
                raise ValueError("checksum mismatch")
        except FileNotFoundError:
            if audio is not None:
                meta.unlink(missing_ok=True)
            return None
        except (OSError, ValueError, RecordError):
            for stale in self._folder(key).glob(f"{key}.*"):
                stale.unlink(missing_ok=True)
            return None
        return audio, record

    def put(self, key: str, audio: Path, record: NarrationRecord) -> None:
        """Copy ``audio`` in with ``record`` (atomically; a store that cannot be written is skipped)."""
        if self.root is None:
            return
        folder = self._folder(key)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            data = audio.read_bytes()
            write_atomic(folder / f"{key}{audio.suffix}", data)
            payload = {"sha256": hashlib.sha256(data).hexdigest(), "record": record.to_dict()}
            write_atomic(folder / f"{key}.json", json.dumps(payload, ensure_ascii=False))
        except (OSError, OutputError):
            pass
