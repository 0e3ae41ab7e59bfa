"""Every type that crosses stages: one stage's output is the next one's input.

Source (fetched bytes) → Article (extracted) → Chunk (segmented, normalized) → Audio (synthesized) →
ChapterMark and Cue (where chapters and sentences sit in the assembled track). The narration record that is
written beside the audio is ``reader.narration.record``.
"""

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


@dataclass(frozen=True)
class Source:
    """Raw bytes of one input and what is known about them before decoding."""

    data: bytes
    name: str  # for messages: the URL, the path, or "<stdin>"
    url: str | None = None
    charset: str | None = None  # from the HTTP Content-Type header
    kind: str = "auto"  # "html", "text" or "auto" (sniff)


@dataclass(frozen=True)
class Audio:
    """Mono 16-bit signed little-endian PCM at ``sample_rate`` Hz."""

    pcm: bytes
    sample_rate: int

    @property
    def frames(self) -> int:
        return len(self.pcm) // 2

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate


@dataclass(frozen=True)
class ChapterMark:
    """A chapter: ``title`` and its span of the track in seconds (``end`` is the next chapter's ``start``)."""

    title: str
    start: float
    end: float


@dataclass(frozen=True)
class Cue:
    """Text shown from ``start`` to ``end`` (seconds in the track)."""

    start: float
    end: float
    text: str
