"""``reader voices``: the presets as a table (or JSON), and a sample of any of them to hear before choosing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from reader.cli.app import cli, require_stdout
from reader.cli.options import cache_dir_option, output_device_option
from reader.cli.stdout import copy_to_stdout, scratch_output, wants_stdout
from reader.errors import BackendUnavailable, PlaybackError, ReaderError
from reader.i18n import N_, _


@cli.command(help=N_("List the voices: preset, name, engine, online or offline, installed or not, speed. "
                     "--sample NAME speaks a sentence in one of them."))
@click.option("--backend", metavar="ENGINE", help=N_("Only this engine's voices (and, for edge, its live list)."))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help=N_("table: for reading; json: a list of objects (name, display, engine, online, installed …)."))
@click.option("--sample", metavar="NAME", help=N_("Speak a short sentence in the voice NAME (or write it with -o)."))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help=N_("With --sample: write the sample to this MP3 instead of playing it (- : to standard output)."))
@click.option("--install", "install", metavar="NAME", type=click.Choice(["baker"]),
              help=N_("Install the voice NAME (baker) into the environment reader runs in, with its pip."))
@output_device_option
@cache_dir_option()
def voices(backend: str | None, fmt: str, sample: str | None, output: Path | None, install: str | None,
           output_device: str, cache_dir: Path | None) -> None:
    from reader.cli.config_file import load_config
    from reader.settings import load_presets
    from reader.speech import registry

    require_stdout()
    if install is not None:
        _install(install)
        return
    if sample is not None:
        _sample(sample, output, output_device, cache_dir)
        return
    if output is not None:
        raise click.UsageError(_("-o/--output goes with --sample NAME"))
    if backend is not None:
        registry.check(backend)
    engines = [n for n in registry.names() if backend in (None, n)]
    status = {name: registry.availability(name) for name in engines}
    unreachable = {name: why for name in engines if status[name][0] and registry.info(name).online
                   and (why := _unreachable(name)) is not None}
    config = load_config()
    default = config.get("voice")
    rows = [_row(p, status.get(p.backend), default, p.backend not in unreachable) for p in load_presets().values()
            if backend in (None, p.backend)]
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    _table(rows)
    click.echo(_("* the default voice: {name} ({why})").format(name=default, why=_default_why(config)))
    click.echo(_("reader voices --sample NAME plays a sample"))
    for name, (ok, why) in status.items():
        if not ok:
            click.echo(_("{engine}: {reason}").format(engine=name, reason=why))
        elif name in unreachable:
            click.echo(_("{engine}: {reason}").format(engine=name, reason=unreachable[name]))
    if backend and status[backend][0]:  # the engine's own voices (edge: its live list, or the cached one)
        try:
            listed = registry.get(backend).voices()
        except ReaderError as exc:
            click.echo(_("reader: note: {message}; showing the presets only").format(message=exc), err=True)
            return
        click.echo("\n" + _("{engine} voices ({count}):").format(engine=backend, count=len(listed)))
        for v in listed:
            click.echo(f"  {v.id:32} {v.language:8} {v.gender or '':7} {v.description}")


#: The speed classes as the table shows them (reader.speech.registry.SPEED_CLASSES).
SPEEDS = {"fast": N_("fast"), "medium": N_("medium"), "slow": N_("slow")}


def _unreachable(engine: str) -> str | None:
    """Why an online engine's service cannot be reached now (no network, a proxy that does not answer), or
    None: a TCP connection to its host (or to the proxy for it), within ``PROBE_SECONDS``."""
    import socket
    import urllib.request
    from urllib.parse import urlsplit

    from reader.i18n import localize_reasons
    from reader.speech import registry

    url = getattr(registry.get(engine), "wss_url", None)
    if not isinstance(url, str):
        return None
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or (443 if parts.scheme in ("wss", "https") else 80)
    proxy = urllib.request.getproxies().get("https" if port == 443 else "http")
    if proxy and not urllib.request.proxy_bypass(host):
        via = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        host, port = via.hostname or host, via.port or 8080
    try:
        socket.create_connection((host, port), timeout=PROBE_SECONDS).close()
    except OSError as exc:
        reason = localize_reasons(exc.strerror or str(exc) or type(exc).__name__)
        return _("installed, but {host} cannot be reached now ({reason}): no network?").format(
            host=host, reason=reason)
    return None


#: How long ``reader voices`` tries to reach an online engine's service.
PROBE_SECONDS = 3.0


def _row(preset: Any, status: tuple[bool, str] | None, default: str, reachable: bool = True) -> dict[str, Any]:
    from reader.speech import registry

    try:
        engine = registry.info(preset.backend)
    except ReaderError:  # a user preset naming an engine that does not exist
        engine = None
    return {
        "name": preset.name,
        "display": preset.display,
        "engine": preset.backend,
        "voice": preset.voice,
        "rate": preset.rate,
        "online": engine.online if engine else None,
        "installed": bool(status and status[0]),
        "reachable": bool(status and status[0]) and reachable if engine and engine.online else None,
        "speed": engine.speed if engine else None,
        "default": preset.name == default,
        "description": preset.description,
    }


def _table(rows: list[dict[str, Any]]) -> None:
    from rich import box
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for header in (_("preset"), _("name"), _("engine"), _("network"), _("installed"), _("speed")):
        table.add_column(header, no_wrap=True)
    for r in rows:
        network = "?" if r["online"] is None else _("online") if r["online"] else _("offline")
        installed = _("no") if not r["installed"] else _("no network") if r["reachable"] is False else _("yes")
        table.add_row(escape(r["name"] + (" *" if r["default"] else "")), escape(r["display"]), escape(r["engine"]),
                      network, installed, _(SPEEDS[r["speed"]]) if r["speed"] else "?")
    console = Console(highlight=False, soft_wrap=False)
    console.print(table)


def _default_why(config: Any) -> str:
    """Why the default voice is the default: config.toml chose it, or reader's own order of preference."""
    from reader.settings import default_voice

    if config.from_file("voice"):
        return _("chosen in {path}").format(path=config.path)
    return default_voice()[1]


def _install(voice: str) -> None:
    from reader.install import INSTALLABLE, install, site_packages

    click.echo(_("installing the {voice} voice into {path} …").format(voice=voice, path=site_packages()), err=True)
    install(voice)
    click.echo(_("installed the {voice} voice ({packages}); `reader voices` shows the default").format(
        voice=voice, packages=" ".join(INSTALLABLE[voice])))


def _sample(name: str, output: Path | None, device: str, cache_dir: Path | None) -> None:
    from reader.cli.player_view import play
    from reader.narration.pipeline import NarrateOptions
    from reader.narration.sample import make_sample

    if wants_stdout(output):  # the audio to stdout, its label to stderr
        with scratch_output("sample.mp3") as scratch:
            made = make_sample(name, scratch, cache_dir=cache_dir)
            copy_to_stdout(made.audio)
        click.echo(_("{audio}  {label}").format(audio=_("<stdout>"), label=made.preset.label), err=True)
        return
    try:
        made = make_sample(name, output, cache_dir=cache_dir)
    except BackendUnavailable as exc:  # the engine's hint is for narrate (--voice baker); here: another sample
        raise BackendUnavailable(_for_voices(str(exc))) from exc
    if output is not None:
        click.echo(_("{audio}  {label}").format(audio=made.audio, label=made.preset.label))
        return
    try:
        play(str(made.audio), NarrateOptions(), device=device)
    except PlaybackError:  # the sample is an MP3 of ours: what failed is the sound device; say where it is
        click.echo(_("reader: note: no sound device to play the sample on; it is in {path}").format(
            path=made.audio), err=True)


def _for_voices(message: str) -> str:
    """An engine's message with its hint for ``narrate`` (``--voice baker``…) made one for ``voices``."""
    try:
        from reader.speech.engines.edge import SUGGESTION
    except ImportError:  # Edge is not installed: its hint is in no message
        return message
    hint = _(SUGGESTION)
    if message.endswith(hint):
        return message[: -len(hint)] + _("hear an offline voice instead: reader voices --sample baker")
    return message
