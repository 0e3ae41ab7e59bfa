"""File names for narrations: readable Chinese titles that every common file system accepts."""

from __future__ import annotations

import re

from reader.models import Article


def safe_filename(text: str, limit: int = 80) -> str:
    """A file name that every common file system accepts, keeping the Chinese title readable."""
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f\x7f]+', "_", text).strip(" ._")
    name = re.sub(r"\s+", " ", name)
    return name[:limit].rstrip(" ._") or "article"


def default_stem(article: Article) -> str:
    """``DATE-TITLE`` (or ``TITLE``), made safe: the name of a narration's files without their suffix."""
    stem = f"{article.date}-{article.title}" if article.date else article.title
    return safe_filename(stem)


def default_name(article: Article, suffix: str = ".mp3") -> str:
    return default_stem(article) + suffix
