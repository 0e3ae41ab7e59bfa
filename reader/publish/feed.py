"""The library's podcast feed: RSS 2.0 with the iTunes namespace, built with feedgen (and its podcast extension).

One item per published article, newest first: the audio file as the enclosure (its exact byte length, and the
type podcast apps expect for its format: ``audio/mpeg``, ``audio/x-m4a``, ``audio/ogg``, ``audio/wav``),
``itunes:duration``, ``pubDate`` from the article's date (midnight, China Standard Time, since the articles
are Chinese; the narration time for an undated article), a description (the opening of the text and its
source), the listen page or the original article as the item's link, and the WebVTT transcript as a
``podcast:transcript`` element of the Podcasting 2.0 namespace. feedgen has no extension for that namespace,
so a small one is registered here through feedgen's own extension interface. Podcast apps read the chapters
from the audio file itself (ID3 CHAP frames, MP4 chapter track, Vorbis comments).

The channel has what Apple Podcasts lists as required (title, description, artwork, language, category,
explicit) and recommends (author, owner, link): ``FeedInfo`` holds the title, author, artwork and owner's
email (``--feed-title`` …, or ``[feed]`` in config.toml), with Chinese defaults; the artwork is
``reader.publish.cover``'s. feedgen writes ``itunes:explicit`` only as yes/no and ``itunes:owner`` only with
an email, so those two and ``itunes:image`` are written by the same small extension.

URLs are ``base_url`` + the file name: ``--base-url`` is where the library will be served. Without it the
feed points at the library folder itself (``file://``), which is enough for a local player.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from reader import __version__, _clean
from reader._files import write_atomic
from reader._format import clock
from reader.audio.formats import FORMATS
from reader.errors import UsageError
from reader.i18n import _
from reader.publish.cover import check_image, publish_cover
from reader.publish.episode import Episode
from reader.text.lexicon import is_han

FEED_NAME = "feed.xml"
PODCAST_NS = "https://podcastindex.org/namespace/1.0"
ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
DEFAULT_AUTHOR = "reader 语音播报"
CATEGORY = "News"  # Apple Podcasts' category for news (of its documented list)
CHINA = timezone(timedelta(hours=8), "CST")
SUMMARY_CHARS = 200


@dataclass(frozen=True)
class FeedInfo:
    """What the channel says of itself; None: the default (a Chinese title from the library folder's name,
    reader's name as author, the default cover, no email)."""

    title: str | None = None
    author: str | None = None
    image: str | None = None  # an http(s) URL of a .png/.jpg, or a PNG/JPEG file (copied into the library)
    email: str | None = None  # the owner's, for podcast directories

    def __post_init__(self) -> None:
        for name in ("title", "author", "email"):
            value = getattr(self, name)
            if value is not None and not value.strip():
                raise UsageError(_("--feed-{name} must not be empty").format(name=name))
        if self.email is not None and "@" not in self.email:
            raise UsageError(_("--feed-email {email!r}: not an email address").format(email=self.email))
        if self.image is not None:
            check_image(self.image)


class _PodcastIndex(BaseExtension):
    """Feed part of the Podcasting 2.0 namespace (only declared), and the channel's iTunes tags feedgen cannot
    write as Apple documents them: ``itunes:image``, ``itunes:explicit`` (true/false), ``itunes:owner``."""

    def __init__(self) -> None:
        self.image: str | None = None
        self.owner: tuple[str, str | None] | None = None

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS}

    def extend_rss(self, rss_feed: Any) -> Any:
        channel = rss_feed[0]
        if self.image:
            etree.SubElement(channel, f"{{{ITUNES_NS}}}image", {"href": self.image})
        etree.SubElement(channel, f"{{{ITUNES_NS}}}explicit").text = "false"
        if self.owner:
            owner = etree.SubElement(channel, f"{{{ITUNES_NS}}}owner")
            etree.SubElement(owner, f"{{{ITUNES_NS}}}name").text = self.owner[0]
            if self.owner[1]:
                etree.SubElement(owner, f"{{{ITUNES_NS}}}email").text = self.owner[1]
        return rss_feed

    def extend_atom(self, atom_feed: Any) -> Any:
        return atom_feed


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
        raise UsageError(_("--base-url {base_url!r}: give an absolute http(s) URL, e.g. "
                            "https://example.org/news/").format(base_url=base_url))
    return base_url if base_url.endswith("/") else base_url + "/"


def default_title(library: Path) -> str:
    """The feed's and the index's title when none is given (``--title``): 语音播报, after the library folder's
    name when that name is Chinese (``政府公告 · 语音播报``); a folder named ``library`` or ``lib`` is a
    name for the file system, not a title for listeners."""
    name = library.resolve().name
    return f"{name} · 语音播报" if any(is_han(ch) for ch in name) else "语音播报"


def pub_date(episode: Episode) -> datetime:
    if episode.date:
        try:
            return datetime.strptime(episode.date, "%Y-%m-%d").replace(tzinfo=CHINA)
        except ValueError:
            pass
    return datetime.fromtimestamp(episode.made_at, UTC)


def build_feed(entries: Iterable[Episode], library: Path, *, base_url: str | None = None,
               info: FeedInfo | None = None) -> bytes:
    """The RSS document for ``entries`` (the library's episodes, in the order given: newest first). The artwork is
    put in the library (``reader.publish.cover``) if it is a file."""
    info = info or FeedInfo()
    base = check_base_url(base_url) if base_url else library.resolve().as_uri() + "/"
    fg = FeedGenerator()
    fg.load_extension("podcast")
    fg.register_extension("podcastindex", _PodcastIndex, _PodcastIndexEntry)
    name = _clean.display(info.title or default_title(library))
    author = _clean.display(info.author or DEFAULT_AUTHOR)
    cover = publish_cover(library, info.image)
    image = cover if "://" in cover else base + quote(cover)
    fg.title(name)
    fg.link(href=base + "index.html", rel="alternate")
    description = f"{name}：用 reader {__version__} 朗读的中文新闻和政府公告。"
    fg.description(description)
    fg.language("zh-cn")
    fg.generator(f"reader {__version__}")
    fg.image(url=image, title=name, link=base + "index.html")
    fg.podcast.itunes_author(author)
    fg.podcast.itunes_category(CATEGORY)
    fg.podcast.itunes_summary(description)
    fg.podcastindex.image = image
    fg.podcastindex.owner = (author, info.email)
    for entry in entries:
        if not entry.audio:
            continue
        audio = library / entry.audio
        try:
            size = audio.stat().st_size
        except OSError:
            continue  # deleted by hand since: not listed until the next run narrates it again
        item = fg.add_entry(order="append")
        guid = "reader:" + hashlib.sha256(entry.source.encode("utf-8")).hexdigest()[:32]
        item.guid(guid, permalink=False)
        item.title(_clean.display(entry.title or audio.stem))
        fmt = FORMATS.get(entry.format)
        item.enclosure(base + quote(entry.audio), str(size), fmt.enclosure_type if fmt else "audio/mpeg")
        item.pubDate(pub_date(entry))
        item.description(_clean.display(_description(entry)))
        page = base + quote(entry.page) if entry.page and (library / entry.page).is_file() else None
        link = page or _clean.link(entry.url)  # the article's own URL only if it is http(s): never javascript:
        if link:
            item.link(href=link)
        if entry.duration is not None:
            item.podcast.itunes_duration(clock(entry.duration, always_hours=True, rounded=True))
        if entry.vtt and (library / entry.vtt).is_file():
            item.podcastindex.transcript(base + quote(entry.vtt), "text/vtt", "zh-cn")
    data: bytes = fg.rss_str(pretty=True)
    return data


def write_feed(entries: Iterable[Episode], library: Path, *, base_url: str | None = None,
               info: FeedInfo | None = None) -> Path:
    """Write ``library/feed.xml`` atomically (and its artwork beside it) and return its path."""
    data = build_feed(entries, library, base_url=base_url, info=info)
    out = library / FEED_NAME
    return write_atomic(out, data)


def _description(entry: Episode) -> str:
    parts = [entry.summary or entry.title or ""]
    origin = " · ".join(x for x in (entry.site, entry.date) if x)
    if origin:
        parts.append(f"({origin})")
    return " ".join(p for p in parts if p)
