"""The library's podcast feed: RSS 2.0 with the iTunes namespace, built with feedgen (and its podcast extension).

One item per published article, newest first: the MP3 as the enclosure (its exact byte length, audio/mpeg),
``itunes:duration``, ``pubDate`` from the article's date (midnight, China Standard Time, since the articles
are Chinese; the narration time for an undated article), a description (the opening of the text and its
source), the listen page or the original article as the item's link, and the WebVTT transcript as a
``podcast:transcript`` element of the Podcasting 2.0 namespace. feedgen has no extension for that namespace,
so a small one is registered here through feedgen's own extension interface. Podcast apps read the chapters
from the MP3's ID3 CHAP frames.

URLs are ``base_url`` + the file name: ``--base-url`` is where the library will be served. Without it the
feed points at the library folder itself (``file://``), which is enough for a local player.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from reader import __version__
from reader._files import write_atomic
from reader._format import clock
from reader.errors import UsageError
from reader.library.catalog import Entry

FEED_NAME = "feed.xml"
PODCAST_NS = "https://podcastindex.org/namespace/1.0"
CHINA = timezone(timedelta(hours=8), "CST")
SUMMARY_CHARS = 200


class _PodcastIndex(BaseExtension):
    """Feed part of the Podcasting 2.0 namespace: only declares it."""

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS}


class _PodcastIndexEntry(BaseEntryExtension):
    """Item part: ``<podcast:transcript url=… type=… language=…/>``."""

    def __init__(self) -> None:
        self._transcripts: list[dict[str, str]] = []

    def transcript(self, url: str, mime: str, language: str | None = None) -> None:
        attrs = {"url": url, "type": mime}
        if language:
            attrs["language"] = language
        self._transcripts.append(attrs)

    def extend_rss(self, entry: Any) -> Any:
        for attrs in self._transcripts:
            etree.SubElement(entry, f"{{{PODCAST_NS}}}transcript", attrs)
        return entry

    def extend_atom(self, entry: Any) -> Any:
        return entry


def check_base_url(base_url: str) -> str:
    """``base_url`` with a trailing slash; a ``UsageError`` unless it is an absolute http(s) or file URL."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https", "file") or (parts.scheme != "file" and not parts.netloc):
        raise UsageError(f"--base-url {base_url!r}: give an absolute http(s) URL, e.g. https://example.org/news/")
    return base_url if base_url.endswith("/") else base_url + "/"


def default_title(library: Path) -> str:
    """The feed's and the index's title when none is given: the library folder's name, 语音播报."""
    return f"{library.resolve().name} · 语音播报"


def pub_date(entry: Entry) -> datetime:
    if entry.date:
        try:
            return datetime.strptime(entry.date, "%Y-%m-%d").replace(tzinfo=CHINA)
        except ValueError:
            pass
    return datetime.fromtimestamp(entry.done_at or entry.updated_at, UTC)


def build_feed(entries: Iterable[Entry], library: Path, *, base_url: str | None = None,
               title: str | None = None) -> bytes:
    """The RSS document for ``entries`` (published rows, in the order given: newest first)."""
    base = check_base_url(base_url) if base_url else library.resolve().as_uri() + "/"
    fg = FeedGenerator()
    fg.load_extension("podcast")
    fg.register_extension("podcastindex", _PodcastIndex, _PodcastIndexEntry)
    name = title or default_title(library)
    fg.title(name)
    fg.link(href=base + "index.html", rel="alternate")
    fg.description(f"{name}. Chinese news and government articles narrated by reader {__version__}.")
    fg.language("zh-cn")
    fg.generator(f"reader {__version__}")
    fg.podcast.itunes_author("reader")
    fg.podcast.itunes_explicit("no")
    fg.podcast.itunes_category("News")
    fg.podcast.itunes_summary(f"{name}, narrated by reader.")
    for entry in entries:
        if not entry.mp3:
            continue
        mp3 = library / entry.mp3
        try:
            size = mp3.stat().st_size
        except OSError:
            continue  # deleted by hand since: not listed until the next run narrates it again
        item = fg.add_entry(order="append")
        guid = "reader:" + hashlib.sha256(entry.source.encode("utf-8")).hexdigest()[:32]
        item.guid(guid, permalink=False)
        item.title(entry.title or Path(entry.mp3).stem)
        item.enclosure(base + quote(entry.mp3), str(size), "audio/mpeg")
        item.pubDate(pub_date(entry))
        item.description(_description(entry))
        link = base + quote(entry.page) if entry.page and (library / entry.page).is_file() else entry.url
        if link:
            item.link(href=link)
        if entry.duration is not None:
            item.podcast.itunes_duration(clock(entry.duration, always_hours=True, rounded=True))
        if entry.vtt and (library / entry.vtt).is_file():
            item.podcastindex.transcript(base + quote(entry.vtt), "text/vtt", "zh-cn")
    data: bytes = fg.rss_str(pretty=True)
    return data


def write_feed(entries: Iterable[Entry], library: Path, *, base_url: str | None = None,
               title: str | None = None) -> Path:
    """Write ``library/feed.xml`` atomically and return its path."""
    data = build_feed(entries, library, base_url=base_url, title=title)
    out = library / FEED_NAME
    return write_atomic(out, data)


def _description(entry: Entry) -> str:
    parts = [entry.summary or entry.title or ""]
    origin = " · ".join(x for x in (entry.site, entry.date) if x)
    if origin:
        parts.append(f"({origin})")
    return " ".join(p for p in parts if p)
