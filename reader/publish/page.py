"""The listen page: one self-contained HTML file per narration, the article with a player that follows it.

``write_page(mp3)`` reads the JSON manifest written beside the MP3 and renders ``templates/listen.html.j2``
(Jinja2, autoescaping on: every piece of article text is escaped) to ``mp3.with_suffix('.html')``. The page
links the MP3 and the VTT by relative URLs and loads nothing else: no CDN, no fonts, no server, so it works
opened from disk (``file://``) and from any static server.

The sentences on the page are the manifest's chunks joined into sentences by the rule the VTT's cues follow
(``reader.narration.pipeline.sentence_cues``), each with its start and end time in ``data-`` attributes. The page's
script highlights the sentence under ``audio.currentTime`` from those times rather than from the ``<track>``
element's cues: Chromium refuses to load a track file from a ``file://`` page (each file is its own origin),
so the manifest's times are what works everywhere. A missing VTT therefore costs nothing but the captions
track and its download link.

The script (``templates/listen.js``) is static: no article data is interpolated into it, and the page's
Content-Security-Policy allows only that script (by its SHA-256), so even text that escaped escaping could
not run.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from reader._files import write_atomic
from reader._format import clock
from reader.errors import PageError
from reader.settings import PAGE_SKIP_SECONDS, PAGE_SPEEDS

log = logging.getLogger(__name__)

_TEMPLATE = "listen.html.j2"
_SCRIPT = "listen.js"


@dataclass(frozen=True)
class Sentence:
    """One clickable span of the page: what was read from ``start`` to ``end`` (seconds in the MP3)."""

    text: str
    start: float
    end: float


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
    """Everything the template shows, taken from a manifest."""

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
    voice: str


def page_name(mp3: Path) -> str:
    """The file name of ``mp3``'s listen page (``DATE-TITLE.html`` for ``DATE-TITLE.mp3``)."""
    return mp3.with_suffix(".html").name


def write_page(
    mp3: Path,
    *,
    manifest: Path | Mapping[str, Any] | None = None,
    vtt: Path | None = None,
    out: Path | None = None,
) -> Path:
    """Write the listen page of ``mp3`` and return its path.

    ``manifest``: the narration's JSON manifest (default: ``mp3.with_suffix('.json')``), or the manifest
    itself as a mapping (``reader.narration.pipeline.manifest_dict(narration)``, for a narration written without
    sidecars). ``vtt``: its WebVTT subtitles (default: ``mp3.with_suffix('.vtt')`` if it exists; with a
    mapping manifest only an explicit ``vtt`` is used, since a VTT left beside the MP3 may be stale).
    ``out``: the page (default: ``mp3.with_suffix('.html')``); it links the MP3 and VTT relative to itself.
    The page is written atomically. ``PageError`` when the MP3 or the manifest is missing or the manifest is
    not a reader manifest; ``OutputError`` when the page cannot be written.
    """
    out = out if out is not None else mp3.with_suffix(".html")
    if not mp3.is_file():
        raise PageError(f"{mp3}: no such MP3, so no listen page")
    if isinstance(manifest, Mapping):
        data, where = manifest, "manifest"
    else:
        path = manifest if manifest is not None else mp3.with_suffix(".json")
        data, where = _read_manifest(path), str(path)
        if vtt is None and mp3.with_suffix(".vtt").is_file():
            vtt = mp3.with_suffix(".vtt")
    if vtt is not None and not vtt.is_file():
        log.warning("%s: no such VTT; the listen page will have no captions track", vtt)
        vtt = None
    page = parse_manifest(data, where)
    html = render_page(page, audio_href=_href(mp3, out), vtt_href=_href(vtt, out) if vtt else None,
                       storage_key=f"reader-position:{mp3.name}:{page.duration:.3f}")
    return write_atomic(out, html)


def render_page(page: PageData, *, audio_href: str, vtt_href: str | None, storage_key: str) -> str:
    """The page's HTML, as a string."""
    script = _script()
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return environment().get_template(_TEMPLATE).render(
        page=page,
        audio_href=audio_href,
        vtt_href=vtt_href,
        storage_key=storage_key,
        speeds=PAGE_SPEEDS,
        skip=PAGE_SKIP_SECONDS,
        script=Markup(script),  # our own static file, checked in _script()
        script_hash=f"sha256-{digest}",
    )


@cache
def environment() -> jinja2.Environment:
    """Jinja2 for reader's templates: autoescaping on, a ``clock`` filter; other pages may share it."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("reader.publish", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["clock"] = clock
    return env


@cache
def _script() -> str:
    text = (resources.files("reader.publish") / "templates" / _SCRIPT).read_text(encoding="utf-8")
    if "</script" in text.lower():
        raise AssertionError(f"{_SCRIPT} must not contain '</script'")  # it is inlined in a <script>
    return text


def _href(target: Path, page: Path) -> str:
    """A relative URL from the page's directory to ``target`` (percent-encoded: titles have spaces)."""
    rel = os.path.relpath(target.resolve(), page.resolve().parent)
    return quote(Path(rel).as_posix(), safe="/")


def _read_manifest(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise PageError(f"{path}: no manifest (narrate without --no-sidecars to write one)") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise PageError(f"{path}: cannot read the manifest ({exc})") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise PageError(f"{path}: not a reader manifest (invalid JSON: {exc})") from exc


# ---------------------------------------------------------------------------------------------------------
# Reading a manifest. Checked by hand rather than with a schema library: the page needs a dozen fields, and
# the messages say which one is wrong in the manifest's own terms (chunks[3].start).


def _get(obj: Any, key: str, kind: type | tuple[type, ...], where: str, *, optional: bool = False) -> Any:
    if not isinstance(obj, Mapping):
        raise PageError(f"{where}: not a reader manifest ({key.rsplit('.', 1)[0]} is not an object)")
    value = obj.get(key.rsplit(".", 1)[-1])
    if value is None and optional:
        return None
    number = kind in (float, (int, float))
    if not isinstance(value, kind) or isinstance(value, bool) or (number and value != value):
        raise PageError(f"{where}: not a reader manifest ({key} is missing or not {_kind_name(kind)})")
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", list: "a list", Mapping: "an object"}
    if isinstance(kind, tuple):
        return "a number"
    return names.get(kind, kind.__name__)


def parse_manifest(data: Any, where: str = "manifest") -> PageData:
    """Check a manifest (``reader.narration.pipeline.manifest_dict``'s shape) and turn it into what the page shows."""
    num = (int, float)
    if not isinstance(data, Mapping):
        raise PageError(f"{where}: not a reader manifest (not a JSON object)")
    article = _get(data, "article", Mapping, where)
    audio = _get(data, "audio", Mapping, where)
    duration = float(_get(audio, "audio.duration", num, where))
    title = _get(article, "article.title", str, where)
    meta = {k: _get(article, f"article.{k}", str, where, optional=True)
            for k in ("subtitle", "source", "date", "byline", "url")}
    if meta["url"] and not meta["url"].lower().startswith(("http://", "https://")):
        meta["url"] = None  # the page links it: never a javascript: or data: URL
    voice = (_get(data, "voice", Mapping, where, optional=True) or {}).get("preset")
    voice_name = voice if isinstance(voice, str) else ""

    sections: dict[int, Section] = {}
    for i, ch in enumerate(_get(data, "chapters", list, where)):
        at = f"chapters[{i}]"
        index = _get(ch, f"{at}.index", int, where)
        sections[index] = Section(index, _get(ch, f"{at}.title", str, where),
                                  float(_get(ch, f"{at}.start", num, where)),
                                  float(_get(ch, f"{at}.end", num, where)))

    chunks: list[_Chunk] = []
    for i, c in enumerate(_get(data, "chunks", list, where)):
        at = f"chunks[{i}]"
        chunk = _Chunk(
            text=_get(c, f"{at}.text", str, where),
            chapter=_get(c, f"{at}.chapter", int, where),
            paragraph=_get(c, f"{at}.paragraph", int, where),
            kind=_get(c, f"{at}.kind", str, where),
            pause_after=_get(c, f"{at}.pause_after", str, where),
            start=float(_get(c, f"{at}.start", num, where)),
            end=float(_get(c, f"{at}.end", num, where)),
        )
        if chunk.chapter not in sections:
            raise PageError(f"{where}: not a reader manifest ({at}.chapter {chunk.chapter} names no chapter)")
        if chunk.kind not in ("header", "heading", "body"):
            raise PageError(f"{where}: not a reader manifest ({at}.kind {chunk.kind!r} is unknown)")
        chunks.append(chunk)

    page = PageData(title=title, duration=duration, title_sentence=None, subtitle_sentence=None, credits=[],
                    sections=[sections[k] for k in sorted(sections)], voice=voice_name, **meta)
    _place_sentences(page, sections, chunks)
    return page


@dataclass(frozen=True)
class _Chunk:
    """The part of a manifest chunk the page uses."""

    text: str
    chapter: int
    paragraph: int
    kind: str
    pause_after: str
    start: float
    end: float

    @property
    def place(self) -> tuple[int, int, str]:
        return self.chapter, self.paragraph, self.kind


def _sentences(run: Sequence[_Chunk]) -> list[Sentence]:
    """Join one paragraph's chunks into sentences: a sentence ends at a chunk not followed by a clause pause.

    The same rule as ``reader.narration.pipeline.sentence_cues``, so the page's sentences are the VTT's cues (a test
    checks this on a real narration).
    """
    out: list[Sentence] = []
    pending: list[_Chunk] = []
    for chunk in run:
        pending.append(chunk)
        if chunk.pause_after != "clause" or chunk is run[-1]:
            text = "".join(c.text for c in pending)
            out.append(Sentence(text, pending[0].start, pending[-1].end))
            pending = []
    return out


def _place_sentences(page: PageData, sections: dict[int, Section], chunks: Sequence[_Chunk]) -> None:
    """Cut the chunks into runs of one paragraph (or heading, or header), and put their sentences in place."""
    runs: list[list[_Chunk]] = []
    for chunk in chunks:
        if runs and runs[-1][-1].place == chunk.place:
            runs[-1].append(chunk)
        else:
            runs.append([chunk])
    subtitle = page.subtitle.lstrip("—－- ") if page.subtitle else None
    for run in runs:
        chapter, _, kind = run[0].place
        section = sections[chapter]
        sentences = _sentences(run)
        if kind == "header":
            for s in sentences:
                if s.text == page.title and page.title_sentence is None:
                    page.title_sentence = s
                elif s.text == subtitle and page.subtitle_sentence is None:
                    page.subtitle_sentence = s
                else:
                    page.credits.append(s)
        elif kind == "heading":
            section.heading.extend(sentences)
        else:
            section.paragraphs.append(sentences)
