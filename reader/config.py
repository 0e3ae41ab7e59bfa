"""Defaults in one place, validated early; where voice presets and lexicons live."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

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
