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
import re
from collections.abc import Iterable, Iterator
from typing import Any

import click
import click.core
import click.decorators
import click.exceptions
import click.formatting
import click.parser
import click.termui
import click.types
from rich.cells import cell_len

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


#: The parts of a usage line and the names of value types that click writes itself (``[OPTIONS]``, ``TEXT``,
#: ``FLOAT RANGE``), shown in the current language; a metavar a command chose (``SOURCE``, ``FILE``) is its own.
USAGE_PIECES = {"[OPTIONS]": N_("[OPTIONS]"), "COMMAND [ARGS]...": N_("COMMAND [ARGS]...")}
TYPE_METAVARS = {
    "text": N_("TEXT"), "integer": N_("INTEGER"), "float": N_("FLOAT"), "integer range": N_("INTEGER RANGE"),
    "float range": N_("FLOAT RANGE"), "boolean": N_("BOOLEAN"), "path": N_("PATH"), "file": N_("FILE"),
    "directory": N_("DIRECTORY"), "filename": N_("FILENAME"),
}
#: ``reader --version``'s line (click's own, translated when shown).
VERSION_MESSAGE = N_("%(prog)s, version %(version)s")


class LazyMessage(str):
    """A message click formats with ``%`` later (``--version``'s): translated then, not at import."""

    def __mod__(self, values: Any) -> str:
        return gettext(str(self)) % values


#: A word of printable ASCII, a run of spaces, or one other character (a Chinese one: a line may break after it).
_TOKEN = re.compile(r"\s+|[!-~]+|.", re.DOTALL)
#: Punctuation a line never starts with, and punctuation it never ends with.
_CLOSING = frozenset("，。、；：？！）」』”’》〉】…")
_OPENING = frozenset("（「『“‘《〈【")


_EXTRA = re.compile(r"\s(\[[^\[\]]+\])\s*$")


def _units(text: str) -> list[tuple[str, bool]]:
    """``text`` as (a piece no line breaks inside, whether a space comes before it)."""
    units: list[tuple[str, bool]] = []
    space = False
    for token in _TOKEN.findall(text):
        if token.isspace():
            space = True
            continue
        if units and not space and (token[0] in _CLOSING or units[-1][0][-1] in _OPENING):
            units[-1] = (units[-1][0] + token, units[-1][1])
        else:
            units.append((token, space))
        space = False
    return units


def wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` terminal columns, a Chinese character counting two: broken at
    spaces or between Chinese characters, never inside a word ("onl|ine") nor before a "，" or after a "（";
    each paragraph (blank lines between) rewrapped."""
    width = max(width, 2)
    lines: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        if lines:
            lines.append("")
        units = _units(paragraph)
        extra = _EXTRA.search(paragraph)  # click's "  [default: 1.25; 0.5<=x<=2.0]": kept whole
        if extra is not None and cell_len(extra.group(1)) <= width:
            units = units[: len(units) - len(_units(extra.group(1)))] + [(extra.group(1), True)]
        line = ""
        for token, spaced in units:
            piece = (" " if spaced and line else "") + token
            if line and cell_len(line + piece) > width:
                lines.append(line)
                line = token
            else:
                line += piece
            while cell_len(line) > width:  # a word longer than a line: cut it
                cut = 1
                while cell_len(line[: cut + 1]) <= width:
                    cut += 1
                lines.append(line[:cut])
                line = line[cut:]
        if line:
            lines.append(line)
    return lines


class Formatter(click.HelpFormatter):
    """click's help layout with the punctuation of the language (``用法：`` and ``选项：`` alike), measured in
    terminal columns (a Chinese character is two: click counts one, and breaks words to fit)."""

    def write_text(self, text: str) -> None:
        indent = " " * self.current_indent
        for line in wrap(text, max(self.width - self.current_indent, 11)):
            self.write(f"{indent}{line}\n" if line else "\n")

    def write_dl(self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        rows = list(rows)
        first_col = min(max((cell_len(first) for first, _second in rows), default=0), col_max) + col_spacing
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if cell_len(first) <= first_col - col_spacing:
                self.write(" " * (first_col - cell_len(first)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            lines = wrap(second, max(self.width - first_col - self.current_indent - 2, 10)) or [""]
            self.write(f"{lines[0]}\n")
            for line in lines[1:]:
                self.write(f"{'':>{first_col + self.current_indent}}{line}\n" if line else "\n")

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, gettext("Usage: ") if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        line = gettext("{heading}:").format(heading=heading)
        self.write(f"{'':>{self.current_indent}}{line}\n")


class Context(click.Context):
    formatter_class = Formatter


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
    """A command whose help text, options' help and click's metavars are shown in the current language."""

    context_class = Context

    @contextlib.contextmanager
    def _in_language(self, ctx: click.Context) -> Iterator[None]:
        saved: list[tuple[Any, str | None]] = [(self, self.help)]
        saved += [(p, p.help) for p in self.get_params(ctx) if getattr(p, "help", None)]
        typed = [p for p in self.get_params(ctx) if isinstance(p, click.Option) and p.metavar is None
                 and not p.is_flag and p.type.name in TYPE_METAVARS]
        for obj, text in saved:
            obj.help = _translated(text)
        for p in typed:
            p.metavar = gettext(TYPE_METAVARS[p.type.name])
        try:
            yield
        finally:
            for obj, text in saved:
                obj.help = text
            for p in typed:
                p.metavar = None

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        return [gettext(USAGE_PIECES[p]) if p in USAGE_PIECES else p for p in super().collect_usage_pieces(ctx)]

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with self._in_language(ctx):
            super().format_help(ctx, formatter)

    def get_short_help_str(self, limit: int = 45) -> str:
        saved = self.help
        self.help = _translated(saved)
        try:
            if self.short_help or not self.help or cell_len(self.help) == len(self.help):
                return super().get_short_help_str(limit)
            # Chinese: click counts characters and words between spaces (a Chinese sentence is one "word")
            first = re.split(r"(?<=[。！？])", self.help.strip().split("\n\n")[0], maxsplit=1)[0].strip()
            return first if cell_len(first) <= limit else wrap(first, limit - 3)[0] + "..."
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
    group_class = type  # a subgroup (``reader library``) is one of these too
