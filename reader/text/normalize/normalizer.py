"""Text normalization: written Chinese news text → the spoken form a voice can read.

Every voice reads Chinese characters; what else it can say is stated by its ``Abilities`` (abilities.py).
The offline engine (FastSpeech2 trained on the Baker corpus, the default ``CHINESE``) silently drops every
character that is not a CJK ideograph in U+4E00–U+9FA5 (digits, Latin letters, symbols) and phrases only at
full-width ，。！？、：；. So ``normalize`` rewrites a paragraph so that every character is such an ideograph or
one of ``SPEAKABLE_PUNCTUATION`` (，。！？、：；“”‘’《》（）—…), plus, for a voice that says Latin letters
(``CHINESE_AND_LATIN``: Edge's neural voices), Latin words as written. Line breaks are kept where they are.
The original text is kept elsewhere for subtitles: this is only what the voice hears.

Public API (re-exported by ``reader.text.normalize``)::

    normalize(text, abilities=CHINESE) -> str     # the spoken form; pure, thread-safe, linear, never raises
    unspeakable(text, abilities=CHINESE) -> str   # letters/digits normalize could not read and had to drop
    is_speakable(text, abilities=CHINESE) -> bool # every character is one the voice reads (line breaks allowed)

Why not a library. WeTextProcessing (the WeNet normalizer) is the most complete, but it needs pynini
(~700 MB), turns ，。 into ASCII , . (which breaks the engine's phrasing and is dropped by it), reads 2月2日 as
二月两日 and leaves GDP, PM2.5 etc. in Latin letters, which the engine drops. cn2an's ``transform`` handles plain
numbers, dates and percentages but misses codes (拨打110 → 一百一十), units, letters, times, temperatures,
ranges and punctuation; it is also only a development dependency of this project. So the rules are written
here, as data: one ordered table ``rules.RULES`` of (buckets, regex, handler, guard), each handler a small
function with a docstring, and the words, units, currencies and contexts they use in ``tables.py``. The table
is compiled into a single alternation and applied in one left-to-right pass, so each rule sees the original
text around its match (for context such as 第, 拨打, 比分, 同比) and the whole pass is linear. A guard that
refuses a match hands the position to the next rules (7-9 is a date after 日期, a score after 比分, a range
elsewhere).

Pipeline for each line: (1) character folding (full-width ASCII → ASCII except the full-width punctuation the
engine reads, spaces, invisible characters, 〇 → 零, quote/dash/bracket variants, circled and Roman numerals,
accented and compatibility letters → plain); (2) the rule pass; (3) a sweep that drops whatever is still
unreadable (symbols silently; letters and digits of other scripts are reported by ``unspeakable``), turns
pause markers into ， and keeps only the punctuation the voice reads.

Readings decided here (tests/text/normalize_cases.tsv pins each of them, by family):

* Years are read digit by digit before 年 (2021年 → 二零二一年, 19年 → 一九年, 1990年代), in numeric dates of
  every common shape (2022-01-28, 2023/7/9, 2023.07.09, 2023·7·9, 23/7/9 → 二三年七月九日, 7/9/2023,
  25/12/2023; month-year 2023/07, 07-2023) and with eras (公元前221年, 221BC → 公元前二二一年, 1066AD →
  公元一零六六年). A month/day pair is a date when zero-padded (07/09) or after a date word (日期、截至、定于) or
  before a weekday; otherwise 7/9 is a fraction, 7-9月 and 2-3天 ranges. A two-digit number before 年 is a
  duration after 了/近/工作… or before 来/后/前… (工作了19年 → 十九年). Year ranges repeat 年 after both
  years: 2021—2025年 → 二零二一年至二零二五年. Months and days never use 两: 2月2日 → 二月二日.
* 两 vs 二: a bare 2 reads 两 before a measure word or magnitude (2个 → 两个, 2万 → 两万, 2km → 两千米) and a
  2 leading a number at the 百/千/万/亿 place reads 两, decimals included (200 → 两百, 2023.07 → 两千零二十三点零七);
  elsewhere 二 (12 → 十二, 20 → 二十, 1200 → 一千二百, 2.5 → 二点五). Ordinals never use 两 (第2 → 第二), nor do
  percentages, temperatures, months, days, 号, 期 or 路.
* Signs: - is 负 (-3/8 → 负八分之三, -百分之5 → 负百分之五), + is 正 (never dropped silently), except after
  同比/环比, where they say 增长/下降, and + after a word that already says up (增长+3.5% → 增长百分之三点五).
  A minus before a temperature is 零下 (-5℃ → 零下五摄氏度, 最低-5度 → 零下五度).
* Ranges use 至 for - — ~ between numbers: 2-3天 → 二至三天, 20%—30% → 百分之二十至百分之三十, 8:00-18:00 →
  八点至十八点. In a calculation (an = follows) - is 减: 6 - 2 = 4 → 六减二等于四.
* Scores: a-b or a:b after 比分/战胜/击败… or before 战胜/领先/战平… is 比 (3-1战胜 → 三比一战胜); after 以 or 队
  too, unless shaped like a clock time. Other a:b that are not times are ratios (16:9 → 十六比九).
* Times: 14:30 → 十四点三十分, 8:00 → 八点, 9:05 → 九点零五分, 2:30 → 两点三十分, 7:05:09 → 七点零五分零九秒;
  am/pm become the part of the day (7:05am → 上午七点零五分, 2:30pm → 下午两点三十分, 7:05 p.m. → 晚上…,
  12:00pm → 中午十二点, 12:30am → 凌晨零点三十分); after 成绩/用时 h:mm:ss is a duration (两小时零五分三十秒).
* Money: the currency after the amount, said once: $15 → 十五美元, US$2.5亿 → 二点五亿美元, ¥1,234.5元 → …元,
  RMB 500 → 五百元人民币, 100 USD → 一百美元, $10-20 → 十至二十美元, $1.5 billion → 十五亿美元, USD/CNY → 美元兑人民币.
* Codes are read digit by digit with 1 as 幺: phone numbers (023-58888888 → 零二三，五八八八八八八八, with ， at
  each hyphen; mobiles; 400/800 numbers), numbers of three or more digits after 拨打/热线/邮编/QQ/波音/… or
  before 热线/报警/急救, numbers with a leading zero, digits after Latin letters (G318 → 吉三幺八, 渝A·12345,
  CA1234), bus routes and rooms of three or more digits (101路 → 幺零幺路); IPv4 parts digit by digit
  (10.0.0.1 → 一零点零点零点一); video resolutions (1080P → 一零八零P); days named by their date (3·15 → 三一五);
  a year in brackets (〔2022〕12号 → （二零二二）十二号). Metro lines and buildings are cardinals.
* Latin letters: for a voice that says them they are kept (GDP, iPhone, WiFi, PM二点五, 五G), with a space
  between two Latin words. Otherwise words with an established Chinese reading get it (GDP → 国内生产总值, WiFi
  → 无线网络, APP → 应用, CEO → 首席执行官, PM2.5 → 细颗粒物, QQ → 扣扣), acronyms and single letters are
  spelled with ``tables.LETTERS`` (5G → 五吉, NBA → 恩比诶, X光 → 艾克斯光) and other words are not said
  (iPhone, Journal: ``rules.is_acronym``). Some names every voice says in Chinese (NATO → 北约), once (世界卫生组织
  WHO → 世界卫生组织).
  Units after a number are read as units (km → 千米, m² → 平方米, kg/m³ → 千克每立方米, kWh → 千瓦时); GB, dpi
  have no Chinese name in use and are letters. Roman numerals in Latin capitals right after Chinese text are
  numbers (微观经济学II → 微观经济学二; V and X alone stay letters: 大V, X光).
* Spaces: removed next to Chinese text; between two Latin/digit tokens a pause ， for a voice without Latin
  (iPhone 13 → …，十三). The middle dot · between words is removed (马丁·路德 → 马丁路德), | and a / between
  words are pauses, / between units is 每 (元/吨 → 元每吨).
* Web and e-mail addresses: the scheme and a web address's path are dropped (a newsreader says the site),
  . reads 点 and @ 艾特, digits one by one;
  versions read 点 between parts (1.2.3 → 一点二点三); a + after a number with no number after it is 多 (10万+ →
  十万多).
* Circled numbers read plainly (见注① → 见注一), and as a list number when text follows (①重庆… → 一、重庆…);
  ⑴ → （一）, Roman numerals Ⅱ → 二, a list number at the start of a line ``1.`` / ``1)`` → 一、.
* Text that is already speakable is returned unchanged (a fixed point), so normalize is idempotent.
* Whatever no rule can read is dropped, as the engine would drop it anyway: symbols and emoji silently,
  letters and digits of other scripts (kana, Hangul, Cyrillic, ideographs outside U+4E00–U+9FA5) are also
  reported by ``unspeakable`` so that callers can warn that something was not spoken.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from reader.text.normalize.abilities import CHINESE, Abilities
from reader.text.normalize.rules import LATIN_SPACE, PAUSE, RULES, LineState, Rule, fallback
from reader.text.normalize.tables import CIRCLED, CJK_RANGE, SPEAKABLE_PUNCTUATION, build_fold_table

__all__ = ["SPEAKABLE_PUNCTUATION", "Abilities", "is_speakable", "normalize", "unspeakable"]

# Set by the tests so that a bug in a handler raises instead of being papered over by the fallback reading.
_STRICT = False

_SPEAKABLE = f"{CJK_RANGE}{SPEAKABLE_PUNCTUATION}"
_SPEAKABLE_NOT_DASH = _SPEAKABLE.replace("—", "")
_ALREADY_SPOKEN = re.compile(f"[{_SPEAKABLE}]*")
_LINE_BREAK = re.compile(r"(\r\n|\r|\n)")
_PAUSES = re.compile(f"{PAUSE}+")
_LATIN_SPACES = re.compile(f"(?<=[A-Za-z]){LATIN_SPACE}+(?=[A-Za-z])")
_FOLD_TABLE = build_fold_table()
_TO_FOLD = re.compile(f"[^\x00-\x7f{_SPEAKABLE}²³⁰¹⁴-⁹⁻℃℉°′″‰‱µ{''.join(CIRCLED)}]")
_CJK_CHAR = re.compile(f"[{CJK_RANGE}]")
_NO_PAUSE_AFTER = frozenset("，。！？、：；“‘《（—")
_NO_PAUSE_BEFORE = frozenset("，。！？、：；”’》）—…")
# A mark a voice does not read becomes the nearest one it does (in this order of preference) or nothing.
_NEAREST_MARK = {"、": "，", "：": "，", "；": "，", "！": "。", "？": "。", "，": "、", "。": "，"}


# --------------------------------------------------------------------------------------------------------
# The rule pass

_NAMED_GROUP = re.compile(r"\(\?P<([A-Za-z_]\w*)>")
_BACKREFERENCE = re.compile(r"\(\?P=([A-Za-z_]\w*)\)")
_RULE_RES = tuple(re.compile(rule.pattern, re.ASCII) for rule in RULES)
_BUCKETS = {"d": "(?=[0-9])", "a": "(?=[A-Za-z])", "s": "(?=\\s)", "p": r"(?=[,;:!?()\[\]{}])", "o": ""}


def _in_alternation(index: int, bucket: str, pattern: str) -> str:
    """A rule's pattern inside the master alternation, wrapped in a group ``r<index>_<bucket>`` that tells which
    rule matched. Its named groups become non-capturing (the rule's own regex reads them after the match): every
    capturing group makes each failed alternative dearer. Groups that a back-reference needs are renamed so
    that they are unique in the alternation."""
    prefix = f"g{index}_{bucket}_"
    referenced = set(_BACKREFERENCE.findall(pattern))
    pattern = _NAMED_GROUP.sub(lambda m: f"(?P<{prefix}{m[1]}>" if m[1] in referenced else "(?:", pattern)
    pattern = _BACKREFERENCE.sub(lambda m: f"(?P={prefix}{m[1]})", pattern)
    return f"(?P<r{index}_{bucket}>{pattern})"


def _compile_master(bucketed: bool = True) -> re.Pattern[str]:
    """All rules as one alternation (see ``_in_alternation``).

    No rule starts on a character that is already speakable (except — in 20%—30%), which the leading lookahead
    uses to skip plain Chinese text quickly. ``bucketed`` splits the alternation by the kind of the first
    character (digit, Latin letter, space, other; ``Rule.starts``) so that, say, a % does not try the thirty
    number rules; the rules keep their order within a bucket, so the result is the same as with one flat
    alternation (``bucketed=False``, which the tests compare against).
    """
    if bucketed:
        body = "|".join(
            guard + "(?:" + "|".join(_in_alternation(i, b, r.pattern) for i, r in enumerate(RULES) if b in r.starts) + ")"
            for b, guard in _BUCKETS.items()
        )
    else:
        body = "|".join(_in_alternation(i, "x", r.pattern) for i, r in enumerate(RULES))
    return re.compile(f"(?=[^{_SPEAKABLE_NOT_DASH}])(?:{body})", re.ASCII)


_MASTER = _compile_master()
# The rule index and bucket of each group name of the alternations.
_GROUP_RULE: dict[str, tuple[int, str]] = {
    f"r{i}_{b}": (i, b) for i, rule in enumerate(RULES) for b in (*rule.starts, "x")
}


@functools.cache
def _rules_after(index: int, bucket: str) -> re.Pattern[str]:
    """The alternation of the rules that follow rule ``index`` in ``bucket`` (all rules for the flat "x"):
    where a guard refuses a match, the next rule to match at that position is found with it."""
    after = [j for j in range(index + 1, len(RULES)) if bucket == "x" or bucket in RULES[j].starts]
    return re.compile("|".join(_in_alternation(j, bucket, RULES[j].pattern) for j in after) or "(?!)", re.ASCII)


def _read(line: str, start: int, group: str, st: LineState) -> tuple[str, int]:
    """The spoken form of the text at ``start`` and where it ends, given the group of the alternation that
    matched there: that rule's handler, or, if its guard refuses, the next rule's that matches and accepts."""
    while True:
        index, bucket = _GROUP_RULE[group]
        rule: Rule = RULES[index]
        match = _RULE_RES[index].match(line, start)
        if match is None:  # the rule's own regex must match where its alternative did
            if _STRICT:
                raise AssertionError(f"rule {index} does not rematch at {line[start:start + 20]!r}")
            return fallback(line[start]), start + 1
        if rule.when is None or rule.when(match, st):
            try:
                return rule.handler(match, st), match.end()
            except Exception:
                if _STRICT:
                    raise
                return fallback(match.group()), match.end()
        following = _rules_after(index, bucket).match(line, start)
        if following is None or following.lastgroup is None:
            return line[start], start + 1  # every rule here refused: the character goes on to the sweep
        group = following.lastgroup


def _apply_rules(line: str, abilities: Abilities = CHINESE, master: re.Pattern[str] = _MASTER) -> str:
    """Step 2: one pass of the rule table over a folded line, with ``master`` (the bucketed alternation, or the
    flat one in the tests)."""
    st = LineState(abilities)
    out: list[str] = []
    pos = 0
    while True:
        m = master.search(line, pos)
        if m is None:
            break
        start = m.start()
        spoken, end = _read(line, start, m.lastgroup or "", st)
        out.append(line[pos:start])
        out.append(spoken)
        pos = max(end, start + 1)
    out.append(line[pos:])
    return "".join(out)


# --------------------------------------------------------------------------------------------------------
# Folding and sweeping


@functools.lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    """A compatibility or accented character → its plain form when that is ASCII alphanumeric or CJK.

    𝐀 → A, é → e, ㎡ → m2, ½ → 1/2, ⼀ (Kangxi radical) → 一, ٣ → 3; anything else is left alone.
    """
    if unicodedata.category(ch) == "Nd":
        return str(unicodedata.decimal(ch))
    plain = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    plain = plain.replace("⁄", "/")
    if plain and plain != ch and all(c.isascii() and (c.isalnum() or c == "/") or _CJK_CHAR.match(c) for c in plain):
        return plain
    return ch


def _fold(line: str) -> str:
    """Step 1: character folding (see ``tables.build_fold_table`` and ``_fold_char``)."""
    line = line.translate(_FOLD_TABLE)
    return _TO_FOLD.sub(lambda m: _fold_char(m.group()), line)


@functools.lru_cache(maxsize=64)
def _leftover(abilities: Abilities) -> re.Pattern[str]:
    """What the voice cannot say, after the rules (the pause and Latin-space markers are kept for the sweep)."""
    latin = f"A-Za-z{LATIN_SPACE}" if abilities.latin else ""
    return re.compile(f"[^{_SPEAKABLE}{PAUSE}{latin}]+")


@functools.lru_cache(maxsize=64)
def _speakable_text(abilities: Abilities) -> re.Pattern[str]:
    latin = r"A-Za-z" if abilities.latin else ""
    words = r"|(?<=[A-Za-z]) (?=[A-Za-z])" if abilities.latin else ""
    return re.compile(f"(?:[{CJK_RANGE}{re.escape(abilities.punctuation)}{latin}\r\n]{words})*")


@functools.lru_cache(maxsize=64)
def _punctuation_table(abilities: Abilities) -> dict[int, str]:
    """A ``str.translate`` table from each mark the voice does not read to its nearest one, or to nothing."""
    table: dict[int, str] = {}
    for mark in SPEAKABLE_PUNCTUATION:
        if mark not in abilities.punctuation:
            nearest = _NEAREST_MARK.get(mark, "")
            table[ord(mark)] = nearest if nearest in abilities.punctuation else ""
    return table


def _sweep(spoken: str, abilities: Abilities, dropped: list[str] | None) -> str:
    """Step 3: drop what the voice cannot read, turn pause markers into ， where a pause fits and Latin-space
    markers into spaces between two Latin words, and keep only the punctuation the voice reads.

    Letters and digits of other scripts (kana, Hangul, Cyrillic, rare ideographs …) are added to ``dropped``;
    symbols, emoji and decorations are dropped silently.
    """

    def drop(m: re.Match[str]) -> str:
        if dropped is not None:
            dropped.extend(c for c in m.group() if unicodedata.category(c)[0] in "LN")
        return ""

    spoken = _leftover(abilities).sub(drop, spoken)
    if LATIN_SPACE in spoken:
        spoken = _LATIN_SPACES.sub(" ", spoken).replace(LATIN_SPACE, "")
    if PAUSE in spoken:

        def pause(m: re.Match[str]) -> str:
            s, i, j = m.string, m.start(), m.end()
            if i == 0 or j == len(s) or s[i - 1] in _NO_PAUSE_AFTER or s[j] in _NO_PAUSE_BEFORE:
                return ""
            return "，"

        spoken = _PAUSES.sub(pause, spoken)
    if abilities.punctuation != SPEAKABLE_PUNCTUATION:
        spoken = spoken.translate(_punctuation_table(abilities))
    return spoken


def _normalize_line(line: str, abilities: Abilities, dropped: list[str] | None = None) -> str:
    if _ALREADY_SPOKEN.fullmatch(line) and abilities.punctuation == SPEAKABLE_PUNCTUATION:
        return line
    return _sweep(_apply_rules(_fold(line), abilities), abilities, dropped)


def _run(text: str, abilities: Abilities, dropped: list[str] | None) -> str:
    parts = _LINE_BREAK.split(text)
    for i in range(0, len(parts), 2):
        parts[i] = _normalize_line(parts[i], abilities, dropped)
    return "".join(parts)


# --------------------------------------------------------------------------------------------------------
# Public API


def normalize(text: str, abilities: Abilities = CHINESE) -> str:
    """The spoken form of ``text`` for a voice with ``abilities`` (by default the offline Baker engine's: only
    CJK ideographs U+4E00–U+9FA5 and ``SPEAKABLE_PUNCTUATION``; ``CHINESE_AND_LATIN`` also keeps Latin words).

    Line breaks are kept as they are and each line is normalized on its own. Pure, thread-safe, linear in the
    length of the text, and it never raises. Already speakable text is returned unchanged.
    """
    if not isinstance(text, str):  # defensive: the contract is str, but never raise
        text = str(text)
    return _run(text, abilities, None)


def unspeakable(text: str, abilities: Abilities = CHINESE) -> str:
    """The characters of ``text`` that ``normalize`` could not turn into something the voice reads.

    These are letters and digits of other scripts (kana, Hangul, Cyrillic, ideographs outside U+4E00–U+9FA5…),
    which ``normalize`` drops; each is listed once, in order of first appearance. "" when nothing was lost.
    Symbols and decorations without a reading (emoji, ★, ·) are dropped silently and not listed.
    """
    dropped: list[str] = []
    _run(text, abilities, dropped)
    return "".join(dict.fromkeys(dropped))


def is_speakable(text: str, abilities: Abilities = CHINESE) -> bool:
    """Whether every character of ``text`` is one a voice with ``abilities`` reads (line breaks allowed; for a
    voice that says Latin, also Latin letters and single spaces between two of them)."""
    return _speakable_text(abilities).fullmatch(text) is not None
