"""A library's catalog as the tests read it: straight from its SQLite file, not through reader's own code."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def rows(library: Path) -> dict[str, sqlite3.Row]:
    """Every article row of ``library``'s catalog, by the file name its source ends in."""
    db = sqlite3.connect(library / "catalog.sqlite")
    db.row_factory = sqlite3.Row
    try:
        return {Path(r["source"]).name: r for r in db.execute("SELECT * FROM articles")}
    finally:
        db.close()
