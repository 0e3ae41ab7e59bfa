"""The narration record: one typed model, one writer, one reader, versioned."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from helpers.articles import SHORT

from reader.errors import RecordError
from reader.narration.pipeline import NarrateOptions, Narration, narrate_article
from reader.narration.record import VERSION, NarrationRecord, join_sentences
from reader.narration.vtt import parse_webvtt


@pytest.fixture(scope="module")
def narration(tmp_path_factory: pytest.TempPathFactory) -> Narration:
    out = tmp_path_factory.mktemp("record") / "short.mp3"
    return narrate_article(SHORT, NarrateOptions(output=out))


def _uncached(record: NarrationRecord) -> NarrationRecord:
    return replace(record, chunks=[replace(c, cached=False) for c in record.chunks])


def test_round_trip_through_the_file(narration: Narration) -> None:
    assert narration.manifest is not None
    read = NarrationRecord.read(narration.manifest)
    assert read.version == VERSION and read.fingerprint == narration.record.fingerprint
    assert _uncached(read).to_dict() == _uncached(narration.record).to_dict()
    assert read.chapters == narration.record.chapters and read.audio == narration.record.audio
    assert [c.chunk for c in read.chunks] == [c.chunk for c in narration.record.chunks]
    assert NarrationRecord.from_dict(json.loads(read.to_json())) == read


def test_sentences_are_the_vtt_cues_and_end_at_paragraphs(narration: Narration) -> None:
    assert narration.vtt is not None
    cues = parse_webvtt(narration.vtt.read_text(encoding="utf-8"))
    assert [(c.text, c.start, c.end) for c in cues] == [(c.text, c.start, c.end) for c in narration.record.cues()]
    for sentence in narration.record.sentences():
        parts = [c for c in narration.chunks if c.start >= sentence.start and c.end <= sentence.end]
        assert len({c.place for c in parts}) == 1  # never across a paragraph


def test_a_clause_pause_at_a_paragraph_end_still_ends_the_sentence(narration: Narration) -> None:
    chunks = [replace(c, pause_after="clause") for c in narration.chunks]
    sentences = join_sentences(chunks)
    places = {c.place for c in chunks}
    assert len(sentences) == len(places)


def test_version_one_manifests_are_read(narration: Narration) -> None:
    data = narration.record.to_dict()
    for key in ("version", "fingerprint"):
        del data[key]
    for key in ("format", "gain_db", "limited", "true_peak_dbtp"):
        del data["audio"][key]
    del data["voice"]["spoken_form"]
    old = NarrationRecord.from_dict(data, "old.json")
    assert old.audio.format == "mp3" and old.cues() == narration.record.cues()


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.update(version=VERSION + 1), "newer reader"),
    (lambda d: d["chunks"][0].update(start=-1), "chunks[0] starts at -1.0"),
    (lambda d: d["chunks"][0].update(end=float("nan")), "chunks[0].end is not a finite number"),
    (lambda d: d["chunks"][1].update(pause_after="forever"), "chunks[1].pause_after 'forever' is unknown"),
    (lambda d: d["chapters"][1].update(index=7), "chapters[1].index is 7, not 1"),
    (lambda d: d.pop("audio"), "audio is missing or not an object"),
])
def test_damaged_records_are_one_line_errors(narration: Narration, tmp_path: Path, change, message: str) -> None:
    data = narration.record.to_dict()
    change(data)
    path = tmp_path / "r.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(RecordError, match=re.escape(message)) as info:
        NarrationRecord.read(path)
    assert "\n" not in str(info.value)
