"""The command line in the user's language: click's own messages and our ``--help`` through ``reader.i18n``.

click marks its messages (``Usage:``, ``Options``, ``Missing argument …``, ``Invalid value for …``) with the
standard library's ``gettext`` under the default domain, which would look them up in the system's catalogs in
the locale's language, never in ours or in ``READER_LANG``'s. ``install()`` points the names click's modules
call (``_`` and ``ngettext``) at ``reader.i18n``; the messages of click that users meet are listed below (as
click spells them) so that extraction puts them in our catalogs.

Help texts are kept in English on the commands and options (marked ``N_``) and translated when help is
shown (``Command``), so the same process can show help in either language (the tests run both).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import click
import click.core
import click.decorators
import click.exceptions
import click.formatting
import click.parser
import click.termui
import click.types

from reader.i18n import N_, gettext, ngettext

#: click's messages that reader's users can meet (click 8.x's msgids, as ``pybabel extract`` finds them in
#: click), so that extraction puts them in our catalogs.
CLICK_MESSAGES = (
    N_("Usage:"), N_("Options"), N_("Commands"), N_("Positional arguments"), N_("Show this message and exit."),
    N_("Show the version and exit."), N_("default: {default}"), N_("required"), N_("env var: {var}"),
    N_("(dynamic)"), N_("Error: {message}"), N_("Try '{command} {option}' for help."), N_("Aborted!"),
    N_("Invalid value: {message}"), N_("Invalid value for {param_hint}: {message}"), N_("Missing argument"),
    N_("Missing option"), N_("Missing parameter"), N_("Missing {param_type}"), N_("Missing parameter: {param_name}"),
    N_("Missing command."), N_("No such option {name!r}."), N_("No such command {name!r}."),
    N_("Option {name!r} does not take a value."), N_("{value!r} is not a valid {number_type}."),
    N_("{value} is not in the range {range}."), N_("{value!r} is not a valid boolean. Recognized values: {states}"),
    N_("file"), N_("directory"), N_("path"), N_("{name} {filename!r} does not exist."),
    N_("{name} {filename!r} is a file."), N_("{name} {filename!r} is a directory."),
    N_("{name} {filename!r} is not readable."), N_("{name} {filename!r} is not writable."),
)


def _click_plurals() -> None:
    """click's messages with a plural form: never called, only read by extraction."""
    ngettext("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})", 1)
    ngettext("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)", 1)
    ngettext("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments.", 1)
    ngettext("{value!r} is not {choice}.", "{value!r} is not one of {choices}.", 1)


_CLICK_MODULES = (click.core, click.decorators, click.exceptions, click.formatting, click.parser, click.termui,
                  click.types)
_HELP_HELP = N_("Show this message and exit.")


def install() -> None:
    """Route click's messages through reader's catalogs (idempotent)."""
    for module in _CLICK_MODULES:
        if hasattr(module, "_"):
            module._ = gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext  # type: ignore[attr-defined]


def _translated(text: str | None) -> str | None:
    return gettext(text) if text else text


class Translated(click.Command):
    """A command whose help text and options' help are shown in the current language."""

    @contextlib.contextmanager
    def _in_language(self, ctx: click.Context) -> Iterator[None]:
        saved: list[tuple[Any, str | None]] = [(self, self.help)]
        saved += [(p, p.help) for p in self.get_params(ctx) if getattr(p, "help", None)]
        for obj, text in saved:
            obj.help = _translated(text)
        try:
            yield
        finally:
            for obj, text in saved:
                obj.help = text

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with self._in_language(ctx):
            super().format_help(ctx, formatter)

    def get_short_help_str(self, limit: int = 45) -> str:
        saved = self.help
        self.help = _translated(saved)
        try:
            return super().get_short_help_str(limit)
        finally:
            self.help = saved

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        made = getattr(self, "_help_option", None) is not None
        option = super().get_help_option(ctx)
        if option is not None and not made:
            option.help = _HELP_HELP  # click made it (and keeps it) in the language of that moment
        return option


class Command(Translated):
    pass


class Group(Translated, click.Group):
    command_class = Command
