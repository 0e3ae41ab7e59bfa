"""The catalog of a batch library: one row per article, in SQLite.

``library/catalog.sqlite`` (the standard library's sqlite3, WAL journal) remembers, per source (an absolute
path or a URL): the hashes that decide whether it must be narrated again (raw bytes, extracted article,
narration settings), what it is (title, date, site, a summary for the feed), what the library holds for it
(file names, duration, chapters) and how the last attempt went (status, error, timings).

``status`` is the outcome of the *last attempt*; the output columns say what is *published*. They differ on
purpose: when a re-run of an already narrated article fails (the site is down), the old narration stays
listed and the error is recorded beside it. ``claim`` is the file name a running attempt has reserved, so
that articles in flight never pick the same name.

Schema versions are kept in ``PRAGMA user_version``; a catalog written by a newer reader is refused rather
than misread, an older one is migrated when it is opened (in one transaction: it is either the old version
or the new one). Version 2 renamed the ``mp3`` column to ``audio`` when formats other than MP3 came (a
version 1 library keeps its MP3s and is listed as before); version 3 added ``format``, the audio format's
name from the narration's record (empty in older rows: ``reader.library.episodes`` reads it from the record).
Writes are single short transactions, so the file is consistent whenever the process stops.
Every ``sqlite3`` error becomes a one-line ``LibraryError``. A full disk must not leave rows 'running' for
good: beside the catalog lies a small reserve file (``.catalog-reserve``), given up when a write finds the
disk full so that ``recover`` can still record how the run ended. Values read back are checked: a row whose
duration, chapters or timings are damaged reads as not narrated (its ``settings_hash`` is dropped), so the
next batch makes it again instead of failing on it.

``Catalog`` is the protocol the batch needs (its docstring is the contract); ``SQLiteCatalog`` is the one
implementation. Another database (a server shared by many batch owners, say) is another class with the same
methods. One batch at a time per library is ``reader.library.lock``'s job.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from reader.errors import LibraryError
from reader.i18n import _
from reader.library.own import open_own, refuse_links

SCHEMA_VERSION = 3
CATALOG_NAME = "catalog.sqlite"
#: Space kept beside the catalog for the writes that end a run on a full disk.
RESERVE_NAME = ".catalog-reserve"
RESERVE_BYTES = 256 * 1024
#: File stems the library itself uses: an article called "index" must not overwrite index.html.
RESERVED_STEMS = frozenset({"index", "feed", "catalog"})
#: The files one narration publishes, by the column that names each.
OUTPUT_COLUMNS = ("audio", "vtt", "manifest", "page")

_SCHEMA = """
CREATE TABLE articles (
    source        TEXT PRIMARY KEY,          -- absolute path or URL, as the batch was given it
    status        TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'interrupted')),
    raw_hash      TEXT,                      -- sha256 of the fetched bytes
    content_hash  TEXT,                      -- sha256 of the extracted article
    settings_hash TEXT,                      -- sha256 of everything that decides the audio
    title         TEXT,
    date          TEXT,                      -- ISO YYYY-MM-DD
    site          TEXT,                      -- the article's 来源
    url           TEXT,
    summary       TEXT,                      -- the opening of the text, for the feed
    duration      REAL,
    chapters      INTEGER,
    audio         TEXT UNIQUE,               -- published files, names relative to the library
    format        TEXT,                      -- the audio's format, as its record names it (mp3, m4b, …)
    vtt           TEXT,
    manifest      TEXT,
    page          TEXT,
    claim         TEXT UNIQUE,               -- the audio file name a running attempt has reserved
    error         TEXT,                      -- the last attempt's error (NULL when it succeeded)
    timings       TEXT,                      -- JSON {stage: seconds} of the last attempt
    attempts      INTEGER NOT NULL DEFAULT 0,
    updated_at    REAL NOT NULL,
    done_at       REAL                       -- when the published files were made
);
"""

#: Each older schema version's step to the next, one statement (run in one transaction with the version bump).
_MIGRATIONS = {
    1: "ALTER TABLE articles RENAME COLUMN mp3 TO audio",  # when formats other than MP3 came
    2: "ALTER TABLE articles ADD COLUMN format TEXT",  # the record's format name, for the feed and the index
}


@dataclass(frozen=True)
class Entry:
    """One catalog row."""

    source: str
    status: str
    raw_hash: str | None
    content_hash: str | None
    settings_hash: str | None
    title: str | None
    date: str | None
    site: str | None
    url: str | None
    summary: str | None
    duration: float | None
    chapters: int | None
    audio: str | None
    format: str | None  # None in rows of a catalog older than schema 3: the record beside the audio says it
    vtt: str | None
    manifest: str | None
    page: str | None
    claim: str | None
    error: str | None
    timings: dict[str, float]
    attempts: int
    updated_at: float
    done_at: float | None

    def outputs(self) -> list[str]:
        return [name for name in (self.audio, self.vtt, self.manifest, self.page) if name]


@dataclass(frozen=True)
class Published:
    """What a successful attempt put in the library."""

    raw_hash: str
    content_hash: str
    settings_hash: str
    title: str
    date: str | None
    site: str | None
    url: str | None
    summary: str
    duration: float
    chapters: int
    audio: str
    format: str  # the audio format's name, from the narration's record
    vtt: str | None
    manifest: str | None
    page: str | None
    timings: dict[str, float]


class Catalog(Protocol):
    """What ``reader batch`` keeps per article of a library. Implementations are thread-safe (articles finish
    on worker threads) and every write is durable when the call returns.

    - ``get(source)``: the row, or None. ``published()``: rows with files, newest first. ``counts()``.
    - ``recover()``: mark attempts a killed batch left running as interrupted (under the library lock).
    - ``claim(source, wanted, title=)``: reserve an audio file name for an attempt, ``wanted`` or with " (2)"…
      appended, never one another row publishes or claims or a file of the library already has.
    - ``done(source, published)``: the files become ``source``'s; a row of another source that listed the
      same audio file (a library rebuilt from its files, then adopted by the article's real source) is
      dropped. ``failed(…)``, ``unchanged(source, raw_hash, page=)``, ``failed(source, error, timings)``,
      ``interrupted(source)``: record how an attempt ended. ``close()``.
    """

    def get(self, source: str) -> Entry | None: ...
    def published(self) -> Iterator[Entry]: ...
    def counts(self) -> dict[str, int]: ...
    def recover(self) -> int: ...
    def claim(self, source: str, wanted: str, *, title: str | None = None) -> str: ...
    def done(self, source: str, result: Published) -> None: ...
    def unchanged(self, source: str, raw_hash: str, *, page: str | None) -> None: ...
    def failed(self, source: str, error: str, timings: dict[str, float] | None = None) -> None: ...
    def interrupted(self, source: str) -> None: ...
    def close(self) -> None: ...


class SQLiteCatalog:
    """The catalog in ``library/catalog.sqlite``. Thread-safe: every call holds one lock around one short
    transaction."""

    def __init__(self, library: Path) -> None:
        self.library = library
        self.path = library / CATALOG_NAME
        self._lock = threading.RLock()
        refuse_links(library)  # SQLite would follow them, and batch's .staging too
        try:
            self._db = sqlite3.connect(self.path, timeout=30.0, check_same_thread=False, isolation_level=None)
        except sqlite3.Error as exc:
            raise LibraryError(_("{path}: cannot open the catalog ({exc})").format(path=self.path, exc=exc)) from exc
        self._db.row_factory = sqlite3.Row
        try:
            self._setup()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            if not is_damaged(exc):  # the disk, the file system, a lock: not the catalog's fault
                raise self._error(exc) from exc
            raise LibraryError(_("{path}: not a reader catalog ({exc}); `reader library repair {library}` rebuilds it "
                                 "from the library's files").format(path=self.path, exc=exc,
                                                                    library=self.library)) from exc
        except BaseException:
            self._db.close()
            raise
        self._reserve()

    def _reserve(self) -> None:
        """Keep ``RESERVE_BYTES`` on the catalog's disk for the writes that end a run (best effort)."""
        reserve = self.library / RESERVE_NAME
        try:
            fd = open_own(reserve, os.O_WRONLY | os.O_CREAT | os.O_EXCL)  # never through a link
        except OSError:  # there already (FileExistsError), or no room: best effort
            return
        try:
            with open(fd, "wb") as fh:
                fh.write(b"\0" * RESERVE_BYTES)
        except OSError:
            reserve.unlink(missing_ok=True)

    def _error(self, exc: sqlite3.Error) -> LibraryError:
        try:
            full = os.statvfs(self.library).f_bavail == 0
        except OSError:
            full = False
        return LibraryError(_("{path}: cannot use the catalog ({exc}{value})").format(path=self.path, exc=exc, value='; the disk is full' if full else ''))

    def _setup(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise LibraryError(
                _("{path}: written by a newer version of reader (catalog schema {version}, this reader knows up to {SCHEMA_VERSION}); upgrade reader to use this library").format(path=self.path, version=version, SCHEMA_VERSION=SCHEMA_VERSION)
            )
        if version == 0:  # someone else's database is refused before anything in it changes
            tables = self._db.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
            if tables:
                raise LibraryError(_("{path}: not a reader catalog (it has other tables)").format(path=self.path))
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        if version == 0:
            # executescript commits any open transaction first, so the script carries its own.
            self._db.executescript(f"BEGIN IMMEDIATE; {_SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")
        while 0 < version < SCHEMA_VERSION:
            # One step per transaction, the version read again inside it: another process may have just
            # migrated the same catalog.
            self._db.execute("BEGIN IMMEDIATE")
            try:
                version = self._db.execute("PRAGMA user_version").fetchone()[0]
                if 0 < version < SCHEMA_VERSION:
                    self._db.execute(_MIGRATIONS[version])
                    version += 1
                    self._db.execute(f"PRAGMA user_version = {version}")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    if self._db.in_transaction:
                        self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                if self._db.in_transaction:
                    try:
                        self._db.execute("ROLLBACK")
                    except sqlite3.Error:
                        pass
                raise self._error(exc) from exc

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._db
            except sqlite3.Error as exc:
                raise self._error(exc) from exc

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> SQLiteCatalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ------------------------------------------------------------------------------------------

    def get(self, source: str) -> Entry | None:
        with self._reading():
            row = self._db.execute("SELECT * FROM articles WHERE source = ?", (source,)).fetchone()
        return _entry(row) if row is not None else None

    def published(self) -> Iterator[Entry]:
        """Rows with files in the library, newest article first (undated ones by when they were made)."""
        with self._reading():
            rows = self._db.execute(
                "SELECT * FROM articles WHERE audio IS NOT NULL "
                "ORDER BY coalesce(date, '') DESC, done_at DESC, source"
            ).fetchall()
        return (_entry(r) for r in rows)

    def interrupted_sources(self) -> list[str]:
        """Sources whose last attempt was stopped (Ctrl-C, or a killed run that ``recover`` marked), oldest
        first: ``reader serve`` takes them up again when it starts."""
        with self._reading():
            rows = self._db.execute(
                "SELECT source FROM articles WHERE status = 'interrupted' ORDER BY updated_at, source").fetchall()
        return [source for (source,) in rows]

    def counts(self) -> dict[str, int]:
        with self._reading():
            rows = self._db.execute("SELECT status, count(*) FROM articles GROUP BY status").fetchall()
        return {status: n for status, n in rows}

    # -- the life of an attempt ---------------------------------------------------------------------------

    def recover(self) -> int:
        """Mark attempts left 'running' by a batch that was killed (call with the library lock held).

        Their claims stay: the process may have died between moving the files into place and recording
        them, so the name stays reserved for the same article, which takes it again on its next attempt.
        On a full disk the reserve file is given up for this write. A batch calls it when it starts and when
        it ends, however it ends."""
        try:
            return self._recover()
        except LibraryError:
            (self.library / RESERVE_NAME).unlink(missing_ok=True)
            return self._recover()

    def _recover(self) -> int:
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE articles SET status = 'interrupted', updated_at = ? WHERE status = 'running'",
                (time.time(),),
            )
            return cursor.rowcount

    def claim(self, source: str, wanted: str, *, title: str | None = None) -> str:
        """Reserve an audio file name (``DATE-TITLE.mp3``, ``.m4b``…) for ``source``'s attempt: ``wanted``, or
        ``wanted`` with " (2)", " (3)", … before its suffix.

        A name is free when no other row publishes or claims it, its stem is not one the library uses, and
        no file of that name (with any of the outputs' suffixes) is in the library unless it is this row's.
        """
        wanted_path = Path(wanted)
        stem, audio_suffix = wanted_path.stem, wanted_path.suffix
        with self._transaction() as db:
            row = db.execute("SELECT audio, claim FROM articles WHERE source = ?", (source,)).fetchone()
            own = {Path(row[k]).stem for k in ("audio", "claim") if row is not None and row[k]}
            for n in range(1, 10_000):
                candidate = stem if n == 1 else f"{stem} ({n})"
                name = candidate + audio_suffix
                if candidate.lower() in RESERVED_STEMS:
                    continue
                other = db.execute(
                    "SELECT 1 FROM articles WHERE source != ? AND (audio = ? OR claim = ?)",
                    (source, name, name),
                ).fetchone()
                if other is not None:
                    continue
                if candidate not in own and any(
                    (self.library / f"{candidate}{suffix}").exists()
                    for suffix in (audio_suffix, ".vtt", ".json", ".html")
                ):
                    continue
                now = time.time()
                db.execute(
                    "INSERT INTO articles (source, status, title, claim, updated_at) "
                    "VALUES (?, 'running', ?, ?, ?) "
                    "ON CONFLICT(source) DO UPDATE SET status = 'running', claim = excluded.claim, "
                    "updated_at = excluded.updated_at, "
                    "title = coalesce(title, excluded.title)",
                    (source, title, name, now),
                )
                return name
        raise LibraryError(_("{library}: no free file name for {wanted}").format(library=self.library, wanted=wanted))

    def done(self, source: str, result: Published) -> None:
        """Record a published narration (its files are already in place)."""
        with self._transaction() as db:
            # Names are unique among articles (``claim``), so another row listing this audio file is one
            # rebuilt from the library's files under a stand-in source: the article's real source adopts it.
            db.execute("DELETE FROM articles WHERE source != ? AND audio = ?", (source, result.audio))
            db.execute(
                "INSERT INTO articles (source, status, updated_at) VALUES (?, 'done', ?) "
                "ON CONFLICT(source) DO NOTHING",
                (source, time.time()),
            )
            db.execute(
                "UPDATE articles SET status = 'done', raw_hash = ?, content_hash = ?, settings_hash = ?, "
                "title = ?, date = ?, site = ?, url = ?, summary = ?, duration = ?, chapters = ?, audio = ?, "
                "format = ?, vtt = ?, manifest = ?, page = ?, claim = NULL, error = NULL, timings = ?, attempts = attempts + 1, "
                "updated_at = ?, done_at = ? WHERE source = ?",
                (
                    result.raw_hash, result.content_hash, result.settings_hash, result.title, result.date,
                    result.site, result.url, result.summary, result.duration, result.chapters, result.audio,
                    result.format, result.vtt, result.manifest, result.page, json.dumps(result.timings), time.time(),
                    time.time(), source,
                ),
            )

    def unchanged(self, source: str, raw_hash: str, *, page: str | None) -> None:
        """A skipped article: its narration is current. Remember the bytes it was found with (a later run
        can skip it without extracting) and its listen page (one may have been added)."""
        with self._transaction() as db:
            db.execute(
                "UPDATE articles SET status = 'done', raw_hash = ?, page = ?, error = NULL, claim = NULL, "
                "updated_at = ? WHERE source = ?",
                (raw_hash, page, time.time(), source),
            )

    def failed(self, source: str, error: str, timings: dict[str, float] | None = None) -> None:
        """Record a failed attempt; a narration published earlier stays listed."""
        self._finish(source, "failed", error, timings)

    def interrupted(self, source: str) -> None:
        """An attempt stopped by Ctrl-C: its claim is released; the next run tries again."""
        with self._transaction() as db:
            db.execute(
                "UPDATE articles SET status = 'interrupted', claim = NULL, updated_at = ? WHERE source = ?",
                (time.time(), source),
            )

    def forget(self, source: str) -> None:
        """Remove ``source``'s row (its files are the caller's to delete first): ``reader serve``'s delete."""
        with self._transaction() as db:
            db.execute("DELETE FROM articles WHERE source = ?", (source,))

    def _finish(self, source: str, status: str, error: str | None, timings: dict[str, float] | None) -> None:
        with self._transaction() as db:
            now = time.time()
            db.execute(
                "INSERT INTO articles (source, status, error, timings, attempts, updated_at) "
                "VALUES (?, ?, ?, ?, 1, ?) "
                "ON CONFLICT(source) DO UPDATE SET status = excluded.status, error = excluded.error, "
                "timings = coalesce(excluded.timings, timings), claim = NULL, attempts = attempts + 1, "
                "updated_at = excluded.updated_at",
                (source, status, error, json.dumps(timings) if timings is not None else None, now),
            )


def is_damaged(exc: sqlite3.Error) -> bool:
    """Whether ``exc`` says the catalog file itself is damaged (not a database, or a corrupt one), as opposed
    to the disk, the file system or a lock failing (which a repair must not "fix" by moving the file aside)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        return "not a database" in str(exc) or "malformed" in str(exc)
    return code & 0xFF in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


_TEXT_COLUMNS = ("raw_hash", "content_hash", "settings_hash", "title", "date", "site", "url", "summary", "audio", "format",
                 "vtt", "manifest", "page", "claim", "error")


def _entry(row: sqlite3.Row) -> Entry:
    """A row as an ``Entry``, every value checked: a damaged one (a hand edit, a bad disk) reads as missing,
    and a row with damaged outputs reads as not narrated (no ``settings_hash``), so it is made again."""
    data: dict[str, Any] = dict(row)
    damaged = False
    for key in _TEXT_COLUMNS:
        if data.get(key) is not None and not isinstance(data[key], str):
            damaged = damaged or key in ("audio", "vtt", "manifest", "page")
            data[key] = None
    for key in ("duration",):
        value = data.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)
                                  or not math.isfinite(value) or value < 0):
            data[key], damaged = None, True
    for key in ("chapters", "attempts"):
        value = data.get(key)
        if value is not None and (not isinstance(value, int) or value < 0):
            data[key], damaged = (0 if key == "attempts" else None), True
    for key in ("updated_at", "done_at"):
        value = data.get(key)
        if value is not None and (not isinstance(value, int | float) or not math.isfinite(value)):
            data[key] = 0.0 if key == "updated_at" else None
    timings = data.get("timings")
    try:
        parsed = json.loads(timings) if isinstance(timings, str) and timings else {}
        if not isinstance(parsed, dict) or not all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in parsed.values()):
            raise ValueError("not an object of numbers")
    except ValueError:
        parsed = {}
    data["timings"] = {str(k): float(v) for k, v in parsed.items()}
    if damaged or data.get("audio") is not None and data.get("duration") is None:
        data["settings_hash"] = None
    if not isinstance(data.get("status"), str):
        data["status"] = "interrupted"
    if data.get("source") is not None and not isinstance(data["source"], str):
        data["source"] = str(data["source"])
    return Entry(**data)
