"""Defaults in one place, validated early; where voice presets and lexicons live."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from .exceptions import ConfigError

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
    """A named voice: which backend speaks, with which of its voices, at what rate."""

    name: str
    backend: str
    voice: str
    rate: float = 1.0
    description: str = ""


RATE_MIN, RATE_MAX = 0.5, 2.0
DEFAULT_PRESET = "baker"


def check_rate(rate: float) -> float:
    if not (RATE_MIN <= rate <= RATE_MAX):
        raise ConfigError(f"rate {rate} is out of range ({RATE_MIN}–{RATE_MAX})")
    return rate


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from exc


def load_presets() -> dict[str, Preset]:
    """The shipped presets, then the user's (which may add or override), validated."""
    presets: dict[str, Preset] = {}
    for path in (voices_dir() / "presets.toml", user_config_dir() / "presets.toml"):
        if not path.is_file():
            continue
        for name, table in _read_toml(path).items():
            if not isinstance(table, dict) or not isinstance(table.get("backend"), str) or not isinstance(
                table.get("voice"), str
            ):
                raise ConfigError(f"{path}: preset {name!r} needs string keys 'backend' and 'voice'")
            rate = table.get("rate", 1.0)
            if not isinstance(rate, int | float):
                raise ConfigError(f"{path}: preset {name!r}: rate must be a number")
            presets[name] = Preset(name, table["backend"], table["voice"], check_rate(float(rate)),
                                   str(table.get("description", "")))
    return presets


def preset(name: str) -> Preset:
    presets = load_presets()
    try:
        return presets[name]
    except KeyError:
        raise ConfigError(f"unknown voice {name!r} (known: {', '.join(sorted(presets))}; see `reader voices`)") from None


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
                raise ConfigError(f"pause {name}={value} is out of range (0–10 s)")

    def after(self, kind: str) -> float:
        return 0.0 if kind == "none" else float(getattr(self, kind))


TARGET_LUFS = -16.0
BITRATE = "64k"

# The listen page (reader/page.py): the speeds its player offers and how far its skip buttons jump.
PAGE_SPEEDS = (0.75, 1.0, 1.25, 1.5, 1.75, 2.0)
PAGE_SKIP_SECONDS = 10
