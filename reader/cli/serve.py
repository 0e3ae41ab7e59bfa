"""``reader serve``: the 语音播报 service for one or more sites (``reader.serve``; needs the serve extra)."""

from __future__ import annotations

from pathlib import Path

import click

from reader.cli.app import cli
from reader.cli.options import (
    cache_dir_option,
    cluster_options,
    cluster_security,
    fallback_option,
    format_option,
    narrate_options,
    rate_option,
    timeout_option,
    voice_option,
)
from reader.errors import UsageError
from reader.i18n import N_, _


def read_token(path: Path) -> str:
    """The admin token: the first line of ``path``, at least 16 characters."""
    try:
        token = path.read_text(encoding="utf-8").strip().splitlines()[0].strip() if path.stat().st_size else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(_("--token-file {path}: cannot read it ({error})").format(path=path, error=getattr(exc, "strerror", None) or exc)) from exc
    if len(token) < 16:
        raise UsageError(_("--token-file {path}: the token must be at least 16 characters").format(path=path))
    return token


def offered_voices(given: tuple[str, ...]) -> list[str]:
    """The --voices names (commas split; 'offline': every preset of an installed offline engine); an unknown
    name is a ``UsageError`` (from the ``Narrator`` the server makes of it)."""
    from reader.settings import load_presets
    from reader.speech import registry

    names: list[str] = []
    for part in (n.strip() for text in given for n in text.split(",")):
        if part == "offline":
            names += [name for name, preset in load_presets().items()
                      if not registry.info(preset.backend).online and registry.installed(preset.backend)]
        elif part:
            names.append(part)
    return list(dict.fromkeys(names))


@cli.command(help=N_("Serve narrations of a site's articles over HTTP: the 语音播报 button (/widget.js), an API "
                     "(/api/v1/narrations) and the library's files. Articles are narrated on first request "
                     "into a library as `reader batch` makes it. Needs zh-news-reader[serve]."))
@click.option("--site", "sites", multiple=True, required=True, metavar="URL",
              help=N_("A URL prefix whose articles may be narrated (repeat for more); nothing else is fetched."))
@click.option("--host", default="127.0.0.1", show_default=True, help=N_("The address to listen on."))
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help=N_("The port to listen on."))
@click.option("--library", type=click.Path(path_type=Path), default=Path("library"), show_default=True,
              metavar="DIR", help=N_("The library folder (created if missing; one made by `reader batch` is served as it is)."))
@voice_option(N_("The default voice preset (see `reader voices`): a request that names no voice gets it."))
@click.option("--voices", "voices", multiple=True, metavar="NAME[,NAME…]",
              help=N_("More voices a request may ask for (comma-separated or repeated; 'offline': every installed "
                      "offline voice); each is narrated into its own library, voices/NAME in --library."))
@rate_option
@format_option(N_("The narrations' audio format (default: mp3): mp3, m4b, m4a, opus or wav."))
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help=N_("Articles narrated at once, each in a worker process."))
@click.option("--queue", "queue_size", type=click.IntRange(0, 10_000), default=16, show_default=True,
              help=N_("Articles that may wait for a worker; beyond that requests are answered 429."))
@click.option("--token-file", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
              help=N_("A file holding the bearer token of the admin calls (re-narrate, delete); without it they are refused."))
@cluster_options(N_("Narrate on a Dask cluster, as `reader batch --cluster` does: 'local' or a scheduler's "
                    "address (tls://host:8786 with --cluster-ca and --cluster-cert, or tcp://host:8786 on a private "
                    "network only). Needs zh-news-reader[cluster]."))
@fallback_option()
@cache_dir_option()
@timeout_option
def serve(sites: tuple[str, ...], host: str, port: int, library: Path, voice: str, voices: tuple[str, ...],
          rate: float | None,
          audio_format: str | None, workers: int, queue_size: int, token_file: Path | None, cluster: str | None,
          cluster_ca: Path | None, cluster_cert: Path | None, cluster_key: Path | None, cluster_require_encryption: bool,
          fallback: str | None, cache_dir: Path | None, timeout: float) -> None:
    from reader import serve as service

    service.require()
    import uvicorn

    from reader.serve.app import create_app
    from reader.serve.jobs import Narrations, Sites

    token = read_token(token_file) if token_file is not None else None
    allowed = Sites(sites)
    options = narrate_options(click.get_current_context().params)
    offered = offered_voices(voices)
    with Narrations(library, options, allowed, workers=workers, queue=queue_size, cluster=cluster,
                    cluster_security=cluster_security(click.get_current_context().params),
                    voices=offered) as narrations:
        app = create_app(narrations, token=token)
        click.echo(_("serving {library} at http://{host}:{port}/ for {sites}").format(
            library=library, host=host, port=port, sites=", ".join(sites)), err=True)
        uvicorn.run(app, host=host, port=port, log_level="warning")
