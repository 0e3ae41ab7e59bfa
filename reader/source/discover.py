"""What a batch narrates: the articles named by its INPUT.

- a folder: every ``.html``/``.htm``/``.txt`` file under it (hidden files and folders, and the library
  itself when it lies inside, are left out), in a stable order;
- a file of URLs, one per line (``#`` comments and blank lines allowed): lines that are not http(s) URLs
  are reported and left out, duplicates are dropped;
- a list page (``--follow``, a URL or a saved HTML file): the article links on it (see ``article_links``);
- anything else: that one article (a URL, an HTML or text file).

Only the names are collected (strings, not articles), so a batch of any size starts with a small list.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit
from urllib.request import url2pathname

import lxml.html
from lxml import etree

from reader.errors import DecodeError, ExtractError, UsageError
from reader.i18n import _
from reader.models import Source
from reader.source.decode import decode
from reader.source.fetch import is_url, read_file

ARTICLE_SUFFIXES = frozenset({".html", ".htm", ".txt"})
#: Links to these are files, not articles.
_ASSET_SUFFIXES = frozenset(
    ".jpg .jpeg .png .gif .webp .svg .bmp .ico .pdf .doc .docx .xls .xlsx .ppt .pptx .zip .rar .7z .gz "
    ".mp3 .mp4 .m4a .wav .avi .mov .flv .css .js .json .xml .rss .apk .exe".split()
)
#: An article link's text (or title) has at least this many word characters; "首页", "English",
#: "关于我们" and the page numbers of a pager have fewer.
MIN_LINK_TEXT = 6
#: How many lines of a file are looked at to tell a URL list from an article.
_SNIFF_LINES = 200


@dataclass
class Discovery:
    """The articles found, and what was left out (one message per garbage line; a count of duplicates)."""

    items: list[str]
    ignored: list[str] = field(default_factory=list)
    duplicates: int = 0


def discover(
    spec: str,
    *,
    follow: bool = False,
    limit: int | None = None,
    exclude: Path | None = None,
    fetch_page: Callable[[str], Source] | None = None,
) -> Discovery:
    """The articles of ``spec``; ``fetch_page`` reads a list page URL (``--follow``), politely."""
    if spec == "-":
        raise UsageError(_("a batch reads a folder, a file or a URL, not stdin"))
    if follow:
        found = _follow(spec, fetch_page)
    elif is_url(spec):
        scheme = urlsplit(spec).scheme.lower()
        if scheme not in ("http", "https"):
            raise UsageError(_("{spec}: unsupported scheme {scheme!r} (only http and https URLs "
                                "are fetched)").format(spec=spec, scheme=scheme))
        found = Discovery([spec])
    else:
        path = Path(spec)
        if path.is_dir():
            if exclude is not None and path.resolve().is_relative_to(exclude.resolve()):
                raise UsageError(_("{spec}: is the library itself (or inside it); give the "
                                    "folder of the articles").format(spec=spec))
            found = Discovery(list(_walk(path, exclude)))
            if not found.items:
                raise UsageError(_("{spec}: no .html, .htm or .txt files in this folder").format(spec=spec))
        elif path.exists():
            found = _url_list(path) or Discovery([str(path.resolve())])
        else:
            raise UsageError(_("{spec}: no such file or folder").format(spec=spec))
    if limit is not None:
        found.items = found.items[:limit]
    return found


def _walk(root: Path, exclude: Path | None) -> Iterable[str]:
    skip = exclude.resolve() if exclude is not None else None

    def blocked(error: OSError) -> None:
        raise UsageError(_("{filename}: cannot read ({strerror})").format(
            filename=error.filename, strerror=error.strerror))

    for directory, dirs, files in os.walk(root.resolve(), onerror=blocked):
        here = Path(directory)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and (skip is None or here / d != skip))
        for name in sorted(files):
            if not name.startswith(".") and Path(name).suffix.lower() in ARTICLE_SUFFIXES:
                yield str(here / name)


_URL_LINE = re.compile(r"^https?://[^\s/?#]+[^\s]*$", re.IGNORECASE)


def _url_list(path: Path) -> Discovery | None:
    """``path`` read as a list of URLs, or None when it is not one (most of its lines are not URLs)."""
    if path.suffix.lower() in (".html", ".htm"):
        return None
    source = read_file(path)
    try:
        text = decode(source.data, None, source.name).text
    except DecodeError:  # binary or empty: not a URL list; narrating it will say what is wrong
        return None
    lines = [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1)]
    lines = [(n, line) for n, line in lines if line and not line.startswith("#")]
    sample = lines[:_SNIFF_LINES]
    urls = sum(bool(_URL_LINE.match(line)) for _, line in sample)
    if not sample or urls * 2 < len(sample):
        return None
    found = Discovery([])
    seen: set[str] = set()
    for n, line in lines:
        if not _URL_LINE.match(line):
            found.ignored.append(f"{path}:{n}: not an http(s) URL: {_short(line)}")
            continue
        url = urldefrag(line).url
        if url in seen:
            found.duplicates += 1
            continue
        seen.add(url)
        found.items.append(url)
    return found


def _short(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _follow(spec: str, fetch_page: Callable[[str], Source] | None) -> Discovery:
    if is_url(spec):
        if fetch_page is None:
            raise UsageError(_("{spec}: cannot fetch a list page here").format(spec=spec))
        source = fetch_page(spec)
        base = source.url or spec
    else:
        path = Path(spec)
        if path.is_dir():
            raise UsageError(_("{spec}: --follow takes a list page (a URL or an HTML file), not "
                                "a folder").format(spec=spec))
        source = read_file(path)
        base = path.resolve().as_uri()
    html = decode(source.data, source.charset, source.name).text
    try:
        links = article_links(html, base)
    except ExtractError as exc:
        raise UsageError(_("{spec}: {exc}").format(spec=spec, exc=exc)) from None
    if not links:
        raise UsageError(_("{spec}: no article links on this list page (same site, with a title)").format(
            spec=spec))
    return Discovery([_as_spec(link) for link in links])


def _as_spec(url: str) -> str:
    """A link as a batch input: file: URLs (links of a saved list page) become paths."""
    parts = urlsplit(url)
    return url2pathname(unquote(parts.path)) if parts.scheme == "file" else url


def article_links(html: str, page_url: str) -> list[str]:
    """The article links of a list page, in page order, deduplicated.

    Written here rather than taken from a library: the crawling libraries (scrapy's LinkExtractor,
    trafilatura's spider) bring frameworks or heuristics tuned for Western sites, and what is needed is
    small. A link counts when it stays on the page's site (same scheme family and host, after ``<base>``),
    is not the page itself, a fragment, a script or a file download, is not in the page's ``<nav>``,
    ``<header>`` or ``<footer>``, and its text or title has at least ``MIN_LINK_TEXT`` word characters
    (article titles do; menu items and pager numbers do not).
    """
    try:
        doc = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractError(_("not an HTML page ({exc})").format(exc=exc)) from None
    base = page_url
    for tag in doc.iter("base"):
        href = (tag.get("href") or "").strip()
        if href:
            base = urljoin(page_url, href)
            break
    site = _site(base)
    page = urldefrag(page_url).url
    links: list[str] = []
    seen: set[str] = set()
    for anchor in doc.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        url = urldefrag(urljoin(base, href)).url
        parts = urlsplit(url)
        if _site(url) != site or parts.path in ("", "/") or url == page or url in seen:
            continue
        if Path(unquote(parts.path)).suffix.lower() in _ASSET_SUFFIXES:
            continue
        if any(a.tag in ("nav", "header", "footer") for a in anchor.iterancestors()):
            continue
        text = anchor.text_content().strip() or (anchor.get("title") or "")
        if len(re.findall(r"\w", text)) < MIN_LINK_TEXT:
            continue
        seen.add(url)
        links.append(url)
    return links


def _site(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    family = "http" if scheme in ("http", "https") else scheme
    return family, (parts.hostname or "").lower()
