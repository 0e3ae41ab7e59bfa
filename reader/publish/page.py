"""The listen page: one self-contained HTML file per narration, the article with a player that follows it.

``write_page(audio)`` reads the narration record written beside the audio (``reader.narration.record``) and
renders ``templates/listen.html.j2`` (Jinja2, autoescaping on: every piece of article text is escaped) to
``audio.with_suffix('.html')``. The page links the audio and the VTT by relative URLs and loads nothing else:
no CDN, no fonts, no server, so it works opened from disk (``file://``) and from any static server.

The sentences on the page are the record's sentences (``NarrationRecord.sentences``, the rule the VTT's cues
follow too), each with its start and end time in ``data-`` attributes. The page's
script highlights the sentence under ``audio.currentTime`` from those times rather than from the ``<track>``
element's cues: Chromium refuses to load a track file from a ``file://`` page (each file is its own origin),
so the manifest's times are what works everywhere. A missing VTT therefore costs nothing but the captions
track and its download link.

The script (``templates/player.js``, the player every page shares, then ``templates/listen.js``, this page's
own) is static: no article data is interpolated into it, and the page's Content-Security-Policy allows only
that script (by its SHA-256), so even text that escaped escaping could not run. ``inline_assets`` gives a page
the shared player inlined, its style (``templates/player.css``) and its script with the script's hash.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from reader import _clean
from reader._files import write_atomic
from reader._format import clock
from reader.audio.formats import FORMATS
from reader.errors import PageError, RecordError
from reader.i18n import _
from reader.narration.record import NarrationRecord, Sentence
from reader.settings import PAGE_SKIP_SECONDS, PAGE_SPEEDS, PLAY_RESTART_SECONDS, display_name

log = logging.getLogger(__name__)

_TEMPLATE = "listen.html.j2"
_SCRIPT = "listen.js"
PLAYER_SCRIPT = "player.js"  # the player every page shares, inlined before the page's own script
PLAYER_STYLE = "player.css"  # its look and the pages' common one, inlined before the page's own styles


@dataclass
class Section:
    """One chapter: its heading's sentences (none for the lead) and its paragraphs of sentences."""

    index: int
    title: str
    start: float
    end: float
    heading: list[Sentence] = field(default_factory=list)
    paragraphs: list[list[Sentence]] = field(default_factory=list)


@dataclass
class PageData:
    """Everything the template shows, taken from a narration record."""

    title: str
    subtitle: str | None
    source: str | None
    date: str | None
    byline: str | None
    url: str | None
    duration: float
    title_sentence: Sentence | None
    subtitle_sentence: Sentence | None
    credits: list[Sentence]
    sections: list[Section]
    voice: str  # the voice's display name (云扬 男声 新闻), or its preset's name
    audio_label: str = "MP3"  # the audio format, for people (the download link)


def page_name(audio: Path) -> str:
    """The file name of ``audio``'s listen page (``DATE-TITLE.html`` for ``DATE-TITLE.mp3``)."""
    return audio.with_suffix(".html").name


def write_page(
    audio: Path,
    *,
    manifest: Path | NarrationRecord | Mapping[str, Any] | None = None,
    vtt: Path | None = None,
    out: Path | None = None,
) -> Path:
    """Write the listen page of ``audio`` and return its path.

    ``manifest``: the narration's record, as the JSON file beside the audio (default:
    ``audio.with_suffix('.json')``), a ``NarrationRecord`` or its dict (for a narration written without
    sidecars). ``vtt``: its WebVTT subtitles (default: ``audio.with_suffix('.vtt')`` if it exists; with a
    record given in memory only an explicit ``vtt`` is used, since a VTT left beside the audio may be stale).
    ``out``: the page (default: ``audio.with_suffix('.html')``); it links the audio and VTT relative to itself.
    The page is written atomically. ``PageError`` when the audio or the record is missing or the record is
    damaged; ``OutputError`` when the page cannot be written.
    """
    out = out if out is not None else audio.with_suffix(".html")
    if not audio.is_file():
        raise PageError(_("{audio}: no such audio file, so no listen page").format(audio=audio))
    try:
        if isinstance(manifest, NarrationRecord):
            record = manifest
        elif isinstance(manifest, Mapping):
            record = NarrationRecord.from_dict(manifest, "record")
        else:
            record = NarrationRecord.read(manifest if manifest is not None else audio.with_suffix(".json"))
            if vtt is None and audio.with_suffix(".vtt").is_file():
                vtt = audio.with_suffix(".vtt")
    except RecordError as exc:
        raise PageError(str(exc)) from exc
    if vtt is not None and not vtt.is_file():
        log.warning(_("%s: no such VTT; the listen page will have no captions track"), vtt)
        vtt = None
    page = page_data(record)
    html = render_page(page, audio_href=_href(audio, out), vtt_href=_href(vtt, out) if vtt else None,
                       storage_key=storage_key(audio.name, page.duration))
    return write_atomic(out, html)


def storage_key(audio_name: str, duration: float) -> str:
    """Where the pages remember a listener's position in a narration (localStorage): the listen page and the
    library's index share it, so each continues where the other stopped."""
    return f"reader-position:{audio_name}:{duration:.3f}"


def render_page(page: PageData, *, audio_href: str, vtt_href: str | None, storage_key: str) -> str:
    """The page's HTML, as a string."""
    return environment().get_template(_TEMPLATE).render(
        page=page,
        audio_href=audio_href,
        vtt_href=vtt_href,
        storage_key=storage_key,
        restart=PLAY_RESTART_SECONDS,
        **inline_assets(_SCRIPT),
    )


@cache
def environment() -> jinja2.Environment:
    """Jinja2 for reader's templates: autoescaping on, every interpolated string made displayable
    (``reader._clean.display``: no control or bidi characters) before it is escaped, a ``clock`` filter; other
    pages may share it."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("reader.publish", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_displayable,
    )
    env.filters["clock"] = clock
    return env


def _displayable(value: Any) -> Any:
    """Jinja's ``finalize``: plain strings are cleaned for display; ``Markup`` (our own script) is left as it is."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return _clean.display(value)
    return value


def inline_assets(page_script: str) -> dict[str, Any]:
    """What ``base.html.j2`` inlines in a page with the shared player: ``script`` (``player.js`` then the
    page's ``templates/PAGE_SCRIPT``) and its CSP source ``script_hash``, ``style`` (``player.css``), and the
    player's settings (``skip``, ``speeds``)."""
    script, script_hash = inline_script(PLAYER_SCRIPT, page_script)
    return {"script": script, "script_hash": script_hash, "style": _inline(PLAYER_STYLE, "</style"),
            "skip": PAGE_SKIP_SECONDS, "speeds": PAGE_SPEEDS}


@cache
def inline_script(*names: str) -> tuple[Markup, str]:
    """Our static scripts (``templates/NAME``…), joined into one to inline in a page, and its CSP source
    (``sha256-…``, of exactly the text inlined): the pages allow no other script."""
    text = "\n".join(_inline(name, "</script") for name in names)
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return Markup(text), f"sha256-{digest}"


@cache
def _inline(name: str, end_tag: str) -> Markup:
    """A static file of ours (``templates/NAME``) to inline in a page: it must not close its element early."""
    text = (resources.files("reader.publish") / "templates" / name).read_text(encoding="utf-8")
    if end_tag in text.lower():
        raise AssertionError(f"{name} must not contain '{end_tag}'")  # it is inlined in that element
    return Markup(text)  # our own static file: no article text in it


def _label(format_name: str) -> str:
    fmt = FORMATS.get(format_name)
    return fmt.label if fmt is not None else format_name.upper()


def _href(target: Path, page: Path) -> str:
    """A relative URL from the page's directory to ``target`` (percent-encoded: titles have spaces)."""
    rel = os.path.relpath(target.resolve(), page.resolve().parent)
    return quote(Path(rel).as_posix(), safe="/")


def page_data(record: NarrationRecord) -> PageData:
    """What the page shows of a narration record: the article's metadata and its sentences in place."""
    art = record.article
    url = _clean.link(art.url)  # never javascript:, never credentials
    sections = {i: Section(i, m.title, m.start, m.end) for i, m in enumerate(record.chapters)}
    page = PageData(title=art.title, subtitle=art.subtitle, source=art.source, date=art.date, byline=art.byline,
                    url=url, duration=record.audio.duration, title_sentence=None, subtitle_sentence=None,
                    credits=[], sections=[sections[k] for k in sorted(sections)],
                    voice=display_name(record.voice.preset), audio_label=_label(record.audio.format))
    subtitle = page.subtitle.lstrip("—－- ") if page.subtitle else None
    last_paragraph: tuple[int, int] | None = None
    for s in record.sentences():
        section = sections[s.chapter]
        if s.kind == "header":
            if s.text == page.title and page.title_sentence is None:
                page.title_sentence = s
            elif s.text == subtitle and page.subtitle_sentence is None:
                page.subtitle_sentence = s
            else:
                page.credits.append(s)
        elif s.kind == "heading":
            section.heading.append(s)
        else:
            if last_paragraph != (s.chapter, s.paragraph):
                section.paragraphs.append([])
                last_paragraph = (s.chapter, s.paragraph)
            section.paragraphs[-1].append(s)
    return page
