"""How ``reader narrate`` shows its progress on a terminal: a rich bar, nothing when piped or quiet."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from reader.speech.synthesize import Progress


@dataclass(frozen=True)
class Reporters:
    """What the pipeline is given: a chunk-progress callback and a stage callback (both None: silent)."""

    progress: Callable[[Progress], None] | None = None
    stage: Callable[[str], None] | None = None


@contextmanager
def narrate_progress(quiet: bool) -> Iterator[Reporters]:
    """A progress bar on stderr while the block runs, if stderr is a terminal and not ``quiet``."""
    if quiet or not sys.stderr.isatty():
        yield Reporters()
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
    from rich.progress import Progress as Bar

    bar = Bar(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("chunks · {task.fields[chars]} chars"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    with bar:
        task = bar.add_task("synthesizing", total=None, chars="0")

        def update(p: Progress) -> None:
            bar.update(task, total=p.total, completed=p.done, chars=f"{p.chars_done}/{p.chars_total}")

        def stage(name: str) -> None:
            bar.update(task, description=name)

        yield Reporters(update, stage)
