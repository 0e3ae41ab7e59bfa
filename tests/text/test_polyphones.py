"""Polyphones in news sentences (tests/fixtures/text/polyphones.tsv): how many the front ends read right.

The floors are what the front ends reach now (benchmarks/polyphones.py prints the same figures beside the
other candidates measured: pypinyin alone, jieba words + pypinyin, pypinyin-dict's phrase tables, g2pM), so
a change that loses a case fails here; raise them when a change wins one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reader.text.lexicon import Lexicon, default_lexicon

CASES = Path(__file__).resolve().parent.parent / "fixtures" / "text" / "polyphones.tsv"
#: Right readings of the marked character, of the table's cases: the Baker voice's (``to_pinyin``), the
#: Kokoro voices' (``to_pinyin_words(words="jieba")``: the same, plus the standalone 地/得 rules).
BAKER_FLOOR = 117
KOKORO_FLOOR = 119


def load_cases() -> list[tuple[str, int, str]]:
    cases = []
    for line in CASES.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            reading, marked = line.split("\t")
            cases.append((marked.replace("[", "").replace("]", ""), marked.index("["), reading))
    return cases


def misread(readings_of: object) -> list[str]:
    wrong = []
    for sentence, index, expected in load_cases():
        readings = readings_of(sentence)  # type: ignore[operator]
        assert len(readings) == len(sentence)
        if readings[index] != expected:
            wrong.append(f"{sentence[index]} {expected}→{readings[index]} in {sentence}")
    return wrong


def test_the_table_is_well_formed() -> None:
    cases = load_cases()
    assert len(cases) >= 100
    chars = {sentence[index] for sentence, index, _ in cases}
    assert set("行长重还为地得了着朝处调便难降数量省应传正") <= chars
    # every polyphone is tested with at least two readings, so that always reading one way fails
    for char in chars:
        assert len({r for s, i, r in cases if s[i] == char}) >= 2, char


def test_the_baker_front_end_reads_the_polyphones() -> None:
    lexicon = default_lexicon()
    wrong = misread(lambda s: [p for _c, p in lexicon.to_pinyin(s)])
    assert len(load_cases()) - len(wrong) >= BAKER_FLOOR, "\n".join(wrong)


def test_the_kokoro_front_end_reads_the_polyphones() -> None:
    lexicon = default_lexicon()
    wrong = misread(lambda s: [p for _w, pairs in lexicon.to_pinyin_words(s, words="jieba") for _c, p in pairs])
    assert len(load_cases()) - len(wrong) >= KOKORO_FLOOR, "\n".join(wrong)


def test_jieba_words_keep_the_readings_and_follow_real_words() -> None:
    lexicon = default_lexicon()
    text = "岁月的年轮记录着足迹和刻印，重庆市长江大桥。"
    by_phrases = lexicon.to_pinyin_words(text)
    by_words = lexicon.to_pinyin_words(text, words="jieba")
    assert "".join(w for w, _ in by_words) == text
    assert [w for w, _ in by_words][:8] == ["岁月", "的", "年轮", "记录", "着", "足迹", "和", "刻印"]
    assert "年" in [w for w, _ in by_phrases]  # pypinyin's phrases do not hold 年轮: one character each
    # the readings are the same whatever the words (no standalone 地/得 here)
    assert [p for _w, ps in by_words for p in ps] == [p for _w, ps in by_phrases for p in ps]


def test_jieba_words_never_cut_a_lexicon_word_nor_reread_it() -> None:
    lexicon = Lexicon(pinyin={"市长江": ("shi4", "zhang3", "jiang1"), "地": ("di4",)})
    words = lexicon.to_pinyin_words("重庆市长江大桥，工程正在有序地推进。", words="jieba")
    # jieba cuts 重庆市|长江大桥, inside the lexicon's word: that cut is not made
    assert [w for w, _ in words][0] == "重庆市长江大桥"
    assert [p for _c, p in words[0][1]][2:5] == ["shi4", "zhang3", "jiang1"]
    assert ("地", [("地", "di4")]) in words  # the lexicon's reading, not the particle rule's de5
    with pytest.raises(ValueError):
        lexicon.to_pinyin_words("重庆", words="jeiba")


@pytest.mark.parametrize(
    ("text", "reading"),
    [("工作人员耐心地解答", "de5"), ("在事发地发现", "di4"), ("他们迅速地赶到", "de5"), ("说得清楚", "de5"),
     ("中国队得了冠军", "de2"), ("他们得尽快离开", "dei3")],
)
def test_standalone_di_and_de_by_the_words_around_them(text: str, reading: str) -> None:
    pairs = [pair for _w, ps in Lexicon().to_pinyin_words(text, words="jieba") for pair in ps]
    assert [p for c, p in pairs if c in "地得"] == [reading]
