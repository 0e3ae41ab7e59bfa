"""``reader library``: look after a batch library. ``repair`` rebuilds its catalog from its own files."""

from __future__ import annotations

from pathlib import Path

import click

from reader.cli.app import cli
from reader.errors import UsageError


@cli.group()
def library() -> None:
    """Look after a batch library (the folder `reader batch -o` writes)."""


@library.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--base-url", help="Also rewrite feed.xml with this base URL (default: leave the feed as it is; "
                                 "the next batch rewrites it).")
@click.option("-q", "--quiet", is_flag=True, help="Say nothing unless something is wrong.")
def repair(folder: Path, base_url: str | None, quiet: bool) -> None:
    """Rebuild FOLDER's catalog from the narration records (NAME.json) beside its audio files.

    A missing or damaged catalog.sqlite (a damaged one is moved aside) is made again, every narration found
    is listed, and index.html is rewritten; nothing is narrated, no file is renamed.
    """
    from reader.library.catalog import SQLiteCatalog
    from reader.library.lock import LibraryLock
    from reader.library.rebuild import repair_library
    from reader.publish.feed import check_base_url, write_feed
    from reader.publish.index import write_index

    if not folder.is_dir():
        raise UsageError(f"{folder}: no such library folder")
    if base_url is not None:
        check_base_url(base_url)
    with LibraryLock(folder):
        result = repair_library(folder)
        with SQLiteCatalog(folder) as catalog:
            write_index(catalog.published(), folder)
            if base_url is not None:
                write_feed(catalog.published(), folder, base_url=base_url)
    for line in result.skipped:
        click.echo(f"reader: skipped {line}", err=True)
    if not quiet:
        if result.moved_aside is not None:
            click.echo(f"{result.moved_aside}  the damaged catalog, moved aside")
        click.echo(f"{folder}: {len(result.entered)} narrations listed again, {result.listed} already listed, "
                   f"{len(result.skipped)} files skipped")
