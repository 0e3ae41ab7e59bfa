"""The ``reader`` group: the one place where a library error becomes a one-line message and an exit status.

2 for usage errors, 1 for failures, 130 for Ctrl-C; the library itself never prints and never imports click.
The commands live one family per module (``narrate``, ``inspect``, ``voices``, ``batch``, ``play``) and
register themselves on ``cli``; shared options are decorators in ``options``.
"""

from __future__ import annotations

from typing import Any

import click

from reader import __version__
from reader.errors import ReaderError


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
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Read Chinese news and government articles aloud: web page or text in, chaptered MP3 out."""
    from reader.config import load_config

    # The user's config.toml gives the commands' defaults; an option on the command line wins.
    ctx.default_map = load_config().default_map()


def main() -> None:
    cli(prog_name="reader")
