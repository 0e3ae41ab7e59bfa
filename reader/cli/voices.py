"""``reader voices``: the presets, their engines and whether each is installed."""

from __future__ import annotations

import click

from reader.cli.app import cli, require_stdout
from reader.errors import ReaderError


@cli.command()
@click.option("--backend", help="Only this backend's voices.")
def voices(backend: str | None) -> None:
    """List the voice presets and whether each backend is installed."""
    from reader.settings import load_presets
    from reader.speech import registry

    require_stdout()
    presets = load_presets()
    status: dict[str, tuple[bool, str]] = {}
    for name in registry.names():
        if backend and name != backend:
            continue
        status[name] = registry.availability(name)
    for name, p in sorted(presets.items()):
        if backend and p.backend != backend:
            continue
        ok, why = status.get(p.backend, (False, f"unknown backend {p.backend!r}"))
        mark = "ok" if ok else "unavailable"
        click.echo(f"{name:14} {p.backend:8} {p.voice:28} rate {p.rate:<4} {mark:11} {p.description}")
        if not ok:
            click.echo(f"{'':14} {why}")
    if backend and status.get(backend, (False, ""))[0]:  # the engine's own voices (edge: its live list)
        try:
            listed = registry.get(backend).voices()
        except ReaderError as exc:
            click.echo(f"reader: note: {exc}; showing the presets only", err=True)
            return
        click.echo(f"\n{backend} voices ({len(listed)}):")
        for v in listed:
            click.echo(f"  {v.id:32} {v.language:8} {v.gender or '':7} {v.description}")
