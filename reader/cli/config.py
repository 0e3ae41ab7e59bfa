"""``reader config``: the settings in force, and where each came from (the config file, the environment,
or the built-in default)."""

from __future__ import annotations

import json
import os
from typing import Any

import click

from reader.cli.app import cli, require_stdout
from reader.i18n import N_, _


@cli.command("config", help=N_("Show the settings in force and where each came from (config.toml, the "
                               "environment, or the default); options given on the command line win over them."))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help=N_("table: for reading; json: {setting: {value, from}}."))
def show_config(fmt: str) -> None:
    from reader.cli.config_file import KEYS, language, load_config
    from reader.settings import edge_settings

    require_stdout()  # `reader config >&-` said nothing and exited 0 (issue 23 B11)
    config = load_config()
    rows: list[tuple[str, Any, str]] = []
    for key in KEYS:
        if key.name == "language":
            lang, source = language(config)
            rows.append((key.name, lang, source))
        else:
            rows.append((key.name, config.values[key.name], config.sources[key.name]))
    environment = {"wss_url": "READER_EDGE_WSS_URL", "voices_url": "READER_EDGE_VOICES_URL"}
    for name, value in vars(edge_settings()).items():
        if os.environ.get(environment.get(name, "")):
            source = environment[name]
        else:
            source = str(config.path) if name in config.tables.get("edge", {}) else N_("default")
        rows.append((f"edge.{name}", value, source))
    if fmt == "json":
        click.echo(json.dumps({name: {"value": value, "from": source} for name, value, source in rows},
                              ensure_ascii=False, indent=2))
        return
    from rich import box
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for header in (_("setting"), _("value"), _("from")):
        table.add_column(header, overflow="fold")
    for name, value, source in rows:
        shown = _("(none)") if value is None else str(value).lower() if isinstance(value, bool) else str(value)
        table.add_row(name, escape(shown), escape(_(source) if source == "default" else source))
    console = Console(highlight=False)
    console.print(table)
    line = _("config file: {path}") if config.found else _("config file: {path} (none yet)")
    click.echo(line.format(path=config.path))  # whole, never wrapped: it is for copying
