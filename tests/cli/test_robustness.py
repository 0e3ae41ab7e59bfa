"""Whatever bytes come in, ``extract`` returns an Article or raises a ReaderError: never another exception.

Property-based (hypothesis) on damaged real pages — truncated, shuffled, byte-mutated — and on random text and
bytes, plus a large page and a deeply nested one. Budgets are bounded so the file runs in well under a minute.
"""

from __future__ import annotations

import random

import pytest
from conftest import CORPUS, FIXTURES, SEED
from helpers.articles import padded_page
from hypothesis import HealthCheck, currently_in_test_context, event, given, settings
from hypothesis import strategies as st

from reader.errors import ReaderError
from reader.extraction.article import extract
from reader.models import Article, Source

PAGES_DIR = FIXTURES / "pages"
EXAMPLE = SEED
MAX_PAGE = 150_000  # larger corpus pages only slow the properties down


def _load_pages() -> list[bytes]:
    paths = sorted(PAGES_DIR.glob("*.html"))
    if CORPUS.is_dir():
        paths += sorted(p for p in CORPUS.glob("*/page.html") if p.stat().st_size <= MAX_PAGE)
    seen: set[bytes] = set()
    pages = []
    for path in paths:
        data = path.read_bytes()
        if data not in seen:
            seen.add(data)
            pages.append(data)
    return pages


def _load_dumps() -> list[bytes]:
    paths = [EXAMPLE, *sorted(PAGES_DIR.glob("*.expected.txt"))]
    if CORPUS.is_dir():
        paths += sorted(CORPUS.glob("*/expected.txt"))
    return [p.read_bytes() for p in paths if p.is_file()]


PAGES = _load_pages()
DUMPS = _load_dumps()
INPUTS = PAGES + DUMPS


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus not present: the properties ran on the fixtures only")
def test_the_corpus_is_among_the_inputs() -> None:
    assert len(PAGES) > len(list(PAGES_DIR.glob("*.html"))) and len(DUMPS) > 1 + len(list(PAGES_DIR.glob("*.expected.txt")))

KINDS = st.sampled_from(["auto", "html", "text"])
# What an HTTP header might claim, including wrong, unknown and non-text codecs.
CHARSETS = st.sampled_from([None, None, "utf-8", "gbk", "gb2312", "big5", "latin-1", "utf-16", "shift_jis",
                            "no-such-charset", "base64", "undefined"])

BUDGET = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
QUICK = settings(BUDGET, max_examples=100)


def _note(outcome: str) -> None:
    """Tally outcomes, shown by ``pytest --hypothesis-show-statistics``."""
    if currently_in_test_context():
        event(outcome)


def check(data: bytes, kind: str, charset: str | None = None) -> None:
    """The one property: an Article with a title and some text, or a one-line ReaderError."""
    source = Source(data=data, name="page.html", charset=charset, kind=kind)
    try:
        article = extract(source)
    except ReaderError as exc:
        _note(type(exc).__name__)
        message = str(exc)
        assert message.startswith("page.html: "), message
        assert "\n" not in message, message
        return
    _note("Article")
    assert isinstance(article, Article)
    assert isinstance(article.title, str) and article.title.strip()
    assert article.chapters
    assert any(chapter.paragraphs for chapter in article.chapters)
    for chapter in article.chapters:
        assert chapter.title is None or chapter.title.strip()
        assert all(isinstance(p, str) and p.strip() for p in chapter.paragraphs)
    article.to_dict()
    article.text()


# ---------------------------------------------------------------------------------------------------------
# Damaged real pages


# Where to cut, in thousandths of the page: hypothesis favours small integers, so also count from the end
# and from the middle, where the article text is.
_CUT = st.one_of(st.integers(0, 1000), st.integers(0, 1000).map(lambda k: 1000 - k), st.integers(250, 900))


@BUDGET
@given(st.sampled_from(INPUTS), KINDS, CHARSETS, _CUT, st.sampled_from([0, 0, 0, 1, 2, 3]))
def test_truncated_pages(page: bytes, kind: str, charset: str | None, cut: int, start: int) -> None:
    """Cut anywhere, also inside a multi-byte character, at the end (and a little at the start)."""
    check(page[start : len(page) * cut // 1000], kind, charset)


# Positions come from a seeded generator: uniform over the page (hypothesis's own integers favour the start).
SEEDS = st.integers(0, 2**32 - 1)


@BUDGET
@given(st.sampled_from(INPUTS), KINDS, st.integers(1, 40), SEEDS, st.booleans())
def test_shuffled_blocks_of_lines(page: bytes, kind: str, size: int, seed: int, drop: bool) -> None:
    rnd = random.Random(seed)
    lines = page.splitlines(keepends=True)
    blocks = [lines[i : i + size] for i in range(0, len(lines), size)]
    rnd.shuffle(blocks)
    if drop:
        blocks = [b for b in blocks if rnd.random() < 0.7]
    check(b"".join(line for block in blocks for line in block), kind)


@BUDGET
@given(st.sampled_from(INPUTS), KINDS, CHARSETS, st.integers(1, 40), SEEDS)
def test_byte_mutated_pages(page: bytes, kind: str, charset: str | None, count: int, seed: int) -> None:
    """Flip a bit, insert, delete or overwrite a byte (often with a NUL or a control byte), ``count`` times."""
    rnd = random.Random(seed)
    data = bytearray(page)
    for _ in range(count):
        op = rnd.choice(["flip", "insert", "delete", "overwrite"])
        value = rnd.choice([0, 1, 0x1B, 0x80, 0xFF, ord("<"), ord(">"), rnd.randrange(256)])
        i = rnd.randrange(len(data)) if data else 0
        if op == "insert" or not data:
            data.insert(i, value)
        elif op == "delete":
            del data[i]
        elif op == "flip":
            data[i] ^= 1 << rnd.randrange(8)
        else:
            data[i] = value
    check(bytes(data), kind, charset)


# ---------------------------------------------------------------------------------------------------------
# Random inputs

# Pieces of pages, so that random text reaches the extractor's branches, not only the decoder's refusals.
_TOKENS = [
    "<html>", "</html>", "<head>", "<body>", "</body>", "<title>", "</title>", "<h1>", "</h1>", "<h2>", "<p>",
    "</p>", "<div>", "</div>", '<div class="nav">', '<div style="display:none">', "<span>", "<b>", "</b>",
    "<strong>", "<br>", "<table><tr><td>", "</td></tr></table>", "<li>", "<a href='/x'>", "</a>", "<script>",
    "</script>", "<!--", "-->", "<figcaption>", '<meta charset="gbk">', '<meta name="pubdate" content="2022-01-28">',
    "&nbsp;", "&#x4e2d;", "&", "<", ">", "\n", "\r\n", " ", "\u3000", "\ufeff", "中国政府网", "万州区两江新区",
    "推进协作当样板", "这是一段正文，", "用来测试。", "万州区与两江新区签订协议，推进协作当样板。",
    "这是一段很长的正文，记录了两地对口协同发展的经过和成效。", "！", "？", "；", "——", "一、", "（二）", "第三章",
    "来源：万州时报", "日期:2022-01-28", "2022年1月28日", "记者 张三", "责任编辑：李四", "图为", "扫一扫在手机打开当前页面",
    "语音播报", "|", "展开全文", "（完）", "Copyright", "The quick brown fox, jumps over the lazy dog.",
]


@QUICK
@given(st.text(), KINDS, st.sampled_from(["utf-8", "gb18030", "utf-16"]))
def test_random_unicode(text: str, kind: str, codec: str) -> None:
    check(text.encode(codec, errors="surrogatepass" if codec != "gb18030" else "replace"), kind)


_PIECES = st.one_of(*[st.sampled_from(_TOKENS)] * 4, st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=5))


@QUICK
@given(st.lists(_PIECES, min_size=30, max_size=300), KINDS, CHARSETS)
def test_random_page_like_text(tokens: list[str], kind: str, charset: str | None) -> None:
    text = "".join(tokens)
    check(text.encode("utf-8", errors="surrogatepass"), kind, charset)
    check(text.encode("gb18030", errors="replace"), kind, charset)


@QUICK
@given(st.binary(max_size=4096), KINDS, CHARSETS)
def test_random_bytes(data: bytes, kind: str, charset: str | None) -> None:
    check(data, kind, charset)


@QUICK
@given(st.binary(max_size=64), st.sampled_from([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00"]))
def test_byte_order_marks(data: bytes, bom: bytes) -> None:
    for kind in ("auto", "html", "text"):
        check(bom + data, kind)


# ---------------------------------------------------------------------------------------------------------
# Size and depth


def test_five_megabyte_page_is_read() -> None:
    data = padded_page(5 * 1024 * 1024)
    assert len(data) >= 5 * 1024 * 1024
    article = extract(Source(data=data, name="big.html", kind="html"))  # its speed: benchmarks/extract_speed.py
    assert article.title.startswith("内蒙古延续部分到期税收优惠政策")
    paragraphs = article.paragraphs()
    assert len(paragraphs) == len(set(paragraphs))  # the repetitions are dropped, not read 1000 times
    assert any("自治区财政厅传出最新消息" in p for p in paragraphs)


_BODY = "这是一段正文，用来测试深层嵌套的页面能否被正确读取。" * 3


@pytest.mark.parametrize(("tag", "depth"), [("div", 2000), ("span", 1500), ("b", 1500), ("table", 1500)])
def test_deeply_nested_page(tag: str, depth: int) -> None:
    html = (
        f"<html><head><title>深层嵌套的测试页面标题</title></head><body>{f'<{tag}>' * depth}"
        f"{_BODY}{f'</{tag}>' * depth}</body></html>"
    )
    for kind in ("html", "auto"):
        check(html.encode("utf-8"), kind)


def test_deeply_nested_unclosed_tags() -> None:
    check(("<html><body>" + "<div><p><span>段落，" * 800 + _BODY).encode("utf-8"), "html")


def test_paragraphs_hold_no_newlines() -> None:
    html = "<html><head><title>标题：测试换行的页面</title></head><body><p>谷歌\n 在2014年收购了一家公司，这是一段正文。</p>"
    article = extract(Source(data=(html + "</body></html>").encode("utf-8"), name="nl.html", kind="html"))
    assert all("\n" not in p for p in article.paragraphs()), article.paragraphs()


def test_truncated_utf8_page_labelled_gb2312_is_not_mojibake() -> None:
    data = (PAGES_DIR / "039.html").read_bytes()
    cut = data.index("。".encode(), len(data) // 2) + 1  # one byte of the three of a full stop
    article = extract(Source(data=data[:cut], name="039.html", kind="html"))
    assert article.encoding == "utf-8"
    assert article.title.startswith("DeepMind新电脑")
