"""What a batch narrates: the articles named by its INPUT.

- a folder: every ``.html``/``.htm``/``.txt`` file under it (hidden files and folders, and the library
  itself when it lies inside, are left out), in a stable order;
- a file of URLs, one per line (``#`` comments and blank lines allowed): lines that are not well-formed
  http(s) URLs are reported and left out, duplicates are dropped;
- a list page (``--follow``, a URL or a saved HTML file): the article links on it (see ``article_links``),
  always http(s) URLs on the list page's site, never local files; ``Discovery.scope`` says where fetching
  them (and their redirects) may go (``reader.source.address``);
- anything else: that one article (a URL, an HTML or text file).

Only regular files are articles: named pipes, devices and sockets in a folder are reported and left out
(reading a pipe nobody writes to would hang the batch), and given as INPUT they are refused.

Only the names are collected (strings, not articles), so a batch of any size starts with a small list.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import lxml.html
from lxml import etree

from reader._clean import url_for_display
from reader._files import is_regular_file
from reader.errors import DecodeError, ExtractError, UsageError
from reader.i18n import _
from reader.models import Source
from reader.source.address import Scope, Site, host_of, parse_url, site_of
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
    """The articles found, and what was left out (one message per garbage line; a count of duplicates).

    ``scope``: where fetching the items may go when they are links found on a list page; None when the user
    named them (fetched as typed)."""

    items: list[str]
    ignored: list[str] = field(default_factory=list)
    duplicates: int = 0
    scope: Scope | None = None


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
        parse_url(spec)
        found = Discovery([spec])
    else:
        path = Path(spec)
        if path.is_dir():
            if exclude is not None and path.resolve().is_relative_to(exclude.resolve()):
                raise UsageError(_("{spec}: is the library itself (or inside it); give the folder of the articles").format(spec=spec))
            found = Discovery([])
            for name, regular in _walk(path, exclude):
                if regular:
                    found.items.append(name)
                else:
                    found.ignored.append(_("{name}: not a regular file (a named pipe, device or socket)").format(name=name))
            if not found.items:
                raise UsageError(_("{spec}: no .html, .htm or .txt files in this folder").format(spec=spec))
        elif path.exists():
            if not is_regular_file(path):
                raise UsageError(_("{spec}: not a regular file (a named pipe, device or socket)").format(spec=spec))
            found = _url_list(path) or Discovery([str(path.resolve())])
        else:
            raise UsageError(_("{spec}: no such file or folder").format(spec=spec))
    if limit is not None:
        found.items = found.items[:limit]
    return found


def _walk(root: Path, exclude: Path | None) -> Iterable[tuple[str, bool]]:
    """Each article file under ``root`` and whether it is a regular file."""
    skip = exclude.resolve() if exclude is not None else None

    def blocked(error: OSError) -> None:
        raise UsageError(_("{filename}: cannot read ({strerror})").format(filename=error.filename, strerror=error.strerror))

    for directory, dirs, files in os.walk(root.resolve(), onerror=blocked):
        here = Path(directory)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and (skip is None or here / d != skip))
        for name in sorted(files):
            if not name.startswith(".") and Path(name).suffix.lower() in ARTICLE_SUFFIXES:
                yield str(here / name), is_regular_file(here / name)


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
            found.ignored.append(_("{path}:{n}: not an http(s) URL: {url}").format(
                path=path, n=n, url=_short(url_for_display(line))))
            continue
        try:
            parse_url(line)
            url = urldefrag(line).url
        except (UsageError, ValueError):
            found.ignored.append(_("{path}:{n}: not a valid URL: {url}").format(
                path=path, n=n, url=_short(url_for_display(line))))
            continue
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
            raise UsageError(_("{url_for_display}: cannot fetch a list page here").format(url_for_display=url_for_display(spec)))
        parse_url(spec)
        source = fetch_page(spec)
        page_url = spec
    else:
        path = Path(spec)
        if path.is_dir():
            raise UsageError(_("{spec}: --follow takes a list page (a URL or an HTML file), not a folder").format(spec=spec))
        if path.exists() and not is_regular_file(path):
            raise UsageError(_("{spec}: not a regular file (a named pipe, device or socket)").format(spec=spec))
        source = read_file(path)
        page_url = path.resolve().as_uri()
    html = decode(source.data, source.charset, source.name).text
    shown = url_for_display(spec)
    try:
        links, site = links_and_site(html, page_url)
    except ExtractError as exc:
        raise UsageError(_("{shown}: {exc}").format(shown=shown, exc=exc)) from None
    if not links:
        raise UsageError(_("{shown}: no article links on this list page (http(s) links on its own site, with a title)").format(shown=shown))
    # Links of a list page whose URL the user typed may reach that same host, whatever its address; links
    # of a saved page (a file) never reach an internal address.
    trusted = host_of(spec) if is_url(spec) else None
    return Discovery(links, scope=Scope.followed(site, trusted or None))


def article_links(html: str, page_url: str) -> list[str]:
    """The article links of a list page, in page order, deduplicated (see ``links_and_site``)."""
    return links_and_site(html, page_url)[0]


#: A browser's mark of where a saved page came from: ``<!-- saved from url=(0046)https://… -->``.
_SAVED_FROM = re.compile(r"<!--\s*saved from url=\(\d+\)(https?://[^\s>]+?)\s*-->", re.IGNORECASE)


def links_and_site(html: str, page_url: str) -> tuple[list[str], Site | None]:
    """The article links of a list page, in page order, deduplicated, and the site they are on.

    Written here rather than taken from a library: the crawling libraries (scrapy's LinkExtractor,
    trafilatura's spider) bring frameworks or heuristics tuned for Western sites, and what is needed is
    small. A link counts when it is an http(s) URL on the list page's site (``reader.source.address.site_of``),
    is not the page itself, a fragment, a script or a file download, is not in the page's ``<nav>``,
    ``<header>`` or ``<footer>``, and its text or title has at least ``MIN_LINK_TEXT`` word characters
    (article titles do; menu items and pager numbers do not). Links are followed only over http(s), never to
    local files, and come without any ``user:password@``.

    The site: that of ``page_url`` when it is an http(s) URL (a ``<base href>`` only resolves relative links,
    it cannot send reader elsewhere). A saved page (``file:``) has no site of its own: its ``<base href>``
    says where it came from, or the browser's ``saved from url`` mark, or else the site most of its absolute
    links point to.
    """
    try:
        doc = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractError(_("not an HTML page ({exc})").format(exc=exc)) from None
    base = page_url
    for tag in doc.iter("base"):
        href = (tag.get("href") or "").strip()
        if href:
            try:
                base = urljoin(page_url, href)
            except ValueError:
                pass
            break
    saved = _SAVED_FROM.search(html[:4096])
    if site_of(page_url) is not None and page_url.lower().startswith(("http://", "https://")):
        site: Site | None = site_of(page_url)
    elif base.lower().startswith(("http://", "https://")):
        site = site_of(base)
    elif saved is not None:
        site = site_of(saved.group(1))
        base = saved.group(1)
    else:
        site = _most_linked_site(doc)
    page = urldefrag(page_url).url
    links: list[str] = []
    seen: set[str] = set()
    for anchor in doc.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        try:
            url = url_for_display(urldefrag(urljoin(base, href)).url)
            parts = urlsplit(url)
        except ValueError:  # a malformed href ("http://[::1")
            continue
        if parts.scheme.lower() not in ("http", "https") or site is None or site_of(url) != site:
            continue
        if parts.path in ("", "/") or url == page or url in seen:
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
    return links, site


def _most_linked_site(doc: lxml.html.HtmlElement) -> Site | None:
    """The site most absolute http(s) links of a saved page point to (the first one on a tie)."""
    counts: dict[Site, int] = {}
    for anchor in doc.iter("a"):
        href = (anchor.get("href") or "").strip()
        if href.lower().startswith(("http://", "https://")):
            site = site_of(href)
            if site is not None:
                counts[site] = counts.get(site, 0) + 1
    return max(counts, key=lambda s: counts[s]) if counts else None
