"""What ``reader batch`` prints when it is done: the summary (its progress lines are ``reader.cli.progress``)."""

from __future__ import annotations

from typing import TextIO

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from reader._clean import terminal
from reader._format import clock
from reader.cli.progress import source_name
from reader.i18n import _
from reader.library.batch import BatchResult

#: At most this many narrated articles are listed one by one in the summary.
LISTED = 30


def print_summary(result: BatchResult, file: TextIO | None = None) -> None:
    """What the batch did: narrated and failed articles (with reasons), then the totals. A table on a
    terminal; one tab-separated line per article when piped (nothing is wrapped or cut there)."""
    console = Console(file=file, highlight=False)
    done, failed = _("done"), _("failed")
    rows = [(done, o.title or source_name(o.source), clock(o.duration, rounded=True)) for o in result.done[:LISTED]]
    if len(result.done) > LISTED:
        rows.append((done, _("… and {count} more").format(count=len(result.done) - LISTED), ""))
    rows += [(failed, o.source, o.error or "") for o in result.failed]
    rows = [(status, terminal(what), terminal(detail)) for status, what, detail in rows]  # names from outside
    if rows and console.is_terminal:
        table = Table(show_edge=False, pad_edge=False, box=None)
        table.add_column(_("status"))
        table.add_column(_("article"), overflow="fold")
        table.add_column(_("length / reason"), overflow="fold")
        for status, what, detail in rows:
            table.add_row(f"[red]{status}[/red]" if status == failed else status, escape(what), escape(detail))
        console.print(table)
    else:
        for row in rows:
            console.out("\t".join(row), highlight=False)
    counts = _("{done} narrated, {skipped} unchanged, {failed} failed").format(
        done=len(result.done), skipped=len(result.skipped), failed=len(result.failed))
    if result.ignored:
        counts += _(", {count} input lines ignored").format(count=len(result.ignored))
    if result.duplicates:
        counts += _(", {count} duplicates dropped").format(count=result.duplicates)
    console.out(counts + _(" in {seconds:.1f} s → {library}").format(seconds=result.seconds, library=result.library),
                highlight=False)
