"""The ``reader`` group: the one place where a library error becomes a one-line message and an exit status.

2 for usage errors, 1 for failures, 130 for Ctrl-C (and SIGTERM, which is handled the same way: the commands
clean up what they started and stop); the library itself never prints and never imports click.
The commands live one family per module (``narrate``, ``inspect``, ``voices``, ``batch``, ``play``, ``library``)
and register themselves on ``cli``; shared options are decorators in ``options``.

Errors the library did not map (an ``OSError`` from a full disk or a closed output, a ``sqlite3`` error)
still become one line here, as a failure (1): a traceback is for bugs only.
"""

from __future__ import annotations

import signal
import sqlite3
import sys
from types import FrameType
from typing import Any

import click

from reader import __version__
from reader.errors import OutputError, ReaderError


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
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"reader: error: {where}{exc.strerror or exc}", err=True)
            ctx.exit(1)
        except sqlite3.Error as exc:
            click.echo(f"reader: error: the library's catalog: {exc}", err=True)
            ctx.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reader")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Read Chinese news and government articles aloud: web page or text in, chaptered MP3 out."""
    from reader.config import load_config

    # The user's config.toml gives the commands' defaults; an option on the command line wins.
    ctx.default_map = load_config().default_map()


def require_stdout() -> None:
    """For a command whose output is its point (extract, normalize, voices): ``OutputError`` when there is no
    standard output to print to (the shell closed it: ``>&-``), rather than exiting 0 having said nothing."""
    if sys.stdout is None:
        raise OutputError("cannot write to the standard output (it is closed)")


def _terminate(signum: int, frame: FrameType | None) -> None:
    """SIGTERM: stop like Ctrl-C, so that what is running cleans up (temporary files, catalog rows)."""
    raise KeyboardInterrupt


def main() -> None:
    signal.signal(signal.SIGTERM, _terminate)
    cli(prog_name="reader")
