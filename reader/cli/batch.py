"""``reader batch``: many articles into a library with a catalog, a podcast feed and an index page."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from click.core import ParameterSource

from reader import _clean
from reader.cli.app import cli
from reader.cli.options import (
    FloatRange,
    cache_dir_option,
    cluster_options,
    cluster_security,
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
from reader.errors import ReaderError
from reader.i18n import N_, _


@cli.command(help=N_("Narrate every article of INPUT into a library with a catalog, a podcast feed and an index "
                     "page.\n\nINPUT is a folder (every .html/.htm/.txt under it), a file of URLs (one per line), a "
                     "list page with --follow (a URL or a saved HTML file), or one article. Run it again: only new "
                     "or changed articles are done."))
@click.argument("input_spec", metavar="INPUT")
@click.option("-o", "--output", "library", type=click.Path(path_type=Path), required=True, metavar="DIR",
              help=N_("The library folder (created if missing): audio files, catalog, feed.xml, index.html."))
@format_option(N_("The articles' audio format (default: mp3): mp3, m4b, m4a, opus or wav; changing it redoes "
                  "the library's articles."))
@cover_option
@voice_option()
@rate_option
@loudness_option
@name_options
@click.option("-j", "--jobs", type=click.IntRange(1, 32), default=1, show_default=True,
              help=N_("Articles narrated at once (they share the engine and the chunk cache); with --cluster "
                      "local, worker processes (default: one per core); with a scheduler, its workers decide."))
@cluster_options(N_("Narrate on a Dask cluster: 'local' (worker processes on this machine) or a scheduler's "
                    "address: tls://host:8786 with --cluster-ca and --cluster-cert, or tcp://host:8786 on a "
                    "private network only. Needs zh-news-reader[cluster]."))
@click.option("--follow", is_flag=True, help=N_("INPUT is a list page: narrate the same-site articles it links to."))
@click.option("--limit", type=click.IntRange(1), help=N_("At most this many articles."))
@click.option("--delay", type=FloatRange(0, 3600), default=0.0, show_default=True,
              help=N_("Seconds between two requests to the same site (robots.txt Crawl-delay if longer)."))
@click.option("--base-url", help=N_("Where the library will be served, for the feed's links (default: file://)."))
@click.option("--title", "--feed-title", "feed_title", metavar="TITLE",
              help=N_("The library's title, on its index page and its podcast feed (default: 语音播报, after the "
                      "folder's name when it is Chinese)."))
@click.option("--feed-author", metavar="NAME", help=N_("The podcast's author and owner (default: reader 语音播报)."))
@click.option("--feed-image", metavar="FILE|URL",
              help=N_("The podcast's artwork: a square PNG/JPEG of 1400–3000 pixels, or its URL (default: reader's)."))
@click.option("--feed-email", metavar="EMAIL", help=N_("The owner's email, for podcast directories."))
@fallback_option()
@cache_dir_option()
@timeout_option
@quiet_option(N_("No progress lines and no summary (failures are still listed)."))
def batch(input_spec: str, library: Path, audio_format: str | None, cover: Path | None, voice: str,
          rate: float | None, loudness: float, name_template: str, ascii_names: bool, jobs: int, follow: bool,
          cluster: str | None, cluster_ca: Path | None, cluster_cert: Path | None, cluster_key: Path | None,
          cluster_require_encryption: bool, limit: int | None, delay: float, base_url: str | None, feed_title: str | None,
          feed_author: str | None, feed_image: str | None, feed_email: str | None, fallback: str | None,
          cache_dir: Path | None, timeout: float, quiet: bool) -> None:
    from reader.cli.batch_view import print_summary
    from reader.cli.progress import batch_progress
    from reader.library.batch import BatchOptions, run_batch
    from reader.library.cluster import local_workers

    if cluster == "local" and click.get_current_context().get_parameter_source("jobs") is ParameterSource.DEFAULT:
        jobs = local_workers()
    options = BatchOptions(library=library, narration=narrate_options(click.get_current_context().params),
                           jobs=jobs, follow=follow, limit=limit, delay=delay, base_url=base_url, cluster=cluster,
                           cluster_security=cluster_security(click.get_current_context().params),
                           title=feed_title, author=feed_author, image=feed_image, email=feed_email)
    if quiet or not sys.stderr.isatty():
        result = run_batch(input_spec, options)
    else:
        with batch_progress() as view:
            result = run_batch(input_spec, options, progress=view.update)
    for line in result.ignored:
        click.echo(_("reader: ignored {line}").format(line=_clean.terminal(line)), err=True)
    if not quiet:
        print_summary(result)
    elif result.failed:
        for o in result.failed:
            click.echo(_("reader: failed: {source}: {error}").format(
                source=_clean.terminal(o.source), error=_clean.terminal(o.error or "")), err=True)
    if result.failed:
        raise ReaderError(_("{failed} of {total} articles failed").format(
            failed=len(result.failed), total=result.total))
