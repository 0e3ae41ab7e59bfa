"""Issue 23 B3 — links in a library: reader never follows a symbolic link (or a second hard link) for the
library's own files (.lock, catalog.sqlite and its journals, .catalog-reserve, .staging); it refuses in one line
and writes nothing outside the library. Each test failed before the fix."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from reader.cli import cli
from reader.errors import LibraryError
from reader.library import batch, own
from reader.library.catalog import CATALOG_NAME, RESERVE_NAME, SQLiteCatalog
from reader.library.lock import LOCK_NAME, LibraryLock

VICTIM = "the user's own file, not reader's\n"


@pytest.fixture
def lib(tmp_path: Path) -> Path:
    (tmp_path / "lib").mkdir()
    return tmp_path / "lib"


def one_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("reader: error: "), output
    return lines[0]


@pytest.mark.parametrize("how", ["symlink", "hardlink"])
def test_a_linked_lock_file_is_refused_and_its_target_kept(lib: Path, tmp_path: Path, how: str) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text(VICTIM)
    getattr(os, how if how == "symlink" else "link")(victim, lib / LOCK_NAME)
    with pytest.raises(LibraryError, match="link"), LibraryLock(lib):
        pass
    assert victim.read_text() == VICTIM  # before the fix: emptied, then a pid written into it
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "a.txt").write_text("测试文章的标题\n\n今天上午，市里召开了一次重要的工作会议。\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["batch", str(pages), "-o", str(lib), "--voice", "espeak", "-q"])
    assert result.exit_code == 1 and "link" in one_line(result.output)
    result = CliRunner().invoke(cli, ["library", "repair", str(lib)])
    assert result.exit_code == 1 and "link" in one_line(result.output)
    assert victim.read_text() == VICTIM


@pytest.mark.parametrize("name", [CATALOG_NAME, CATALOG_NAME + "-wal", CATALOG_NAME + "-shm", RESERVE_NAME])
def test_a_dangling_link_creates_nothing_outside(lib: Path, tmp_path: Path, name: str) -> None:
    outside = tmp_path / "outside" / "made-here"
    outside.parent.mkdir()
    (lib / name).symlink_to(outside)
    with pytest.raises(LibraryError, match="symbolic link"), SQLiteCatalog(lib):
        pass
    assert not outside.exists()  # before the fix: a database, a WAL or 256 KB created there
    result = CliRunner().invoke(cli, ["library", "repair", str(lib)])
    assert result.exit_code == 1 and "symbolic link" in one_line(result.output)
    assert not outside.exists()


def test_a_link_to_someone_elses_database_is_refused_untouched(lib: Path, tmp_path: Path) -> None:
    other = tmp_path / "photos.sqlite"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE photos (name TEXT)")
    db.close()
    before = other.read_bytes()
    (lib / CATALOG_NAME).symlink_to(other)
    with pytest.raises(LibraryError, match="symbolic link"), SQLiteCatalog(lib):
        pass
    assert other.read_bytes() == before  # before the fix: switched to WAL, then refused


def test_a_copied_foreign_database_is_refused_before_it_is_changed(lib: Path) -> None:
    with sqlite3.connect(lib / CATALOG_NAME) as db:
        db.execute("CREATE TABLE photos (name TEXT)")
    db.close()
    before = (lib / CATALOG_NAME).read_bytes()
    with pytest.raises(LibraryError, match="other tables"), SQLiteCatalog(lib):
        pass
    assert (lib / CATALOG_NAME).read_bytes() == before


def test_a_linked_staging_folder_is_refused(lib: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (lib / batch.STAGING).symlink_to(elsewhere, target_is_directory=True)
    assert {batch.STAGING, LOCK_NAME, CATALOG_NAME, RESERVE_NAME} <= set(own.OWN_NAMES)
    with pytest.raises(LibraryError, match="symbolic link"), SQLiteCatalog(lib):
        pass
    assert list(elsewhere.iterdir()) == []


def test_an_ordinary_library_opens(lib: Path) -> None:
    with LibraryLock(lib), SQLiteCatalog(lib) as catalog:
        assert list(catalog.published()) == []
    assert (lib / RESERVE_NAME).stat().st_size > 0
    with LibraryLock(lib), SQLiteCatalog(lib):  # and again, its own files now there
        pass
