"""Subtitles video players can show: ≤ about 20 characters a line, ≤ 2 lines, ≤ 7 s, on the audio."""

from __future__ import annotations

from pathlib import Path

import pytest

from reader.models import Article, Chapter
from reader.narration.pipeline import NarrateOptions, Narration, narrate_article
from reader.narration.record import ChunkRecord, NarrationRecord
from reader.narration.subtitles import LINE_CHARS, MAX_LINES, MAX_SECONDS, subtitle_cues, wrap
from reader.narration.vtt import parse_webvtt

LONG = ("近年来，万州区坚持把数字经济作为高质量发展的关键增量，围绕数字产业化、产业数字化，大力引进培育"
        "大数据、智能制造、软件信息服务等领域的企业，累计到位资金三点七一亿元，同比增长百分之十五点二。")


@pytest.fixture(scope="module")
def narration(tmp_path_factory: pytest.TempPathFactory) -> Narration:
    article = Article("数字经济发展报告", [Chapter(None, [LONG, "短句。"])], date="2024-01-05")
    return narrate_article(article, NarrateOptions(output=tmp_path_factory.mktemp("subs") / "a.mp3"))


def test_cues_fit_a_screen_and_stay_in_their_sentence(narration: Narration) -> None:
    assert narration.vtt is not None
    cues = parse_webvtt(narration.vtt.read_text(encoding="utf-8"))
    sentences = narration.record.sentences()
    assert len(cues) > len(sentences)  # the long sentence is several cues
    for cue in cues:
        lines = cue.text.split("\n")
        assert len(lines) <= MAX_LINES and all(len(line) <= LINE_CHARS for line in lines), cue.text
        assert cue.end - cue.start <= MAX_SECONDS + 1.0, cue  # one clause may run a little over
        assert any(s.start - 0.002 <= cue.start and cue.end <= s.end + 0.002 for s in sentences)
    assert "".join(c.text.replace("\n", "") for c in cues) == "".join(s.text for s in sentences)


def test_cues_start_on_the_chunks_they_begin_with(narration: Narration) -> None:
    """Where a cue starts at a chunk's first character its time is that chunk's (exact) start."""
    cues = subtitle_cues(narration.record)
    starts = {round(c.start, 3) for c in narration.chunks}
    chunk_openings = {c.text[:4] for c in narration.chunks}
    for cue in cues:
        if cue.text[:4] in chunk_openings:
            assert round(cue.start, 3) in starts, cue


def _record(chunks: list[tuple[str, float, float]]) -> NarrationRecord:
    from reader.narration.record import AudioInfo, VoiceRecord

    records = [ChunkRecord(t, t, 0, 0, "body", "clause" if i + 1 < len(chunks) else "paragraph", s, e, "x", "v", "k")
               for i, (t, s, e) in enumerate(chunks)]
    return NarrationRecord(Article("t", [Chapter(None)]), AudioInfo("a.mp3", 60.0, 24000, -16, -20),
                           VoiceRecord("p", "x", "v", 1.0, "1"), [], records)


def test_time_is_shared_by_spoken_length_and_exact_at_chunk_ends() -> None:
    text = "第一句话说得很长很长很长很长，第二句。"
    cues = subtitle_cues(_record([(text, 10.0, 15.0)]), weight=len)
    assert [c.text.replace("\n", "") for c in cues] == [text]  # fits one cue of two lines
    two = subtitle_cues(_record([(text * 3, 10.0, 40.0)]), weight=len)
    assert two[0].start == 10.0 and two[-1].end == 40.0
    assert all(a.end == pytest.approx(b.start) for a, b in zip(two, two[1:], strict=False))


def test_wrap_breaks_after_punctuation_near_the_middle() -> None:
    assert wrap("短句。") == "短句。"
    assert wrap("围绕数字产业化、产业数字化，大力引进培育大数据企业") == "围绕数字产业化、产业数字化，\n大力引进培育大数据企业"
    assert all(len(line) <= LINE_CHARS for line in wrap("一" * 40).split("\n"))


def test_a_clause_without_punctuation_is_cut_at_the_line_length(tmp_path: Path) -> None:
    text = "这是一个没有任何标点符号的非常长的句子" * 4 + "。"
    cues = subtitle_cues(_record([(text, 0.0, 20.0)]), weight=len)
    assert all(len(line) <= LINE_CHARS for c in cues for line in c.text.split("\n"))
    assert "".join(c.text.replace("\n", "") for c in cues) == text
