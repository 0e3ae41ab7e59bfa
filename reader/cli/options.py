"""Options that several commands share, as decorators: each is spelled and documented once; and
``narrate_options``, the one place they become the ``NarrateOptions`` a command narrates with."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from reader.i18n import N_, _
from reader.settings import DEFAULT_PRESET, FETCH_TIMEOUT, RATE_MAX, RATE_MIN, TARGET_LUFS

if TYPE_CHECKING:
    from reader.library.cluster import ClusterSecurity
    from reader.narration.pipeline import NarrateOptions

F = TypeVar("F", bound=Callable[..., Any])


class FloatRange(click.FloatRange):
    """``click.FloatRange`` that also refuses ``nan`` (which compares false with both bounds, so click lets it
    through) and infinities: every number option of reader is a finite number."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(_("{value!r} is not a finite number.").format(value=value), param, ctx)
        return number


def voice_option(help: str = N_("A voice preset (see `reader voices`).")) -> Callable[[F], F]:
    return click.option("--voice", default=DEFAULT_PRESET, show_default=True, help=help)


def rate_option(f: F) -> F:
    return click.option("--rate", type=FloatRange(RATE_MIN, RATE_MAX), show_default=True,
                        help=N_("Speaking rate, 0.5–2.0 (default: the voice's own)."))(f)


def cache_dir_option(help: str = N_("The cache directory (default: the user cache directory): chunks, finished "
                                   "narrations and the voices' derived models (models/) are written there; a "
                                   "checked model already in the user cache directory is read from there.")
                     ) -> Callable[[F], F]:
    return click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), metavar="DIR", help=help)


def fallback_option(help: str = N_("Speak the chunks the voice's backend fails on with this one (e.g. offline)."),
                    ) -> Callable[[F], F]:
    return click.option("--fallback", metavar="BACKEND", help=help)


def quiet_option(help: str) -> Callable[[F], F]:
    return click.option("-q", "--quiet", is_flag=True, help=help)


#: The formats ``reader.audio.formats`` registers (spelled out here so that the CLI starts without importing
#: the encoders' modules; ``tests/audio/test_formats.py`` checks that it lists them all, and that the --format
#: help texts name them).
FORMAT_HELP = "mp3, m4b, m4a, opus or wav"


def format_option(help: str) -> Callable[[F], F]:
    return click.option("--format", "audio_format", metavar="NAME", help=help)


def cover_option(f: F) -> F:
    return click.option("--cover", metavar="IMAGE", type=click.Path(dir_okay=False, path_type=Path),
                        help=N_("Cover art for the audio file's tags: a JPEG or PNG (not for WAV)."))(f)


def timeout_option(f: F) -> F:
    return click.option("--timeout", type=FloatRange(1, 3600), default=FETCH_TIMEOUT, show_default=True,
                        help=N_("Seconds one web page may take in all (redirects and a slow server included)."))(f)


def output_device_option(f: F) -> F:
    return click.option("--output-device", type=click.Choice(["default", "null"]), default="default",
                        show_default=True, help=N_("default: the sound device; null: play in real time into nothing. "
                        "READER_AUDIO_SINK=out.wav plays into a WAV file instead."))(f)


def name_options(f: F) -> F:
    """``--name-template`` and ``--ascii-names``: how the audio files are named."""
    f = click.option("--ascii-names", is_flag=True,
                     help=N_("File names in pinyin, lowercase a-z 0-9 and -, for scripts."))(f)
    return click.option("--name-template", metavar="TEMPLATE", default="{date}-{title}", show_default=True,
                        help=N_("File names: {date} {title} {source} {host} {id} {year} {month} {day}."))(f)


def loudness_option(f: F) -> F:
    return click.option("--loudness", type=FloatRange(-40, -5), default=TARGET_LUFS, show_default=True,
                        help=N_("Target integrated loudness in LUFS."))(f)


def cluster_options(help: str) -> Callable[[F], F]:
    """``--cluster`` (``help``: what the command does with it) and the certificates of a ``tls://`` scheduler
    (``cluster_security`` makes them the library's ``ClusterSecurity``); config.toml's ``[cluster]`` gives
    their defaults."""

    def decorate(f: F) -> F:
        certificate = click.Path(dir_okay=False, path_type=Path)
        f = click.option("--cluster-require-encryption/--no-cluster-require-encryption", default=False,
                         help=N_("Refuse a plain tcp:// scheduler address (anyone who reaches its port may run "
                                 "code on its workers)."))(f)
        f = click.option("--cluster-key", type=certificate, metavar="FILE",
                         help=N_("The private key of --cluster-cert, when it is not in the same file."))(f)
        f = click.option("--cluster-cert", type=certificate, metavar="FILE",
                         help=N_("This client's certificate (PEM), signed by a CA the tls:// scheduler trusts."))(f)
        f = click.option("--cluster-ca", type=certificate, metavar="FILE",
                         help=N_("The CA certificate (PEM) of a tls:// scheduler: it must have signed the "
                                 "scheduler's certificate."))(f)
        return click.option("--cluster", metavar="local|ADDRESS", help=help)(f)

    return decorate


def cluster_security(params: Mapping[str, Any]) -> ClusterSecurity | None:
    """The ``ClusterSecurity`` of ``cluster_options``' parameters (None when none is given)."""
    from reader.library.cluster import ClusterSecurity

    security = ClusterSecurity(ca_file=params.get("cluster_ca"), cert=params.get("cluster_cert"),
                               key=params.get("cluster_key"),
                               require_encryption=bool(params.get("cluster_require_encryption")))
    return security if security.certificates or security.require_encryption else None


#: The shared options that say how an article is narrated: click's parameter name → ``NarrateOptions``' field.
NARRATE_FIELDS = {"voice": "voice", "rate": "rate", "cache_dir": "cache_dir", "fallback": "fallback",
                  "audio_format": "format", "cover": "cover", "timeout": "timeout", "loudness": "target_lufs",
                  "name_template": "name_template", "ascii_names": "ascii_names"}


def narrate_options(params: Mapping[str, Any], **fields: Any) -> NarrateOptions:
    """The ``NarrateOptions`` a command narrates with (validated: a bad value is a ``UsageError``).

    ``params``: the command's parameters by click's names (``click.get_current_context().params``); those of
    ``NARRATE_FIELDS`` it has (the decorators above) are taken. ``fields``: the options' fields only this
    command sets (its own options, or a value it decides), which win over ``params``. narrate, batch and play
    build their options here and nowhere else.
    """
    from reader.narration.pipeline import NarrateOptions  # here: the CLI starts without the pipeline

    shared = {field: params[name] for name, field in NARRATE_FIELDS.items() if name in params}
    return NarrateOptions(**{**shared, **fields})
