"""``reader play``: an audio file with its chapters and sentences, or an article narrated while it plays."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reader.cli.app import cli
from reader.cli.options import (
    FloatRange,
    cache_dir_option,
    narrate_options,
    output_device_option,
    quiet_option,
    voice_option,
)
from reader.i18n import N_
from reader.settings import RATE_MAX, RATE_MIN


@cli.command(help=N_("Play SOURCE: an audio file (MP3, M4B, M4A, Opus, WAV: chapters from its tags, sentences "
                     "from its .vtt/.json), or an article (URL, .html/.txt), narrated while it plays. Keys: space "
                     "pause, n/p chapter, ←/→ 10 s, +/− speed, q quit."))
@click.argument("source")
@click.option("--chapter", type=click.IntRange(1), help=N_("Start at chapter N (1 is the first)."))
@output_device_option
@voice_option(N_("For an article: the voice preset."))
@click.option("--rate", type=FloatRange(RATE_MIN, RATE_MAX),
              help=N_("How fast it speaks, 0.5–2.0: an article is narrated at this rate (default: the voice's "
                      "own); an audio file starts at this speed (default: 1)."))
@cache_dir_option(N_("The cache directory (default: the user cache directory): articles are narrated into its "
                    "plays/, and chunks and the voices' derived models (models/) are written there; a checked "
                    "model already in the user cache directory is read from there."))
@quiet_option(N_("No screen and no chapter lines: just play."))
def play(source: str, chapter: int | None, output_device: str, voice: str, rate: float | None,
         cache_dir: Path | None, quiet: bool) -> None:
    from reader.cli.player_view import play as run
    from reader.play.live import is_audio_file

    audio_file = is_audio_file(source)  # its --rate is the player's speed, not the narration's
    options = narrate_options(click.get_current_context().params, rate=None if audio_file else rate)
    run(source, options, chapter=None if chapter is None else chapter - 1, device=output_device,
        speed=rate if audio_file and rate is not None else 1.0,
        interactive=not quiet and _tty(sys.stdin) and _tty(sys.stdout),
        echo=None if quiet else click.echo, spinner=not quiet and sys.stderr.isatty())


def _tty(stream: object) -> bool:
    """Whether ``stream`` is a terminal (a closed stdin or stdout is None: not one)."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty()) if callable(isatty) else False
