"""Issue 14, item 19 — a page that never punctuates: 5,000 characters in one sentence are cut into sentences of
at most ``MAX_SENTENCE_CHARS``, so that no subtitle cue (or listen-page sentence) lasts minutes."""

from __future__ import annotations

import random

import pytest

from reader.models import Article, Chapter
from reader.narration.record import ChunkRecord, join_sentences
from reader.text.normalize import normalize
from reader.text.segment import MAX_SENTENCE_CHARS, segment

WORDS = "我们 国家 经济 发展 城市 建设 人民 生活 水平 不断 提高 科技 创新 能力 明显 增强 2024年 GDP".split()


@pytest.mark.timeout(120)  # a hang guard
def test_a_5000_character_sentence_becomes_sentences_a_cue_can_hold() -> None:
    rng = random.Random(14)
    body = "".join(rng.choice(WORDS) for _ in range(2600))[:5000]
    article = Article("没有标点的文章", [Chapter(None, [body])])
    chunks = segment(article, 100, normalize)
    assert "".join(c.text for c in chunks if c.kind == "body") == body  # nothing lost
    records = [ChunkRecord(c.text, c.spoken, c.chapter, c.paragraph, c.kind, c.pause_after, i, i + 1, "x", "x", "")
               for i, c in enumerate(chunks)]
    sentences = [s for s in join_sentences(records) if s.kind == "body"]
    assert len(sentences) >= 5000 // MAX_SENTENCE_CHARS
    assert max(len(s.text) for s in sentences) <= MAX_SENTENCE_CHARS


def test_an_ordinary_long_sentence_is_cut_at_its_commas() -> None:
    sentence = "，".join(f"第{i}项工作稳步推进" for i in range(40)) + "。"
    chunks = segment(Article("标题", [Chapter(None, [sentence])]), 100, normalize, header=False)
    ends = [c.text for c in chunks if c.pause_after != "clause"]
    assert all(end.endswith(("，", "。")) for end in ends)
