"""What ``reader batch`` prints when it is done: the summary (its progress lines are ``reader.cli.progress``)."""

from __future__ import annotations

from typing import TextIO

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from reader._format import clock
from reader.cli.progress import source_name
from reader.library.batch import BatchResult

#: At most this many narrated articles are listed one by one in the summary.
LISTED = 30


def print_summary(result: BatchResult, file: TextIO | None = None) -> None:
    """What the batch did: narrated and failed articles (with reasons), then the totals. A table on a
    terminal; one tab-separated line per article when piped (nothing is wrapped or cut there)."""
    console = Console(file=file, highlight=False)
    rows = [("done", o.title or source_name(o.source), clock(o.duration, rounded=True)) for o in result.done[:LISTED]]
    if len(result.done) > LISTED:
        rows.append(("done", f"… and {len(result.done) - LISTED} more", ""))
    rows += [("failed", o.source, o.error or "") for o in result.failed]
    if rows and console.is_terminal:
        table = Table(show_edge=False, pad_edge=False, box=None)
        table.add_column("status")
        table.add_column("article", overflow="fold")
        table.add_column("length / reason", overflow="fold")
        for status, what, detail in rows:
            table.add_row(f"[red]{status}[/red]" if status == "failed" else status, escape(what), escape(detail))
        console.print(table)
    else:
        for row in rows:
            console.out("\t".join(row), highlight=False)
    console.out(
        f"{len(result.done)} narrated, {len(result.skipped)} unchanged, {len(result.failed)} failed"
        + (f", {len(result.ignored)} input lines ignored" if result.ignored else "")
        + (f", {result.duplicates} duplicates dropped" if result.duplicates else "")
        + f" in {result.seconds:.1f} s → {result.library}",
        highlight=False,
    )
