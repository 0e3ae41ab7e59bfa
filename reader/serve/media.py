"""The library's files over HTTP: only files of the library, by their own names.

``resolve`` turns a request's path into a file of the library or refuses it (``None``): no empty, ``.`` or
``..`` part, no hidden name (``.lock``, ``.staging``, the catalog's journal), no symlink anywhere on the way
(each part is ``lstat``-ed: a link placed in the library cannot lead out of it), only regular files with a
suffix the library publishes (audio, subtitles, records, pages, covers, feed). The catalog is not served.
``response`` is a Starlette ``FileResponse`` (``Range`` → 206, ``Accept-Ranges``, ``ETag``,
``Last-Modified``) plus ``Cache-Control``, and a 304 when ``If-None-Match`` names the current ETag.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from reader.audio import formats

#: Suffixes of the files a library publishes (besides every audio format's).
PUBLISHED = {".vtt", ".json", ".html", ".xml", ".png", ".jpg", ".jpeg", ".css", ".js"}
#: Revalidate after a minute: a narration made again keeps its name, so its files are not immutable.
CACHE_CONTROL = "public, max-age=60"
MEDIA_TYPES = {".vtt": "text/vtt; charset=utf-8", ".json": "application/json", ".xml": "application/rss+xml"}


def _suffixes() -> set[str]:
    found = set(PUBLISHED)
    for fmt in formats.FORMATS.values():
        found.update(s.lower() for s in fmt.suffixes)
    return found


def resolve(library: Path, name: str) -> tuple[Path, os.stat_result] | None:
    """The library's file ``name`` (a path relative to it, ``/``-separated) and its stat, or ``None``."""
    parts = name.split("/")
    if not parts or any(p in ("", ".", "..") or p.startswith(".") or "\\" in p or "\0" in p for p in parts):
        return None
    if Path(parts[-1]).suffix.lower() not in _suffixes():
        return None
    path = library
    st: os.stat_result | None = None
    for part in parts:
        path = path / part
        try:
            st = os.lstat(path)
        except (OSError, ValueError):
            return None
        if stat.S_ISLNK(st.st_mode):
            return None
    if st is None or not stat.S_ISREG(st.st_mode):
        return None
    return path, st


def media_type(path: Path) -> str | None:
    suffix = path.suffix.lower()
    if suffix in MEDIA_TYPES:
        return MEDIA_TYPES[suffix]
    for fmt in formats.FORMATS.values():
        if suffix in (s.lower() for s in fmt.suffixes):
            return fmt.mime
    return None  # guessed from the name
