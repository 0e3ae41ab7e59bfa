"""How ``reader play`` looks and listens: a rich screen with keys on a terminal, chapter lines when piped.

Used by the CLI only (the library never prints). ``play`` opens what SOURCE names (an audio file, or an
article narrated while it plays, see ``reader.play.live``), starts the output, and then either

- on a terminal: draws the title, state and speed, elapsed/total time, the chapter list with the current
  chapter marked, and the sentence being read, about ten times a second, and reads single keys (the
  terminal in cbreak mode, restored on the way out, Ctrl-C included): space pause/resume, n/p next/previous
  chapter, ←/→ 10 s back/forward, +/− speed, q quit; or
- piped (or ``quiet``): plays with no screen, printing one line per chapter as it starts (none if quiet).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import queue
import select
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.text import Text

from reader._format import clock
from reader.errors import PlaybackError, ReaderError
from reader.i18n import N_, _
from reader.narration.pipeline import NarrateOptions
from reader.play.live import ArticleStream, is_audio_file, open_article
from reader.play.outputs import open_output
from reader.play.player import Player, PlayerEvent, PlayerState
from reader.play.tracks import FileTrack, Track

#: The screen reads single keys in the terminal's cbreak mode (termios: POSIX); elsewhere (Windows) ``play``
#: shows one line per chapter instead.
KEYS_SUPPORTED = importlib.util.find_spec("termios") is not None

#: Screen refreshes (and key polls) per second.
_FPS = 10
HELP = N_("space pause · n/p chapter · ←/→ 10 s · +/− speed · q quit")  # the keys below; ←/→: PLAY_SEEK_SECONDS

#: Keys (bytes as the terminal sends them) → what they do to the player.
KEYS: dict[bytes, Callable[[Player], object]] = {
    b" ": Player.toggle,
    b"n": Player.next_chapter,
    b"p": Player.previous_chapter,
    b"\x1b[C": Player.forward,  # →
    b"\x1bOC": Player.forward,  # → in the terminal's application mode
    b"\x1b[D": Player.back,  # ←
    b"\x1bOD": Player.back,
    b"+": Player.faster,
    b"=": Player.faster,  # + without shift
    b"-": Player.slower,
    b"_": Player.slower,
    b"q": Player.stop,
    b"Q": Player.stop,
}


def split_keys(data: bytes) -> list[bytes]:
    """The keys in what one read returned: escape sequences (arrows) whole, other bytes one by one."""
    keys: list[bytes] = []
    i = 0
    while i < len(data):
        if data[i : i + 1] == b"\x1b" and data[i + 1 : i + 2] in (b"[", b"O") and i + 2 < len(data):
            keys.append(data[i : i + 3])
            i += 3
        else:
            keys.append(data[i : i + 1])
            i += 1
    return keys


@dataclass
class Screen:
    """What the terminal shows of ``player`` (and of the narration feeding it, if any)."""

    player: Player
    stream: ArticleStream | None = None
    height: int = 24

    def render(self) -> RenderableType:
        p = self.player
        position, duration = p.position, p.duration
        total = clock(duration) if duration is not None else clock(p.available) + "…"
        state = {PlayerState.PLAYING: _("▶ playing"), PlayerState.PAUSED: _("❚❚ paused"),
                 PlayerState.ENDED: _("■ ended")}[p.state]
        if p.waiting:
            state = _("… waiting for the narration")
        status = Text.assemble((state, "bold green" if p.state is PlayerState.PLAYING else "bold yellow"),
                               f"   {p.speed:g}×   ", (f"{clock(position)} / {total}", "bold"))
        progress = self.stream.progress if self.stream is not None and not self.stream.done else None
        if progress is not None:
            status.append("   " + _("narrating {done}/{total} chunks").format(
                done=progress.done, total=progress.total),
                          style="dim")
        length = duration if duration is not None else max(p.available, 0.001)
        bar = ProgressBar(total=max(length, 0.001), completed=min(position, length))
        return Group(Text(p.track.title, style="bold"), status, bar, Text(""), self._chapters(),
                     Text(""), self._sentence(), Text(""), Text(_(HELP), style="dim"))

    def _chapters(self) -> RenderableType:
        chapters = self.player.chapters
        current = self.player.chapter_index
        coming = self.player.track.coming()
        if not chapters and not coming:
            return Text(_("(no chapters)"), style="dim")
        room = max(3, self.height - 12)  # the rest of the screen is the other lines
        first = 0 if len(chapters) <= room or current is None else max(0, min(current - room // 2,
                                                                                len(chapters) - room))
        lines = Text()
        for i in range(first, min(len(chapters), first + room)):
            mark = "▶" if i == current else " "
            style = "bold cyan" if i == current else ""
            if lines:
                lines.append("\n")
            lines.append(f"{mark} {i + 1:>2}  {chapters[i].title}", style=style)
            lines.append(f"  {clock(chapters[i].start)}", style="dim")
        for j, title in enumerate(coming[: max(0, room - len(chapters) + first)]):
            lines.append(f"\n  {len(chapters) + j + 1:>2}  {title}  " + _("(narrating…)"), style="dim")
        return lines

    def _sentence(self) -> RenderableType:
        cue = self.player.sentence
        return Text(cue.text.replace("\n", " ") if cue else "", style="italic")


@contextlib.contextmanager
def cbreak(fd: int) -> Iterator[None]:
    """Keys arrive one at a time and are not echoed; the terminal is restored afterwards, whatever happens."""
    import termios
    import tty

    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def run_interactive(player: Player, stream: ArticleStream | None = None, console: Console | None = None) -> None:
    """The screen and the keys, until the track ends or q."""
    console = console or Console()
    screen = Screen(player, stream, console.size.height)
    fd = sys.stdin.fileno()
    with cbreak(fd), Live(screen.render(), console=console, auto_refresh=False, transient=False) as live:
        while not player.ended:
            ready, _w, _x = select.select([fd], [], [], 1 / _FPS)
            if ready:
                for key in split_keys(os.read(fd, 64)):
                    action = KEYS.get(key)
                    if action is not None:
                        action(player)
            screen.height = console.size.height
            live.update(screen.render(), refresh=True)


def run_plain(player: Player, events: queue.Queue[PlayerEvent], echo: Callable[[str], None] | None) -> None:
    """No screen: one line per chapter as it starts (``echo``), until the track ends. ``events`` is where
    the player puts its events (they come from the audio thread; this prints them from the caller's)."""
    while not player.ended or not events.empty():
        try:
            event = events.get(timeout=0.2)
        except queue.Empty:
            continue
        if event.kind == "chapter" and echo is not None and event.index is not None:
            echo(f"[{clock(event.position)}] " + _("chapter {number}: {title}").format(number=event.index + 1,
                                                                                     title=event.text))


def open_track(source: str, options: NarrateOptions, spinner: bool = False) -> tuple[Track, ArticleStream | None]:
    """The track SOURCE names: an audio file, or an article being narrated (and its stream). ``spinner``: show
    one on stderr until an article's first chunk is ready."""
    if is_audio_file(source):
        return FileTrack(Path(source)), None
    status = Console(stderr=True).status(_("narrating the first sentence…")) if spinner else None
    if status is not None:
        status.start()
    try:
        stream = open_article(source, options)
        return stream.start(), stream
    finally:
        if status is not None:
            status.stop()


def play(source: str, options: NarrateOptions, *, chapter: int | None = None, device: str = "default",
         speed: float = 1.0, interactive: bool = False, echo: Callable[[str], None] | None = None,
         spinner: bool = False) -> None:
    """Play SOURCE from ``chapter`` (0-based) on ``device`` at ``speed``, with the screen or plainly, until it
    ends or q.

    ``spinner``: show one on stderr while an article's first chunk is synthesized. Errors of the narration
    behind a live track are raised when playback is over.
    """
    track, stream = open_track(source, options, spinner)
    try:
        events: queue.Queue[PlayerEvent] = queue.Queue()
        player = Player(track, start_chapter=chapter, speed=speed, on_event=None if interactive else events.put)
        output = open_output(device)
        output.start(player)
        try:
            if interactive and KEYS_SUPPORTED:
                run_interactive(player, stream)
            else:
                run_plain(player, events, echo)
        finally:
            player.stop()
            output.close()
        error = player.error or output.error
        if isinstance(error, ReaderError):
            raise error
        if error is not None:
            raise PlaybackError(_("playback failed: {error}").format(error=error)) from error
    finally:
        track.close()
        if stream is not None:
            stream.close()
