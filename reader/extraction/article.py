"""Text or HTML → ``Article``: title, metadata, chapters of paragraphs, captions; the site's furniture dropped.

Two stages, shared by web pages and plain-text dumps:

1. **Blocks.** A web page is parsed with BeautifulSoup (its lxml tree builder: lxml's own parser silently
   truncates some malformed government pages, e.g. corpus 048, where BeautifulSoup's feed keeps going). The
   article's container is chosen among two candidates, readability-lxml's and our own text-density scorer's
   (readability misses some government layouts entirely), by the amount of sentence text each holds. The
   container is flattened into blocks: one per paragraph, with a hint when the markup says "heading"
   (``<h2>``…``<h6>``, a paragraph that is all bold). A text dump is split into lines, one block each.
2. **Lines.** Each block is classified — furniture, the repeated title, a metadata line (date, 来源, byline),
   the subtitle (a line opening with ——), an image caption, a section heading, or body text — and the body
   is grouped into chapters at the headings.

Why not one library: readability-lxml and trafilatura find the text block but know nothing of Chinese
government furniture (语音播报, 扫一扫在手机打开当前页面, 我要找政策…), of section headings as chapters, or of
the 来源/记者/通讯员 lines; each also fails badly on some page of the corpus (see
``benchmarks/extract_quality.py``). They remain useful as candidates, which is how readability is used here.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from bs4 import BeautifulSoup, Comment, NavigableString, Tag, XMLParsedAsHTMLWarning

from reader._clean import clean_article
from reader.errors import ExtractError
from reader.extraction import rules
from reader.i18n import _
from reader.models import Article, Chapter, Source
from reader.source.decode import decode

# readability logs a traceback whenever it gives up on a page; here that is one candidate failing, which
# the extractor handles, not something to print above the user's one-line error.
logging.getLogger("readability").addHandler(logging.NullHandler())
logging.getLogger("readability").setLevel(logging.CRITICAL)


def cjk_count(text: str) -> int:
    return len(rules.CJK.findall(text))


def _clean(text: str) -> str:
    """Tidy one line: NFC, no-break and ideographic spaces collapsed, and ASCII punctuation written between
    Chinese characters made full-width (``发展,是`` → ``发展，是``), as many dumps and CMSs lose it."""
    text = unicodedata.normalize("NFC", text).replace("\u00a0", " ").replace("\u200b", "").replace("\ufeff", "")
    text = re.sub(r"[ \t\r\n\f\v\u3000]+", " ", text).strip()
    return rules.HALF_PUNCT_NEAR_CJK.sub(lambda m: rules.HALF_TO_FULL[m.group(1) or m.group(2)], text)


def is_furniture(line: str) -> bool:
    if rules.FURNITURE.match(line):
        return True
    if line.count("|") + line.count("｜") >= 2 and all(len(p.strip()) <= 16 for p in re.split(r"[|｜]", line)):
        return True  # a bar of site links: 中国政府网 | 重庆市人民政府网 | …
    return not rules.WORDCHAR.search(line)  # only punctuation or symbols


def parse_date(text: str) -> str | None:
    for m in rules.DATE.finditer(text):
        y, mo, d = (int(g) for g in m.groups())
        if 1 <= mo <= 12 and 1 <= d <= 31:
            return f"{y:04d}-{mo:02d}-{d:02d}"
    return None


def _sentence_like(line: str) -> bool:
    """Running text rather than a label: Chinese with clause punctuation, or a sentence of Latin words."""
    if cjk_count(line) >= 8:
        return bool(re.search(r"[。！？；，]", line))
    return len(line.split()) >= 8 and bool(re.search(r"[.!?,;]", line))


# ---------------------------------------------------------------------------------------------------------
# Blocks


@dataclass
class Block:
    text: str
    heading: bool = False  # the markup says this is a heading
    caption: bool = False  # the markup says this is an image caption


@dataclass
class _Meta:
    title: str | None = None
    date: str | None = None
    source: str | None = None
    byline: str | None = None
    subtitle: str | None = None
    header_lines: list[str] = field(default_factory=list)


def _is_junk_container(tag: Tag) -> bool:
    attrs = " ".join([str(tag.get("id") or "")] + [str(c) for c in tag.get_attribute_list("class") if c])
    if not attrs.strip():
        return False
    if not rules.JUNK_CLASSES.search(attrs):
        return False
    # A container that holds real sentences is not furniture, whatever its class says.
    return sum(cjk_count(s) for s in tag.find_all(string=True)) < 200 or _link_density(tag) > 0.5


def _link_density(tag: Tag) -> float:
    total = len(tag.get_text())
    links = sum(len(a.get_text()) for a in tag.find_all("a"))
    return links / total if total else 0.0


def _hidden(tag: Tag) -> bool:
    style = str(tag.get("style") or "").replace(" ", "").lower()
    return "display:none" in style or tag.has_attr("hidden")


def parse_html(html: str) -> BeautifulSoup:
    with warnings.catch_warnings():  # XHTML is read as HTML on purpose: bs4's 7-line advice is not for users
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(html, "lxml")
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    return soup


def _strip_furniture(root: Tag) -> None:
    for tag in root.find_all(rules.DROP_TAGS):
        tag.decompose()
    for tag in list(root.find_all(True)):
        # Not ``tag.decomposed``: on a live tag that property falls through bs4's __getattr__ into a search
        # of the whole subtree, which makes this loop quadratic in the nesting depth.
        if tag.__dict__.get("_decomposed", False) or tag.name in ("html", "body"):
            continue
        if _hidden(tag) and cjk_count(tag.get_text()) < 400:
            tag.decompose()
        elif tag.name in ("div", "ul", "ol", "section", "header", "table", "span", "p", "dl", "td") and (
            _is_junk_container(tag)
        ):
            tag.decompose()


def blocks_of(root: Tag) -> list[Block]:
    """Flatten an element into paragraph blocks, in document order."""
    out: list[Block] = []
    buf: list[str] = []
    flags = {"heading": False, "caption": False}

    def flush() -> None:
        text = _clean("".join(buf))
        buf.clear()
        if text:
            out.append(Block(text, heading=flags["heading"], caption=flags["caption"]))

    def walk(node: Tag, heading: bool, caption: bool) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                buf.append(str(child))
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name
            if name in rules.NOT_TEXT:
                continue
            if name == "img":
                alt = str(child.get("alt") or "").strip()
                del alt  # alt texts are file names as often as captions: not read
                continue
            if name in rules.BLOCK_TAGS:
                flush()
                is_heading = heading or name in rules.HEADING_TAGS or (name == "p" and _all_bold(child))
                is_caption = caption or name == "figcaption"
                flags["heading"], flags["caption"] = is_heading, is_caption
                walk(child, is_heading, is_caption)
                flush()
                flags["heading"], flags["caption"] = heading, caption
            else:
                walk(child, heading, caption)

    walk(root, False, False)
    flush()
    return out


def _all_bold(tag: Tag) -> bool:
    text = tag.get_text().strip()
    if not text or len(text) > 60:
        return False
    bold = "".join(b.get_text() for b in tag.find_all(["strong", "b"]) if not b.find_parent(["strong", "b"]))
    return len(bold.strip()) >= len(text) * 0.9


def _score_container(soup: BeautifulSoup) -> Tag | None:
    """Our own candidate: the element whose paragraphs hold the most sentence text (readability's idea,
    scored on Chinese punctuation and characters rather than English commas)."""
    scores: dict[int, float] = {}
    tags: dict[int, Tag] = {}
    for node in soup.find_all(string=True):
        text = str(node).strip()
        n = cjk_count(text)
        if n < 10 or node.find_parent("a") is not None:
            continue
        parent = node.parent
        while parent is not None and parent.name not in ("p", "div", "td", "section", "article", "li", "body"):
            parent = parent.parent
        if parent is None:
            continue
        points = 1 + len(re.findall(r"[，。！？；、]", text)) + min(n / 50, 3)
        level: Tag | None = parent
        for weight in (1.0, 0.5, 0.25):
            if level is None or level.name in ("html", "[document]"):
                break
            scores[id(level)] = scores.get(id(level), 0.0) + points * weight
            tags[id(level)] = level
            level = level.parent
    if not scores:
        return None
    best = max(scores, key=lambda k: scores[k] * (1 - min(_link_density(tags[k]), 0.9)))
    return tags[best]


def _readability_container(html: str) -> Tag | None:
    try:
        from readability import Document

        summary = Document(html).summary(html_partial=True)
    except Exception:  # readability raises bare Exceptions on odd pages; it is only one candidate
        return None
    return BeautifulSoup(summary, "lxml").body


def _sentence_chars(blocks: Iterable[Block]) -> int:
    return sum(cjk_count(b.text) for b in blocks if _sentence_like(b.text) and not is_furniture(b.text))


def html_meta(soup: BeautifulSoup) -> _Meta:
    meta = _Meta()
    metas: dict[str, str] = {}
    for m in soup.find_all("meta"):
        key = str(m.get("name") or m.get("property") or m.get("itemprop") or "").lower()
        if key and m.get("content"):
            metas.setdefault(key, str(m.get("content")).strip())
    headings = [_clean(h.get_text()) for h in soup.find_all(["h1", "h2", "h3"], limit=40)]
    page_title = _clean(soup.title.get_text()) if soup.title else ""
    if not page_title:
        # Archived corpora (SogouCS and the like) wrap each page in <doc>/<text title="…">.
        wrapper = soup.find(["text", "doc"], attrs={"title": True})
        page_title = _clean(str(wrapper.get("title"))) if wrapper is not None else ""
    og = metas.get("og:title") or metas.get("articletitle") or metas.get("title") or ""
    meta.title = _choose_title(headings, og, page_title)
    for key in ("pubdate", "publishdate", "publish_date", "article:published_time", "og:release_date",
                "dcterms.date", "dc.date", "firstpublishedtime", "publishtime", "datepublished", "date"):
        if key in metas and (d := parse_date(metas[key])):
            meta.date = d
            break
    meta.subtitle = _marked_text(soup, rules.SUBTITLE_ATTR, meta.title)
    if not meta.date:
        dated = _marked_text(soup, rules.DATE_ATTR, None, parse=parse_date)
        meta.date = parse_date(dated) if dated else None
    for key in ("contentsource", "source", "article:source", "og:article:source"):
        value = re.sub(r"^(?:来源|稿源|信息来源|出处)\s*[:：]\s*|\s*原创稿$", "", metas.get(key, "")).strip()
        if value and cjk_count(value) and len(value) <= 30:
            meta.source = value
            break
    for key in ("author", "article:author"):
        value = metas.get(key, "")
        if value and cjk_count(value) and len(value) <= 20 and "网" not in value:
            meta.byline = value
            break
    return meta


def _marked_text(soup: BeautifulSoup, marker: re.Pattern[str], title: str | None,
                 parse: Callable[[str], object] | None = None) -> str | None:
    """The text of the first short element whose id or class matches ``marker`` (and, with ``parse``, whose
    text ``parse`` accepts); never the title itself."""
    for tag in soup.find_all(True, limit=20000):
        attrs = " ".join([str(tag.get("id") or "")] + [str(c) for c in tag.get_attribute_list("class") if c])
        if not attrs.strip() or not marker.search(attrs) or tag.name in ("html", "body", "script", "style"):
            continue
        text = _clean(tag.get_text(" "))
        if not text or len(text) > 60 or (title and _same(text, title)) or is_furniture(text):
            continue
        if parse is None and cjk_count(text) < 4:
            continue
        if parse is not None and not parse(text):
            continue
        return text
    return None


def strip_site(title: str) -> str:
    """A page title without the site and channel names around it:
    ``千龙网--汽车--广汽回应现代合资内幕`` → ``广汽回应现代合资内幕``, ``土豆不“土” 松花江网`` → ``土豆不“土”``,
    but ``书记市长这一周 | 奋马扬鞭争春色，“虎”力全开向未来`` stays whole (neither part names a site)."""
    parts = [p for p in rules.TITLE_PARTS.split(title.strip()) if p]
    while parts and rules.TITLE_PARTS.fullmatch(parts[-1]):
        parts.pop()
    while parts and rules.TITLE_PARTS.fullmatch(parts[0]):
        parts.pop(0)
    # parts alternate text, separator, text …; drop site-like texts (and their separators) at either end.
    while len(parts) >= 3 and rules.SITE_PART.search(parts[-1].strip(" :")):
        parts = parts[:-2]
    while len(parts) >= 3 and rules.SITE_PART.search(parts[0].strip(" :")):
        parts = parts[2:]
    core = "".join(parts).strip(" :")
    # "标题 松花江网": a site name after a plain space.
    core = re.sub(r"(?<=\S)\s+\S{2,12}(?:网|网站)$", "", core)
    return core


def _choose_title(headings: list[str], og: str, page_title: str) -> str | None:
    """The headline: the longest heading (h1-h3) that the page title or og:title also carries, without their
    site names (so that neither a site-name h1 nor a column label wins over the article's own heading)."""
    cores = [c for c in (strip_site(page_title), strip_site(og)) if c]
    core_key = "".join(re.sub(r"\W", "", c) for c in cores)
    candidates = [
        h for h in headings
        if len(re.sub(r"\W", "", h)) >= 4 and re.sub(r"\W", "", h) in core_key and not is_furniture(h)
    ]
    if candidates:
        return max(candidates, key=lambda h: len(re.sub(r"\W", "", h)))
    if og and len(og) >= 4:
        return strip_site(og)
    for h in headings[:3]:
        if cjk_count(h) >= 6 and not is_furniture(h):
            return h
    return strip_site(page_title) or page_title or None


# ---------------------------------------------------------------------------------------------------------
# Lines → Article


def _same(a: str, b: str) -> bool:
    ka, kb = re.sub(r"\W", "", a), re.sub(r"\W", "", b)
    return bool(ka) and ka == kb


def _meta_line(line: str, meta: _Meta) -> bool:
    """Read date/source/byline off a metadata line; true when the line is nothing but metadata."""
    if len(line) > 80 or rules.SENTENCE_END.search(line) and len(line) > 30:
        return False
    labelled = bool(rules.META_LABEL.search(line))
    date = parse_date(line)
    bare_date = date is not None and cjk_count(rules.DATE.sub("", line)) <= 6
    if not (labelled or bare_date):
        return False
    if date and not meta.date:
        meta.date = date
    if (m := rules.SOURCE.search(line)) and not meta.source:
        meta.source = m.group(1).strip()
    if (m := re.search(r"作者\s*[:：]\s*([^\s|｜]{2,20})", line)) and not meta.byline:
        meta.byline = m.group(1)
    return True


def _byline(line: str) -> bool:
    if len(line) > 50 or rules.SENTENCE_END.search(line) or "，" in line:
        return False
    return bool(rules.BYLINE_LEAD.search(line) or (rules.BYLINE_ANY.search(line) and cjk_count(line) <= 24))


def _heading(block: Block, prev_is_text: bool, next_block: Block | None) -> bool:
    text = block.text
    if (rules.SENTENCE_END.search(text) or text.endswith(("：", ":", "，", ",", "；", ";", "、"))
            or not cjk_count(text) or rules.ATTRIBUTION.match(text)):
        return False  # a sentence, a verse line (…好名者得华；), an attribution (——（宋）陆游)
    if next_block is None or next_block.heading:
        return False
    marked = block.heading or bool(rules.LIST_HEADING.match(text))
    # Text follows a heading; when the markup says "heading", a short sentence will do (企业并不好干。).
    if not (_sentence_like(next_block.text) or (marked and rules.SENTENCE_END.search(next_block.text))):
        return False
    if marked:
        return len(text) <= 50
    # Inferred from shape alone: short, between paragraphs, and not a "label：value" line (地 点：…201).
    return prev_is_text and 4 <= len(text) <= 26 and not re.match(r"^[^:：]{1,5}[:：]", text)


def _contact_block(paragraphs: list[str]) -> bool:
    """The text ends with contact details introduced by the article itself (…联系方式：, then 电话：…)."""
    tail = paragraphs[-6:]
    if not any(rules.CONTACT.match(p) for p in tail):
        return False
    return any(re.search(r"(?:联系方式|联系人|联系电话|咨询电话)[^。]*[:：]$", p) for p in paragraphs[-8:])


def _repeatable_label(line: str) -> bool:
    """A short "label：value" line that an article may well repeat (地 点：经济学院201, in each session of an
    agenda); metadata labels (来源：…) are not among them."""
    return len(line) <= 30 and bool(re.match(r"^[^:：]{1,8}[:：]", line)) and not rules.META_LABEL.search(line)


def build_article(blocks: list[Block], meta: _Meta, *, url: str | None, encoding: str, text_dump: bool) -> Article:
    """Classify blocks and group the body into chapters."""
    blocks = [b for b in blocks if b.text]
    title = clean_title(meta.title or "")
    start = 0
    if text_dump:
        found, start = _text_title(blocks)
        title = clean_title(found or "")  # none: an untitled text (a notice pasted on stdin), named below
    elif not title:
        raise ExtractError(_("no article title found"))
    subtitle: str | None = meta.subtitle
    captions: list[str] = []
    chapters: list[Chapter] = [Chapter(None, [])]
    body_seen = False
    prev_is_text = True
    seen: set[str] = set()
    for i in range(start, len(blocks)):
        block = blocks[i]
        line = rules.POINTER_TAIL.sub("", block.text).rstrip()  # "…冲锋号。（详情请点击链接：" (link text dropped)
        if not line or rules.POINTER_LINE.match(line):
            continue  # a line that only points elsewhere: 点击链接, 详见附件, 扫码关注, 原标题：…, 附件：x.doc
        if len(line) >= 10 and not _repeatable_label(line):
            # Pages often carry the text twice (a print or mobile copy); a repeated paragraph is never news.
            if line in seen:
                continue
            seen.add(line)
        nxt = next((b for b in blocks[i + 1 :] if not is_furniture(b.text)), None)
        # A heading's text may come after an attribution line: 《冬夜读书示子聿》, ——（宋）陆游, then the poem.
        after = next((b for b in blocks[i + 1 :] if not is_furniture(b.text) and not rules.ATTRIBUTION.match(b.text)),
                     None)
        if is_furniture(line) or rules.EDITOR.match(line):
            continue
        if title and (_same(line, title) or (not body_seen and title.replace(" ", "") == line.replace(" ", ""))):
            continue
        if not body_seen and _meta_line(line, meta):
            continue
        if body_seen and _source_line(line, meta):
            continue  # 来源：… after the text: metadata, already in the header
        if subtitle is not None and not body_seen and _same(line, subtitle):
            continue
        if subtitle is None and not body_seen and re.match(r"^(?:——|—|--|－－)", line):
            subtitle = line
            continue
        if block.caption or (rules.CAPTION.match(line) and (len(line) < 120 or line.startswith(("①", "图")))) or (
            len(line) < 160 and rules.CAPTION_CREDIT.search(line)
        ):
            captions.append(line)
            continue
        if _byline(line):
            if not meta.byline:
                meta.byline = line.lstrip("□■●◆·• ")
            dateline = bool(re.search(r"(?:发自\S{1,8}|报道|电)$", line))  # 本报记者某某发自北京
            if not body_seen or dateline or nxt is None or not _sentence_like(nxt.text):
                continue
        if body_seen and _heading(block, prev_is_text, after):
            chapters.append(Chapter(clean_title(line), []))
            prev_is_text = False
            continue
        if not body_seen and not _sentence_like(line) and (nxt is None or _heading(Block(line), True, nxt)):
            if block.heading or rules.LIST_HEADING.match(line):
                chapters.append(Chapter(clean_title(line), []))
                prev_is_text = False
                continue
        if not body_seen and not _sentence_like(line) and cjk_count(line) < 8 and not text_dump:
            continue  # stray labels before the text starts
        chapters[-1].paragraphs.append(line)
        body_seen = True
        prev_is_text = True
    # A few short non-sentence lines after the last sentence (link lists, labels) are furniture; an
    # article's own contact lines at its end (联系人, 电话：…, 邮箱：…) are not.
    trimmed = 0
    for chapter in reversed(chapters):
        while (
            chapter.paragraphs
            and trimmed < 6
            and not rules.SENTENCE_END.search(chapter.paragraphs[-1])
            and cjk_count(chapter.paragraphs[-1]) < 20
            and not _sentence_like(chapter.paragraphs[-1])
            and not _contact_block(chapter.paragraphs)
        ):
            chapter.paragraphs.pop()
            trimmed += 1
        if chapter.paragraphs:
            break
    chapters = [c for c in chapters if c.paragraphs]
    if not chapters or sum(cjk_count(p) + len(p.split()) for c in chapters for p in c.paragraphs) < 10:
        raise ExtractError(_("no article text found"))
    if not title:
        title = untitled_title(chapters[0].paragraphs[0])
    return Article(
        title=title,
        subtitle=subtitle,
        date=meta.date,
        source=meta.source,
        byline=meta.byline,
        url=url,
        encoding=encoding,
        captions=captions,
        chapters=chapters,
    )


def clean_title(title: str) -> str:
    """A title never starts or ends with a separator left by the site's ``<title>`` ("…的决议_"), and says
    nothing of the page's pictures or videos ("…当嫁妆（图）"): a listener has none."""
    title = rules.TITLE_MEDIA_NOTE.sub("", title) or title
    return rules.TITLE_LEADING_SEPARATORS.sub("", rules.TITLE_TRAILING_SEPARATORS.sub("", title))


def untitled_title(text: str) -> str:
    """A name for an untitled text: its opening clause, at most ``UNTITLED_TITLE_CHARS`` characters."""
    limit = rules.UNTITLED_TITLE_CHARS
    head = rules.CLAUSE_END.split(text, maxsplit=1)[0].strip()
    if head and len(head) <= limit:
        return head
    return (head or text)[: limit - 1].rstrip() + "…"


def _source_line(line: str, meta: _Meta) -> bool:
    """A short line that is nothing but the source (来源：新华社), wherever it stands."""
    m = rules.SOURCE.search(line)
    if m is None or len(line) > 40 or rules.SENTENCE_END.search(line) or "，" in line:
        return False
    if cjk_count(rules.SOURCE.sub("", line)) > 4:
        return False
    if not meta.source:
        meta.source = m.group(1).strip()
    return True


def _text_title(blocks: list[Block]) -> tuple[str | None, int]:
    """The title of a plain-text dump and the index where its article starts.

    Saved pages repeat the title (once in the page header, once above the text), and the metadata line
    (日期/来源) sits right below it. Failing both, the first line that is neither furniture nor a menu item.
    """
    lines = [b.text for b in blocks]
    keys = [re.sub(r"\W", "", line) for line in lines]
    for i, line in enumerate(lines[:60]):
        if is_furniture(line) or _sentence_like(line) and rules.SENTENCE_END.search(line):
            continue
        if len(keys[i]) >= 4 and keys[i] in keys[i + 1 : i + 30]:
            return line, i
        if i + 1 < len(lines) and _meta_line(lines[i + 1], _Meta()) and cjk_count(line) >= 1:
            return line, i
    for i, line in enumerate(lines):
        if _sentence_like(line) and rules.SENTENCE_END.search(line):
            break  # the text starts with a sentence: it has no title
        if is_furniture(line) and not len(line.split()) >= 3:
            continue
        # A short title (公告, 通知) is a title when what follows it is text.
        if (0 < cjk_count(line) < 4 and not rules.SENTENCE_END.search(line) and i + 1 < len(lines)
                and _sentence_like(lines[i + 1]) and not _meta_line(line, _Meta())):
            return line, i
        if cjk_count(line) >= 4 or len(line.split()) >= 3:
            return line, i
    return None, 0


# ---------------------------------------------------------------------------------------------------------
# Entry points


def looks_like_html(text: str) -> bool:
    head = text[:4096].lower()
    return bool(re.search(r"<(?:!doctype html|html|head|body|meta|title|div|p|table)[\s>]", head))


def extract_text(text: str, *, url: str | None = None, encoding: str = "utf-8") -> Article:
    """A plain-text dump of a page (one paragraph per line) → Article."""
    blocks = [Block(_clean(line)) for line in text.splitlines()]
    return build_article([b for b in blocks if b.text], _Meta(), url=url, encoding=encoding, text_dump=True)


def extract_given_text(text: str, *, url: str | None = None, encoding: str = "utf-8") -> Article:
    """Text the user typed (``--text``) or piped: always the article, however short.

    Read like a dump first (a pasted page keeps its title and loses its furniture); when that finds no
    article (a one-line notice: 明天上午八点停水。), every line that has a word in it is the text."""
    try:
        return extract_text(text, url=url, encoding=encoding)
    except ExtractError:
        paragraphs = [line for line in (_clean(raw) for raw in text.splitlines()) if rules.WORDCHAR.search(line)]
        if not paragraphs:
            raise
    return Article(title=untitled_title(paragraphs[0]), chapters=[Chapter(None, paragraphs)], url=url,
                   encoding=encoding)


def extract_html(html: str, *, url: str | None = None, encoding: str = "utf-8") -> Article:
    """An HTML page → Article."""
    soup = parse_html(html)
    meta = html_meta(soup)
    header = _header_lines(soup, meta.title)
    scratch = _Meta()
    for line in header:
        _meta_line(line, scratch)
    meta.date = meta.date or scratch.date
    meta.source = meta.source or scratch.source
    meta.byline = meta.byline or scratch.byline
    cleaned = str(soup)
    candidates: list[list[Block]] = []
    readable = _readability_container(cleaned)
    if readable is not None:
        _strip_furniture(readable)
        candidates.append(blocks_of(readable))
    body = soup.body or soup
    _strip_furniture(body)
    own = _score_container(soup)
    if own is not None:
        candidates.append(blocks_of(own))
    candidates = [c for c in candidates if c]
    if not candidates:
        raise ExtractError(_("no article text found"))
    # Prefer readability's choice unless ours holds clearly more sentence text.
    best = max(candidates, key=lambda c: _sentence_chars(c) * (1.0 if c is candidates[0] else 0.8))
    if meta.title is None:
        meta.title = best[0].text if best else None
    if not meta.date:
        meta.date = parse_date(" ".join(b.text for b in best[:6]))
    return build_article(best, meta, url=url, encoding=encoding, text_dump=False)


def _header_lines(soup: BeautifulSoup, title: str | None) -> list[str]:
    """The lines just below the title in the whole page: where 日期 and 来源 usually are. Lines are blocks,
    so that ``来源：<a>新华网</a>`` stays one line."""
    lines = [b.text for b in blocks_of(soup.body or soup)]
    if not title:
        return lines[:40]
    key = re.sub(r"\W", "", title)
    for i, line in enumerate(lines):
        if key and re.sub(r"\W", "", line) == key:
            return lines[i + 1 : i + 12]
    return lines[:40]


def extract(source: Source) -> Article:
    """Decode a fetched source and extract its article."""
    decoded = decode(source.data, source.charset, source.name)
    text = decoded.text
    try:
        # Control characters, lone surrogates and credentials never leave extraction (reader._clean).
        if source.kind == "html" or (source.kind == "auto" and looks_like_html(text)):
            return clean_article(extract_html(text, url=source.url, encoding=decoded.encoding))
        if source.name in ("<text>", "<stdin>"):  # typed (--text) or piped: the user's own words, not a .txt file
            return clean_article(extract_given_text(text, url=source.url, encoding=decoded.encoding))
        return clean_article(extract_text(text, url=source.url, encoding=decoded.encoding))
    except ExtractError as exc:
        raise ExtractError(_("{name}: {exc}").format(name=source.name, exc=exc)) from None
    except RecursionError as exc:
        raise ExtractError(_("{name}: the page is nested too deeply to read").format(
            name=source.name)) from exc
