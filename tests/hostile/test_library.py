"""Issue 14 — a library that lost its catalog (item 8), a full disk in the middle of a batch (10), damaged
catalog and store entries (16). The full disk is real: a 2 MB tmpfs mounted in a private mount namespace
(``unshare -rm``, no root needed where user namespaces are allowed; skipped elsewhere)."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner
from helpers.catalog import rows

from reader.cli import cli

BODY = "今天上午，市里召开了第{n}次重要的工作会议，会议总结了去年的工作，安排了今年的任务。"


def write_articles(folder: Path, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(1, count + 1):
        (folder / f"a{n}.txt").write_text(
            f"第{n}篇测试文章的标题\n日期:2024-05-0{n} 来源:测试日报\n\n{BODY.format(n=n)}\n", encoding="utf-8")


def batch(inputs: Path, library: Path, *more: str) -> str:
    result = CliRunner().invoke(cli, ["batch", str(inputs), "-o", str(library), "--voice", "espeak", *more])
    assert result.exit_code == 0, result.output
    return result.output


def delete_catalog(library: Path) -> None:
    for name in ("catalog.sqlite", "catalog.sqlite-wal", "catalog.sqlite-shm"):
        (library / name).unlink(missing_ok=True)


def enclosures(library: Path) -> list[str]:
    return sorted(e.enclosures[0].href for e in feedparser.parse((library / "feed.xml").read_bytes()).entries)


# -- item 8: a library rebuilt from its own files -----------------------------------------------------------


@pytest.fixture
def library(tmp_path: Path) -> tuple[Path, Path, list[str], list[str]]:
    inputs, library = tmp_path / "in", tmp_path / "library"
    write_articles(inputs, 2)
    batch(inputs, library)
    return inputs, library, sorted(p.name for p in library.iterdir()), enclosures(library)


def test_a_lost_catalog_is_rebuilt_and_nothing_is_narrated_again(
        library: tuple[Path, Path, list[str], list[str]]) -> None:
    inputs, folder, files, feed = library
    before = {name: row["audio"] for name, row in rows(folder).items()}
    delete_catalog(folder)
    output = batch(inputs, folder)
    assert "0 narrated, 2 unchanged" in output
    assert sorted(p.name for p in folder.iterdir()) == files  # no "NAME (2).mp3"
    assert {name: row["audio"] for name, row in rows(folder).items()} == before
    assert all(row["status"] == "done" and row["settings_hash"] for row in rows(folder).values())
    assert enclosures(folder) == feed
    assert "0 narrated, 2 unchanged" in batch(inputs, folder)  # and the next run skips them at once


def test_two_copies_of_one_article_keep_their_own_files(tmp_path: Path) -> None:
    """Adoption takes only files no other article holds: a mirror of the same text is not folded into it."""
    inputs, folder = tmp_path / "in", tmp_path / "library"
    write_articles(inputs, 1)
    shutil.copy(inputs / "a1.txt", inputs / "mirror.txt")
    assert "2 narrated" in batch(inputs, folder)
    names = {name: row["audio"] for name, row in rows(folder).items()}
    assert len(set(names.values())) == 2
    assert "0 narrated, 2 unchanged" in batch(inputs, folder)
    assert {name: row["audio"] for name, row in rows(folder).items()} == names


def test_library_repair_rebuilds_a_lost_or_damaged_catalog(library: tuple[Path, Path, list[str], list[str]]) -> None:
    inputs, folder, files, feed = library
    before = {name: (row["audio"], row["title"], row["duration"]) for name, row in rows(folder).items()}
    delete_catalog(folder)
    (folder / "index.html").unlink()
    result = CliRunner().invoke(cli, ["library", "repair", str(folder)])
    assert result.exit_code == 0, result.output
    assert "2 narrations listed again" in result.output
    assert {name: (row["audio"], row["title"], row["duration"]) for name, row in rows(folder).items()} == before
    assert (folder / "index.html").is_file()

    (folder / "catalog.sqlite").write_bytes(b"this is not a database at all" * 100)
    for suffix in ("-wal", "-shm"):
        (folder / f"catalog.sqlite{suffix}").unlink(missing_ok=True)
    result = CliRunner().invoke(cli, ["library", "repair", str(folder)])
    assert result.exit_code == 0, result.output
    assert "moved aside" in result.output and len(list(folder.glob("catalog.sqlite.damaged-*"))) == 1
    assert {name: row["audio"] for name, row in rows(folder).items()} == {n: v[0] for n, v in before.items()}
    assert "0 narrated, 2 unchanged" in batch(inputs, folder)
    assert enclosures(folder) == feed


# -- item 16: damaged entries are redone ------------------------------------------------------------------------


def test_damaged_catalog_values_and_records_are_redone(library: tuple[Path, Path, list[str], list[str]],
                                                       tmp_path: Path) -> None:
    inputs, folder, files, _ = library
    db = sqlite3.connect(folder / "catalog.sqlite")
    db.execute("UPDATE articles SET duration = 'abc', timings = '{bad' WHERE source LIKE '%a1.txt'")
    db.execute("UPDATE articles SET chapters = 'x', timings = '[1, 2]' WHERE source LIKE '%a2.txt'")
    db.commit()
    db.close()
    # The rows are repaired from the records beside the audio (the files are what they should be).
    output = batch(inputs, folder)
    assert "0 narrated, 2 unchanged" in output
    assert all(isinstance(row["duration"], float) and row["chapters"] >= 1 for row in rows(folder).values())
    assert sorted(p.name for p in folder.iterdir()) == files
    # A record with a missing key beside its audio: that article is narrated again, in place.
    manifest = folder / rows(folder)["a1.txt"]["manifest"]
    data = json.loads(manifest.read_text(encoding="utf-8"))
    del data["audio"]["duration"]
    manifest.write_text(json.dumps(data), encoding="utf-8")
    assert "1 narrated, 1 unchanged" in batch(inputs, folder)
    assert json.loads(manifest.read_text(encoding="utf-8"))["audio"]["duration"] > 0
    assert sorted(p.name for p in folder.iterdir()) == files


def test_a_store_record_with_a_missing_key_is_redone(tmp_path: Path) -> None:
    write_articles(tmp_path / "in", 1)
    article, cache = tmp_path / "in" / "a1.txt", tmp_path / "cache"
    args = ["narrate", str(article), "--voice", "espeak", "--cache-dir", str(cache), "-o", str(tmp_path / "a.mp3")]
    assert CliRunner().invoke(cli, args).exit_code == 0
    for meta in (cache / "narrations").rglob("*.json"):
        data = json.loads(meta.read_text(encoding="utf-8"))
        del data["record"]["chunks"][0]["start"]
        meta.write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    assert "(0 cached)" not in result.output  # the chunks came from the chunk cache, the narration was redone


# -- item 10: a full disk ------------------------------------------------------------------------------------------


def _namespaces() -> bool:
    try:
        return subprocess.run(["unshare", "-rm", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


SCRIPT = """
import os, sqlite3, subprocess, sys
from pathlib import Path

disk, inputs, cache = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)], check=True)
library = disk / "library"


def fill() -> None:
    fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        while True:
            os.write(fd, b"x" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)


from reader.cli import cli
from reader.narration.pipeline import Narrator

original = Narrator.narrate_article
mode = sys.argv[4]
if mode == "during":  # the disk fills up while the first article is being narrated
    def narrate_article(self, *args, **kwargs):
        fill()
        return original(self, *args, **kwargs)
    Narrator.narrate_article = narrate_article
elif mode == "before":  # a library whose disk is already full when the batch starts
    subprocess.run([sys.executable, "-m", "reader", "batch", inputs, "-o", str(library), "--voice", "espeak",
                    "--cache-dir", cache, "--limit", "1", "-q"], check=True)
    fill()
try:
    cli(["batch", inputs, "-o", str(library), "--voice", "espeak", "--cache-dir", cache, "-q"], prog_name="reader")
except SystemExit as exc:
    code = exc.code
print("EXIT", code, file=sys.stderr)
(disk / "filler").unlink(missing_ok=True)  # room to look at what the batch left
db = sqlite3.connect(library / "catalog.sqlite")
print("ROWS", sorted(set(r[0] for r in db.execute("SELECT status FROM articles"))), file=sys.stderr)
print("PARTS", sorted(p.name for p in library.rglob("*") if p.name.endswith(".part") or p.name == ".staging"),
      file=sys.stderr)
"""


@pytest.mark.skipif(not _namespaces(), reason="needs user and mount namespaces (unshare -rm) for a small disk")
@pytest.mark.parametrize("mode", ["during", "before"])
def test_a_full_disk_mid_batch_is_one_line_and_leaves_nothing_running(tmp_path: Path, mode: str) -> None:
    inputs, disk, cache = tmp_path / "in", tmp_path / "disk", tmp_path / "cache"
    write_articles(inputs, 3)
    disk.mkdir()
    script = tmp_path / "full.py"
    script.write_text(textwrap.dedent(SCRIPT), encoding="utf-8")
    result = subprocess.run(["unshare", "-rm", sys.executable, str(script), str(disk), str(inputs), str(cache), mode],
                            capture_output=True, text=True, timeout=300)
    lines = result.stderr.splitlines()
    report = [line for line in lines if line.startswith(("EXIT", "ROWS", "PARTS"))]
    said = [line for line in lines if line not in report]
    assert report[0] == "EXIT 1", result.stderr
    assert "Traceback" not in result.stderr
    assert said and all(line.startswith("reader: ") for line in said), result.stderr
    assert any("No space left on device" in line or "disk is full" in line for line in said), result.stderr
    assert "running" not in report[1], result.stderr
    assert report[2] == "PARTS []", result.stderr
    shutil.rmtree(disk, ignore_errors=True)
