"""``reader narrate``: one article to a chaptered audio file with subtitles, its record and a listen page."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from reader._format import clock
from reader.cli.app import cli
from reader.cli.options import (
    FloatRange,
    cache_dir_option,
    cover_option,
    fallback_option,
    format_option,
    loudness_option,
    name_options,
    narrate_options,
    quiet_option,
    rate_option,
    timeout_option,
    voice_option,
)
from reader.cli.stdout import copy_to_stdout, scratch_output, wants_stdout
from reader.i18n import N_, _, ngettext
from reader.settings import Pauses

if TYPE_CHECKING:
    from reader.narration.pipeline import Narration


@cli.command(help=N_("Narrate SOURCE (a URL, an .html/.txt file, or - for stdin) to a chaptered MP3 (or M4B, "
                     "M4A, Opus, WAV) with .vtt subtitles and a .json record."))
@click.argument("source", required=False)
@click.option("--text", "text", help=N_("Narrate this text (a notice, a paragraph) instead of SOURCE."))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help=N_("The audio file to write; its suffix picks the format (.mp3, .m4b, .m4a, .opus, .wav); - "
                      "writes the audio to standard output (no sidecars). Default: DATE-TITLE.mp3 in --output-dir."))
@click.option("--output-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."), metavar="DIR",
              show_default=True, help=N_("Where the default-named audio file and sidecars go (created if missing)."))
@format_option(N_("The audio format (default: the --output's suffix, else mp3): mp3, m4b, m4a, opus or wav; "
                  "DATE-TITLE gets its suffix."))
@cover_option
@name_options
@voice_option()
@rate_option
@cache_dir_option()
@click.option("--no-cache", is_flag=True, help=N_("Neither read nor write the chunk cache."))
@click.option("--sentence-pause", type=FloatRange(0, 10), default=Pauses.sentence, show_default=True,
              help=N_("Silence after a sentence, in seconds."))
@click.option("--paragraph-pause", type=FloatRange(0, 10), default=Pauses.paragraph, show_default=True,
              help=N_("Silence after a paragraph, in seconds."))
@click.option("--chapter-pause", type=FloatRange(0, 10), default=Pauses.chapter, show_default=True,
              help=N_("Silence at the end of a chapter, in seconds."))
@loudness_option
@click.option("--no-header", is_flag=True, help=N_("Do not read title, source and date before the text."))
@click.option("--no-sidecars", is_flag=True, help=N_("Write only the audio (no .vtt subtitles or .json manifest)."))
@click.option("--html", is_flag=True,
              help=N_("Also write a listen page (DATE-TITLE.html): the article with a player that follows it."))
@click.option("-j", "--jobs", type=click.IntRange(1, 64), help=N_("Chunks synthesized at once (default: the backend's)."))
@fallback_option(N_("Speak the chunks the voice's backend fails on with this one (e.g. offline); the manifest "
                    "says which."))
@timeout_option
@quiet_option(N_("No progress bar and no summary."))
def narrate(source: str | None, text: str | None, output: Path | None, output_dir: Path,
            audio_format: str | None, cover: Path | None, name_template: str, ascii_names: bool, voice: str,
            rate: float | None, cache_dir: Path | None, no_cache: bool, sentence_pause: float,
            paragraph_pause: float, chapter_pause: float, loudness: float, no_header: bool, no_sidecars: bool,
            html: bool, jobs: int | None, fallback: str | None, timeout: float, quiet: bool) -> None:
    if (source is None) == (text is None):
        raise click.UsageError(_("give SOURCE or --text TEXT (one of them)"))
    pauses = Pauses(sentence=sentence_pause, paragraph=paragraph_pause, chapter=chapter_pause)
    if wants_stdout(output):  # the audio to stdout, everything else to stderr
        if html:
            raise click.UsageError(_("--html needs a file: -o - writes only the audio"))
        with scratch_output("narration") as scratch:
            result = _narrate(source, text, scratch, output_dir, not no_cache, not no_header, False, jobs, pauses,
                              quiet, page=False)
            copy_to_stdout(result.audio)
        if not quiet:
            click.echo(_summary(result, _("<stdout>")), err=True)
        return
    result = _narrate(source, text, output, output_dir, not no_cache, not no_header, not no_sidecars, jobs, pauses,
                      quiet, page=html)
    page = None
    if html:  # with --no-sidecars there is no record file: the page is made from the narration's record
        from reader.publish.page import write_page

        page = write_page(result.audio, manifest=result.manifest or result.record, vtt=result.vtt)
    if not quiet:
        click.echo(_summary(result, str(result.audio)))
        if page is not None:
            click.echo(_("{page}  listen page").format(page=page))


def _narrate(source: str | None, text: str | None, output: Path | None, output_dir: Path, use_cache: bool,
             header: bool, sidecars: bool, jobs: int | None, pauses: Pauses, quiet: bool, *, page: bool) -> Narration:
    from reader.cli.progress import narrate_progress
    from reader.narration.pipeline import Narrator
    from reader.source.fetch import from_text

    options = narrate_options(click.get_current_context().params, output=output, output_dir=output_dir,
                              use_cache=use_cache, header=header, sidecars=sidecars, workers=jobs, pauses=pauses)
    narrator = Narrator(options)
    if page and output is not None:  # -o names the audio, not the page: a file of the user's there is kept
        from reader.audio.formats import output_path
        from reader.narration.outputs import check_beside

        check_beside(output_path(output, options.fmt), (".html",))
    with narrate_progress(quiet) as report:
        if text is not None:  # nothing to fetch, no source to name in the record
            if report.stage:
                report.stage("fetch")
            return narrator.narrate_source(from_text(text), progress=report.progress, stage=report.stage)
        # fetched with the options' timeout, and named in the record (Narrator.narrate)
        return narrator.narrate(source or "-", progress=report.progress, stage=report.stage)


def _summary(result: Narration, audio: str) -> str:
    """Two lines that fit 80 columns: the audio file alone (whole, to copy), then what it holds."""
    return audio + "\n  " + _summary_figures(len(result.chapters), len(result.chunks), result.cached,
                                             result.duration, result.record.audio.loudness_lufs, result.seconds)


def _summary_figures(chapters: int, chunks: int, cached: int, duration: float, lufs: float, seconds: float) -> str:
    """``0:03 · 1 chapter · 4 chunks (0 cached) · -15.9 LUFS · in 2.3 s``: at most 78 columns."""
    return " · ".join([
        clock(duration, rounded=True),
        ngettext("{count} chapter", "{count} chapters", chapters).format(count=chapters),
        ngettext("{count} chunk ({cached} cached)", "{count} chunks ({cached} cached)", chunks).format(
            count=chunks, cached=cached),
        _("{lufs:.1f} LUFS").format(lufs=lufs),
        _("in {seconds:.1f} s").format(seconds=seconds),
    ])
