"""The ``reader`` group: the one place where a library error becomes a one-line message and an exit status.

2 for usage errors, 1 for failures, 130 for Ctrl-C (and SIGTERM, which is handled the same way: the commands
clean up what they started and stop); the library itself never prints and never imports click.
The commands live one family per module (``narrate``, ``inspect``, ``voices``, ``batch``, ``play``, ``library``,
``config``) and register themselves on ``cli``; shared options are decorators in ``options``. Messages and
help are in the user's language (``reader.i18n``; click's own through ``translate``): the language is settled
when the command line starts, from ``READER_LANG``, config.toml's ``language`` and the locale.

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

from reader import __version__, _clean
from reader._files import reason
from reader.cli import translate
from reader.errors import OutputError, ReaderError
from reader.i18n import N_, LanguageError, _, detect, localize_reasons, set_language

translate.install()


def startup_language() -> str:
    """The language of this run: config.toml's ``language`` counts too, unless the file cannot be read (then
    the group's callback reports it, in the language the environment asks for)."""
    from reader.cli.config_file import language, load_config

    try:
        return language(load_config())[0]
    except ReaderError:
        try:
            return detect()[0]
        except LanguageError:
            return "en"


def error_line(message: str) -> str:
    return _("reader: error: {message}").format(message=_clean.terminal(localize_reasons(message)))


class _Group(translate.Group):
    def main(self, *args: Any, **kwargs: Any) -> Any:
        set_language(startup_language())
        try:
            return super().main(*args, **kwargs)
        finally:
            set_language(None)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ReaderError as exc:
            click.echo(error_line(str(exc)), err=True)
            ctx.exit(exc.exit_code)
        except click.UsageError as exc:
            # click's own usage errors, made one line like ours: "reader: error: Invalid value for '--rate' …"
            click.echo(error_line(exc.format_message()), err=True)
            ctx.exit(2)
        except KeyboardInterrupt:
            click.echo(_("reader: interrupted"), err=True)
            ctx.exit(130)
        except BrokenPipeError:
            ctx.exit(0)
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(error_line(f"{where}{reason(exc)}"), err=True)
            ctx.exit(1)
        except sqlite3.Error as exc:
            click.echo(error_line(_("the library's catalog: {error}").format(error=exc)), err=True)
            ctx.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]},
             help=N_("Read Chinese news and government articles aloud: web page or text in, chaptered MP3 out."))
@click.version_option(__version__, prog_name="reader", message=translate.LazyMessage(translate.VERSION_MESSAGE),
                      help=N_("Show the version and exit."))
@click.pass_context
def cli(ctx: click.Context) -> None:
    from reader.cli.config_file import load_config

    # The user's config.toml gives the commands' defaults; an option on the command line wins.
    ctx.default_map = load_config().default_map()


def require_stdout() -> None:
    """For a command whose output is its point (extract, normalize, voices): ``OutputError`` when there is no
    standard output to print to (the shell closed it: ``>&-``), rather than exiting 0 having said nothing."""
    if sys.stdout is None:
        raise OutputError(_("cannot write to the standard output (it is closed)"))


def _terminate(signum: int, frame: FrameType | None) -> None:
    """SIGTERM: stop like Ctrl-C, so that what is running cleans up (temporary files, catalog rows)."""
    raise KeyboardInterrupt


def main() -> None:
    signal.signal(signal.SIGTERM, _terminate)
    cli(prog_name="reader")
