"""How long work looks on a terminal: ``reader narrate``'s progress line and ``reader batch``'s lines.

Used by the CLI only (the library never prints). Each view keeps the state the library's callbacks report and
draws itself, line by line, to the width rich gives it: every line fits the terminal (80 columns included), a
title is cut to fit with "…" (counting a Chinese character as two columns), and the ETA and the elapsed time
are labelled. The clock is injected (``now``), so what a view shows at a given moment is testable.

- narrate: ``synthesize ━━━━━━━━━━━━  12/40 chunks  elapsed 0:05  ETA 0:12``
- batch: the whole batch (articles finished of all, elapsed, ETA, then what became of them), and one line per
  article in flight: its number in the batch, its title, its stage or its chunks.

The ETA of a narration is the synthesis time of the characters still to speak at the rate so far; the ETA of a
batch counts an article in flight by the share of its chunks that are done (its synthesis being most of its
time, not all), so it moves while the first article is still being read, and leaves out unchanged articles,
which take no time.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.live import Live
from rich.text import Text

from reader._clean import terminal
from reader._format import clock
from reader.i18n import N_, _
from reader.speech.synthesize import Progress

if TYPE_CHECKING:
    from reader.library.batch import BatchEvent

Clock = Callable[[], float]
#: The share of an article's time its synthesis takes (the rest: encoding, measuring, tagging, publishing).
SYNTHESIS_SHARE = 0.8
#: The bar of an article's chunks, in columns; the chunk count before it is padded to this many.
ARTICLE_BAR = 10
CHUNKS_WIDTH = 15


def bar(fraction: float | None, width: int) -> Text:
    """A progress bar ``width`` columns wide (unknown progress: an empty one)."""
    if width <= 0:
        return Text()
    filled = 0 if fraction is None else round(width * min(1.0, max(0.0, fraction)))
    text = Text("━" * filled, style="green")
    text.append("━" * (width - filled), style="bright_black")
    return text


def fit(text: str | Text, width: int) -> Text:
    """``text`` cut to ``width`` columns with "…" (or padded to them)."""
    line = text.copy() if isinstance(text, Text) else Text(text)
    line.truncate(max(0, width), overflow="ellipsis", pad=True)
    return line


def eta(elapsed: float, fraction: float) -> float | None:
    """Seconds still to go if the rest goes at the pace so far (None until something is done)."""
    if fraction <= 0 or elapsed <= 0:
        return None
    return elapsed * (1 - min(fraction, 1.0)) / fraction


def times(elapsed: float, remaining: float | None) -> str:
    left = "--:--" if remaining is None else clock(remaining, rounded=True)
    return _("elapsed {elapsed}  ETA {remaining}").format(elapsed=clock(elapsed), remaining=left)


#: The stages the library reports (reader.narration.pipeline, reader.library.batch), as they are shown.
STAGES = {"fetch": N_("fetch"), "segment": N_("segment"), "synthesize": N_("synthesize"), "encode": N_("encode"),
          "copy": N_("copy")}


def stage_name(stage: str) -> str:
    return _(STAGES[stage]) if stage in STAGES else stage


def _line(left: Text, flexible: Text | None, right: str, width: int) -> Text:
    """``left``, a bar filling what is left of ``width``, then ``right``: one line of exactly ``width``."""
    line = left.copy()
    room = width - line.cell_len - cell_len(right) - 2
    if flexible is not None and room >= 4:
        line.append(" ")
        line.append_text(flexible if flexible.cell_len <= room else bar(None, room))
        line.append(" ")
    else:
        line.append(" ")
    line.append(right)
    return fit(line, width)


# ---------------------------------------------------------------------------------------------------------
# narrate


@dataclass
class NarrateView:
    """``reader narrate``'s one line: stage, bar, chunks, elapsed and ETA."""

    now: Clock = time.monotonic
    stage: str = "fetch"
    progress: Progress | None = None
    started: float = field(default=0.0)
    synthesis_started: float | None = None

    def __post_init__(self) -> None:
        self.started = self.now()

    def set_stage(self, name: str) -> None:
        self.stage = name
        if name == "synthesize" and self.synthesis_started is None:
            self.synthesis_started = self.now()

    def update(self, progress: Progress) -> None:
        if self.synthesis_started is None:
            self.synthesis_started = self.now()
        self.progress = progress

    def remaining(self) -> float | None:
        p = self.progress
        if p is None or self.synthesis_started is None or not p.chars_total:
            return None
        if p.done >= p.total:
            return 0.0
        return eta(self.now() - self.synthesis_started, p.chars_done / p.chars_total)

    def line(self, width: int) -> Text:
        p = self.progress
        fraction = p.done / p.total if p is not None and p.total else None
        chunks = _("{done}/{total} chunks").format(done=p.done, total=p.total) + "  " if p is not None else ""
        right = chunks + times(self.now() - self.started, self.remaining())
        return _line(Text(stage_name(self.stage), style="bold"), bar(fraction, width), right, width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.line(options.max_width)


@dataclass(frozen=True)
class Reporters:
    """What the pipeline is given: a chunk-progress callback and a stage callback (both None: silent)."""

    progress: Callable[[Progress], None] | None = None
    stage: Callable[[str], None] | None = None


@contextmanager
def narrate_progress(quiet: bool, console: Console | None = None, now: Clock = time.monotonic) -> Iterator[Reporters]:
    """The progress line on stderr while the block runs, if stderr is a terminal and not ``quiet``."""
    if quiet or (console is None and not sys.stderr.isatty()):
        yield Reporters()
        return
    view = NarrateView(now)
    with Live(console=console or Console(stderr=True), transient=True, refresh_per_second=8,
              get_renderable=lambda: view):
        yield Reporters(view.update, view.set_stage)


# ---------------------------------------------------------------------------------------------------------
# batch


def source_name(source: str) -> str:
    """A short name for an input: the file's name, or the last part of a URL."""
    name = Path(source).name if "://" not in source[:12] else source.rsplit("/", 2)[-1] or source
    return terminal(name)


@dataclass
class _Article:
    number: int
    name: str
    title: str | None = None
    stage: str = "fetch"
    chunks: Progress | None = None

    @property
    def fraction(self) -> float:
        """How much of the article's work is done: its chunks are ``SYNTHESIS_SHARE`` of it, the encoding
        (and the page, the catalog) the rest, so an article whose last chunk is spoken is not counted done."""
        if self.stage in ("encode", "copy"):
            return SYNTHESIS_SHARE
        c = self.chunks
        return SYNTHESIS_SHARE * c.done / c.total if c is not None and c.total else 0.0


class BatchView:
    """``reader batch``'s lines; ``update`` is a ``BatchCallback`` (called from the batch's worker threads)."""

    def __init__(self, now: Clock = time.monotonic) -> None:
        self.now = now
        self.started = now()
        self.total = 0
        self.planned = False
        self.counts = {"done": 0, "skipped": 0, "failed": 0}
        self.articles: dict[str, _Article] = {}
        self.numbered = 0
        self._lock = threading.Lock()

    def update(self, event: BatchEvent) -> None:
        with self._lock:
            if event.kind == "planned":
                self.total, self.planned = event.total, True
            elif event.kind == "started":
                self.numbered += 1
                self.articles[event.source] = _Article(self.numbered, source_name(event.source))
            elif event.source in self.articles and event.kind in ("stage", "chunks"):
                article = self.articles[event.source]
                article.title = terminal(event.title) if event.title else article.title
                if event.kind == "stage" and event.stage:
                    article.stage = event.stage
                elif event.chunks is not None:
                    article.stage, article.chunks = "chunks", event.chunks
            elif event.kind == "finished" and event.outcome is not None:
                self.articles.pop(event.source, None)
                self.counts[event.outcome.status] += 1

    @property
    def finished(self) -> int:
        return sum(self.counts.values())

    def remaining(self) -> float | None:
        """The articles still to do at the pace of those worked on so far. An unchanged article (skipped)
        takes no time, so it counts neither as work done nor as a measure of the pace: a resumed batch whose
        first 90 articles are unchanged does not promise its last ten in a second."""
        if not self.total:
            return None
        if self.finished >= self.total:
            return 0.0
        in_flight = sum(a.fraction for a in self.articles.values())
        worked = self.counts["done"] + self.counts["failed"] + in_flight
        if worked <= 0:
            return None
        left = max(0.0, self.total - self.finished - in_flight)
        return (self.now() - self.started) * left / worked

    def lines(self, width: int) -> list[Text]:
        with self._lock:
            total = max(self.total, self.finished)
            head = Text(_("articles {done}/{total}").format(done=self.finished, total=total) if self.planned
                        else _("articles …"), style="bold")
            lines = [_line(head, bar(self.finished / total if total else None, width),
                           times(self.now() - self.started, self.remaining()), width)]
            c = self.counts
            counts = _("{done} narrated · {skipped} unchanged · {failed} failed").format(
                done=c["done"], skipped=c["skipped"], failed=c["failed"])
            lines.append(fit(Text(counts, style="dim"), width))
            digits = len(str(total or 1))
            for a in sorted(self.articles.values(), key=lambda a: a.number):
                lines.append(self._article(a, total, digits, width))
            return lines

    def _article(self, a: _Article, total: int, digits: int, width: int) -> Text:
        number = Text(f"{a.number:>{digits}}/{total} ", style="cyan")
        if a.chunks is not None:
            right = fit(_("chunks {done}/{total}").format(
                done=a.chunks.done, total=a.chunks.total), CHUNKS_WIDTH)
            right.append_text(bar(a.fraction, ARTICLE_BAR))
        else:
            right = fit(Text(stage_name(a.stage), style="dim"), CHUNKS_WIDTH + ARTICLE_BAR)
        if width - number.cell_len - right.cell_len < 12:  # a narrow terminal: the title before the bar
            right = Text(f"{a.chunks.done}/{a.chunks.total}") if a.chunks is not None else Text(stage_name(a.stage),
                                                                                                  style="dim")
        title_width = width - number.cell_len - right.cell_len - 2
        line = number + fit(a.title or a.name, title_width) + Text("  ") + right
        return fit(line, width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from self.lines(options.max_width)


@contextmanager
def batch_progress(console: Console | None = None, now: Clock = time.monotonic) -> Iterator[BatchView]:
    """The batch's lines on stderr (or ``console``) while the block runs."""
    view = BatchView(now)
    with Live(console=console or Console(stderr=True), transient=True, refresh_per_second=4,
              get_renderable=lambda: view):
        yield view
