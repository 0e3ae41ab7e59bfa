"""Text normalization: written Chinese news text → the spoken form the offline Mandarin engine can read.

The offline engine (FastSpeech2 trained on the Baker corpus) silently drops every character that is not a CJK
ideograph in U+4E00–U+9FA5 (digits, Latin letters, symbols) and phrases only at full-width ，。！？、：；. So
``normalize`` rewrites a paragraph so that every character is such an ideograph or one of
``SPEAKABLE_PUNCTUATION`` (，。！？、：；“”‘’《》（）—…); line breaks are kept where they are. The original
text is kept elsewhere for subtitles: this is only what the engine hears.

Public API::

    normalize(text) -> str     # the spoken form; pure, thread-safe, linear time, never raises
    unspeakable(text) -> str   # letters/digits of ``text`` that normalize could not read and had to drop
    is_speakable(text) -> bool # every character is readable by the engine (line breaks allowed)

Why not a library. WeTextProcessing (the WeNet normalizer) is the most complete, but it needs pynini
(~700 MB), turns ，。 into ASCII , . (which breaks the engine's phrasing and is dropped by it), reads 2月2日 as
二月两日 and leaves GDP, PM2.5 etc. in Latin letters, which the engine drops. cn2an's ``transform`` handles plain
numbers, dates and percentages but misses codes (拨打110 → 一百一十), units, letters, times, temperatures,
ranges and punctuation; it is also only a development dependency of this project. So the rules are written
here: one ordered table ``_RULES`` of (regex, handler), each handler a small function with a docstring. The
table is compiled into a single alternation and applied in one left-to-right pass, so each rule sees the
original text around its match (for context such as 第, 拨打, 热线) and the whole pass is linear.

Pipeline for each line: (1) character folding (full-width ASCII → ASCII except the full-width punctuation the
engine reads, spaces, invisible characters, 〇 → 零, quote/dash/bracket variants, circled and Roman numerals,
accented and compatibility letters → plain); (2) the rule pass; (3) a sweep that drops whatever is still
unreadable (symbols silently; letters and digits of other scripts are reported by ``unspeakable``) and turns
pause markers into ，.

Readings decided here (the case table in tests/text/test_normalize.py pins each of them):

* Years are read digit by digit before 年 (2021年 → 二零二一年, 1990年代, 2022年度), in ISO/slash/dot dates
  (2022-01-28 → 二零二二年一月二十八日) and in year ranges, which repeat 年 after both years:
  2021—2025年 → 二零二一年至二零二五年 (the same as 2021年—2025年). Months and days never use 两: 2月2日 → 二月二日.
* 两 vs 二: a bare 2 reads 两 before a measure word or magnitude (2个 → 两个, 2名, 2万 → 两万, 2km → 两千米) and
  a 2 leading a number at the 百/千/万/亿 place reads 两 (200 → 两百, 2000 → 两千, 20000 → 两万, 204 → 两百零四);
  elsewhere 二 (12 → 十二, 20 → 二十, 1200 → 一千二百, 2.5 → 二点五). Ordinals never use 两 (第2 → 第二,
  第200 → 第二百), nor do percentages, temperatures, months, days, 号, 期 or 路.
* Ranges use 至 for - — ~ between numbers: 2-3天 → 二至三天, 20%—30% and 20-30% → 百分之二十至百分之三十,
  8:00-18:00 → 八点至十八点, -5~3℃ → 零下五至三摄氏度. A bare 2 before a range dash reads 二.
* Times: 14:30 → 十四点三十分, 8:00 → 八点, 9:05 → 九点零五分, 2:30 → 两点三十分. A colon between numbers that
  is not a time (single digit or 3+ digits after it) is a ratio or score: 3:1 → 三比一.
* Codes are read digit by digit with 1 as 幺: phone numbers (landline 023-58888888 → 零二三，五八八八八八八八,
  with ， at each hyphen; 11-digit mobiles; 400/800 numbers), numbers of three or more digits after 拨打/热线/
  电话/报警/邮编/编号/… or before 热线/报警/急救 (拨打110 → 拨打幺幺零, 12345热线 → 幺二三四五热线), ID numbers,
  numbers with a leading zero (编号0012 → 编号零零幺二), three-or-more-digit numbers right after Latin letters
  (G318 → 吉三幺八, A380), bus routes and rooms of three or more digits (101路 → 幺零幺路, 1201室); short route
  numbers are cardinals (15路 → 十五路). Metro lines and buildings are cardinals (3号线 → 三号线, 1号楼 → 一号楼).
* Latin letters are spelled with the table in ``normalize_tables.LETTERS`` (GDP → 吉迪屁, 5G → 五吉,
  PM2.5 → 屁艾姆二点五, iPhone spelled, APP → 诶屁屁), except a few words broadcasters say otherwise (WiFi → 歪费,
  QQ → 扣扣, NATO → 北约 …). Units after a number are read as units (km → 千米, m² → 平方米, kWh → 千瓦时,
  MW → 兆瓦, Hz → 赫兹); GB/MB have no better reading than their letters (吉比, 艾姆比). Roman numerals in
  Latin capitals right after Chinese text are numbers (微观经济学II → 微观经济学二; V and X alone stay letters:
  大V, X光).
* Temperatures: -5℃ → 零下五摄氏度; other negative numbers read 负.
* Spaces: removed (between Chinese characters, or next to Chinese text); a space between two Latin/digit
  tokens becomes a pause ， (iPhone 13 → …，十三). The middle dot · between words is removed (马丁·路德 →
  马丁路德), | and a / between words are pauses, / between units is 每 (元/吨 → 元每吨).
* Web and e-mail addresses: the scheme is dropped, . reads 点 and @ 艾特 (www.gov.cn → 达布留达布留达布留点…);
  versions and IP addresses read 点 between parts (1.2.3 → 一点二点三); a + after a number with no number
  after it is 多 (10万+ → 十万多); 公元前221年 → 公元前二二一年.
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
from collections.abc import Callable
from dataclasses import dataclass

from reader.text.normalize.tables import (
    CIRCLED,
    CJK_RANGE,
    CODE_AFTER,
    CODE_CONTEXT,
    CURRENCIES,
    DIGITS,
    DIGITS_YAO,
    GREEK,
    LETTERS,
    LIANG_BEFORE,
    LIANG_NOT_BEFORE,
    ROMAN_LETTERS,
    SPEAKABLE_PUNCTUATION,
    SYMBOLS,
    UNITS,
    WORDS,
    WORDS_PATTERN,
    build_fold_table,
    small_number,
)

__all__ = ["SPEAKABLE_PUNCTUATION", "is_speakable", "normalize", "unspeakable"]

# Set by the tests so that a bug in a handler raises instead of being papered over by the fallback reading.
_STRICT = False

_PAUSE = "\x1f"  # placeholder for a pause; control characters are removed from the input before the rules
_SPEAKABLE = f"{CJK_RANGE}{SPEAKABLE_PUNCTUATION}"
_SPEAKABLE_NOT_DASH = _SPEAKABLE.replace("—", "")
_ALREADY_SPOKEN = re.compile(f"[{_SPEAKABLE}]*")
_SPEAKABLE_TEXT = re.compile(f"[{_SPEAKABLE}\r\n]*")
_LINE_BREAK = re.compile(r"(\r\n|\r|\n)")
_LEFTOVER = re.compile(f"[^{_SPEAKABLE}{_PAUSE}]+")
_PAUSES = re.compile(f"{_PAUSE}+")
_FOLD_TABLE = build_fold_table()
_TO_FOLD = re.compile(f"[^\x00-\x7f{_SPEAKABLE}²³⁰¹⁴-⁹⁻℃℉°′″‰‱µ{''.join(CIRCLED)}]")
_NO_PAUSE_AFTER = frozenset("，。！？、：；“‘《（—")
_NO_PAUSE_BEFORE = frozenset("，。！？、：；”’》）—…")


# --------------------------------------------------------------------------------------------------------
# Reading numbers


def _digits(s: str, yao: bool = False) -> str:
    """Digit by digit: 2021 → 二零二一; with ``yao`` 1 is 幺 (110 → 幺幺零). Non-digits are skipped."""
    table = DIGITS_YAO if yao else DIGITS
    return "".join(table[ord(c) - 48] for c in s if "0" <= c <= "9")


_PLACES = ("", "十", "百", "千")


def _group(s: str) -> str:
    """One to four digits, no leading zero: 1010 → 一千零一十 (十 is not yet shortened)."""
    parts: list[str] = []
    zero = False
    n = len(s)
    for i, c in enumerate(s):
        d = ord(c) - 48
        if d == 0:
            zero = True
            continue
        if zero and parts:
            parts.append("零")
        zero = False
        parts.append(DIGITS[d] + _PLACES[n - 1 - i])
    return "".join(parts)


def _cardinal(s: str) -> str:
    """At most sixteen digits, no leading zero, in 万/亿 groups: 100010000 → 一亿零一万."""
    for size, unit, read_high in ((8, "亿", _cardinal), (4, "万", _group)):
        if len(s) > size:
            high, low = s[:-size], s[-size:]
            rest = low.lstrip("0")
            out = read_high(high) + unit
            if rest:
                out += ("零" if low[0] == "0" else "") + _cardinal(rest)
            return out
    return _group(s)


def _int(s: str, liang: bool = False) -> str:
    """An integer as a cardinal: 10 → 十, 110 → 一百一十, 37131 → 三万七千一百三十一.

    Leading zeros are ignored; more than sixteen digits are read digit by digit. With ``liang`` a 2 leading
    the number at the 百/千/万/亿 place reads 两 (2000 → 两千), never at the 十 place (20 → 二十).
    """
    s = "".join(c for c in s if "0" <= c <= "9").lstrip("0")
    if not s:
        return "零"
    if len(s) > 16:
        return _digits(s)
    return _short_int(s, liang)


@functools.lru_cache(maxsize=8192)
def _short_int(s: str, liang: bool) -> str:
    """``_int`` for at most sixteen digits without leading zeros (cached: news repeats its numbers)."""
    out = _cardinal(s)
    if out.startswith("一十"):
        out = out[1:]
    if liang and len(out) > 1 and out[0] == "二" and out[1] in "百千万亿":
        out = "两" + out[1:]
    return out


def _number(integer: str, fraction: str | None, liang: bool = False) -> str:
    """An integer or decimal: 3.71 → 三点七一, 0.5 → 零点五 (the fraction is read digit by digit)."""
    if fraction is None:
        return _int(integer, liang)
    return _int(integer) + "点" + _digits(fraction)


def _spell(word: str) -> str:
    """Latin letters one by one with the letter table: GDP → 吉迪屁."""
    return "".join(LETTERS.get(c.upper(), "") for c in word)


def _fallback(span: str) -> str:
    """The reading used if a handler fails: digits and letters one by one, everything else dropped."""
    return "".join(DIGITS[ord(c) - 48] if "0" <= c <= "9" else LETTERS.get(c.upper(), "") for c in span)


# --------------------------------------------------------------------------------------------------------
# Context helpers and shared patterns

_NUM = r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)"
_UNIT_PATTERN = "|".join(f"(?:{pattern})" for pattern, _, _ in UNITS)
_UNIT_RES = [(re.compile(f"(?:{pattern})$"), reading, kind) for pattern, reading, kind in UNITS]
_PADDED_AFTER = re.compile(r"\s*[月日号时点分秒期届版楼层]")
_AMOUNT_AFTER = re.compile(rf"\s*(?:{LIANG_BEFORE.pattern}|元|多|余)")
_MONEY_AFTER = re.compile(r"\s*(?:[万亿元]|多|余|美元|欧元)")
_RANGE_TAIL = re.compile(rf"\s*(?:[-~—至到])\s*-?{_NUM}(?:\.\d+)?\s?(?P<unit>%|‰|‱|℃|°C|°c|℉|°F)")
_CJK_CHAR = re.compile(f"[{CJK_RANGE}]")
_WORDISH = re.compile(r"[0-9A-Za-z%‰℃]")


def _after(m: re.Match[str], n: int = 10) -> str:
    return m.string[m.end() : m.end() + n]


def _is_ordinal(before: str) -> bool:
    """Whether the text before a number makes it an ordinal: 第, No., №."""
    return before.rstrip().endswith(("第", "No", "NO", "No.", "NO."))


@functools.lru_cache(maxsize=256)
def _unit(text: str) -> tuple[str, str]:
    """The reading and kind of a unit symbol as matched by ``_UNIT_PATTERN``."""
    for pattern, reading, kind in _UNIT_RES:
        if pattern.match(text):
            return reading, kind
    return "", "plain"


@dataclass
class _LineState:
    """What a handler may need to remember along one line: how many ASCII quotes it has opened."""

    double_quotes: int = 0
    single_quotes: int = 0


Handler = Callable[[re.Match[str], _LineState], str]


# --------------------------------------------------------------------------------------------------------
# Handlers, in the order of the rule table below


def _list_marker(m: re.Match[str], st: _LineState) -> str:
    """A list number opening a line: ``1.`` / ``1)`` / ``1、`` → 一、."""
    return small_number(int(m["n"])) + "、"


def _date(m: re.Match[str], st: _LineState) -> str:
    """A numeric date: 2022-01-28, 2023/10/01, 2021.5.14 → 二零二二年一月二十八日."""
    return f"{_digits(m['y'])}年{_int(m['m'])}月{_int(m['d'])}日"


def _dotted(m: re.Match[str], st: _LineState) -> str:
    """A version or IP address: 1.2.3 → 一点二点三, 192.168.1.1 → 一九二点一六八点一点一.

    Parts of three or more digits (or with a leading zero) are read digit by digit.
    """
    parts = m["v"].split(".")
    return "点".join(_digits(p) if len(p) >= 3 or (len(p) > 1 and p[0] == "0") else _int(p) for p in parts)


def _era_year(m: re.Match[str], st: _LineState) -> str:
    """A year after 公元/公元前: 公元前221年 → 公元前二二一年, 公元前5年 → 公元前五年."""
    year = m["y"]
    return _digits(year) if len(year) >= 3 else _int(year)


def _year_range(m: re.Match[str], st: _LineState) -> str:
    """Two years joined by a dash before 年/年度/赛季…: 2021—2025年 → 二零二一年至二零二五年."""
    sep = "年至" if m["suf"] == "年" else "至"
    return _digits(m["a"]) + sep + _digits(m["b"])


def _year(m: re.Match[str], st: _LineState) -> str:
    """A year before 年, digit by digit: 2021年 → 二零二一年, 98年5月 → 九八年五月."""
    return _digits(m["y"])


def _decade(m: re.Match[str], st: _LineState) -> str:
    """An English decade: 1990s → 一九九零年代."""
    return _digits(m["y"]) + "年代"


def _generation(m: re.Match[str], st: _LineState) -> str:
    """A birth cohort: 80后 → 八零后, 00后 → 零零后."""
    return _digits(m["y"])


def _circled(m: re.Match[str], st: _LineState) -> str:
    """A circled number: ① → 一; when it introduces a caption or list item (text follows) ① → 一、."""
    s, j = m.string, m.end()
    follows_text = j < len(s) and (s[j].isalnum() or _CJK_CHAR.match(s[j]) is not None)
    return CIRCLED[m.group()] + ("、" if follows_text else "")


def _time(m: re.Match[str], st: _LineState) -> str:
    """A clock time: 14:30 → 十四点三十分, 8:00 → 八点, 9:05 → 九点零五分, 14:30:15 → …十五秒."""
    hour = m["h"].lstrip("0") or "0"
    out = ("两" if hour == "2" else _int(hour)) + "点"
    minute, second = m["m"], m["s"]
    if minute != "00" or (second and second != "00"):
        out += ("零" if minute[0] == "0" else "") + _int(minute) + "分"
    if second and second != "00":
        out += ("零" if second[0] == "0" else "") + _int(second) + "秒"
    return out


def _ratio(m: re.Match[str], st: _LineState) -> str:
    """A score or ratio: 3:1 → 三比一, 1:50000 → 一比五万."""
    return _int(m["a"]) + "比" + _int(m["b"])


def _landline(m: re.Match[str], st: _LineState) -> str:
    """An area code and number: 023-58888888 → 零二三，五八八八八八八八 (a pause at each hyphen)."""
    parts = [m["a"], m["b"]] + ([m["c"]] if m["c"] else [])
    return "，".join(_digits(p, yao=True) for p in parts)


def _service_number(m: re.Match[str], st: _LineState) -> str:
    """A 400/800 service number: 400-820-8820 → 四零零，八二零，八八二零."""
    return "，".join(_digits(m[g], yao=True) for g in ("a", "b", "c"))


def _mobile(m: re.Match[str], st: _LineState) -> str:
    """An eleven-digit mobile number (optionally +86): 13812345678 → 幺三八幺二三四五六七八.

    An eleven-digit amount (13000000000元) is read as a cardinal instead.
    """
    digits = m["a"] + m["b"] + m["c"]
    if not m["cc"] and not m["sep"] and _AMOUNT_AFTER.match(_after(m)):
        return _int(digits, liang=True)
    sep = "，" if m["sep"] else ""
    out = sep.join(_digits(p, yao=True) for p in (m["a"], m["b"], m["c"]))
    if m["cc"]:
        out = ("加" if m["cc"].startswith("+") else "") + _digits(m["cc"], yao=True) + "，" + out
    return out


def _id_number(m: re.Match[str], st: _LineState) -> str:
    """An 18-character ID number, digit by digit, X as 艾克斯."""
    return "".join(_digits(c, yao=True) if c.isdigit() else LETTERS["X"] for c in m.group())


def _letter_code(m: re.Match[str], st: _LineState) -> str:
    """Three or more digits right after Latin letters: G318 → 吉三幺八, CA1234 (unless money follows)."""
    if _MONEY_AFTER.match(_after(m)):
        return _int(m["n"], liang=True)
    return _digits(m["n"], yao=True)


def _route_or_room(m: re.Match[str], st: _LineState) -> str:
    """A bus route, room or train number of three or more digits: 101路 → 幺零幺路, 1201室 → 幺二零幺室."""
    return _digits(m["n"], yao=True)


def _power(m: re.Match[str], st: _LineState) -> str:
    """A power: 10^6 or 10⁶ → 十的六次方."""
    exponent = m["e"].translate(_SUPERSCRIPTS)
    negative = exponent.startswith("-")
    return _number(m["b"], m["bf"]) + "的" + ("负" if negative else "") + _int(exponent) + "次方"


_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")


def _fraction(m: re.Match[str], st: _LineState) -> str:
    """A fraction: 1/3 → 三分之一, 2/5 → 五分之二."""
    return _number(m["b"], m["bf"]) + "分之" + _number(m["a"], m["af"])


def _number_sign(m: re.Match[str], st: _LineState) -> str:
    """A number with # (building, item): 1#楼 → 一号楼, #3 → 三号."""
    return _int(m["n"]) + "号"


def _currency(m: re.Match[str], st: _LineState) -> str:
    """Money with the symbol first: ¥100 → 一百元, $2 → 两美元, US$3.5亿 → 三点五亿美元."""
    integer, fraction = m["num"].replace(",", ""), m["frac"]
    reading = "两" if integer == "2" and fraction is None else _number(integer, fraction, fraction is None)
    return reading + m["mag"] + CURRENCIES[m["cur"]]


def _range(m: re.Match[str], st: _LineState) -> str:
    """A dash or tilde between numbers or after a date/unit before a number: 2-3天, 8:00-18:00 → 至."""
    return "至"


def _number_mark(m: re.Match[str], st: _LineState) -> str:
    """``No.`` or ``№`` before a number: No.1 → 第一."""
    return "第"


def _quantity(m: re.Match[str], st: _LineState) -> str:
    """Any other number, with its sign, magnitude (万/亿) and unit.

    Decides between a cardinal (3.71亿 → 三点七一亿, 1,000,000 → 一百万), a code read digit by digit (after
    拨打/热线/邮编/…, or with a leading zero), an ordinal after 第, 两 vs 二, percent (百分之), temperature
    (零下) and units (5km → 五千米).
    """
    integer, fraction, magnitude, sign = m["num"], m["frac"], m["mag"], m["sign"]
    digits = integer.replace(",", "") if "," in integer else integer
    unit_text = (m["unit"] or "").strip()
    unit_reading, kind = _unit(unit_text) if unit_text else ("", "plain")
    s, start, end = m.string, m.start(), m.end()
    before, after = s[max(0, start - 10) : start], s[end : end + 16]
    ordinal = _is_ordinal(before)
    if fraction is None and integer == digits and not sign and not magnitude and not unit_text:
        if len(digits) > 16:
            return _digits(digits, yao=True)
        if (
            len(digits) >= 3
            and (CODE_CONTEXT.search(before) is not None or CODE_AFTER.match(after) is not None)
            and _AMOUNT_AFTER.match(after) is None
        ):
            return _digits(digits, yao=True)
        if len(digits) > 1 and digits[0] == "0" and not ordinal and not _PADDED_AFTER.match(after):
            return _digits(digits, yao=True)
    if not unit_text:
        head = after.lstrip()[:1]
        tail = _RANGE_TAIL.match(s, end) if head and head in "-~—至到" else None
        if tail:  # the first number of 20-30% or -5~3℃ borrows the kind of the second
            unit_reading, kind = _unit(tail["unit"])
            if kind != "percent":
                unit_reading = ""
    liang = False
    if fraction is None and not ordinal and kind != "percent" and kind != "temp":
        if digits == "2":
            if magnitude or unit_text:
                liang = bool(magnitude) or kind == "metric"
            else:
                liang = LIANG_BEFORE.match(after) is not None and LIANG_NOT_BEFORE.match(after) is None
        else:
            liang = len(digits) >= 3 and digits[0] != "0"
    body = ("两" if liang and digits == "2" else _number(digits, fraction, liang)) + magnitude
    body = unit_reading + body if kind == "percent" else body + unit_reading
    if sign:
        body = ("零下" if kind == "temp" else "负") + body
    return body


_ADDRESS_TOKEN = re.compile(r"[A-Za-z]+|[0-9]+|.")
_ADDRESS_MARKS = {".": "点", "@": "艾特", "/": "斜杠", "-": "杠", "_": "下划线"}


def _address(m: re.Match[str], st: _LineState) -> str:
    """A web or e-mail address: the scheme is dropped, letters spelled, digits one by one, . → 点, @ → 艾特.

    www.gov.cn → 达布留达布留达布留点吉欧维点西恩.
    """
    text = re.sub(r"^(?:https?|ftp)://", "", m.group()).rstrip("/")
    out: list[str] = []
    for token in _ADDRESS_TOKEN.findall(text):
        if token[0].isdigit():
            out.append(_digits(token))
        elif token[0].isalpha():
            out.append(_spell(token))
        else:
            out.append(_ADDRESS_MARKS.get(token, ""))
    return "".join(out)


def _plus_more(m: re.Match[str], st: _LineState) -> str:
    """A plus sign after a number that no number follows means "more than": 10万+ → 十万多, 100+ → 一百多."""
    return "多"


def _roman_letters(m: re.Match[str], st: _LineState) -> str:
    """A Roman numeral in Latin capitals after Chinese text: 微观经济学II → 微观经济学二 (not 艾艾)."""
    return small_number(ROMAN_LETTERS[m["r"]])


def _word(m: re.Match[str], st: _LineState) -> str:
    """Latin words with a fixed reading: WiFi → 歪费, QQ → 扣扣, NATO → 北约."""
    return WORDS[m.group().lower().replace("-", "")]


def _times(m: re.Match[str], st: _LineState) -> str:
    """A multiplication sign between numbers: 3×4, 3x4, 3*4 → 乘."""
    return "乘"


def _letters(m: re.Match[str], st: _LineState) -> str:
    """Any other Latin word, spelled letter by letter: iPhone → 艾屁艾尺欧恩伊, APP → 诶屁屁."""
    return _spell(m.group())


def _greek(m: re.Match[str], st: _LineState) -> str:
    """A Greek letter by its Chinese name: α → 阿尔法, π → 派."""
    return GREEK.get(m.group(), "")


def _circle_zero(m: re.Match[str], st: _LineState) -> str:
    """○ used as zero among Chinese numerals: 二○二一 → 二零二一."""
    return "零"


def _double_quote(m: re.Match[str], st: _LineState) -> str:
    """ASCII double quotes alternate “ and ” along the line."""
    st.double_quotes += 1
    return "“" if st.double_quotes % 2 else "”"


def _single_quote(m: re.Match[str], st: _LineState) -> str:
    """An apostrophe inside a Latin word is dropped; other ASCII single quotes alternate ‘ and ’."""
    s, i = m.string, m.start()
    if 0 < i < len(s) - 1 and s[i - 1].isascii() and s[i - 1].isalpha() and s[i + 1].isascii() and s[i + 1].isalpha():
        return ""
    st.single_quotes += 1
    return "‘" if st.single_quotes % 2 else "’"


def _ellipsis(m: re.Match[str], st: _LineState) -> str:
    """Two or more ASCII dots: ... → ……."""
    return "……"


def _period(m: re.Match[str], st: _LineState) -> str:
    """An ASCII full stop: between Latin letters (U.S.) it is dropped, elsewhere it is 。."""
    s, i = m.string, m.start()
    if 0 < i < len(s) - 1 and s[i - 1].isascii() and s[i - 1].isalpha() and s[i + 1].isascii() and s[i + 1].isalpha():
        return ""
    return "。"


_PUNCTUATION = {",": "，", "!": "！", "?": "？", ";": "；", ":": "：", "(": "（", ")": "）", "[": "（", "]": "）",
                "{": "（", "}": "）"}  # fmt: skip


def _punctuation(m: re.Match[str], st: _LineState) -> str:
    """ASCII punctuation → the full-width mark: , → ，  ! → ！  ? → ？  ; → ；  : → ：  ( → （ …"""
    return _PUNCTUATION[m.group()]


def _title_mark(m: re.Match[str], st: _LineState) -> str:
    """Doubled angle brackets as book-title marks: <<书名>> → 《书名》."""
    return "《" if m.group() == "<<" else "》"


def _comparison(m: re.Match[str], st: _LineState) -> str:
    """< and > next to a number: 小于, 大于; elsewhere dropped."""
    s, i, j = m.string, m.start(), m.end()
    near_number = (i > 0 and s[i - 1].isdigit()) or bool(re.match(r"\s*\d", s[j : j + 4]))
    if not near_number:
        return ""
    return "小于" if m.group() == "<" else "大于"


def _per(m: re.Match[str], st: _LineState) -> str:
    """A slash between units: 元/吨 → 元每吨, 公里/小时 → 公里每小时."""
    return "每"


def _pause(m: re.Match[str], st: _LineState) -> str:
    """A separator between words (| or /) is a short pause: ，."""
    return _PAUSE


def _dash(m: re.Match[str], st: _LineState) -> str:
    """A hyphen between Chinese words is a dash (万州-涪陵 → 万州—涪陵); elsewhere it is dropped."""
    s, i, j = m.string, m.start(), m.end()
    if i > 0 and j < len(s) and _CJK_CHAR.match(s[i - 1]) and _CJK_CHAR.match(s[j]):
        return "—" * min(2, j - i)
    return ""


def _symbol(m: re.Match[str], st: _LineState) -> str:
    """A symbol with a reading of its own: + → 加, = → 等于, & → 和, @ → 艾特, ℃ → 摄氏度, % → 百分号."""
    return SYMBOLS[m.group()]


def _lone_currency(m: re.Match[str], st: _LineState) -> str:
    """A currency symbol without a number: $ → 美元."""
    return CURRENCIES[m.group()]


def _superscript_digit(m: re.Match[str], st: _LineState) -> str:
    """Any other superscript digit, as a digit."""
    return _digits(m.group().translate(_SUPERSCRIPTS))


def _silent(m: re.Match[str], st: _LineState) -> str:
    """Marks with nothing to say: # _ ~ ` ^ \\ * and stray hyphens."""
    return ""


def _space(m: re.Match[str], st: _LineState) -> str:
    """Spaces: a pause between two Latin/digit tokens (iPhone 13), otherwise removed."""
    s, i, j = m.string, m.start(), m.end()
    if i > 0 and j < len(s) and _WORDISH.match(s[i - 1]) and _WORDISH.match(s[j]):
        return _PAUSE
    return ""


# --------------------------------------------------------------------------------------------------------
# The rule table. Order matters: at each position the first rule that matches wins.

_YEAR = r"(?:1[1-9]\d\d|20\d\d)"
_CURRENCY = "|".join(re.escape(c) for c in sorted(CURRENCIES, key=len, reverse=True))

_RULES: tuple[tuple[str, str, Handler], ...] = (
    ("sd", r"^\s*(?P<n>\d{1,2})[.、)）](?![\d.])\s*", _list_marker),
    ("d", r"(?<![\d.])(?P<y>\d{4})[-/.](?P<m>0?[1-9]|1[0-2])[-/.](?P<d>0?[1-9]|[12]\d|3[01])(?![\d])", _date),
    ("d", r"(?<![\d.])(?P<v>\d+(?:\.\d+){2,})(?!\d|\.\d)", _dotted),
    ("d", r"(?<=公元)(?P<y>\d{1,4})(?=\s*年)", _era_year),
    ("d", r"(?<=公元前)(?P<y>\d{1,4})(?=\s*年)", _era_year),
    ("d", rf"(?<![\d.])(?P<a>{_YEAR})\s*[-~—至到]\s*(?P<b>{_YEAR})"
     r"(?=\s*(?P<suf>年(?![代度])|年度|年代|学年|赛季|财年|季))", _year_range),
    ("d", rf"(?<![\d.])(?P<y>{_YEAR})(?=\s*年(?!来|之久|历史|的历史))", _year),
    ("d", r"(?<![\d.])(?P<y>\d{2})(?=年\d{1,2}月)", _year),
    ("d", rf"(?<![\d.])(?P<y>{_YEAR})s(?![A-Za-z])", _decade),
    ("d", r"(?<![\d.月日])(?P<y>[0-9][05])(?=后(?![来面期续]))", _generation),
    ("o", f"[{''.join(CIRCLED)}]", _circled),
    ("d", r"(?<![\d:：.])(?P<h>[01]?\d|2[0-4])[:：](?P<m>[0-5]\d)(?:[:：](?P<s>[0-5]\d))?(?![\d:：])", _time),
    ("d", r"(?<![\d:：.])(?P<a>\d+)[:：](?P<b>\d+)(?![\d:：])", _ratio),
    ("d", r"(?<![\d-])(?P<a>0\d{2,3})-(?P<b>\d{7,8})(?:-(?P<c>\d{1,5}))?(?!\d)", _landline),
    ("o", r"[(（](?P<a>0\d{2,3})[)）]\s*(?P<b>\d{7,8})(?!\d)(?P<c>)", _landline),
    ("d", r"(?<![\d-])(?P<a>[48]00)-?(?P<b>\d{3})-?(?P<c>\d{4})(?!\d)", _service_number),
    ("do", r"(?<!\d)(?:(?P<cc>\+?86)[-\s]?)?(?P<a>1[3-9]\d)(?P<sep>[-\s]?)(?P<b>\d{4})[-\s]?(?P<c>\d{4})(?!\d)",
     _mobile),
    ("d", r"(?<!\d)\d{17}[\dXx](?![\dA-Za-z])", _id_number),
    ("d", r"(?<=[A-Za-z])(?<!\d[xX])(?P<n>\d{3,})(?!\d|\.\d|,\d)", _letter_code),
    ("d", r"(?<![\d.])(?P<n>\d{3,})(?=路(?![线径程口上面过])|室|房间|号房|次列车|次航班)", _route_or_room),
    ("d", r"(?P<b>\d+)(?:\.(?P<bf>\d+))?(?P<e>⁻?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)", _power),
    ("d", r"(?P<b>\d+)(?:\.(?P<bf>\d+))?\^(?P<e>-?\d+)", _power),
    ("d", r"(?<![\d/.])(?P<a>\d+)(?:\.(?P<af>\d+))?/(?P<b>\d+)(?:\.(?P<bf>\d+))?(?![\d/]|\.\d)", _fraction),
    ("d", r"(?<![\dA-Za-z.])(?P<n>\d+)#", _number_sign),
    ("o", r"#(?P<n>\d+)(?![\d.])", _number_sign),
    ("ao", rf"(?P<cur>{_CURRENCY})\s*(?P<num>{_NUM})(?:\.(?P<frac>\d+))?(?P<mag>[万亿]{{0,2}})", _currency),
    ("so", r"(?<=[\d%‰℃°′″年月日号时点分秒万亿千百元米克吨岁天周])\s*[-~—]\s*(?=-?\d)", _range),
    ("a", r"(?<![A-Za-z])(?:No|NO)\.?\s*(?=\d)", _number_mark),
    ("do", rf"(?P<sign>(?<![0-9A-Za-z)）%‰℃°.])-)?(?P<num>{_NUM})(?:\.(?P<frac>\d+))?(?P<mag>[万亿]{{0,2}})"
     rf"(?P<unit>\s?(?:{_UNIT_PATTERN})(?![A-Za-z]))?", _quantity),
    ("a", r"(?:(?:https?|ftp)://|www\.)[A-Za-z0-9\-._~/?#@%=&+]*[A-Za-z0-9/]", _address),
    ("dao", r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", _address),
    ("a", rf"(?:(?<=[{CJK_RANGE}])|(?<=[{CJK_RANGE}] ))(?P<r>VIII|VII|III|II|IV|VI|IX|I)(?![A-Za-z0-9])",
     _roman_letters),
    ("a", WORDS_PATTERN, _word),
    ("sao", r"(?<=\d)\s*[xX×*]\s*(?=\d)", _times),
    ("a", r"[A-Za-z]+", _letters),
    ("o", r"[α-ωΑ-Ωµ]", _greek),
    ("o", r"(?<=[零一二三四五六七八九])○|○(?=[零一二三四五六七八九])", _circle_zero),
    ("o", r'"', _double_quote),
    ("o", r"'", _single_quote),
    ("o", r"\.{2,}", _ellipsis),
    ("o", r"\.", _period),
    ("o", r"[,!?;:()\[\]{}]", _punctuation),
    ("o", r"<<|>>", _title_mark),
    ("o", r"[<>]", _comparison),
    ("o", r"(?<=[元米克吨升斤亩时天])/(?=[小时天年月日周吨克斤米升平立方公千亩人次件个台瓶盒箱份张户])", _per),
    ("o", r"[|/\\]", _pause),
    ("o", r"-+", _dash),
    ("o", r"(?<=[\d万亿千百])\+(?!\s*\d)", _plus_more),
    ("o", r"[+=×÷±≈≠≤≥&@℃℉°%‰²³∞√]", _symbol),
    ("ao", _CURRENCY, _lone_currency),
    ("o", r"[⁰¹⁴⁵⁶⁷⁸⁹]", _superscript_digit),
    ("o", r"[#_~`^*]", _silent),
    ("s", r"\s+", _space),
)

_NAMED_GROUP = re.compile(r"\(\?P<[A-Za-z_]\w*>")
_RULE_RES = tuple(re.compile(pattern, re.ASCII) for _, pattern, _ in _RULES)
_HANDLERS = tuple(handler for _, _, handler in _RULES)
_BUCKETS = {"d": "(?=[0-9])", "a": "(?=[A-Za-z])", "s": "(?=\\s)", "o": ""}


def _compile_master(bucketed: bool = True) -> re.Pattern[str]:
    """All rules as one alternation, each rule's named groups made anonymous and the rule wrapped in a group
    ``r<index>_<bucket>`` that tells which rule matched.

    No rule starts on a character that is already speakable (except — in 20%—30%), which the leading lookahead
    uses to skip plain Chinese text quickly. ``bucketed`` splits the alternation by the kind of the first
    character (digit, Latin letter, space, other; the first column of ``_RULES``) so that, say, a % does not
    try the thirty number rules; the rules keep their order within a bucket, so the result is the same as
    with one flat alternation (``bucketed=False``, which the tests compare against).
    """

    def alternatives(bucket: str) -> str:
        return "|".join(
            f"(?P<r{i}_{bucket}>{_NAMED_GROUP.sub('(?:', pattern)})"
            for i, (starts, pattern, _) in enumerate(_RULES)
            if bucket == "x" or bucket in starts
        )

    if bucketed:
        body = "|".join(f"{guard}(?:{alternatives(bucket)})" for bucket, guard in _BUCKETS.items())
    else:
        body = alternatives("x")
    return re.compile(f"(?=[^{_SPEAKABLE_NOT_DASH}])(?:{body})", re.ASCII)


_MASTER = _compile_master()
_RULE_BY_GROUP = {
    f"r{i}_{bucket}": (_RULE_RES[i], _HANDLERS[i]) for i in range(len(_RULES)) for bucket in "dasox"
}


# --------------------------------------------------------------------------------------------------------
# The pipeline


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
    """Step 1: character folding (see ``normalize_tables.build_fold_table`` and ``_fold_char``)."""
    line = line.translate(_FOLD_TABLE)
    return _TO_FOLD.sub(lambda m: _fold_char(m.group()), line)


def _apply_rules(line: str, master: re.Pattern[str] = _MASTER) -> str:
    """Step 2: one pass of the rule table over a folded line."""
    state = _LineState()

    def replace(m: re.Match[str]) -> str:
        rule = _RULE_BY_GROUP.get(m.lastgroup or "")
        try:
            match = rule[0].match(m.string, m.start()) if rule else None
            if rule is None or match is None or match.end() != m.end():
                raise AssertionError(f"rule {m.lastgroup} does not rematch {m.group()!r}")
            return rule[1](match, state)
        except Exception:
            if _STRICT:
                raise
            return _fallback(m.group())

    return _MASTER.sub(replace, line)


def _sweep(spoken: str, dropped: list[str] | None) -> str:
    """Step 3: drop what the engine cannot read and turn pause markers into ， where a pause fits.

    Letters and digits of other scripts (kana, Hangul, Cyrillic, rare ideographs …) are added to ``dropped``;
    symbols, emoji and decorations are dropped silently.
    """

    def drop(m: re.Match[str]) -> str:
        if dropped is not None:
            dropped.extend(c for c in m.group() if unicodedata.category(c)[0] in "LN")
        return ""

    spoken = _LEFTOVER.sub(drop, spoken)
    if _PAUSE not in spoken:
        return spoken

    def pause(m: re.Match[str]) -> str:
        s, i, j = m.string, m.start(), m.end()
        if i == 0 or j == len(s) or s[i - 1] in _NO_PAUSE_AFTER or s[j] in _NO_PAUSE_BEFORE:
            return ""
        return "，"

    return _PAUSES.sub(pause, spoken)


def _normalize_line(line: str, dropped: list[str] | None = None) -> str:
    if _ALREADY_SPOKEN.fullmatch(line):
        return line
    return _sweep(_apply_rules(_fold(line)), dropped)


def _run(text: str, dropped: list[str] | None) -> str:
    parts = _LINE_BREAK.split(text)
    for i in range(0, len(parts), 2):
        parts[i] = _normalize_line(parts[i], dropped)
    return "".join(parts)


def normalize(text: str) -> str:
    """The spoken form of ``text``: only CJK ideographs U+4E00–U+9FA5 and ``SPEAKABLE_PUNCTUATION``.

    Line breaks are kept as they are and each line is normalized on its own. Pure, thread-safe, linear in the
    length of the text, and it never raises. Already speakable text is returned unchanged.
    """
    if not isinstance(text, str):  # defensive: the contract is str, but never raise
        text = str(text)
    return _run(text, None)


def unspeakable(text: str) -> str:
    """The characters of ``text`` that ``normalize`` could not turn into something the engine reads.

    These are letters and digits of other scripts (kana, Hangul, Cyrillic, ideographs outside U+4E00–U+9FA5…),
    which ``normalize`` drops; each is listed once, in order of first appearance. "" when nothing was lost.
    Symbols and decorations without a reading (emoji, ★, ·) are dropped silently and not listed.
    """
    dropped: list[str] = []
    _run(text, dropped)
    return "".join(dict.fromkeys(dropped))


def is_speakable(text: str) -> bool:
    """Whether every character of ``text`` is one the engine reads (line breaks are allowed)."""
    return _SPEAKABLE_TEXT.fullmatch(text) is not None
