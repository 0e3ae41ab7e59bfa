"""File names for narrations: a template (``{date}-{title}`` by default) filled from the article, made safe.

The fields a template may use (``FIELDS``): ``{date}`` (2023-10-01), ``{year}``, ``{month}``, ``{day}``,
``{title}``, ``{source}`` (the publishing site, 万州区人民政府), ``{host}`` (the URL's host name), and
``{id}`` (eight hex digits: of the URL for a fetched article, of its text otherwise; stable across runs).
A field that is empty for an article (an undated notice has no ``{date}``) takes the separator next to it
with it, so ``{date}-{title}`` is ``TITLE`` for an undated article, never ``-TITLE``.

The rules that make a name safe, in order (``safe_filename``), so that what comes out is predictable:

1. full-width letters and digits become ASCII (``ＡＢＣ１２３`` → ``ABC123``); Chinese punctuation
   (，。：？《》「」) is kept, since every common file system accepts it and it keeps the title readable;
2. control, bidi and invisible format characters go (``reader._clean.filename``); the characters Windows
   forbids (``\\ / : * ? " < > |``) become ``_`` (a run of them one ``_``);
3. any run of white space (the ideographic space U+3000 and no-break spaces too) becomes one space;
4. spaces, dots, underscores and hyphens are stripped from both ends (no hidden ``.name`` files);
5. the name is cut to ``MAX_NAME_BYTES`` bytes of UTF-8 at a character boundary: file systems count bytes
   (255 at most), a Chinese character takes three, and a collision's `` (2)``, the suffix and the temporary
   names (``NAME.mp3.<8 hex>-<pid>.part``, twice over while a narration is written) must still fit;
6. a name Windows reserves for a device (``CON``, ``NUL``, ``COM1`` …) gets a ``_`` after it; an empty name
   is ``article``.

``ascii_names`` (``--ascii-names``) is for people who script around the files: Chinese becomes pinyin
without tones (pypinyin, which knows the readings of polyphones in words: 重庆 is chongqing), the syllables of
one word (rjieba, the segmenter's dictionary) run together and words are joined by ``-``, everything is
lowercase and only ``a-z 0-9 - .`` remain: ``2023-10-01-wanzhouqu-fabu-tongzhi``.
"""

from __future__ import annotations

import hashlib
import re
import string
import unicodedata
from urllib.parse import urlsplit

from reader import _clean
from reader.errors import UsageError, did_you_mean
from reader.i18n import _
from reader.models import Article

DEFAULT_TEMPLATE = "{date}-{title}"
FIELDS = ("date", "year", "month", "day", "title", "source", "host", "id")
MAX_NAME_BYTES = 180
_SEPARATORS = set(" -_.·,，、")
_FORBIDDEN = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}


def check_template(template: str) -> str:
    """``template`` if it is a usable name template; a ``UsageError`` naming what is wrong otherwise."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise UsageError(_("name template {template!r}: {exc} (write fields as {{title}})").format(
            template=template, exc=exc)) from exc
    fields = [field for _literal, field, _spec, _conversion in parts if field is not None]
    for _literal, field, spec, conversion in parts:
        if field is None:
            continue
        if field not in FIELDS:
            raise UsageError(_("name template {template!r}: unknown field {{{field}}}").format(
                template=template,
                                                                                             field=field)
                             + did_you_mean(field, FIELDS).replace("'", ""))
        if spec or conversion:
            raise UsageError(_("name template {template!r}: write {{{field}}} without a format "
                                "or conversion").format(template=template, field=field))
    if not {"title", "id"} & set(fields):
        raise UsageError(_("name template {template!r}: needs {{title}} or {{id}}, or every "
                            "article would get the same name").format(template=template))
    if "/" in template or "\\" in template:
        raise UsageError(_("name template {template!r}: a name, not a path (no / or \\)").format(
            template=template))
    return template


def article_id(article: Article) -> str:
    """Eight hex digits that stay the same for the same article: of its URL, or else of its text."""
    basis = article.url or "\n".join([article.title, *article.paragraphs()])
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:8]


def fields(article: Article) -> dict[str, str]:
    """Every template field's value for ``article`` (empty strings where the article has nothing)."""
    year, month, day = (article.date.split("-") + ["", "", ""])[:3] if article.date else ("", "", "")
    host = urlsplit(article.url).hostname or "" if article.url else ""
    return {"date": article.date or "", "year": year, "month": month, "day": day, "title": article.title,
            "source": article.source or "", "host": host, "id": article_id(article)}


def render(template: str, values: dict[str, str]) -> str:
    """``template`` filled with ``values``; an empty field drops the separator-only text next to it."""
    parts: list[tuple[str, bool]] = []  # (text, is a field)
    for literal, field, _spec, _conversion in string.Formatter().parse(template):
        if literal:
            parts.append((literal, False))
        if field is not None:
            parts.append((values.get(field, "").strip(), True))
    for i, (text, is_field) in enumerate(parts):
        if not is_field or text:
            continue
        before = i - 1 if i > 0 and not parts[i - 1][1] and set(parts[i - 1][0]) <= _SEPARATORS else None
        after = i + 1 if i + 1 < len(parts) and not parts[i + 1][1] and set(parts[i + 1][0]) <= _SEPARATORS \
            else None
        # Drop the separator before an empty field, unless the field is first: then the one after it.
        drop = before if before is not None and any(t for t, _ in parts[:before]) else after
        if drop is not None:
            parts[drop] = ("", False)
    return "".join(text for text, _ in parts)


def _fold_fullwidth(text: str) -> str:
    """Full-width ASCII letters and digits as ASCII; the ideographic space as a space; the rest as it is."""
    out = []
    for ch in text:
        if "\uff10" <= ch <= "\uff19" or "\uff21" <= ch <= "\uff3a" or "\uff41" <= ch <= "\uff5a":
            out.append(unicodedata.normalize("NFKC", ch))
        else:
            out.append(ch)
    return "".join(out)


def _cut_bytes(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", errors="ignore")


def safe_filename(text: str, limit: int = MAX_NAME_BYTES) -> str:
    """A file name (without suffix) that every common file system accepts; see the module's rules. It shows
    exactly the characters it is made of: no bidi controls or invisible format characters
    (``reader._clean.filename``)."""
    name = _fold_fullwidth(unicodedata.normalize("NFC", _clean.filename(text)))
    name = _FORBIDDEN.sub("_", name)
    name = re.sub(r"\s+", " ", name)
    name = re.sub(r"_+", "_", name).strip(" ._-")
    name = _cut_bytes(name, limit).rstrip(" ._-")
    if name.split(".")[0].lower() in _RESERVED:
        name += "_"
    return name or "article"


def ascii_filename(text: str, limit: int = MAX_NAME_BYTES) -> str:
    """``text`` as a lowercase pinyin slug of ``a-z 0-9 - .`` (see the module docstring)."""
    import rjieba
    from pypinyin import Style, lazy_pinyin

    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    words = []
    for word in rjieba.cut(text, hmm=False):
        if any("\u3400" <= ch <= "\u9fff" for ch in word):
            word = "".join(lazy_pinyin(word, style=Style.NORMAL, errors=lambda s: s))
        words.append(word)
    slug = " ".join(words).lower()
    slug = re.sub(r"[^a-z0-9.]+", "-", slug)
    slug = re.sub(r"-*\.-*", ".", slug)  # 3.5 stays 3.5, not 3-.-5
    slug = re.sub(r"-+", "-", slug).strip("-.")
    return slug[:limit].rstrip("-.") or "article"


def default_stem(article: Article, template: str = DEFAULT_TEMPLATE, *, ascii_names: bool = False) -> str:
    """The name of a narration's files without their suffix: ``template`` filled from ``article``, made safe."""
    stem = render(template, fields(article))
    return ascii_filename(stem) if ascii_names else safe_filename(stem)


def default_name(article: Article, suffix: str = ".mp3", template: str = DEFAULT_TEMPLATE, *,
                 ascii_names: bool = False) -> str:
    return default_stem(article, template, ascii_names=ascii_names) + suffix
