"""``reader play``: an audio file with its chapters and sentences, or an article narrated while it plays."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reader.cli.app import cli
from reader.cli.options import cache_dir_option, quiet_option, voice_option


@cli.command()
@click.argument("source")
@click.option("--chapter", type=click.IntRange(1), help="Start at chapter N (1 is the first).")
@click.option("--output-device", type=click.Choice(["default", "null"]), default="default", show_default=True,
              help="default: the sound device; null: play in real time into nothing. "
                   "READER_AUDIO_SINK=out.wav plays into a WAV file instead.")
@voice_option("For an article: the voice preset.")
@cache_dir_option("Cache directory (default: the user cache directory); articles are narrated into its plays/.")
@quiet_option("No screen and no chapter lines: just play.")
def play(source: str, chapter: int | None, output_device: str, voice: str, cache_dir: Path | None,
         quiet: bool) -> None:
    """Play SOURCE: an audio file (MP3, M4B, M4A, Opus, WAV: chapters from its tags, sentences from its
    .vtt/.json), or an article (URL, .html/.txt), narrated while it plays. Keys: space pause, n/p chapter,
    ←/→ 10 s, +/− speed, q quit."""
    from reader.cli.player_view import play as run
    from reader.narration.pipeline import NarrateOptions

    run(source, NarrateOptions(voice=voice, cache_dir=cache_dir), chapter=None if chapter is None else chapter - 1,
        device=output_device, interactive=not quiet and _tty(sys.stdin) and _tty(sys.stdout),
        echo=None if quiet else click.echo, spinner=not quiet and sys.stderr.isatty())


def _tty(stream: object) -> bool:
    """Whether ``stream`` is a terminal (a closed stdin or stdout is None: not one)."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty()) if callable(isatty) else False
