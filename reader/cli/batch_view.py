"""How ``reader batch`` looks on a terminal: rich progress bars fed by ``run_batch``'s events, and the summary.

Used by the CLI only (the library never prints). One bar counts articles (with the ETA of the whole batch);
under it, one bar per article in flight counts its chunks. The events of articles come from worker threads;
rich's ``Progress`` takes its own lock on every update.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from reader._format import clock
from reader.library.batch import BatchEvent, BatchResult

#: At most this many narrated articles are listed one by one in the summary.
LISTED = 30


def _label(text: str, width: int = 36) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _name(source: str) -> str:
    return Path(source).name if "://" not in source[:12] else source.rsplit("/", 2)[-1] or source


class BatchProgress:
    """A context manager whose ``update`` method is a ``BatchCallback``."""

    def __init__(self, console: Console | None = None) -> None:
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[note]}"),
            TimeRemainingColumn(),
            TimeElapsedColumn(),
            console=console or Console(stderr=True),
            transient=True,
        )
        self.overall: TaskID | None = None
        self.tasks: dict[str, TaskID] = {}
        self.counts = {"done": 0, "skipped": 0, "failed": 0}
        self._lock = threading.Lock()

    def __enter__(self) -> BatchProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def _note(self) -> str:
        c = self.counts
        return f"{c['done']} narrated · {c['skipped']} unchanged · {c['failed']} failed"

    def update(self, event: BatchEvent) -> None:
        with self._lock:
            self._update(event)

    def _update(self, event: BatchEvent) -> None:
        p = self.progress
        if event.kind == "planned":
            self.overall = p.add_task("articles", total=event.total, note=self._note())
        elif event.kind == "started":
            self.tasks[event.source] = p.add_task(f"  {_label(_name(event.source))}", total=None, note="")
        elif event.kind == "stage" and event.source in self.tasks:
            p.update(self.tasks[event.source], note=event.stage or "",
                     description=f"  {_label(event.title or _name(event.source))}")
        elif event.kind == "chunks" and event.chunks is not None and event.source in self.tasks:
            c = event.chunks
            p.update(self.tasks[event.source], total=c.total, completed=c.done, note="chunks",
                     description=f"  {_label(event.title or _name(event.source))}")
        elif event.kind == "finished" and event.outcome is not None:
            task = self.tasks.pop(event.source, None)
            if task is not None:
                p.remove_task(task)
            self.counts[event.outcome.status] += 1
            if self.overall is not None:
                p.update(self.overall, advance=1, note=self._note())


def print_summary(result: BatchResult, file: TextIO | None = None) -> None:
    """What the batch did: narrated and failed articles (with reasons), then the totals. A table on a
    terminal; one tab-separated line per article when piped (nothing is wrapped or cut there)."""
    console = Console(file=file, highlight=False)
    rows = [("done", o.title or _name(o.source), clock(o.duration, rounded=True)) for o in result.done[:LISTED]]
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
