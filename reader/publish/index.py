"""The library's ``index.html``: the library as an app, one player for every article in it.

Rendered from ``templates/library.html.j2`` with Jinja2, autoescaping on, with the player the pages share
(``templates/player.js``) and its own static script ``templates/library.js`` inlined as one (the page's
Content-Security-Policy allows only that script, by its hash).
Newest first (the catalog's order); search by title, filters by source and date; one player that goes on to
the next article shown; each article continues where the listener stopped, on this page or on its listen
page (they share the positions in localStorage). Links are relative to the library folder, so the page works
opened from disk and from any static server; no audio is loaded until it is played. Without the script it is
a list of links to each article's listen page and audio.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from reader import __version__, _clean
from reader._files import write_atomic
from reader.audio.formats import FORMATS
from reader.publish.episode import Episode
from reader.publish.feed import FEED_NAME, default_title
from reader.publish.page import environment, inline_assets, storage_key

INDEX_NAME = "index.html"


@dataclass(frozen=True)
class IndexItem:
    title: str
    date: str | None
    site: str | None
    url: str | None  # the original article, http(s) only
    duration: float
    audio_href: str
    audio_label: str  # its format's name for people ("MP3", "M4B")
    vtt_href: str | None
    page_href: str | None
    storage_key: str  # where the pages remember the listener's position in it


def index_items(entries: Iterable[Episode], library: Path) -> list[IndexItem]:
    items = []
    for e in entries:
        if not e.audio or not (library / e.audio).is_file():
            continue
        fmt = FORMATS.get(e.format)
        url = _clean.link(e.url)
        items.append(IndexItem(
            title=e.title or Path(e.audio).stem,
            date=e.date,
            site=e.site,
            url=url,
            duration=e.duration or 0.0,
            audio_href=quote(e.audio),
            audio_label=fmt.label if fmt else e.format.upper(),
            vtt_href=quote(e.vtt) if e.vtt and (library / e.vtt).is_file() else None,
            page_href=quote(e.page) if e.page and (library / e.page).is_file() else None,
            storage_key=storage_key(e.audio, e.duration or 0.0),
        ))
    return items


def render_index(items: list[IndexItem], *, title: str) -> str:
    return environment().get_template("library.html.j2").render(
        title=title,
        articles=items,
        total_duration=sum(i.duration for i in items),
        sites=sorted({i.site for i in items if i.site}),
        dates=sorted({i.date for i in items if i.date}),
        feed_href=FEED_NAME,
        version=__version__,
        **inline_assets("library.js"),
    )


def write_index(entries: Iterable[Episode], library: Path, *, title: str | None = None) -> Path:
    """Write ``library/index.html`` atomically and return its path."""
    html = render_index(index_items(entries, library), title=title or default_title(library))
    out = library / INDEX_NAME
    return write_atomic(out, html)
