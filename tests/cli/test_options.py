"""``reader.cli.options.narrate_options``: the one place click's shared options become ``NarrateOptions``."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from reader.cli import cli
from reader.cli.options import NARRATE_FIELDS, narrate_options
from reader.errors import UsageError
from reader.narration.pipeline import NarrateOptions


def test_the_shared_options_become_the_narration_options() -> None:
    options = narrate_options({"voice": "espeak", "rate": 1.25, "audio_format": "opus", "loudness": -18.0,
                               "timeout": 5.0, "name_template": "{title}", "ascii_names": True,
                               "cache_dir": Path("c"), "fallback": "offline", "cover": None, "quiet": True})
    assert options == NarrateOptions(voice="espeak", rate=1.25, format="opus", target_lufs=-18.0, timeout=5.0,
                                     name_template="{title}", ascii_names=True, cache_dir=Path("c"),
                                     fallback="offline")
    assert options.fmt.name == "opus"


def test_a_command_s_own_fields_win_over_the_shared_ones() -> None:
    options = narrate_options({"voice": "espeak", "rate": 1.5}, rate=None, output=Path("a.wav"), header=False)
    assert (options.voice, options.rate, options.output, options.header, options.fmt.name) == (
        "espeak", None, Path("a.wav"), False, "wav")


def test_a_bad_combination_fails_as_the_options_say() -> None:
    with pytest.raises(UsageError, match=re.escape("the suffix '.wav' is wav, not the m4b asked for")):
        narrate_options({"audio_format": "m4b"}, output=Path("a.wav"))


@pytest.mark.parametrize("command", ["narrate", "batch"])
def test_every_shared_option_of_narrate_and_batch_reaches_the_options(command: str) -> None:
    """A shared option renamed on the command line, or a field renamed in NarrateOptions, is not dropped
    silently: the builder's table names both."""
    assert set(NARRATE_FIELDS) <= {p.name for p in cli.commands[command].params if p.name}
    assert set(NARRATE_FIELDS.values()) <= {f.name for f in fields(NarrateOptions) if f.init}
