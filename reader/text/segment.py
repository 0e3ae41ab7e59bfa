"""Article → speakable chunks: chapters → paragraphs → sentences → clauses, each within a backend's limit.

Sentences end at 。！？；… (closing quotes and brackets stay with their sentence). A sentence longer than the
limit is cut at ，、：, then at spaces, never inside a number, a Latin word, a 《title》 or a “quotation”
unless that span alone is too long; a clause with no punctuation at all is cut between words (jieba's
dictionary, through rjieba).
The limit applies to the *spoken* form (``二零二一年`` is longer than ``2021年``). Chunks with nothing
speakable in them (lone punctuation, ……) are never produced.

A sentence longer than ``MAX_SENTENCE_CHARS`` (a page that never punctuates: 5,000 characters in one run) is
first cut the same way into runs of at most that many characters, each ending like a sentence (a sentence
pause), so that no subtitle cue, listen-page sentence or player line grows to minutes.

A narration that is heard while it is made (``reader play``) starts with a short chunk (``short_first``): the
first sentence cut after its first clauses, so the first sound waits for one short synthesis only.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterator
from dataclasses import replace

from reader.errors import SegmentError
from reader.i18n import _
from reader.models import Article, Chunk, Pause

_SENTENCE = re.compile(r".*?(?:[。！？!?；;]+|…{1,2}|\.{3,})[”’」』）)\]】\"']*|.+$", re.S)
_CLAUSE_CUT = re.compile(r"(?<=[，、：,:])")
# Spans never cut: numbers (with their decimal points, separators, units), Latin words, 《…》 and “…”.
_PROTECTED = re.compile(r"《[^《》]*》|“[^“”]*”|「[^「」]*」|[0-9０-９][0-9０-９.,:：/\-—%％]*[0-9０-９%％]?|[A-Za-z][A-Za-z0-9'.&-]*")
_SPEAKABLE = re.compile(r"[\u3400-\u9fffA-Za-z0-9\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")

Normalizer = Callable[[str], str]
#: The longest sentence kept whole (characters of the written text): about 40 s of speech.
MAX_SENTENCE_CHARS = 200
#: ``short_first``: the first chunk of a streamed narration, when it is longer, is cut after its first clauses
#: to at most this many spoken characters (about 3 s of speech) ...
FIRST_CHUNK_CHARS = 20
#: ... and at least this many: shorter inputs sound worse (Kokoro chooses its style vector by token count),
#: and a call's fixed cost (the model's own leading and trailing silence) makes them hardly faster.
MIN_FIRST_CHUNK_CHARS = 6
_FIRST_CUT = re.compile(r"(?<=[，、：；,:;])")


def split_sentences(paragraph: str) -> list[str]:
    """Cut a paragraph after sentence-final punctuation, keeping the punctuation."""
    return [s.strip() for s in _SENTENCE.findall(paragraph) if s.strip()]


def _protected_spans(text: str, fits: Callable[[str], bool]) -> list[tuple[int, int]]:
    """Numbers, Latin words, 《titles》 and “quotations” that fit in one chunk: never cut inside those. A span
    that does not fit is cut like any other text (at its own commas first), not by characters."""
    return [m.span() for m in _PROTECTED.finditer(text) if fits(m.group())]


def _inside(spans: list[tuple[int, int]], starts: list[int], pos: int) -> bool:
    """Whether ``pos`` lies strictly inside one of ``spans`` (sorted, not overlapping; ``starts`` their
    starts): a binary search, so that text with thousands of numbers is not checked span by span."""
    k = bisect_left(starts, pos) - 1
    return k >= 0 and pos < spans[k][1]


def _cut_points(text: str, pattern: re.Pattern[str], fits: Callable[[str], bool]) -> list[int]:
    spans = _protected_spans(text, fits)
    starts = [a for a, _ in spans]
    points = []
    for m in pattern.finditer(text):
        pos = m.start()
        if 0 < pos < len(text) and not _inside(spans, starts, pos):
            points.append(pos)
    return points


def _pack_even(
    text: str, points: list[int], fits: Callable[[str], bool], preferred: frozenset[int] = frozenset()
) -> list[str] | None:
    """Join the pieces between cut points into the fewest chunks that fit; among those, the ones that use
    the fewest cuts outside ``preferred`` and then the most even lengths. None if some piece cannot fit.

    Why not greedy: filling each chunk to the limit leaves whatever is over for the last one, so a clause of
    43 characters came out as 40 + 3 ("…以浙江省为" + "例"): a fragment the engine renders with no context
    and the listener hears as a stray syllable. Even chunks (22 + 21) keep every piece a phrase. Dynamic
    programming over the cut points. ``fits`` grows with length, so the first start a chunk ending at
    point j may have (``low``) only moves forward as j does: ``fits`` (a normalization, the costly part) is
    asked about twice per point at most, not once per pair of points (which made 40 KB of ``1.1.1…`` cut at
    every character take minutes).
    """
    bounds = [0, *points, len(text)]
    best: list[tuple[int, int, int] | None] = [None] * len(bounds)
    back = [0] * len(bounds)
    best[0] = (0, 0, 0)
    low = 0
    for j in range(1, len(bounds)):
        while low < j and not fits(text[bounds[low] : bounds[j]]):
            low += 1
        for i in range(j - 1, low - 1, -1):
            before = best[i]
            if before is None:
                continue
            odd = int(0 < i and bounds[i] not in preferred) if preferred else 0
            candidate = (before[0] + 1, before[1] + odd, before[2] + (bounds[j] - bounds[i]) ** 2)
            current = best[j]
            if current is None or candidate < current:
                best[j], back[j] = candidate, i
    if best[-1] is None:
        return None
    out: list[str] = []
    j = len(bounds) - 1
    while j > 0:
        out.append(text[bounds[back[j]] : bounds[j]])
        j = back[j]
    return out[::-1]


def _word_cuts(text: str, fits: Callable[[str], bool]) -> list[int]:
    """Word boundaries (jieba's dictionary), skipping those inside protected spans.

    rjieba (jieba-rs, the same dictionary and algorithm compiled) rather than jieba itself: jieba builds its
    prefix dictionary at first use, 0.6-1.3 s on this machine, which the seed's two long clauses put on the
    path to `reader play`'s first sound; rjieba is ready in 0.09 s.
    """
    import rjieba  # imported only for the rare clause with no punctuation

    spans = _protected_spans(text, fits)
    starts = [a for a, _ in spans]
    points, pos = [], 0
    for word in rjieba.cut(text, hmm=False):
        pos += len(word)
        if 0 < pos < len(text) and not _inside(spans, starts, pos):
            points.append(pos)
    return points


_LEVELS = (
    re.compile(r"(?<=[，：,:])"),  # clauses
    re.compile(r"(?<=[、])"),  # list items
    re.compile(r"(?<= )"),  # spaces in headings and mixed text
)


def split_long(sentence: str, fits: Callable[[str], bool], level: int = 0) -> list[str]:
    """Cut one sentence into pieces that each ``fits``, at the gentlest boundaries that work: clauses
    first, then list items inside a clause that is still too long, then spaces, then words."""
    if fits(sentence):
        return [sentence]
    if level == len(_LEVELS):
        words = _word_cuts(sentence, fits)
        packed = _pack_even(sentence, words, fits)
        if packed is None:  # one "word" longer than the limit: cut it by characters, elsewhere by words
            packed = _pack_even(sentence, list(range(1, len(sentence))), fits, frozenset(words)) or [sentence]
        return packed
    points = _cut_points(sentence, _LEVELS[level], fits)
    if not points:
        return split_long(sentence, fits, level + 1)
    bounds = [0, *points, len(sentence)]
    out: list[str] = []
    for a, b in zip(bounds, bounds[1:], strict=False):
        piece = sentence[a:b]
        if out and fits(out[-1] + piece):
            out[-1] += piece
        elif fits(piece):
            out.append(piece)
        else:
            out.extend(split_long(piece, fits, level + 1))
    return out


def sentence_runs(sentence: str) -> list[str]:
    """``sentence``, or runs of at most ``MAX_SENTENCE_CHARS`` cut at its gentlest boundaries when longer."""
    if len(sentence) <= MAX_SENTENCE_CHARS:
        return [sentence]
    return split_long(sentence, lambda text: len(text) <= MAX_SENTENCE_CHARS)


def speakable(text: str) -> bool:
    return bool(_SPEAKABLE.search(text))


def header_lines(article: Article) -> list[str]:
    """What a broadcaster reads before the text: title, subtitle, source and date. A title that is only the
    opening of the text (an untitled notice, named by its first clause) is not read twice."""
    paragraphs = article.paragraphs()
    opening = paragraphs[0].replace(" ", "") if paragraphs else ""
    title = article.title.rstrip("…")
    lines = [] if title and opening.startswith(title.replace(" ", "")) else [article.title]
    if article.subtitle:
        lines.append(article.subtitle.lstrip("—－- "))
    credit = []
    if article.source:
        credit.append(f"来源：{article.source}")
    if article.date:
        y, m, d = article.date.split("-")
        credit.append(f"{int(y)}年{int(m)}月{int(d)}日")
    if credit:
        lines.append("，".join(credit))
    return lines


def short_first(chunks: list[Chunk], normalize: Normalizer, max_chars: int = FIRST_CHUNK_CHARS,
                min_chars: int = MIN_FIRST_CHUNK_CHARS) -> list[Chunk]:
    """``chunks`` with the first one cut in two when it is longer than ``max_chars`` spoken characters: after
    the longest run of its first clauses that is at most ``max_chars`` and at least ``min_chars`` long (never
    inside a number, a Latin word, a 《title》 or a “quotation”). The head ends on a clause pause, as the
    parts of a long sentence do, and the rest keeps the chunk's own pause: the same text in the same order,
    one sentence in the record, subtitles and player. A chunk with no such cut is left whole."""
    if not chunks or len(chunks[0].spoken) <= max_chars:
        return chunks
    first = chunks[0]

    def spoken(text: str) -> str:
        return normalize(_spoken_line(text) if first.kind != "body" else text).strip()

    text = first.text
    points = _cut_points(text, _FIRST_CUT, lambda t: True)  # any span protected: a cut here is never needed
    for point in reversed(points):
        head, rest = text[:point].strip(), text[point:].strip()
        if min_chars <= len(spoken(head)) <= max_chars and speakable(spoken(rest)) and speakable(spoken(head)):
            return [replace(first, text=head, spoken=spoken(head), pause_after="clause"),
                    replace(first, text=rest, spoken=spoken(rest)), *chunks[1:]]
    return chunks


def _spoken_line(text: str) -> str:
    """Headings and titles often separate phrases with spaces or a middle dot: read those as pauses."""
    text = re.sub(r"(?<=[\u3400-\u9fff”》])\s+(?=[\u3400-\u9fff“《])", "，", text.strip())
    return re.sub(r"(?<=[\u3400-\u9fff])[·・•](?=[\u3400-\u9fff])", "，", text)


def segment(
    article: Article,
    max_chars: int,
    normalize: Normalizer,
    *,
    header: bool = True,
) -> list[Chunk]:
    """All chunks of the article in reading order; raise ``SegmentError`` if nothing is speakable."""
    if max_chars < 4:
        raise ValueError("max_chars must be at least 4")
    chunks = list(_chunks(article, max_chars, normalize, header))
    if not any(c.kind == "body" for c in chunks):
        raise SegmentError(_("{title}: nothing speakable in the article text").format(
            title=article.title or 'the article'))
    return chunks


def _chunks(article: Article, max_chars: int, normalize: Normalizer, header: bool) -> Iterator[Chunk]:
    def fits(text: str) -> bool:
        return len(normalize(text)) <= max_chars

    def pieces(text: str, chapter: int, paragraph: int, kind: str, last_pause: Pause) -> Iterator[Chunk]:
        sentences = [run for sentence in split_sentences(text) for run in sentence_runs(sentence)]
        out: list[tuple[str, Pause]] = []
        for si, sentence in enumerate(sentences):
            parts = split_long(sentence, fits)
            for pi, part in enumerate(parts):
                pause: Pause = "clause" if pi < len(parts) - 1 else ("sentence" if si < len(sentences) - 1
                                                                       else last_pause)
                out.append((part, pause))
        for part, pause in out:
            spoken = normalize(_spoken_line(part) if kind != "body" else part).strip()
            if not speakable(spoken):
                continue
            yield Chunk(text=part.strip(), spoken=spoken, chapter=chapter, paragraph=paragraph,
                        kind=kind, pause_after=pause)  # type: ignore[arg-type]

    if header:
        lines = header_lines(article)
        for i, line in enumerate(lines):
            yield from pieces(line, 0, -1, "header", "paragraph" if i < len(lines) - 1 else "chapter")
    for ci, chapter in enumerate(article.chapters):
        if chapter.title:
            yield from pieces(chapter.title, ci, -1, "heading", "paragraph")
        for pi, paragraph in enumerate(chapter.paragraphs):
            last = pi == len(chapter.paragraphs) - 1
            yield from pieces(paragraph, ci, pi, "body", "chapter" if last else "paragraph")
