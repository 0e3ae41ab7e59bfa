"""The command line: thin click commands that parse options, call the library, and show the results.

This is the one place where a ``ReaderError`` becomes a one-line message and an exit status
(2 for usage errors, 1 for failures, 130 for Ctrl-C); the library itself never prints.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from . import __version__
from .exceptions import ReaderError


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ReaderError as exc:
            click.echo(f"reader: error: {exc}", err=True)
            ctx.exit(exc.exit_code)
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
    from .fetch import fetch
    from .extract import extract as extract_article

    article = extract_article(fetch(source))
    if fmt == "json":
        click.echo(json.dumps(article.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(article.text())


@cli.command()
@click.argument("text", required=False)
def normalize(text: str | None) -> None:
    """Print the spoken form of TEXT (or of each line of stdin)."""
    from .normalize import normalize as to_spoken

    if text is not None:
        click.echo(to_spoken(text))
        return
    for line in sys.stdin:
        click.echo(to_spoken(line.rstrip("\n")))


def main() -> None:
    cli(prog_name="reader")
