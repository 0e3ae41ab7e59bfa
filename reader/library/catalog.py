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
than misread. Writes are single short transactions, so the file is consistent whenever the process stops.

``Catalog`` is the protocol the batch needs (its docstring is the contract); ``SQLiteCatalog`` is the one
implementation. Another database (a server shared by many batch owners, say) is another class with the same
methods. One batch at a time per library is ``reader.library.lock``'s job.
"""

from __future__ import annotations

import json
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

SCHEMA_VERSION = 1
CATALOG_NAME = "catalog.sqlite"
#: File stems the library itself uses: an article called "index" must not overwrite index.html.
RESERVED_STEMS = frozenset({"index", "feed", "catalog"})
#: The files one narration publishes, by the column that names each.
OUTPUT_COLUMNS = ("mp3", "vtt", "manifest", "page")

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
    mp3           TEXT UNIQUE,               -- published files, names relative to the library
    vtt           TEXT,
    manifest      TEXT,
    page          TEXT,
    claim         TEXT UNIQUE,               -- the MP3 name a running attempt has reserved
    error         TEXT,                      -- the last attempt's error (NULL when it succeeded)
    timings       TEXT,                      -- JSON {stage: seconds} of the last attempt
    attempts      INTEGER NOT NULL DEFAULT 0,
    updated_at    REAL NOT NULL,
    done_at       REAL                       -- when the published files were made
);
"""


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
    mp3: str | None
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
        return [name for name in (self.mp3, self.vtt, self.manifest, self.page) if name]


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
    mp3: str
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
    - ``done(source, published)``, ``unchanged(source, raw_hash, page=)``, ``failed(source, error, timings)``,
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
        try:
            self._db = sqlite3.connect(self.path, timeout=30.0, check_same_thread=False, isolation_level=None)
        except sqlite3.Error as exc:
            raise LibraryError(_("{path}: cannot open the catalog ({exc})").format(
                path=self.path, exc=exc)) from exc
        self._db.row_factory = sqlite3.Row
        try:
            self._setup()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise LibraryError(_("{path}: not a reader catalog ({exc})").format(
                path=self.path, exc=exc)) from exc
        except BaseException:
            self._db.close()
            raise

    def _setup(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise LibraryError(
                _("{path}: written by a newer version of reader (catalog schema {version}, this "
                   "reader knows up to {SCHEMA_VERSION}); upgrade reader to use this library").format(
                       path=self.path, version=version, SCHEMA_VERSION=SCHEMA_VERSION)
            )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        if version == 0:
            tables = self._db.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
            if tables:
                raise LibraryError(_("{path}: not a reader catalog (it has other tables)").format(
                    path=self.path))
            # executescript commits any open transaction first, so the script carries its own.
            self._db.executescript(f"BEGIN IMMEDIATE; {_SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> SQLiteCatalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ------------------------------------------------------------------------------------------

    def get(self, source: str) -> Entry | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM articles WHERE source = ?", (source,)).fetchone()
        return _entry(row) if row is not None else None

    def published(self) -> Iterator[Entry]:
        """Rows with files in the library, newest article first (undated ones by when they were made)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM articles WHERE mp3 IS NOT NULL "
                "ORDER BY coalesce(date, '') DESC, done_at DESC, source"
            ).fetchall()
        return (_entry(r) for r in rows)

    def counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT status, count(*) FROM articles GROUP BY status").fetchall()
        return {status: n for status, n in rows}

    # -- the life of an attempt ---------------------------------------------------------------------------

    def recover(self) -> int:
        """Mark attempts left 'running' by a batch that was killed (call with the library lock held).

        Their claims stay: the process may have died between moving the files into place and recording
        them, so the name stays reserved for the same article, which takes it again on its next attempt."""
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE articles SET status = 'interrupted', updated_at = ? WHERE status = 'running'",
                (time.time(),),
            )
            return cursor.rowcount

    def claim(self, source: str, wanted: str, *, title: str | None = None) -> str:
        """Reserve an MP3 name for ``source``'s attempt: ``wanted`` or ``wanted`` with " (2)", " (3)", ….

        A name is free when no other row publishes or claims it, its stem is not one the library uses, and
        no file of that name (with any of the outputs' suffixes) is in the library unless it is this row's.
        """
        stem = wanted[:-4] if wanted.lower().endswith(".mp3") else wanted
        with self._transaction() as db:
            row = db.execute("SELECT mp3, claim FROM articles WHERE source = ?", (source,)).fetchone()
            own = {Path(row[k]).stem for k in ("mp3", "claim") if row is not None and row[k]}
            for n in range(1, 10_000):
                candidate = stem if n == 1 else f"{stem} ({n})"
                name = candidate + ".mp3"
                if candidate.lower() in RESERVED_STEMS:
                    continue
                other = db.execute(
                    "SELECT 1 FROM articles WHERE source != ? AND (mp3 = ? OR claim = ?)", (source, name, name)
                ).fetchone()
                if other is not None:
                    continue
                if candidate not in own and any(
                    (self.library / f"{candidate}{suffix}").exists() for suffix in (".mp3", ".vtt", ".json", ".html")
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
        raise LibraryError(_("{library}: no free file name for {wanted}").format(
            library=self.library, wanted=wanted))

    def done(self, source: str, result: Published) -> None:
        """Record a published narration (its files are already in place)."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO articles (source, status, updated_at) VALUES (?, 'done', ?) "
                "ON CONFLICT(source) DO NOTHING",
                (source, time.time()),
            )
            db.execute(
                "UPDATE articles SET status = 'done', raw_hash = ?, content_hash = ?, settings_hash = ?, "
                "title = ?, date = ?, site = ?, url = ?, summary = ?, duration = ?, chapters = ?, mp3 = ?, "
                "vtt = ?, manifest = ?, page = ?, claim = NULL, error = NULL, timings = ?, attempts = attempts + 1, "
                "updated_at = ?, done_at = ? WHERE source = ?",
                (
                    result.raw_hash, result.content_hash, result.settings_hash, result.title, result.date,
                    result.site, result.url, result.summary, result.duration, result.chapters, result.mp3,
                    result.vtt, result.manifest, result.page, json.dumps(result.timings), time.time(),
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


def _entry(row: sqlite3.Row) -> Entry:
    data: dict[str, Any] = dict(row)
    data["timings"] = json.loads(data["timings"]) if data["timings"] else {}
    return Entry(**data)
