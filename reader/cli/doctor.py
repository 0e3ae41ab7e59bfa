"""``reader doctor``: each part of the installation, ok or not, with the fix; exit 0 when the default voice can
narrate, 1 otherwise (the checks are ``reader.doctor``'s)."""

from __future__ import annotations

from pathlib import Path

import click

from reader.cli.app import cli, require_stdout
from reader.cli.options import cache_dir_option
from reader.i18n import N_, _

MARKS = {"ok": "✓", "warn": "!", "fail": "✗"}


@cli.command(help=N_("Check the installation: Python, packages, each voice engine (model, checksum, loading), "
                     "the default voice, ffmpeg, the cache and config folders, a sound device, the language. "
                     "Exit 0 when the default voice can narrate."))
@click.option("--online", is_flag=True, help=N_("Also check that Edge's online voice service answers."))
@cache_dir_option()
def doctor(online: bool, cache_dir: Path | None) -> None:
    from reader.cli.config_file import language, load_config
    from reader.doctor import can_narrate, diagnose
    from reader.settings import default_voice

    require_stdout()
    config = load_config()
    voice = config.get("voice")
    why = _("chosen in {path}").format(path=config.path) if config.from_file("voice") else default_voice()[1]
    checks = diagnose(voice, why, language(config), cache_dir=cache_dir, online=online)
    for check in checks:
        click.echo(MARKS[check.status] + " " + _("{name}: {detail}").format(name=check.name, detail=check.detail))
        if check.fix:
            click.echo("  " + _("fix: {fix}").format(fix=check.fix))
    if can_narrate(checks):
        click.echo(_("reader can narrate with the default voice ({voice}).").format(voice=voice))
        return
    click.echo(_("reader cannot narrate with the default voice ({voice}): see the fixes above.").format(
        voice=voice), err=True)
    raise SystemExit(1)
