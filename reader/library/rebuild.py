"""A library rebuilt from its own files: the narration records beside the audio are the truth.

Every narration a batch publishes has its record (``NAME.json``, ``reader.narration.record``) beside its
audio, saying what the article is, where it came from (``source``), what the audio holds and what made it
(``fingerprint``). So a lost or damaged ``catalog.sqlite`` loses nothing: ``rebuild`` enters each record whose
audio file is there as a published row (``run_batch`` does it by itself when the catalog is missing; ``reader
library repair`` on demand, moving a damaged catalog aside first). A rebuilt row has no hashes, so the next
batch extracts its article once more and, finding that the narration beside it has the fingerprint it would
make, adopts the files as they are (``adoptable``) instead of narrating again under ``NAME (2)``.

A record without a ``source`` (written by an older reader, or by ``reader narrate`` into the folder) is entered
under its article's URL, or else under a stand-in ``library:NAME``; the article's real source takes the row
over when a batch meets it (``Catalog.done``).
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from reader._files import reason
from reader.errors import LibraryError, RecordError
from reader.i18n import _
from reader.library.catalog import CATALOG_NAME, Catalog, Published, SQLiteCatalog, is_damaged
from reader.narration.record import NarrationRecord, iter_records

#: Files of the library that are not narration records.
_NOT_RECORDS = frozenset({"feed.json"})
#: The opening of the text kept for the feed (``reader.publish.feed.SUMMARY_CHARS``).
_SUMMARY_CHARS = 200


@dataclass
class Repair:
    """What ``rebuild`` did: narrations entered, already listed, and files that are not narrations here."""

    entered: list[str] = field(default_factory=list)
    listed: int = 0
    skipped: list[str] = field(default_factory=list)
    moved_aside: Path | None = None


def records(library: Path) -> Iterator[tuple[Path, NarrationRecord | RecordError]]:
    """Each ``*.json`` at the top of ``library`` with its record, or the error saying why it is none."""
    paths = sorted(p for p in library.glob("*.json") if p.is_file() and p.name not in _NOT_RECORDS)
    return iter_records(paths)


def audio_of(library: Path, json_path: Path, record: NarrationRecord) -> Path | None:
    """The audio file a record beside it describes, if it is there (its name, never a path elsewhere)."""
    name = record.audio.file
    if not name or Path(name).name != name or name.startswith("."):
        return None
    audio = library / name
    if audio.stem != json_path.stem or not audio.is_file():
        return None
    return audio


def published_from(library: Path, json_path: Path, record: NarrationRecord, audio: Path) -> Published:
    """The catalog's view of a narration found in the library (hashes unknown: the next batch checks it)."""
    body = " ".join(c.text for c in record.chunks if c.kind == "body")
    summary = body if len(body) <= _SUMMARY_CHARS else body[: _SUMMARY_CHARS - 1] + "…"
    vtt = audio.with_suffix(".vtt")
    page = audio.with_suffix(".html")
    art = record.article
    return Published(
        raw_hash="", content_hash="", settings_hash="", title=art.title, date=art.date, site=art.source,
        url=art.url, summary=summary, duration=record.audio.duration, chapters=len(record.chapters),
        audio=audio.name, format=record.audio.format, vtt=vtt.name if vtt.is_file() else None, manifest=json_path.name,
        page=page.name if page.is_file() else None, timings={},
    )


def rebuild(library: Path, catalog: Catalog) -> Repair:
    """Enter every narration of ``library`` that the catalog does not list (see the module docstring)."""
    repair = Repair()
    listed = {e.audio for e in catalog.published()}
    for path, record in records(library):
        if isinstance(record, RecordError):
            repair.skipped.append(str(record))
            continue
        audio = audio_of(library, path, record)
        if audio is None:
            repair.skipped.append(f"{path.name}: its audio file {record.audio.file!r} is not beside it")
            continue
        if audio.name in listed:
            repair.listed += 1
            continue
        source = record.source or record.article.url or f"library:{audio.name}"
        existing = catalog.get(source)
        if existing is not None and existing.audio and (library / existing.audio).is_file():
            repair.skipped.append(f"{path.name}: {source} is already listed with {existing.audio}")
            continue
        catalog.done(source, published_from(library, path, record, audio))
        listed.add(audio.name)
        repair.entered.append(audio.name)
    return repair


def adoptable(library: Path, manifest: str | None, fingerprint: str) -> tuple[Path, NarrationRecord] | None:
    """The record ``manifest`` (a name in ``library``) and its audio when it is a narration with ``fingerprint``
    (so exactly what narrating the article now would make, and not one a fallback engine helped with)."""
    if not manifest or Path(manifest).name != manifest:
        return None
    path = library / manifest
    try:
        record = NarrationRecord.read(path)
    except RecordError:
        return None
    audio = audio_of(library, path, record)
    if audio is None or record.fingerprint != fingerprint or record.helped():
        return None
    return audio, record


def repair_library(library: Path) -> Repair:
    """``reader library repair``: open the catalog (moving a damaged one aside) and rebuild it from the
    library's files. The caller holds the library lock."""
    path = library / CATALOG_NAME
    moved: Path | None = None
    try:
        catalog = SQLiteCatalog(library)
    except LibraryError as exc:
        # Only a file that is not an SQLite database (or a damaged one) is moved aside: a catalog of a newer
        # reader, or a database of something else, is left alone.
        if not path.exists() or not isinstance(exc.__cause__, sqlite3.Error) or not is_damaged(exc.__cause__):
            raise
        moved = path.with_name(f"{CATALOG_NAME}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            shutil.move(path, moved)
            for suffix in ("-wal", "-shm"):
                path.with_name(CATALOG_NAME + suffix).unlink(missing_ok=True)
        except OSError as exc:
            raise LibraryError(_("{path}: cannot move the damaged catalog aside ({strerror})").format(path=path, strerror=reason(exc))) from exc
        catalog = SQLiteCatalog(library)
    with catalog:
        catalog.recover()
        repair = rebuild(library, catalog)
    repair.moved_aside = moved
    return repair
