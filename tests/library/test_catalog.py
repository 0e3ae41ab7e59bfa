"""The batch catalog: schema and versions, name claims, the life of a row, and the library lock across processes."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from reader.errors import LibraryError
from reader.library.catalog import SCHEMA_VERSION, Published, SQLiteCatalog
from reader.library.lock import LibraryLock


def published(mp3: str, *, title: str = "标题", date: str | None = "2024-01-02", content: str = "c") -> Published:
    stem = mp3[:-4]
    return Published(
        raw_hash="r", content_hash=content, settings_hash="s", title=title, date=date, site="某报", url=None,
        summary="摘要", duration=12.5, chapters=2, audio=mp3, format=Path(mp3).suffix[1:], vtt=f"{stem}.vtt", manifest=f"{stem}.json", page=None,
        timings={"narrate": 1.0},
    )


def test_new_catalog_is_wal_with_a_schema_version(tmp_path: Path) -> None:
    with SQLiteCatalog(tmp_path):
        pass
    db = sqlite3.connect(tmp_path / "catalog.sqlite")
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_newer_catalog_is_refused_and_left_alone(tmp_path: Path) -> None:
    with SQLiteCatalog(tmp_path) as cat:
        cat.claim("a", "x.mp3")
    db = sqlite3.connect(tmp_path / "catalog.sqlite")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(LibraryError, match="newer version of reader"):
        SQLiteCatalog(tmp_path)
    db = sqlite3.connect(tmp_path / "catalog.sqlite")
    assert db.execute("SELECT source FROM articles").fetchall() == [("a",)]


#: The schema of reader's first catalogs (version 1), as they were written: the audio column was "mp3".
SCHEMA_V1 = """
CREATE TABLE articles (
    source TEXT PRIMARY KEY, status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'interrupted')),
    raw_hash TEXT, content_hash TEXT, settings_hash TEXT, title TEXT, date TEXT, site TEXT, url TEXT,
    summary TEXT, duration REAL, chapters INTEGER, mp3 TEXT UNIQUE, vtt TEXT, manifest TEXT, page TEXT,
    claim TEXT UNIQUE, error TEXT, timings TEXT, attempts INTEGER NOT NULL DEFAULT 0, updated_at REAL NOT NULL,
    done_at REAL
);
"""


def test_a_version_1_catalog_is_migrated_and_keeps_its_library(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "catalog.sqlite")
    db.executescript(SCHEMA_V1 + "PRAGMA user_version = 1;")
    db.execute("INSERT INTO articles (source, status, title, date, duration, chapters, mp3, vtt, manifest, "
               "settings_hash, timings, attempts, updated_at, done_at) "
               "VALUES ('/in/a.txt', 'done', '标题', '2024-01-02', 12.5, 2, '2024-01-02-标题.mp3', "
               "'2024-01-02-标题.vtt', '2024-01-02-标题.json', 's', '{}', 1, 1.0, 1.0)")
    db.execute("INSERT INTO articles (source, status, claim, updated_at) VALUES ('/in/b.txt', 'running', "
               "'2024-01-03-乙.mp3', 2.0)")
    db.commit()
    db.close()
    with SQLiteCatalog(tmp_path) as cat:
        (entry,) = cat.published()
        assert entry.source == "/in/a.txt" and entry.audio == "2024-01-02-标题.mp3" and entry.chapters == 2
        assert entry.format is None  # not in the old row: its record says it (reader.library.episodes)
        assert entry.outputs() == ["2024-01-02-标题.mp3", "2024-01-02-标题.vtt", "2024-01-02-标题.json"]
        # The column keeps its UNIQUE constraint: another article cannot take the name.
        assert cat.claim("/in/c.txt", "2024-01-02-标题.mp3") == "2024-01-02-标题 (2).mp3"
        assert cat.claim("/in/d.txt", "2024-01-03-乙.m4b") == "2024-01-03-乙.m4b"  # another format, free
        cat.done("/in/b.txt", published("2024-01-03-乙.m4b"))
        assert [(e.audio, e.format) for e in cat.published()] == [("2024-01-03-乙.m4b", "m4b"),
                                                                  ("2024-01-02-标题.mp3", None)]
    db = sqlite3.connect(tmp_path / "catalog.sqlite")
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
    columns = [row[1] for row in db.execute("PRAGMA table_info(articles)")]
    assert "audio" in columns and "mp3" not in columns
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    with SQLiteCatalog(tmp_path) as cat:  # opened again: nothing left to migrate
        assert len(list(cat.published())) == 2


def test_a_failed_migration_leaves_the_catalog_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reader.library import catalog

    db = sqlite3.connect(tmp_path / "catalog.sqlite")
    db.executescript(SCHEMA_V1 + "PRAGMA user_version = 1;")
    db.close()
    monkeypatch.setitem(catalog._MIGRATIONS, 1, "ALTER TABLE articles RENAME COLUMN no_such TO audio")
    with pytest.raises(LibraryError):
        SQLiteCatalog(tmp_path)
    db = sqlite3.connect(tmp_path / "catalog.sqlite")
    assert db.execute("PRAGMA user_version").fetchone()[0] == 1
    assert "mp3" in [row[1] for row in db.execute("PRAGMA table_info(articles)")]
    db.close()


def test_a_file_that_is_not_a_catalog_is_refused(tmp_path: Path) -> None:
    (tmp_path / "catalog.sqlite").write_bytes(b"this is not a database, just text" * 100)
    with pytest.raises(LibraryError, match="not a reader catalog"):
        SQLiteCatalog(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    db = sqlite3.connect(other / "catalog.sqlite")
    db.execute("CREATE TABLE notes (x)")
    db.commit()
    db.close()
    with pytest.raises(LibraryError, match="other tables"):
        SQLiteCatalog(other)


def test_claims_keep_names_unique(tmp_path: Path) -> None:
    with SQLiteCatalog(tmp_path) as cat:
        assert cat.claim("a", "2024-01-02-标题.mp3") == "2024-01-02-标题.mp3"
        assert cat.claim("b", "2024-01-02-标题.mp3") == "2024-01-02-标题 (2).mp3"  # a's claim holds it
        cat.done("a", published("2024-01-02-标题.mp3"))
        assert cat.claim("c", "2024-01-02-标题.mp3") == "2024-01-02-标题 (3).mp3"  # a publishes it, b claims (2)
        # a claims its own name again (a re-run of a changed article overwrites its own files).
        (tmp_path / "2024-01-02-标题.mp3").write_bytes(b"x")
        assert cat.claim("a", "2024-01-02-标题.mp3") == "2024-01-02-标题.mp3"
        # A file nobody in the catalog owns (the user's own) is never overwritten.
        (tmp_path / "别人的.json").write_text("{}")
        assert cat.claim("d", "别人的.mp3") == "别人的 (2).mp3"
        # The library's own files are not article names.
        assert cat.claim("e", "index.mp3") == "index (2).mp3"
        assert cat.claim("f", "feed.mp3") == "feed (2).mp3"


def test_row_life_done_failed_unchanged_and_recover(tmp_path: Path) -> None:
    with SQLiteCatalog(tmp_path) as cat:
        name = cat.claim("a", "x.mp3", title="标题")
        entry = cat.get("a")
        assert entry is not None and entry.status == "running" and entry.claim == name and entry.audio is None
        cat.done("a", published(name))
        entry = cat.get("a")
        assert entry is not None and entry.status == "done" and entry.audio == "x.mp3" and entry.claim is None
        assert entry.outputs() == ["x.mp3", "x.vtt", "x.json"] and entry.timings == {"narrate": 1.0}
        assert entry.attempts == 1

        # A failed re-run keeps the published narration listed, with the error beside it.
        cat.claim("a", "x.mp3")
        cat.failed("a", "HTTP 503", {"fetch": 0.2})
        entry = cat.get("a")
        assert entry is not None and entry.status == "failed" and entry.error == "HTTP 503"
        assert entry.audio == "x.mp3" and entry.claim is None and entry.attempts == 2
        assert [e.source for e in cat.published()] == ["a"]

        cat.unchanged("a", "r2", page="x.html")
        entry = cat.get("a")
        assert entry is not None and entry.status == "done" and entry.error is None
        assert entry.raw_hash == "r2" and entry.page == "x.html"

        # A source that never got far: failed with no outputs, not published.
        cat.failed("b", "no such file")
        assert cat.get("b") is not None and [e.source for e in cat.published()] == ["a"]

        # A batch killed mid-article leaves it 'running': the next batch (holding the lock) marks it
        # interrupted. The claim stays: the files may have been moved in just before the kill, so the same
        # article takes the same name again, and nobody else does.
        cat.claim("c", "y.mp3")
        (tmp_path / "y.mp3").write_bytes(b"moved in before the kill")
        assert cat.recover() == 1
        entry = cat.get("c")
        assert entry is not None and entry.status == "interrupted" and entry.claim == "y.mp3"
        assert cat.counts() == {"done": 1, "failed": 1, "interrupted": 1}
        assert cat.claim("d", "y.mp3") == "y (2).mp3"
        assert cat.claim("c", "y.mp3") == "y.mp3"
        # Ctrl-C (nothing was moved in) releases the claim.
        cat.interrupted("c")
        entry = cat.get("c")
        assert entry is not None and entry.claim is None


def test_published_newest_first(tmp_path: Path) -> None:
    with SQLiteCatalog(tmp_path) as cat:
        for source, date in (("old", "2020-05-01"), ("none", None), ("new", "2024-03-01"), ("mid", "2022-01-01")):
            cat.done(source, published(f"{source}.mp3", date=date))
        assert [e.source for e in cat.published()] == ["new", "mid", "old", "none"]


def test_threads_share_one_catalog(tmp_path: Path) -> None:
    """-j N workers claim and record through one connection: every row ends consistent, names unique."""
    errors: list[BaseException] = []
    with SQLiteCatalog(tmp_path) as cat:
        def work(n: int) -> None:
            try:
                for i in range(20):
                    source = f"s{n}-{i}"
                    name = cat.claim(source, "同名.mp3")
                    cat.done(source, published(name))
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        names = [e.audio for e in cat.published()]
    assert len(names) == 80 and len(set(names)) == 80


_HOLDER = """
import sys, time
from pathlib import Path
from reader.library.lock import LibraryLock
with LibraryLock(Path(sys.argv[1])):
    print("locked", flush=True)
    sys.stdin.readline()
"""


def test_lock_refuses_a_second_holder_in_another_process(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(tmp_path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(LibraryError, match=rf"in use by another batch \(pid {holder.pid}\)"):
            LibraryLock(tmp_path).acquire()
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait(timeout=30)
    with LibraryLock(tmp_path):  # released when its holder ends
        assert (tmp_path / ".lock").read_text().strip() == str(os.getpid())


def test_lock_dies_with_its_process(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(tmp_path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    holder.kill()
    holder.wait(timeout=30)
    deadline = time.monotonic() + 10
    while True:
        try:
            with LibraryLock(tmp_path):
                break
        except LibraryError:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    lock = LibraryLock(tmp_path)
    lock.acquire()
    with pytest.raises(LibraryError, match="in use by another batch"):
        LibraryLock(tmp_path).acquire()  # a second open file in the same process conflicts too
    lock.release()
