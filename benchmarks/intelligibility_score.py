"""Scoring for the intelligibility benchmark: a transcript against the text that was meant to be spoken.

Both sides are brought to one canonical form before they are compared (``canonical``):

1. simplified characters (zhconv, character conversion only: Whisper often writes traditional characters);
2. the project's spoken form (``reader.text.normalize.normalize``): digits, dates, percentages, units and Latin
   letters become the Chinese a voice says, so 2021年 in a transcript meets 二零二一年 in the reference;
3. only Chinese characters are kept (punctuation, spaces and anything unreadable dropped);
4. readings that differ only in how they are written are folded: 两 → 二 and 幺 → 一 (a transcript writes
   "2" and "1" where a voice said 两 or 幺).

The reference side also goes through the lexicon's ``[replace]`` table (GDP → 国内生产总值) before step 2,
since that is what the narration meant to say; the transcript does not (it is what was heard).

``align`` aligns a reference with a transcript (Levenshtein edit operations from rapidfuzz) and charges
every edit to one reference character (an insertion to the character before it), so the errors of the
spans of a reference (chunks, sentences) add up exactly to the distance of the whole; ``heard`` cuts the
transcript at the same places, to show what was heard for each span.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import zhconv
from rapidfuzz.distance import Levenshtein

from reader.text.normalize.normalizer import normalize

__all__ = ["Alignment", "Tally", "align", "canonical", "syllable_errors"]

_HAN = re.compile("[\u4e00-\u9fff]+")
_FOLD = str.maketrans({"两": "二", "幺": "一"})


def canonical(text: str, replace: Callable[[str], str] | None = None) -> str:
    """The comparable form of ``text``: simplified, spoken, Chinese characters only, 两/幺 folded."""
    text = zhconv.convert(text, "zh-hans")
    if replace is not None:
        text = replace(text)
    return "".join(_HAN.findall(normalize(text))).translate(_FOLD)


@dataclass(frozen=True)
class Tally:
    """Character errors over reference characters; ``+`` adds two tallies."""

    errors: int = 0
    chars: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.errors + other.errors, self.chars + other.chars)

    @property
    def rate(self) -> float:
        """The error rate (errors per reference character); a span with no reference counts its errors."""
        return self.errors / self.chars if self.chars else float(self.errors > 0)


@dataclass(frozen=True)
class Alignment:
    """A reference aligned with a hypothesis: per-reference-character costs and hypothesis positions."""

    ref: str
    hyp: str
    cost: tuple[int, ...]  # edits charged to each reference character (one slot when ref is empty)
    hyp_at: tuple[int, ...]  # hypothesis index aligned with each reference index, len(ref) + 1 entries

    @property
    def distance(self) -> int:
        return sum(self.cost)

    def tally(self, start: int = 0, end: int | None = None) -> Tally:
        """Errors charged to the reference span [start, end) and its length (the whole by default)."""
        end = len(self.ref) if end is None else end
        if not self.ref:
            return Tally(self.distance, 0)
        return Tally(sum(self.cost[start:end]), end - start)

    def heard(self, start: int, end: int) -> str:
        """The part of the hypothesis aligned with the reference span [start, end) (all of it if no reference)."""
        if not self.ref:
            return self.hyp
        return self.hyp[self.hyp_at[start] : self.hyp_at[end]]


def align(ref: str, hyp: str) -> Alignment:
    """Align ``hyp`` to ``ref`` by the fewest character edits (Levenshtein)."""
    cost = [0] * max(len(ref), 1)
    hyp_at = [0] * (len(ref) + 1)
    for block in Levenshtein.opcodes(ref, hyp):
        if block.tag == "insert":
            cost[max(block.src_start - 1, 0)] += block.dest_end - block.dest_start
            continue
        for k in range(block.src_start, block.src_end):
            if block.tag == "equal":
                hyp_at[k] = block.dest_start + (k - block.src_start)
            elif block.tag == "replace":  # one character for one, over the block
                hyp_at[k] = block.dest_start + (k - block.src_start)
                cost[k] += 1
            else:  # delete: the reference characters sit where the hypothesis goes on
                hyp_at[k] = block.dest_start
                cost[k] += 1
    if ref:
        hyp_at[0] = 0  # text inserted before the first character was heard for the first span
    hyp_at[len(ref)] = len(hyp)
    return Alignment(ref, hyp, tuple(cost), tuple(hyp_at))


def _syllables(text: str) -> list[str]:
    from pypinyin import Style, lazy_pinyin

    return list(lazy_pinyin(text, style=Style.NORMAL, errors="default"))


def syllable_errors(ref: str, hyp: str) -> Tally:
    """Toneless pinyin syllable errors (pypinyin readings of both sides): unlike characters, a homophone the
    recognizer wrote (两将 for 两江) is no error here, so this separates what was said from how it was
    spelled. Both arguments are canonical text."""
    ref_syllables: Sequence[str] = _syllables(ref)
    return Tally(Levenshtein.distance(ref_syllables, _syllables(hyp)), len(ref_syllables))
