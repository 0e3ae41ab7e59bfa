"""The command line: thin click commands that parse options, call the library, and show the results.

This is the one place where a ``ReaderError`` becomes a one-line message and an exit status
(2 for usage errors, 1 for failures, 130 for Ctrl-C); the library itself never prints.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from reader import __version__
from reader._format import clock
from reader.errors import ReaderError
from reader.settings import DEFAULT_PRESET, TARGET_LUFS, Pauses


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ReaderError as exc:
            click.echo(f"reader: error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except click.UsageError as exc:
            # click's own usage errors, made one line like ours: "reader: error: Invalid value for '--rate' …"
            click.echo(f"reader: error: {exc.format_message()}", err=True)
            ctx.exit(2)
        except KeyboardInterrupt:
            click.echo("reader: interrupted", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            ctx.exit(0)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reader")
def cli() -> None:
    """Read Chinese news and government articles aloud: web page or text in, chaptered MP3 out."""


@cli.command()
@click.argument("source")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: the article as it will be read; json: the stable machine-readable schema.")
def extract(source: str, fmt: str) -> None:
    """Print the article of SOURCE (a URL, an .html/.txt file, or - for stdin)."""
    from reader.extract import extract as extract_article
    from reader.source.fetch import fetch

    article = extract_article(fetch(source))
    if fmt == "json":
        click.echo(json.dumps(article.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(article.text())


@cli.command()
@click.argument("text", required=False)
def normalize(text: str | None) -> None:
    """Print the spoken form of TEXT (or of each line of stdin)."""
    from reader.text.normalize import normalize as to_spoken

    if text is not None:
        click.echo(to_spoken(text))
        return
    for line in sys.stdin:
        click.echo(to_spoken(line.rstrip("\n")))


def _progress_bar(quiet: bool) -> Any:
    """A rich progress bar on a terminal; None when piped or --quiet."""
    if quiet or not sys.stderr.isatty():
        return None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("chunks · {task.fields[chars]} chars"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )


@cli.command()
@click.argument("source")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="The MP3 to write (default: DATE-TITLE.mp3 in --output-dir).")
@click.option("--output-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Where the default-named MP3 and sidecars go.")
@click.option("--voice", default=DEFAULT_PRESET, show_default=True, help="A voice preset (see `reader voices`).")
@click.option("--rate", type=click.FloatRange(0.5, 2.0), help="Speaking rate, 0.5–2.0 (default: the preset's).")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Chunk cache directory (default: the user cache directory).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the chunk cache.")
@click.option("--sentence-pause", type=click.FloatRange(0, 10), default=Pauses.sentence, show_default=True)
@click.option("--paragraph-pause", type=click.FloatRange(0, 10), default=Pauses.paragraph, show_default=True)
@click.option("--chapter-pause", type=click.FloatRange(0, 10), default=Pauses.chapter, show_default=True)
@click.option("--loudness", type=click.FloatRange(-40, -5), default=TARGET_LUFS, show_default=True,
              help="Target integrated loudness in LUFS.")
@click.option("--no-header", is_flag=True, help="Do not read title, source and date before the text.")
@click.option("--no-sidecars", is_flag=True, help="Write only the MP3 (no .vtt subtitles or .json manifest).")
@click.option("--html", is_flag=True,
              help="Also write a listen page (DATE-TITLE.html): the article with a player that follows it.")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), help="Chunks synthesized at once (default: the backend's).")
@click.option("--fallback", metavar="BACKEND",
              help="Speak the chunks the voice's backend fails on with this one (e.g. offline); "
                   "the manifest says which.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary.")
def narrate(source: str, output: Path | None, output_dir: Path, voice: str, rate: float | None,
            cache_dir: Path | None, no_cache: bool, sentence_pause: float, paragraph_pause: float,
            chapter_pause: float, loudness: float, no_header: bool, no_sidecars: bool, html: bool,
            jobs: int | None, fallback: str | None, quiet: bool) -> None:
    """Narrate SOURCE (a URL, an .html/.txt file, or - for stdin) to a chaptered MP3 with .vtt and .json."""
    from reader.narration.pipeline import NarrateOptions
    from reader.narration.pipeline import narrate as run

    options = NarrateOptions(
        voice=voice, rate=rate, output=output, output_dir=output_dir, cache_dir=cache_dir,
        use_cache=not no_cache, target_lufs=loudness, header=not no_header, sidecars=not no_sidecars,
        workers=jobs, fallback=fallback,
        pauses=Pauses(sentence=sentence_pause, paragraph=paragraph_pause, chapter=chapter_pause),
    )
    bar = _progress_bar(quiet)
    if bar is None:
        result = run(source, options)
    else:
        with bar:
            task = bar.add_task("synthesizing", total=None, chars="0")

            def update(p: Any) -> None:
                bar.update(task, total=p.total, completed=p.done, chars=f"{p.chars_done}/{p.chars_total}")

            def stage(name: str) -> None:
                bar.update(task, description=name)

            result = run(source, options, progress=update, stage=stage)
    page = None
    if html:  # with --no-sidecars there is no record file: the page is made from the narration's record
        from reader.publish.page import write_page

        page = write_page(result.audio, manifest=result.manifest or result.record, vtt=result.vtt)
    if not quiet:
        click.echo(
            f"{result.audio}  {clock(result.duration, rounded=True)}, {len(result.chapters)} chapters, "
            f"{len(result.chunks)} chunks ({result.cached} cached), "
            f"{result.record.audio.loudness_lufs:.1f} LUFS, in {result.seconds:.1f} s"
        )
        if page is not None:
            click.echo(f"{page}  listen page")


@cli.command()
@click.option("--backend", help="Only this backend's voices.")
def voices(backend: str | None) -> None:
    """List the voice presets and whether each backend is installed."""
    from reader.settings import load_presets
    from reader.speech import registry as backends

    presets = load_presets()
    status: dict[str, tuple[bool, str]] = {}
    for name in backends.names():
        if backend and name != backend:
            continue
        status[name] = backends.availability(name)
    for name, p in sorted(presets.items()):
        if backend and p.backend != backend:
            continue
        ok, why = status.get(p.backend, (False, f"unknown backend {p.backend!r}"))
        mark = "ok" if ok else "unavailable"
        click.echo(f"{name:14} {p.backend:8} {p.voice:28} rate {p.rate:<4} {mark:11} {p.description}")
        if not ok:
            click.echo(f"{'':14} {why}")
    if backend and status.get(backend, (False, ""))[0]:  # the engine's own voices (edge: its live list)
        try:
            listed = backends.get(backend).voices()
        except ReaderError as exc:
            click.echo(f"reader: note: {exc}; showing the presets only", err=True)
            return
        click.echo(f"\n{backend} voices ({len(listed)}):")
        for v in listed:
            click.echo(f"  {v.id:32} {v.language:8} {v.gender or '':7} {v.description}")


@cli.command()
@click.argument("input_spec", metavar="INPUT")
@click.option("-o", "--output", "library", type=click.Path(path_type=Path), required=True,
              help="The library folder (created if missing): MP3s, catalog, feed.xml, index.html.")
@click.option("--voice", default=DEFAULT_PRESET, show_default=True, help="A voice preset (see `reader voices`).")
@click.option("--rate", type=click.FloatRange(0.5, 2.0), help="Speaking rate, 0.5–2.0 (default: the preset's).")
@click.option("-j", "--jobs", type=click.IntRange(1, 32), default=1, show_default=True,
              help="Articles narrated at once (they share the engine and the chunk cache).")
@click.option("--follow", is_flag=True, help="INPUT is a list page: narrate the same-site articles it links to.")
@click.option("--limit", type=click.IntRange(1), help="At most this many articles.")
@click.option("--delay", type=click.FloatRange(0, 3600), default=0.0, show_default=True,
              help="Seconds between two requests to the same site (robots.txt Crawl-delay if longer).")
@click.option("--base-url", help="Where the library will be served, for the feed's links (default: file://).")
@click.option("--fallback", metavar="BACKEND",
              help="Speak the chunks the voice's backend fails on with this one (e.g. offline).")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Chunk cache directory (default: the user cache directory).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars and no summary (failures are still listed).")
def batch(input_spec: str, library: Path, voice: str, rate: float | None, jobs: int, follow: bool,
          limit: int | None, delay: float, base_url: str | None, fallback: str | None, cache_dir: Path | None,
          quiet: bool) -> None:
    """Narrate every article of INPUT into a library with a catalog, a podcast feed and an index page.

    INPUT is a folder (every .html/.htm/.txt under it), a file of URLs (one per line), a list page with
    --follow (a URL or a saved HTML file), or one article. Run it again: only new or changed articles are done.
    """
    from reader.cli.batch_view import BatchProgress, print_summary
    from reader.library.batch import BatchOptions, run_batch

    options = BatchOptions(library=library, voice=voice, rate=rate, jobs=jobs, cache_dir=cache_dir,
                           follow=follow, limit=limit, delay=delay, base_url=base_url, fallback=fallback)
    if quiet or not sys.stderr.isatty():
        result = run_batch(input_spec, options)
    else:
        with BatchProgress() as view:
            result = run_batch(input_spec, options, progress=view.update)
    for line in result.ignored:
        click.echo(f"reader: ignored {line}", err=True)
    if not quiet:
        print_summary(result)
    elif result.failed:
        for o in result.failed:
            click.echo(f"reader: failed: {o.source}: {o.error}", err=True)
    if result.failed:
        raise ReaderError(f"{len(result.failed)} of {result.total} articles failed")


@cli.command()
@click.argument("source")
@click.option("--chapter", type=click.IntRange(1), help="Start at chapter N (1 is the first).")
@click.option("--output-device", type=click.Choice(["default", "null"]), default="default", show_default=True,
              help="default: the sound device; null: play in real time into nothing. "
                   "READER_AUDIO_SINK=out.wav plays into a WAV file instead.")
@click.option("--voice", default=DEFAULT_PRESET, show_default=True, help="For an article: the voice preset.")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Cache directory (default: the user cache directory); articles are narrated into its plays/.")
@click.option("-q", "--quiet", is_flag=True, help="No screen and no chapter lines: just play.")
def play(source: str, chapter: int | None, output_device: str, voice: str, cache_dir: Path | None,
         quiet: bool) -> None:
    """Play SOURCE: an MP3 (chapters from its tags, sentences from its .vtt/.json), or an article (URL,
    .html/.txt), narrated while it plays. Keys: space pause, n/p chapter, ←/→ 10 s, +/− speed, q quit."""
    from reader.cli.player_view import play as run
    from reader.narration.pipeline import NarrateOptions

    run(source, NarrateOptions(voice=voice, cache_dir=cache_dir), chapter=None if chapter is None else chapter - 1,
        device=output_device, interactive=not quiet and sys.stdin.isatty() and sys.stdout.isatty(),
        echo=None if quiet else click.echo, spinner=not quiet and sys.stderr.isatty())


def main() -> None:
    cli(prog_name="reader")
