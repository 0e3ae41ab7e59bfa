"""The data that flows through the pipeline: typed dataclasses, one stage's output is the next one's input."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal, TypedDict


class ChapterDict(TypedDict):
    title: str | None
    paragraphs: list[str]


class ArticleDict(TypedDict):
    """The stable JSON schema of ``reader extract --format json``."""

    title: str
    subtitle: str | None
    date: str | None
    source: str | None
    byline: str | None
    url: str | None
    encoding: str
    captions: list[str]
    chapters: list[ChapterDict]


@dataclass
class Chapter:
    """A section of the article: ``title`` is its heading, ``None`` for the lead."""

    title: str | None
    paragraphs: list[str] = field(default_factory=list)


@dataclass
class Article:
    title: str
    chapters: list[Chapter]
    subtitle: str | None = None
    date: str | None = None  # ISO YYYY-MM-DD
    source: str | None = None
    byline: str | None = None
    url: str | None = None
    encoding: str = "utf-8"
    captions: list[str] = field(default_factory=list)

    def to_dict(self) -> ArticleDict:
        d: dict[str, Any] = asdict(self)
        return ArticleDict(
            title=d["title"],
            subtitle=d["subtitle"],
            date=d["date"],
            source=d["source"],
            byline=d["byline"],
            url=d["url"],
            encoding=d["encoding"],
            captions=d["captions"],
            chapters=[ChapterDict(title=c["title"], paragraphs=c["paragraphs"]) for c in d["chapters"]],
        )

    @classmethod
    def from_dict(cls, d: ArticleDict) -> Article:
        return cls(
            title=d["title"],
            subtitle=d.get("subtitle"),
            date=d.get("date"),
            source=d.get("source"),
            byline=d.get("byline"),
            url=d.get("url"),
            encoding=d.get("encoding", "utf-8"),
            captions=list(d.get("captions", [])),
            chapters=[Chapter(c["title"], list(c["paragraphs"])) for c in d["chapters"]],
        )

    def paragraphs(self) -> list[str]:
        return [p for c in self.chapters for p in c.paragraphs]

    def text(self) -> str:
        """The article as it will be read: one paragraph per line, headings included."""
        lines = [self.title]
        if self.subtitle:
            lines.append(self.subtitle)
        for ch in self.chapters:
            if ch.title:
                lines.append(ch.title)
            lines.extend(ch.paragraphs)
        return "\n".join(lines)


# What follows a chunk: the pause the assembler puts after it.
Pause = Literal["none", "clause", "sentence", "paragraph", "chapter"]
ChunkKind = Literal["header", "heading", "body"]


@dataclass(frozen=True)
class Chunk:
    """One piece of text that a backend speaks in one call.

    ``text`` is the original (for subtitles); ``spoken`` is what the engine is given (normalized, lexicon
    applied). ``chapter`` indexes ``Article.chapters`` (the header belongs to chapter 0).
    """

    text: str
    spoken: str
    chapter: int
    paragraph: int
    kind: ChunkKind = "body"
    pause_after: Pause = "sentence"
