"""The library's published rows as ``reader.publish`` takes them: ``Episode``s.

The format of each is the one its narration's record names: the catalog keeps it (schema 3); a row of an
older catalog has none, and its record beside the audio is read for it. A row whose record cannot be read
either is left out (as a row whose audio is missing is), and the next batch narrates it again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from reader.errors import RecordError
from reader.library.catalog import Entry
from reader.narration.record import NarrationRecord
from reader.publish.episode import Episode

log = logging.getLogger(__name__)


def episodes(entries: Iterable[Entry], library: Path) -> list[Episode]:
    """``entries`` (catalog rows, in their order) as episodes; rows without audio or a known format are left out."""
    found = []
    for entry in entries:
        if not entry.audio:
            continue
        fmt = entry.format or _recorded_format(library, entry.manifest)
        if fmt is None:
            continue
        found.append(Episode(
            source=entry.source, audio=entry.audio, format=fmt, title=entry.title, date=entry.date,
            site=entry.site, url=entry.url, summary=entry.summary, duration=entry.duration, vtt=entry.vtt,
            page=entry.page, made_at=entry.done_at or entry.updated_at,
        ))
    return found


def _recorded_format(library: Path, manifest: str | None) -> str | None:
    if not manifest or Path(manifest).name != manifest:
        return None
    try:
        return NarrationRecord.read(library / manifest).audio.format
    except RecordError as exc:
        log.warning("%s", exc)
        return None
