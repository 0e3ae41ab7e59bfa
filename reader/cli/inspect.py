"""``reader extract`` and ``reader normalize``: look at what will be read, before anything is spoken."""

from __future__ import annotations

import json
import sys

import click

from reader.cli.app import cli
from reader.i18n import N_


@cli.command(help=N_("Print the article of SOURCE (a URL, an .html/.txt file, or - for stdin) as it will be read."))
@click.argument("source")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help=N_("text: the article as it will be read; json: the stable machine-readable schema."))
def extract(source: str, fmt: str) -> None:
    from reader.extraction import extract as extract_article
    from reader.source.fetch import fetch

    article = extract_article(fetch(source))
    if fmt == "json":
        click.echo(json.dumps(article.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(article.text())


@cli.command(help=N_("Print the spoken form of TEXT (or of each line of stdin)."))
@click.argument("text", required=False)
def normalize(text: str | None) -> None:
    from reader.text.normalize import normalize as to_spoken

    if text is not None:
        click.echo(to_spoken(text))
        return
    for line in sys.stdin:
        click.echo(to_spoken(line.rstrip("\n")))
