"""Each voice gets the spoken form it can say: Latin letters kept for voices that say them (issue 13 §2)."""

from __future__ import annotations

from click.testing import CliRunner

from reader.cli import cli
from reader.narration.pipeline import NarrateOptions, Narrator, spoken_abilities
from reader.text.normalize import CHINESE, CHINESE_AND_LATIN


def test_normalize_for_a_voice() -> None:
    keep = CliRunner().invoke(cli, ["normalize", "--voice", "yunyang", "GDP增长6.5%"])
    assert keep.exit_code == 0 and keep.output == "GDP增长百分之六点五\n"
    spelt = CliRunner().invoke(cli, ["normalize", "GDP增长6.5%"])  # the default voice (Baker) says no Latin
    assert spelt.exit_code == 0 and spelt.output == "国内生产总值增长百分之六点五\n"


def test_abilities_of_engines_and_of_a_fallback() -> None:
    assert spoken_abilities("edge") == CHINESE_AND_LATIN
    assert spoken_abilities("offline") == CHINESE
    assert spoken_abilities("edge", "offline") == CHINESE  # the fallback may speak any chunk
    assert spoken_abilities("no-such-engine") == CHINESE


def test_the_spoken_form_is_part_of_the_fingerprint() -> None:
    edge = Narrator(NarrateOptions(voice="yunyang"))
    helped = Narrator(NarrateOptions(voice="yunyang", fallback="offline"))
    assert edge.abilities.key != helped.abilities.key
    assert edge.audio_settings.spoken_form == CHINESE_AND_LATIN.key
    assert edge.settings_fingerprint != helped.settings_fingerprint
