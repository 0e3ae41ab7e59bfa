"""The catalog's rows as publish's episodes: the format is the record's, kept in the catalog, and read from the
record beside the audio for rows of a catalog older than schema 3."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner

from reader.cli import cli
from reader.library.catalog import SQLiteCatalog
from reader.library.episodes import episodes
from reader.narration.record import NarrationRecord


def test_episodes_take_the_format_from_the_catalog_or_the_record(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name, title, date in (("a.txt", "春天的公园", "2024-03-01"), ("b.txt", "秋天的果园", "2024-09-01")):
        (inputs / name).write_text(f"{title}\n日期:{date} 来源:测试日报\n\n公园里的花都开了，真漂亮。\n", encoding="utf-8")
    library = tmp_path / "lib"
    result = CliRunner().invoke(cli, ["batch", str(inputs), "-o", str(library), "--format", "opus", "-q",
                                      "--cache-dir", str(tmp_path / "cache")])
    assert result.exit_code == 0, result.output
    with SQLiteCatalog(library) as catalog:
        entries = list(catalog.published())
    assert [e.format for e in entries] == ["opus", "opus"]
    found = episodes(entries, library)
    assert [(e.audio, e.format, e.title) for e in found] == [(e.audio, "opus", e.title) for e in entries]
    for episode in found:
        record = NarrationRecord.read(library / Path(episode.audio).with_suffix(".json"))
        assert episode.format == record.audio.format
    # Rows written before the catalog kept the format: the record says it; a row without a readable record
    # is left out (the next batch narrates it again).
    db = sqlite3.connect(library / "catalog.sqlite")
    db.execute("UPDATE articles SET format = NULL")
    db.commit()
    db.close()
    with SQLiteCatalog(library) as catalog:
        old = list(catalog.published())
    assert [e.format for e in old] == [None, None]
    assert [(e.audio, e.format) for e in episodes(old, library)] == [(e.audio, "opus") for e in entries]
    assert old[0].manifest
    (library / old[0].manifest).write_text("{", encoding="utf-8")
    assert [e.audio for e in episodes(old, library)] == [old[1].audio]
