"""``reader narrate``: one article to a chaptered audio file with subtitles, its record and a listen page."""

from __future__ import annotations

from pathlib import Path

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
from reader.i18n import N_, _
from reader.settings import Pauses


@cli.command(help=N_("Narrate SOURCE (a URL, an .html/.txt file, or - for stdin) to a chaptered MP3 (or M4B, "
                     "M4A, Opus, WAV) with .vtt subtitles and a .json record."))
@click.argument("source", required=False)
@click.option("--text", "text", metavar="TEXT", help=N_("Narrate this text (a notice, a paragraph) instead of SOURCE."))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help=N_("The audio file to write; its suffix picks the format (.mp3, .m4b, .m4a, .opus, .wav). "
                      "Default: DATE-TITLE.mp3 in --output-dir."))
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
@click.option("--sentence-pause", type=FloatRange(0, 10), default=Pauses.sentence, show_default=True)
@click.option("--paragraph-pause", type=FloatRange(0, 10), default=Pauses.paragraph, show_default=True)
@click.option("--chapter-pause", type=FloatRange(0, 10), default=Pauses.chapter, show_default=True)
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
    from reader.cli.progress import narrate_progress
    from reader.narration.pipeline import Narrator
    from reader.source.fetch import from_text

    if (source is None) == (text is None):
        raise click.UsageError(_("give SOURCE or --text TEXT (one of them)"))

    options = narrate_options(
        click.get_current_context().params, output=output, output_dir=output_dir, use_cache=not no_cache,
        header=not no_header, sidecars=not no_sidecars, workers=jobs,
        pauses=Pauses(sentence=sentence_pause, paragraph=paragraph_pause, chapter=chapter_pause),
    )
    narrator = Narrator(options)
    if html and output is not None:  # -o names the audio, not the page: a file of the user's there is kept
        from reader.audio.formats import output_path
        from reader.narration.outputs import check_beside

        check_beside(output_path(output, options.fmt), (".html",))
    with narrate_progress(quiet) as report:
        if text is not None:  # nothing to fetch, no source to name in the record
            if report.stage:
                report.stage("fetch")
            result = narrator.narrate_source(from_text(text), progress=report.progress, stage=report.stage)
        else:  # fetched with the options' timeout, and named in the record (Narrator.narrate)
            result = narrator.narrate(source or "-", progress=report.progress, stage=report.stage)
    page = None
    if html:  # with --no-sidecars there is no record file: the page is made from the narration's record
        from reader.publish.page import write_page

        page = write_page(result.audio, manifest=result.manifest or result.record, vtt=result.vtt)
    if not quiet:
        click.echo(_("{audio}  {duration}, {chapters} chapters, {chunks} chunks ({cached} cached), {lufs:.1f} "
                     "LUFS, in {seconds:.1f} s").format(
            audio=result.audio, duration=clock(result.duration, rounded=True), chapters=len(result.chapters),
            chunks=len(result.chunks), cached=result.cached, lufs=result.record.audio.loudness_lufs,
            seconds=result.seconds))
        if page is not None:
            click.echo(_("{page}  listen page").format(page=page))
