"""Articles that several test packages narrate."""

from __future__ import annotations

from reader.models import Article, Chapter

#: A lead and two chapters: short enough for any engine, long enough for chapters and sentences.
SHORT = Article(
    title="测试标题",
    date="2023-10-01",
    source="某某日报",
    chapters=[
        Chapter(None, ["这是导语，用来测试朗读。"]),
        Chapter("第一部分", ["第一部分的正文有两句话。这是第二句话。"]),
        Chapter("第二部分", ["第二部分的正文，到此结束。"]),
    ],
)
