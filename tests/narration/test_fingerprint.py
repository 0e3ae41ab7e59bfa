"""One fingerprint decides what must be redone, for narrate, batch, play and the store alike."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from helpers.articles import SHORT

from reader.library.batch import BatchOptions, run_batch
from reader.models import Article, Chapter
from reader.narration.fingerprint import AudioSettings, code_fingerprint, content_hash, settings_fingerprint
from reader.narration.pipeline import NarrateOptions, Narrator
from reader.settings import Pauses

BASE = AudioSettings(backend="offline", voice="baker", rate=1.0, engine_version="v1", lexicon="abc",
                     pauses=Pauses(), target_lufs=-16.0, bitrate="64k", header=True)


@pytest.mark.parametrize("change", [
    {"lexicon": "abd"}, {"rate": 1.1}, {"voice": "other"}, {"engine_version": "v2"}, {"pauses": Pauses(clause=0.2)},
    {"target_lufs": -18.0}, {"bitrate": "96k"}, {"header": False}, {"format": "opus"}, {"spoken_form": "latin"},
    {"cover": "0123456789abcdef"},
])
def test_every_setting_that_decides_the_audio_changes_the_fingerprint(change: dict[str, object]) -> None:
    assert settings_fingerprint(replace(BASE, **change)) != settings_fingerprint(BASE)  # type: ignore[arg-type]
    assert settings_fingerprint(replace(BASE)) == settings_fingerprint(BASE)


def test_content_ignores_the_encoding_only() -> None:
    assert content_hash(replace(SHORT, encoding="gb18030")) == content_hash(SHORT)
    assert content_hash(replace(SHORT, title="别的标题")) != content_hash(SHORT)


def test_code_fingerprint_covers_the_code_that_makes_audio() -> None:
    package = Path(__file__).resolve().parents[2] / "reader"
    assert (package / "text" / "normalize" / "normalizer.py").is_file()  # the kind of file it must cover
    assert len(code_fingerprint()) == 16 and code_fingerprint() == code_fingerprint()


def _lexicon(config: Path, replace_table: dict[str, str]) -> None:
    config.mkdir(parents=True, exist_ok=True)
    lines = ["[replace]", *(f'"{k}" = "{v}"' for k, v in replace_table.items())]
    (config / "lexicon.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_lexicon_change_redoes_narrate_and_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bug of issue 11: batch kept the old audio after a lexicon change while narrate spoke the new form."""
    config = tmp_path / "config"
    monkeypatch.setenv("READER_CONFIG_DIR", str(config))
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.txt").write_text("万州新闻\n\n日期:2024-03-01\n\n万州区今天天气晴朗。\n", encoding="utf-8")
    options = BatchOptions(library=tmp_path / "lib", narration=NarrateOptions(cache_dir=tmp_path / "cache"))

    first = run_batch(str(inputs), options)
    assert len(first.done) == 1
    again = run_batch(str(inputs), options)
    assert len(again.skipped) == 1  # nothing changed: nothing redone

    _lexicon(config, {"万州区": "重庆市万州区"})
    changed = run_batch(str(inputs), options)
    assert len(changed.done) == 1 and not changed.skipped
    record = (tmp_path / "lib" / "2024-03-01-万州新闻.json").read_text(encoding="utf-8")
    assert "重庆市万州区" in record

    # narrate agrees: one fingerprint, so it is served the batch's narration made with the new lexicon
    article = Article("万州新闻", [Chapter(None, ["万州区今天天气晴朗。"])], date="2024-03-01")
    narrate_options = NarrateOptions(output=tmp_path / "n.mp3", cache_dir=tmp_path / "cache")
    with_lexicon = Narrator(narrate_options).narrate_article(article)
    assert with_lexicon.from_store and any("重庆市万州区" in c.spoken for c in with_lexicon.chunks)
    _lexicon(config, {})
    without = Narrator(narrate_options).narrate_article(article)
    assert not any("重庆市" in c.spoken for c in without.chunks)
    assert without.record.fingerprint != with_lexicon.record.fingerprint
