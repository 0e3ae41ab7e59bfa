"""The ``reader`` group: the one place where a library error becomes a one-line message and an exit status.

2 for usage errors, 1 for failures, 130 for Ctrl-C; the library itself never prints and never imports click.
The commands live one family per module (``narrate``, ``inspect``, ``voices``, ``batch``, ``play``,
``config``) and register themselves on ``cli``; shared options are decorators in ``options``. Messages and
help are in the user's language (``reader.i18n``; click's own through ``translate``): the language is settled
when the command line starts, from ``READER_LANG``, config.toml's ``language`` and the locale.
"""

from __future__ import annotations

from typing import Any

import click

from reader import __version__
from reader.cli import translate
from reader.errors import ReaderError
from reader.i18n import N_, LanguageError, _, detect, set_language

translate.install()


def startup_language() -> str:
    """The language of this run: config.toml's ``language`` counts too, unless the file cannot be read (then
    the group's callback reports it, in the language the environment asks for)."""
    from reader.config import language, load_config

    try:
        return language(load_config())[0]
    except ReaderError:
        try:
            return detect()[0]
        except LanguageError:
            return "en"


def error_line(message: str) -> str:
    return _("reader: error: {message}").format(message=message)


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


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]},
             help=N_("Read Chinese news and government articles aloud: web page or text in, chaptered MP3 out."))
@click.version_option(__version__, prog_name="reader", help=N_("Show the version and exit."))
@click.pass_context
def cli(ctx: click.Context) -> None:
    from reader.config import load_config

    # The user's config.toml gives the commands' defaults; an option on the command line wins.
    ctx.default_map = load_config().default_map()


def main() -> None:
    cli(prog_name="reader")
