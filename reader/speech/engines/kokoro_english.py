"""English words inside Chinese text as Kokoro v1.0 phonemes: what Kokoro's own pipeline gives a Chinese voice.

Kokoro v1.0 is one multilingual model: its Chinese pipeline (misaki's ``ZHG2P`` with ``en_callable``) hands
every run of Latin letters to misaki's US English G2P and puts the phonemes it writes among the Chinese ones,
a space between words. misaki's English G2P itself (``misaki.en``) needs spaCy and a spaCy model that is not on
PyPI, so it is not used; its data is. This module reads the same gold and silver lexicons (the JSON files in
misaki's wheel) and writes the same symbols, with espeak-ng (the ``en-us`` voice of the library the espeak engine
loads, ``espeakng-loader``) for words they do not have, its IPA mapped to misaki's symbols as misaki's own
``EspeakFallback`` maps it:

* An acronym is said letter by letter with the lexicon's letter names (NBA → ˌɛnbˌiˈA): a word in capitals of at
  most ``MAX_ACRONYM`` letters, or longer and not in the lexicon, unless the lexicon has it in capitals as a word
  (COVID, NASA, UNESCO, FIFA). Single letters (A股, X光, 维生素C, T恤) are letter names.
* Any other word: the lexicon (as written, in lower case, capitalized), then its parts written in camel case
  (iPhone → i + Phone), then espeak-ng, then (no espeak-ng) its letters.

Only symbols of misaki's US English set are written, all of them in Kokoro's vocab.
"""

from __future__ import annotations

import importlib.resources
import json
import logging
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from reader.errors import ReaderError

__all__ = ["LATIN_WORD", "MAX_ACRONYM", "english_ipa", "is_acronym", "letters_ipa"]

log = logging.getLogger(__name__)

#: A Latin word as this front end takes it: letters, with an inner apostrophe (don't, Macy's).
LATIN_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*")
#: Words in capitals up to this many letters are acronyms (NBA, GDP, CCTV, OECD), unless the lexicon has them.
MAX_ACRONYM = 5

#: misaki's US English phoneme set (``misaki.en.US_VOCAB``): nothing else is written.
US_VOCAB = frozenset("AIOWYbdfhijklmnpstuvwzæðŋɑɔəɛɜɡɪɹɾʃʊʌʒʤʧˈˌθᵊᵻʔ")
_PRIMARY, _SECONDARY = "ˈ", "ˌ"
_CAMEL = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")

# misaki's EspeakFallback.E2M (espeak-ng's IPA → misaki's symbols), longest first, then its American rules.
_E2M = sorted({
    "ʔˌn\u0329": "ʔn", "ʔn\u0329": "ʔn", "a^ɪ": "I", "a^ʊ": "W", "d^ʒ": "ʤ", "e^ɪ": "A", "e": "A", "t^ʃ": "ʧ",
    "ɔ^ɪ": "Y", "ə^l": "ᵊl", "ʲo": "jo", "ʲə": "jə", "ʲ": "", "ɚ": "əɹ", "r": "ɹ", "x": "k", "ç": "k", "ɐ": "ə",
    "ɬ": "l", "\u0303": "",
}.items(), key=lambda kv: -len(kv[0]))  # fmt: skip


@lru_cache(maxsize=1)
def _lexicons() -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """misaki's US gold and silver lexicons, as shipped in its wheel (word → phonemes, or → {tag: phonemes})."""
    from misaki import data

    found = []
    for name in ("us_gold.json", "us_silver.json"):
        with importlib.resources.files(data).joinpath(name).open(encoding="utf-8") as stream:
            found.append(json.load(stream))
    return found[0], found[1]


def _entry(word: str) -> tuple[str | None, bool]:
    """The lexicon's phonemes for ``word`` exactly as written, and whether it is there at all. A word the
    lexicon has only as a noun-less entry (``{"DEFAULT": …, "NOUN": None}``: US, IT, WHO) is there as letters."""
    for lexicon in _lexicons():
        value = lexicon.get(word)
        if value is None:
            continue
        if isinstance(value, dict):
            return value.get("NOUN", value.get("DEFAULT")), True
        return str(value), True
    return None, False


def letters_ipa(word: str) -> str:
    """``word``'s letters by their English names, stressed as misaki stresses a spelled word: secondary on
    each letter, primary on the last (NBA → ˌɛnbˌiˈA)."""
    gold = _lexicons()[0]
    names = [str(gold[c.upper()]) for c in word if c.isascii() and c.isalpha()]
    phonemes = "".join(names).replace(_SECONDARY, "").replace(_PRIMARY, _SECONDARY)
    head, sep, tail = phonemes.rpartition(_SECONDARY)
    return head + _PRIMARY + tail if sep else phonemes


def is_acronym(word: str) -> bool:
    """Whether ``word`` is said letter by letter: one letter; capitals only, unless the lexicon has the word in
    capitals (COVID, NASA); at most ``MAX_ACRONYM`` capitals, or more that no lexicon has in lower case."""
    if len(word) == 1:
        return True
    if not word.isupper():
        return False
    phonemes, known = _entry(word)
    if known:
        return phonemes is None
    return len(word) <= MAX_ACRONYM or _lookup(word.lower()) is None


def _lookup(word: str) -> str | None:
    for form in dict.fromkeys((word, word.lower(), word.capitalize())):
        phonemes, _known = _entry(form)
        if phonemes:
            return phonemes
    return None


def from_espeak(ipa: str) -> str:
    """espeak-ng's tied IPA (``d^ʒˈɜːnə^l``) in misaki's symbols (``ʤˈɜɹnᵊl``), as misaki's EspeakFallback
    writes it for American English (Kokoro v1.0: flaps as T, glottal stops as t)."""
    for old, new in _E2M:
        ipa = ipa.replace(old, new)
    ipa = re.sub(r"(\S)\u0329", r"ᵊ\1", ipa).replace("\u0329", "")
    ipa = ipa.replace("o^ʊ", "O").replace("ɜːɹ", "ɜɹ").replace("ɜː", "ɜɹ").replace("ɪə", "iə").replace("ː", "")
    ipa = ipa.replace("o", "ɔ").replace("ɾ", "T").replace("ʔ", "t").replace("^", "")
    return ipa


def _espeak(word: str) -> str | None:
    from reader.speech.engines.espeak import text_to_ipa

    try:
        ipa = text_to_ipa(word, "en-us")
    except ReaderError as exc:  # no espeak-ng: the word is spelled, and said
        log.info("kokoro voice: no English phonemes for %r from espeak-ng (%s); spelling it", word, exc)
        return None
    return from_espeak(ipa.replace(" ", "")) or None


@lru_cache(maxsize=4096)
def english_ipa(word: str) -> str:
    """A Latin word (``LATIN_WORD``) as Kokoro v1.0 phonemes in misaki's US English symbols."""
    if is_acronym(word):
        phonemes = letters_ipa(word)
    else:
        phonemes = _lookup(word) or ""
        if not phonemes:
            parts = _CAMEL.findall(word.replace("'", ""))
            if len(parts) > 1 and "".join(parts) == word.replace("'", ""):
                found = [letters_ipa(p) if is_acronym(p) else _lookup(p) for p in parts]
                if all(found):
                    phonemes = "".join(p for p in found if p)
        if not phonemes:
            phonemes = _espeak(word) or letters_ipa(word)
    return "".join(c for c in phonemes if c in US_VOCAB)
