"""File names for narrations: readable Chinese titles that every common file system accepts."""

from __future__ import annotations

import re

from reader import _clean
from reader.models import Article

#: The most UTF-8 bytes of a name's stem, leaving room for suffixes and temporary-file suffixes within 255.
MAX_NAME_BYTES = 180


def safe_filename(text: str, limit: int = 80) -> str:
    """A file name that every common file system accepts, keeping the Chinese title readable; it shows exactly
    the characters it is made of (no bidi controls or invisible format characters: ``reader._clean.filename``)."""
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f\x7f]+', "_", _clean.filename(text)).strip(" ._")
    name = re.sub(r"\s+", " ", name)[:limit]
    # File systems count bytes (255 for a name); the temporary files add up to ~60 (".mp3.1a2b3c4d-12345.part…").
    while len(name.encode("utf-8")) > MAX_NAME_BYTES:
        name = name[:-1]
    return name.rstrip(" ._") or "article"


def default_stem(article: Article) -> str:
    """``DATE-TITLE`` (or ``TITLE``), made safe: the name of a narration's files without their suffix."""
    stem = f"{article.date}-{article.title}" if article.date else article.title
    return safe_filename(stem)


def default_name(article: Article, suffix: str = ".mp3") -> str:
    return default_stem(article) + suffix
