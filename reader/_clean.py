"""Text from outside, made safe for where it goes: the one place that says which characters may enter what.

Pages are hostile: a title can carry control characters (ESC, BEL: XML forbids them, feedgen refuses the
whole feed), lone surrogates (no UTF-8 encoder writes them), bidirectional controls (U+202E makes
``…‮3pm.exe`` display as ``…exe.mp3``), zero-width and other invisible format characters, and a URL can carry
a password. Four levels, each including the one before:

- ``text``: what reader keeps of any text at all: no C0/C1 control characters but tab and line feed (a
  carriage return becomes a line feed), no lone surrogates, no noncharacters (U+FFFE, U+FFFF, U+FDD0…).
  Everything it returns is valid XML 1.0 character data and encodes to UTF-8. Articles are cleaned with it
  where they enter (``clean_article``), so the engines, the record, the catalog and the terminal never see
  the rest.
- ``display``: text shown to people in a page, a feed or a tag: also without bidirectional embedding,
  override and isolate controls and marks (U+202A–202E, U+2066–2069, U+200E/200F, U+061C), which can
  reorder what a title appears to say. Applied by every sink: the Jinja environment of the pages
  (``finalize``), the feed, the ID3 tags.
- ``terminal``: ``display`` on one line (line breaks and tabs as spaces): every message, name and reason the
  command line shows passes through it where it is shown (``reader.cli``).
- ``filename``: also without any format character (Unicode category Cf: zero-width spaces and joiners, soft
  hyphens, BOMs, the bidi controls above) and with line and paragraph separators as spaces: a file name shows
  exactly the characters it is made of.
- ``url_for_display``: a URL without its user-information part (``user:password@``), for every URL reader
  stores or shows (the record, tags, pages, feed, catalog, messages).
- ``link``: the one filter for a URL an output presents as a link: an absolute http(s) URL or nothing (a
  record edited to say ``javascript:…`` gives no link, in a page or in the feed).

Written here rather than taken from a library: the rules are a few Unicode categories and ranges, and
what each output needs is exactly what its own specification forbids (XML 1.0 § 2.2 for the feed, pages and
ID3's UTF-8 text frames; the Unicode bidi algorithm's explicit formatting characters for display).
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from typing import TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

from reader.models import Article, Chapter

# C0 controls but tab, line feed and carriage return; DEL and the C1 controls; lone surrogates;
# noncharacters (U+FDD0–U+FDEF and the last two code points of every plane).
_NOT_TEXT = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
    + "".join(f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(1, 17))
    + "]"
)
#: The bidirectional formatting characters: embeddings, overrides, isolates and the three marks.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
_BIDI = re.compile("[" + "".join(sorted(BIDI_CONTROLS)) + "]")
_SEPARATORS = re.compile("[\u2028\u2029]")

T = TypeVar("T")


def text(value: str) -> str:
    """``value`` with only characters any output can hold (see the module docstring)."""
    if value.isascii() and value.isprintable():
        return value  # the common case, quickly
    return _NOT_TEXT.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def display(value: str) -> str:
    """``value`` fit to be shown in a page, a feed or a tag: ``text`` and no bidirectional controls."""
    return _BIDI.sub("", text(value))


def terminal(value: str) -> str:
    """``value`` fit to be shown on one line of a terminal: ``display`` (so no ESC: a file name or a URL line
    cannot set the window's title or move the cursor), with line breaks and tabs as spaces. For every
    message, name and reason the command line shows; whole texts (``reader extract``) are ``text`` already."""
    return _LINE_BREAKS.sub(" ", display(value))


_LINE_BREAKS = re.compile("[\t\n\x0b\x0c\r\x85\u2028\u2029]")


def filename(value: str) -> str:
    """``value`` fit for a file name: ``display`` and no format characters at all (zero-width, soft hyphen…).

    Only the characters: the separators and characters file systems reserve are ``naming.safe_filename``'s.
    """
    value = _SEPARATORS.sub(" ", display(value))
    return "".join(ch for ch in value if unicodedata.category(ch) != "Cf")


def url_for_display(url: str) -> str:
    """``url`` without ``user:password@``: the form of a URL that reader stores or shows."""
    if "@" not in url:
        return url
    try:
        parts = urlsplit(url)
        if parts.username is None and parts.password is None:
            return url
        host = parts.netloc.rpartition("@")[2]
        return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    except ValueError:  # not even a URL: drop whatever stands between // and the last @ before the path
        return re.sub(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@", r"\1", url)


def link(url: str | None) -> str | None:
    """``url`` as a link any output may carry (a feed's ``<link>``, a page's "original article", the
    catalog's index), or None: only an absolute http(s) URL with a host is a link, never ``javascript:``,
    ``data:``, ``file:``, a relative or a malformed one. Returned as ``display`` and ``url_for_display`` have
    it, without the tabs and line breaks a browser would drop (``java\tscript:`` is ``javascript:``)."""
    if not url:
        return None
    value = _URL_DROPPED.sub("", url_for_display(display(url))).strip(" \x0c")
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return value


_URL_DROPPED = re.compile("[\t\n\r]")


def uri(url: str) -> str:
    """``url`` in ASCII (non-ASCII characters, spaces and controls percent-encoded, what is already encoded
    kept): for the formats that carry URLs in Latin-1 or ASCII only (ID3's URL frames)."""
    return quote(url_for_display(display(url)), safe=":/?#[]@!$&'()*+,;=%~")


def clean_article(article: Article) -> Article:
    """``article`` with every piece of its text passed through ``text`` and its URL through
    ``url_for_display``; the same object when nothing needed cleaning."""

    def one(value: T) -> T:
        if isinstance(value, str):
            return text(value)  # type: ignore[return-value]
        return value

    chapters = [Chapter(one(c.title), [text(p) for p in c.paragraphs]) for c in article.chapters]
    cleaned = dataclasses.replace(
        article,
        title=text(article.title),
        subtitle=one(article.subtitle),
        date=one(article.date),
        source=one(article.source),
        byline=one(article.byline),
        url=url_for_display(text(article.url)) if article.url else article.url,
        captions=[text(c) for c in article.captions],
        chapters=chapters,
    )
    return article if cleaned == article else cleaned
