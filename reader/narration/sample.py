"""A voice sample: one short sentence in a preset's voice, to hear it before choosing (``reader voices --sample``).

The sentence says the voice's name and has a date, a number and a temperature in it, so a listener hears how
the voice reads what news is full of. It goes through the whole pipeline (normalizer, lexicon, engine,
loudness), so the sample sounds exactly as a narration would; samples land in ``samples/`` under the cache
directory (or where ``out`` says), and the narration store makes a second sample of a voice a copy.
"""

from __future__ import annotations

from pathlib import Path

from reader.narration.pipeline import NarrateOptions, Narration, Narrator
from reader.settings import Preset, preset, user_cache_dir
from reader.source.fetch import from_text
from reader.speech.backend import Backend

SAMPLE_SENTENCE = "今天是2024年5月1日，全市晴转多云，气温18到25摄氏度。"


def sample_text(voice: Preset) -> str:
    """What the sample of ``voice`` says: its name (the display name's first word), then a line of news."""
    name = voice.display.split()[0] if voice.display else ""
    return (f"您好，我是{name}。" if name else "您好。") + SAMPLE_SENTENCE


def samples_dir(cache_dir: Path | None = None) -> Path:
    return (cache_dir or user_cache_dir()) / "samples"


def make_sample(name: str, out: Path | None = None, *, cache_dir: Path | None = None,
                backend: Backend | None = None) -> Narration:
    """Speak ``sample_text`` with the preset ``name`` (matched as ``--voice`` is) into ``out`` (default:
    ``samples/NAME.mp3`` under the cache directory). Only the audio is written: no subtitles or record."""
    voice = preset(name)
    if out is None:
        directory = samples_dir(cache_dir)
        directory.mkdir(parents=True, exist_ok=True)
        out = directory / f"{voice.name}.mp3"
    options = NarrateOptions(voice=voice.name, output=out, cache_dir=cache_dir, header=False, sidecars=False)
    return Narrator(options, backend=backend).narrate_source(from_text(sample_text(voice), name="<sample>"))
