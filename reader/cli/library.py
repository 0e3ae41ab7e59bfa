"""``reader library``: look after a batch library. ``repair`` rebuilds its catalog from its own files."""

from __future__ import annotations

from pathlib import Path

import click

from reader import _clean
from reader.cli.app import cli
from reader.errors import UsageError
from reader.i18n import N_, _


@cli.group(help=N_("Look after a batch library (the folder `reader batch -o` writes)."))
def library() -> None:
    pass


@library.command(help=N_("Rebuild FOLDER's catalog from the narration records (NAME.json) beside its audio files. "
                         "A missing or damaged catalog.sqlite (a damaged one is moved aside) is made again, every "
                         "narration found is listed, and index.html is rewritten; nothing is narrated, no file is "
                         "renamed."))
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--base-url", help=N_("Also rewrite feed.xml with this base URL (default: leave the feed as it is; "
                                    "the next batch rewrites it)."))
@click.option("-q", "--quiet", is_flag=True, help=N_("Say nothing unless something is wrong."))
def repair(folder: Path, base_url: str | None, quiet: bool) -> None:
    from reader.library.catalog import SQLiteCatalog
    from reader.library.episodes import episodes
    from reader.library.lock import LibraryLock
    from reader.library.rebuild import repair_library
    from reader.publish.feed import check_base_url, write_feed
    from reader.publish.index import write_index

    if not folder.is_dir():
        raise UsageError(_("{folder}: no such library folder").format(folder=folder))
    if base_url is not None:
        check_base_url(base_url)
    with LibraryLock(folder):
        result = repair_library(folder)
        with SQLiteCatalog(folder) as catalog:
            published = episodes(catalog.published(), folder)
            write_index(published, folder)
            if base_url is not None:
                write_feed(published, folder, base_url=base_url)
    for line in result.skipped:
        click.echo(_("reader: skipped {line}").format(line=_clean.terminal(line)), err=True)
    if not quiet:
        if result.moved_aside is not None:
            click.echo(_("{path}  the damaged catalog, moved aside").format(path=result.moved_aside))
        click.echo(_("{folder}: {entered} narrations listed again, {listed} already listed, {skipped} files "
                     "skipped").format(folder=folder, entered=len(result.entered), listed=result.listed,
                                       skipped=len(result.skipped)))
