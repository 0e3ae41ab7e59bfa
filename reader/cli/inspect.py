"""``reader extract`` and ``reader normalize``: look at what will be read, before anything is spoken."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click

from reader.cli.app import cli, require_stdout
from reader.cli.options import timeout_option
from reader.errors import FetchError, UsageError
from reader.i18n import N_, _

if TYPE_CHECKING:
    from reader.text.normalize import Abilities

#: ``reader normalize`` reads stdin a line at a time; a line longer than this is refused, not buffered.
MAX_LINE_BYTES = 1024 * 1024


@cli.command(help=N_("Print the article of SOURCE (a URL, an .html/.txt file, or - for stdin) as it will be read."))
@click.argument("source")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help=N_("text: the article as it will be read; json: the stable machine-readable schema."))
@timeout_option
def extract(source: str, fmt: str, timeout: float) -> None:
    from reader.extraction import extract as extract_article
    from reader.source.fetch import fetch

    require_stdout()
    article = extract_article(fetch(source, timeout=timeout))
    if fmt == "json":
        click.echo(json.dumps(article.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(article.text())


@cli.command(help=N_("Print the spoken form of TEXT (or of each line of stdin), as the voice will be given it."))
@click.argument("text", required=False)
@click.option("--voice", help=N_("The voice it is for (default: the default voice): a voice that says Latin "
                                 "letters keeps GDP or iPhone as written."))
@click.option("--phonemes", is_flag=True, help=N_("Print the phonemes a Kokoro voice is given instead (English "
                                                  "words as English phonemes, acronyms letter by letter)."))
def normalize(text: str | None, voice: str | None, phonemes: bool) -> None:
    from reader.narration.pipeline import spoken_abilities
    from reader.settings import DEFAULT_PRESET, preset
    from reader.text.normalize import normalize

    require_stdout()
    backend = preset(voice or DEFAULT_PRESET).backend
    abilities = spoken_abilities(backend)
    if phonemes and backend != "kokoro":
        raise UsageError(_("--phonemes needs a Kokoro voice; {voice!r} is not one").format(
            voice=voice or DEFAULT_PRESET))

    def to_spoken(line: str, abilities: Abilities) -> str:
        spoken = normalize(line, abilities)
        if not phonemes or not spoken.strip():
            return spoken
        from reader.speech.engines.kokoro import phoneme_words, render
        from reader.text.lexicon import default_lexicon

        return render(phoneme_words(spoken, default_lexicon()))

    if text is not None:
        click.echo(to_spoken(text, abilities))
        return
    if sys.stdin is None:
        raise UsageError(_("no TEXT and no standard input (it is closed)"))
    stream = sys.stdin.buffer
    while True:
        line = stream.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            raise FetchError(_("<stdin>: a line longer than {size} MB").format(size=MAX_LINE_BYTES // (1024 * 1024)))
        click.echo(to_spoken(line.decode("utf-8", "replace").rstrip("\r\n"), abilities))
