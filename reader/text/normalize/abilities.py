"""What a voice can say: the spoken form that ``normalize`` produces depends on it.

Every voice says Chinese characters (U+4E00–U+9FA5). The offline Baker engine says nothing else: it drops
Latin letters and digits, and phrases only at full-width punctuation. Edge's neural voices and Kokoro's (whose
front end says English words with English phonemes) also say Latin letters and words ("GDP", "iPhone"), far
better than any transcription in Chinese characters could. Numbers
are read in Chinese characters for every voice: how a number is read (a year digit by digit, a date, a
fraction, a code with 幺, 两 or 二) is the normalizer's decision, not the engine's.
"""

from __future__ import annotations

from dataclasses import dataclass

from reader.text.normalize.tables import SPEAKABLE_PUNCTUATION

__all__ = ["CHINESE", "CHINESE_AND_LATIN", "Abilities"]


@dataclass(frozen=True)
class Abilities:
    """What a voice can say beyond Chinese characters.

    Attributes:
        latin: the voice says Latin letters and words as written. Then Latin words and acronyms are kept
            (GDP, iPhone, WiFi; a space between two Latin words), except where a newsreader says a Chinese
            name anyway (NATO → 北约, am/pm → 上午/下午, km → 千米, USD → 美元). Otherwise they are read in
            Chinese characters: an established Chinese reading where there is one (GDP → 国内生产总值, WiFi →
            无线网络), the letter names for an acronym or a letter (5G → 五吉, NBA → 恩比诶); any other word
            (iPhone, Journal) is not said: spelling it letter by letter costs the sentence more (rules.py).
        punctuation: the marks of ``SPEAKABLE_PUNCTUATION`` the voice reads (or passes harmlessly). Any
            other is replaced by the nearest one it has (、：； → ，, ！？ → 。) or dropped.

    ``key`` names the spoken form in a stable way, for cache keys and the manifest.
    """

    latin: bool = False
    punctuation: str = SPEAKABLE_PUNCTUATION

    def __post_init__(self) -> None:
        unknown = "".join(sorted(set(self.punctuation) - set(SPEAKABLE_PUNCTUATION)))
        if unknown:
            raise ValueError(f"punctuation {unknown!r} is not in SPEAKABLE_PUNCTUATION {SPEAKABLE_PUNCTUATION!r}")
        # one canonical order, so that equal abilities have equal keys
        ordered = "".join(c for c in SPEAKABLE_PUNCTUATION if c in self.punctuation)
        object.__setattr__(self, "punctuation", ordered)

    @property
    def key(self) -> str:
        """A stable name of this spoken form: ``zh`` (Chinese characters only), ``zh+latin``; a restricted
        punctuation is appended as ``/p=<marks>``. ``Abilities.from_key(a.key) == a``."""
        key = "zh+latin" if self.latin else "zh"
        if self.punctuation != SPEAKABLE_PUNCTUATION:
            key += "/p=" + self.punctuation
        return key

    @classmethod
    def from_key(cls, key: str) -> Abilities:
        """The abilities named by ``key`` (as made by ``key``); ValueError for anything else."""
        form, sep, punctuation = key.partition("/p=")
        if form not in ("zh", "zh+latin"):
            raise ValueError(f"not a spoken-form key: {key!r}")
        return cls(latin=form == "zh+latin", punctuation=punctuation if sep else SPEAKABLE_PUNCTUATION)


#: What the offline Baker engine says: Chinese characters and the full-width punctuation (the default).
CHINESE = Abilities()
#: What a voice that also says Latin letters says (Edge's neural voices, Kokoro's).
CHINESE_AND_LATIN = Abilities(latin=True)
