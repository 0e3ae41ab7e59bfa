"""The rule table of the normalizer: (first-character buckets, regex, handler, guard), in order.

At each position of a line the first rule whose regex matches there and whose guard (if any) accepts the
match wins; its handler returns the spoken form of the matched text. Guards decide by context (the words
before and after the match, from the tables in ``tables.py``): when a guard refuses, the next rules are
tried at the same position, so 7-9 is a date after 日期, a score after 比分 and a range elsewhere. Handlers
see the whole line (``m.string``) and the voice's abilities (``state.abilities``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from reader.text.normalize.abilities import CHINESE, Abilities
from reader.text.normalize.numbers import amount, digits, integer, number, scaled
from reader.text.normalize.tables import (
    ABBREVIATIONS,
    AMOUNT_AFTER,
    CHINESE_READINGS,
    CIRCLED,
    CJK_RANGE,
    CODE_AFTER,
    CODE_CONTEXT,
    CURRENCIES,
    CURRENCY_CODES,
    CURRENCY_NAMES,
    DATE_AFTER,
    DATE_BEFORE,
    DAY_PARTS,
    DURATION_BEFORE,
    ERAS,
    GREEK,
    LETTERS,
    LIANG_BEFORE,
    LIANG_NOT_BEFORE,
    LONE_CURRENCY_CODES,
    MEASURE_AFTER,
    MONEY_AFTER,
    NAMED_WORDS,
    NOT_SCORE_AFTER,
    OPERATORS,
    PADDED_AFTER,
    RESOLUTIONS,
    ROMAN_LETTERS,
    SCALES,
    SCORE_AFTER,
    SCORE_BEFORE,
    SCORE_BEFORE_WEAK,
    SIGN_CONTEXTS,
    SIGN_READINGS,
    SYMBOLS,
    UNITS,
    YEAR_AFTER,
    YEAR_BEFORE,
    YEARS_AFTER,
    YEARS_BEFORE,
    small_number,
    words_pattern,
)

PAUSE = "\x1f"  # a pause (， where one fits); control characters are removed from the input before the rules
LATIN_SPACE = "\x1e"  # a space between two Latin words, for a voice that says them


@dataclass
class LineState:
    """What handlers share along one line: the voice's abilities and how many ASCII quotes are open."""

    abilities: Abilities = field(default=CHINESE)
    double_quotes: int = 0
    single_quotes: int = 0


Handler = Callable[[re.Match[str], LineState], str]
Guard = Callable[[re.Match[str], LineState], bool]


@dataclass(frozen=True)
class Rule:
    """One rule: ``starts`` lists the kinds of character a match can start with (d digit, a Latin letter,
    s space, p ASCII punctuation , ; : ! ? and brackets, o other), ``pattern`` is matched with re.ASCII,
    ``when`` (optional) accepts or refuses a match by its context."""

    starts: str
    pattern: str
    handler: Handler
    when: Guard | None = None


# --------------------------------------------------------------------------------------------------------
# Helpers


def _before(m: re.Match[str], n: int = 12) -> str:
    return m.string[max(0, m.start() - n) : m.start()]


def _after(m: re.Match[str], n: int = 12) -> str:
    return m.string[m.end() : m.end() + n]


def _is_ordinal(before: str) -> bool:
    """Whether the text before a number makes it an ordinal: 第, No., №."""
    return before.rstrip().endswith(("第", "No", "NO", "No.", "NO."))


def _spell(word: str) -> str:
    """Latin letters one by one with the letter table: GDP → 吉迪批."""
    return "".join(LETTERS.get(c.upper(), "") for c in word)


def _latin(word: str, st: LineState) -> str:
    """A Latin word as this voice says it: kept (only its letters) if it says Latin, else spelled."""
    if st.abilities.latin:
        return "".join(c for c in word if c.isascii() and c.isalpha())
    return _spell(word)


def fallback(span: str) -> str:
    """The reading used if a handler fails: digits and letters one by one, everything else dropped."""
    return "".join(digits(c) if "0" <= c <= "9" else LETTERS.get(c.upper(), "") for c in span)


_UNIT_PATTERN = "|".join(f"(?:{pattern})" for pattern, _, _ in UNITS)
_UNIT_RES = [(re.compile(f"(?:{pattern})$"), reading, kind) for pattern, reading, kind in UNITS]
_UNITS = rf"(?:{_UNIT_PATTERN})(?:/(?:{_UNIT_PATTERN}))?(?![A-Za-z])"  # a unit, or unit/unit: kg/m³


@functools.lru_cache(maxsize=512)
def _unit_entry(text: str) -> tuple[str, str]:
    """The reading ("" for letters) and kind of one unit symbol."""
    for pattern, reading, kind in _UNIT_RES:
        if pattern.match(text):
            return reading, kind
    return "", "plain"


def _unit(text: str, st: LineState) -> tuple[str, str]:
    """The reading and kind of a unit as matched by ``_UNITS``: km → 千米, kg/m³ → 千克每立方米, GB → letters."""
    reading, kind = _unit_entry(text)
    if kind == "plain" and "/" in text and not reading:
        head, _, tail = text.partition("/")
        reading, kind = _unit_entry(head)
        reading = (reading or _latin(head, st)) + "每" + (_unit_entry(tail)[0] or _latin(tail, st))
    return reading or _latin(text, st), kind


def _sign(sign: str, m: re.Match[str], kind: str = "plain") -> str:
    """A sign before a number: 负/正, 下降/增长 after 同比/环比, nothing where the word before already says which
    way (增长+3.5%, 跌-0.12%), 零下 for temperatures."""
    before = _before(m)
    context = next((name for name, pattern in SIGN_CONTEXTS.items() if pattern.search(before)), "")
    if sign == "-" and kind == "temp" and context != "same period":
        return "零下"
    return SIGN_READINGS.get((sign, context), SIGN_READINGS[sign, ""])


_NUM = r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)"
_SIGN = r"(?P<sign>(?<![0-9A-Za-z)）%‰℃°.])-|(?<![0-9A-Za-z)）%‰℃°.])(?<![0-9)）]\s)\+)"
_RANGE_TAIL = re.compile(rf"\s*(?:[-~—至到])\s*-?{_NUM}(?:\.\d+)?\s?(?P<unit>%|‰|‱|℃|°C|°c|℉|°F)")
_CJK_CHAR = re.compile(f"[{CJK_RANGE}]")
_WORDISH = re.compile(r"[0-9A-Za-z%‰℃]")
_DEGREE_AFTER = re.compile(r"\s*度")
_CLOCK_SHAPED = re.compile(r"(?:[01]?\d|2[0-4])[:：][0-5]\d")


# --------------------------------------------------------------------------------------------------------
# Handlers and guards, in the order of the rule table below


def _list_marker(m: re.Match[str], st: LineState) -> str:
    """A list number opening a line: ``1.`` / ``1)`` / ``1、`` → 一、."""
    return small_number(int(m["n"])) + "、"


def _date(m: re.Match[str], st: LineState) -> str:
    """A numeric date: 2022-01-28, 2023/10/01, 2021.5.14, 2023·7·9 → 二零二二年一月二十八日; 23/7/9 → 二三年…"""
    return f"{digits(m['y'])}年{integer(m['m'])}月{integer(m['d'])}日"


def _date_mdy(m: re.Match[str], st: LineState) -> str:
    """Month/day/year, or day/month/year when the first field cannot be a month: 7/9/2023, 25/12/2023."""
    a, b = int(m["a"]), int(m["b"])
    month, day = (a, b) if a <= 12 else (b, a)
    return f"{digits(m['y'])}年{integer(str(month))}月{integer(str(day))}日"


def _valid_mdy(m: re.Match[str], st: LineState) -> bool:
    return int(m["a"]) <= 12 or int(m["b"]) <= 12


def _month_year(m: re.Match[str], st: LineState) -> str:
    """A month and year, either way round: 2023/07, 2023.07, 07-2023 → 二零二三年七月."""
    return f"{digits(m['y'])}年{integer(m['m'])}月"


def _no_measure_after(m: re.Match[str], st: LineState) -> bool:
    """Not followed by a measure word or unit (2023.07点 is an index, 1-2000人 a range)."""
    return MEASURE_AFTER.match(m.string, m.end()) is None


def _month_day(m: re.Match[str], st: LineState) -> str:
    """A month and day: 07/09, 07-09, 日期：7-9, 定于8.15 → 七月九日."""
    return f"{integer(m['m'])}月{integer(m['d'])}日"


def _is_month_day(m: re.Match[str], st: LineState) -> bool:
    """A zero-padded month (07/09, 08.08), or any month/day after a date word or before a weekday."""
    if MEASURE_AFTER.match(m.string, m.end()) or SCORE_BEFORE.search(_before(m)):
        return False
    padded = m["m"][0] == "0" and (m["s"] != "." or len(m["d"]) == 2)  # 07/09, 08.08; not 0.5
    return padded or DATE_BEFORE.search(_before(m)) is not None or DATE_AFTER.match(m.string, m.end()) is not None


def _ipv4(m: re.Match[str], st: LineState) -> str:
    """An IPv4 address, each part digit by digit: 192.168.1.1 → 一九二点一六八点一点一, 10.0.0.1 → 一零点…"""
    return "点".join(digits(p) for p in m.group().split("."))


def _dotted(m: re.Match[str], st: LineState) -> str:
    """A version: 1.2.3 → 一点二点三; parts of three or more digits (or a leading zero) digit by digit."""
    parts = m["v"].split(".")
    return "点".join(digits(p) if len(p) >= 3 or (len(p) > 1 and p[0] == "0") else integer(p) for p in parts)


def _era(m: re.Match[str], st: LineState) -> str:
    """A year with BC/AD: 221BC → 公元前二二一年, 1066AD and AD 1066 → 公元一零六六年, 5BC → 公元前五年."""
    year = m["y"]
    return ERAS[m["era"]] + (digits(year) if len(year) >= 3 else integer(year)) + "年"


def _era_year(m: re.Match[str], st: LineState) -> str:
    """A year after 公元/公元前: 公元前221年 → 公元前二二一年, 公元前5年 → 公元前五年."""
    year = m["y"]
    return digits(year) if len(year) >= 3 else integer(year)


def _year_range(m: re.Match[str], st: LineState) -> str:
    """Two years joined by a dash before 年/年度/赛季…: 2021—2025年 → 二零二一年至二零二五年."""
    sep = "年至" if m["suf"] == "年" else "至"
    return digits(m["a"]) + sep + digits(m["b"])


def _season(m: re.Match[str], st: LineState) -> str:
    """A season with a short second year: 2011-12赛季 → 二零一一至一二赛季."""
    return digits(m["a"]) + "至" + digits(m["b"])


def _bare_years(m: re.Match[str], st: LineState) -> str:
    """Two years joined by a dash with no 年: 1987-2001 → 一九八七至二零零一."""
    return digits(m["a"]) + "至" + digits(m["b"])


def _bare_years_ok(m: re.Match[str], st: LineState) -> bool:
    """The second year is later and no measure word follows (1900-2000米 is a range of heights)."""
    return int(m["a"]) < int(m["b"]) and MEASURE_AFTER.match(m.string, m.end()) is None


def _year(m: re.Match[str], st: LineState) -> str:
    """A year before 年, digit by digit: 2021年 → 二零二一年."""
    return digits(m["y"])


def _day_name(m: re.Match[str], st: LineState) -> str:
    """A day named by its date with a middle dot, digit by digit: 3·15 → 三一五, 9·11 → 九一一."""
    return digits(m["m"] + m["d"], yao=False)


def _short_year(m: re.Match[str], st: LineState) -> str:
    """Two digits before 年: a year (19年 → 一九年, 98年5月 → 九八年五月, 在22年) when the words around say so
    (``YEAR_AFTER``, ``YEAR_BEFORE``, or it starts a clause), unless they make it a duration (工作了19年, 19年来,
    近20年); elsewhere a duration too (八成20年的贷款 → 二十年)."""
    before = _before(m)
    if _is_ordinal(before) or YEARS_BEFORE.search(before) or YEARS_AFTER.match(m.string, m.end()):
        return integer(m["y"])
    if (
        YEAR_AFTER.match(m.string, m.end())
        or YEAR_BEFORE.search(before)
        or not before
        or _CJK_CHAR.match(before[-1]) is None
    ):
        return digits(m["y"])
    return integer(m["y"])


def _decade(m: re.Match[str], st: LineState) -> str:
    """An English decade: 1990s → 一九九零年代."""
    return digits(m["y"]) + "年代"


def _generation(m: re.Match[str], st: LineState) -> str:
    """A birth cohort: 80后 → 八零后, 00后 → 零零后."""
    return digits(m["y"])


def _circled(m: re.Match[str], st: LineState) -> str:
    """A circled number: ① → 一; when it introduces a caption or list item (text follows) ① → 一、."""
    s, j = m.string, m.end()
    follows_text = j < len(s) and (s[j].isalnum() or _CJK_CHAR.match(s[j]) is not None)
    return CIRCLED[m.group()] + ("、" if follows_text else "")


def _score(m: re.Match[str], st: LineState) -> str:
    """A score: 比分3-1, 3-1战胜, 以98:102告负 → 三比一, 九十八比一百零二."""
    return integer(m["a"]) + "比" + integer(m["b"])


def _is_score(m: re.Match[str], st: LineState) -> bool:
    """After a score word (比分, 战胜 …) or before one (战胜, 领先 …), and no measure word follows. After 以 or
    队 alone, a pair shaped like a clock time (以9:30为准) is not a score."""
    if MEASURE_AFTER.match(m.string, m.end()) or NOT_SCORE_AFTER.match(m.string, m.end()):
        return False
    before = _before(m)
    if SCORE_BEFORE.search(before) or SCORE_AFTER.match(m.string, m.end()):
        return True
    return SCORE_BEFORE_WEAK.search(before) is not None and _CLOCK_SHAPED.fullmatch(m.group()) is None


def _clock(hour: int, minute: str, second: str | None) -> str:
    """七点零五分 from (7, "05", None); 两点 for 2 o'clock; minutes and seconds of 00 are not said."""
    out = ("两" if hour == 2 else integer(str(hour))) + "点"
    if minute != "00" or (second and second != "00"):
        out += ("零" if minute[0] == "0" else "") + integer(minute) + "分"
    if second and second != "00":
        out += ("零" if second[0] == "0" else "") + integer(second) + "秒"
    return out


def _meridiem(hour: int, marker: str) -> tuple[int, str]:
    """An hour with am/pm → (the hour as said, the part of the day): (7, pm) → (7, 晚上), (12, am) → (0, 凌晨)."""
    pm = marker[0] in "Pp"
    hour24 = (hour % 12) + (12 if pm else 0)
    part = next(name for low, high, name in DAY_PARTS if low <= hour24 <= high)
    return (hour24 - 12 if hour24 > 12 else hour24), part


def _time(m: re.Match[str], st: LineState) -> str:
    """A clock time: 14:30 → 十四点三十分, 9:05 → 九点零五分, 7:05pm → 晚上七点零五分; a duration after
    成绩/用时 …: 2:05:30 → 两小时零五分三十秒."""
    hour, minute, second, marker = int(m["h"]), m["m"], m["s"], m["ap"]
    if second and not marker and DURATION_BEFORE.search(_before(m)):
        out = ("两" if hour == 2 else integer(str(hour))) + "小时"
        out += ("零" if minute[0] == "0" else "") + integer(minute) + "分"
        return out + ("零" if second[0] == "0" else "") + integer(second) + "秒"
    if marker and hour <= 12:
        hour, part = _meridiem(hour, marker)
        return part + _clock(hour, minute, second)
    return _clock(hour, minute, second)


def _hour_meridiem(m: re.Match[str], st: LineState) -> str:
    """An hour with am/pm: 7am → 上午七点, 5pm → 下午五点, 12pm → 中午十二点."""
    hour, part = _meridiem(int(m["h"]), m["ap"])
    return part + _clock(hour, "00", None)


def _ratio(m: re.Match[str], st: LineState) -> str:
    """A ratio: 3:2 → 三比二, 1:50000 → 一比五万, 16:9 → 十六比九."""
    return integer(m["a"]) + "比" + integer(m["b"])


def _landline(m: re.Match[str], st: LineState) -> str:
    """An area code and number: 023-58888888 → 零二三，五八八八八八八八 (a pause at each hyphen)."""
    parts = [m["a"], m["b"]] + ([m["c"]] if m["c"] else [])
    return "，".join(digits(p, yao=True) for p in parts)


def _area_code(m: re.Match[str], st: LineState) -> str:
    """An area code in brackets and the number after it: （023）63896666 → （零二三）六三八九六六六六."""
    return digits(m["n"], yao=True)


def _service_number(m: re.Match[str], st: LineState) -> str:
    """A 400/800 service number: 400-820-8820 → 四零零，八二零，八八二零."""
    return "，".join(digits(m[g], yao=True) for g in ("a", "b", "c"))


def _mobile(m: re.Match[str], st: LineState) -> str:
    """An eleven-digit mobile number (optionally +86): 13812345678 → 幺三八幺二三四五六七八.

    An eleven-digit amount (13000000000元) is read as a cardinal instead.
    """
    whole = m["a"] + m["b"] + m["c"]
    if not m["cc"] and not m["sep"] and AMOUNT_AFTER.match(_after(m)):
        return integer(whole, liang=True)
    sep = "，" if m["sep"] else ""
    out = sep.join(digits(p, yao=True) for p in (m["a"], m["b"], m["c"]))
    if m["cc"]:
        out = ("加" if m["cc"].startswith("+") else "") + digits(m["cc"], yao=True) + "，" + out
    return out


def _id_number(m: re.Match[str], st: LineState) -> str:
    """An 18-character ID number, digit by digit, X as a letter."""
    return "".join(digits(c, yao=True) if c.isdigit() else _latin(c, st) for c in m.group())


def _letter_code(m: re.Match[str], st: LineState) -> str:
    """Three or more digits right after Latin letters: G318 → 吉三幺八, CA1234, 渝A·12345 (unless money
    follows)."""
    if MONEY_AFTER.match(_after(m)):
        return integer(m["n"], liang=True)
    return digits(m["n"], yao=True)


def _route_or_room(m: re.Match[str], st: LineState) -> str:
    """A bus route, room or train number of three or more digits: 101路 → 幺零幺路, 1201室 → 幺二零幺室."""
    return digits(m["n"], yao=True)


_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")


def _hundredths(m: re.Match[str], st: LineState) -> str:
    """Fractions of a second written after 秒, digit by digit: 9秒83 → 九秒八三."""
    return digits(m["n"])


def _power(m: re.Match[str], st: LineState) -> str:
    """A power: 10^6 or 10⁶ → 十的六次方."""
    exponent = m["e"].translate(_SUPERSCRIPTS)
    negative = exponent.startswith("-")
    return number(m["b"], m["bf"]) + "的" + ("负" if negative else "") + integer(exponent) + "次方"


def _resolution(m: re.Match[str], st: LineState) -> str:
    """A video resolution: 1080P → 一零八零P (the letter spelled for a voice without Latin)."""
    return digits(m["n"]) + _latin(m["p"], st)


def _fraction(m: re.Match[str], st: LineState) -> str:
    """A fraction, with its sign and spaces: 1/3 → 三分之一, -3/8 → 负八分之三, 3 / 4 → 四分之三."""
    sign = _sign(m["sign"], m) if m["sign"] else ""
    return sign + number(m["b"], m["bf"]) + "分之" + number(m["a"], m["af"])


def _number_sign(m: re.Match[str], st: LineState) -> str:
    """A number with # (building, item): 1#楼 → 一号楼, #3 → 三号."""
    return integer(m["n"]) + "号"


def _money(m: re.Match[str], name: str, prefix: str = "") -> str:
    """The reading of an amount matched with the groups num, frac, mag, scale, num2, frac2, mag2, tail."""
    whole, fraction, magnitude = m["num"].replace(",", ""), m["frac"], m["mag"] or ""
    if m["scale"]:
        reading = scaled(whole, fraction, SCALES[m["scale"].lower()])
    else:
        reading = amount(whole, fraction) + magnitude
    if m["num2"]:
        reading = amount(whole, fraction, "二") + magnitude
        reading += "至" + amount(m["num2"].replace(",", ""), m["frac2"]) + (m["mag2"] or "")
    tail = m["tail"]
    if tail:
        name = name if tail in name else tail  # ¥100元 says 元 once; RMB500元 → 五百元人民币
    return prefix + reading + name


_CURRENCY = "|".join(re.escape(c) for c in sorted(CURRENCIES, key=len, reverse=True))
_CODES = "|".join(sorted(CURRENCY_CODES, key=len, reverse=True))
_SCALES = "|".join(sorted(SCALES, key=len, reverse=True))
_TAIL = "|".join(CURRENCY_NAMES)
_AMOUNT = (
    rf"(?P<num>{_NUM})(?:\.(?P<frac>\d+))?(?P<mag>[万亿]{{0,2}})(?:\s?(?P<scale>{_SCALES})(?![A-Za-z]))?"
    rf"(?:\s*[-~—至到]\s*(?P<num2>{_NUM})(?:\.(?P<frac2>\d+))?(?P<mag2>[万亿]{{0,2}}))?(?P<tail>{_TAIL})?"
)


def _currency(m: re.Match[str], st: LineState) -> str:
    """Money with the symbol first: ¥100 → 一百元, $2 → 两美元, US$2.5亿 → 二点五亿美元, $10-20 → 十至二十美元,
    $1.5 billion → 十五亿美元, ¥1,234.5元 → …元 (once), -$5 → 负五美元."""
    return _money(m, CURRENCIES[m["cur"]], _sign(m["sign"], m) if m["sign"] else "")


def _code_amount(m: re.Match[str], st: LineState) -> str:
    """Money with an ISO code first: USD 100 → 一百美元, RMB 500 → 五百元人民币, CNY 3.80 → 三点八零元人民币."""
    return _money(m, CURRENCY_CODES[m["code"]][1])


def _amount_code(m: re.Match[str], st: LineState) -> str:
    """Money with an ISO code after: 100 USD → 一百美元, 50EUR → 五十欧元."""
    whole, fraction = m["num"].replace(",", ""), m["frac"]
    sign = _sign(m["sign"], m) if m["sign"] else ""
    return sign + amount(whole, fraction) + (m["mag"] or "") + CURRENCY_CODES[m["code"]][1]


def _currency_pair(m: re.Match[str], st: LineState) -> str:
    """An exchange rate's pair: USD/CNY → 美元兑人民币."""
    return CURRENCY_CODES[m["a"]][0] + "兑" + CURRENCY_CODES[m["b"]][0]


def _signed_percent_word(m: re.Match[str], st: LineState) -> str:
    """A sign before a number in words: -百分之5 → 负百分之五."""
    return _sign(m["sign"], m)


def _minus(m: re.Match[str], st: LineState) -> str:
    """A minus sign in a calculation (an equals sign follows): 6 - 2 = 4 → 六减二等于四."""
    return "减"


def _range(m: re.Match[str], st: LineState) -> str:
    """A dash or tilde between numbers or after a date/unit before a number: 2-3天, 8:00-18:00 → 至."""
    return "至"


def _serial_number(m: re.Match[str], st: LineState) -> str:
    """``No.`` before five digits or more: a serial number, digit by digit (No.20230915001 → 二零二三零九幺五…)."""
    return digits(m["n"], yao=True)


def _number_mark(m: re.Match[str], st: LineState) -> str:
    """``No.`` or ``№`` before a number: No.1 → 第一."""
    return "第"


def _quantity(m: re.Match[str], st: LineState) -> str:
    """Any other number, with its sign, magnitude (万/亿) and unit.

    Decides between a cardinal (3.71亿 → 三点七一亿, 1,000,000 → 一百万), a code read digit by digit (after
    拨打/热线/邮编/…, or with a leading zero), an ordinal after 第, 两 vs 二, percent (百分之), temperature
    (零下) and units (5km → 五千米, kg/m³ → 千克每立方米).
    """
    whole, fraction, magnitude, sign = m["num"], m["frac"], m["mag"], m["sign"]
    num = whole.replace(",", "") if "," in whole else whole
    unit_text = (m["unit"] or "").strip()
    unit_reading, kind = _unit(unit_text, st) if unit_text else ("", "plain")
    s, start, end = m.string, m.start(), m.end()
    before, after = s[max(0, start - 10) : start], s[end : end + 16]
    ordinal = _is_ordinal(before)
    if fraction is None and whole == num and not sign and not magnitude and not unit_text:
        if len(num) > 16:
            return digits(num, yao=True)
        if (
            len(num) >= 3
            and (CODE_CONTEXT.search(before) is not None or CODE_AFTER.match(after) is not None)
            and AMOUNT_AFTER.match(after) is None
        ):
            return digits(num, yao=True)
        if len(num) > 1 and num[0] == "0" and not ordinal and not PADDED_AFTER.match(after):
            return digits(num, yao=True)
    if not unit_text:
        head = after.lstrip()[:1]
        tail = _RANGE_TAIL.match(s, end) if head and head in "-~—至到" else None
        if tail:  # the first number of 20-30% or -5~3℃ borrows the kind of the second
            unit_reading, kind = _unit(tail["unit"], st)
            if kind != "percent":
                unit_reading = ""
    liang = False
    if not ordinal and kind != "percent" and kind != "temp":
        if num == "2" and fraction is None:
            if magnitude or unit_text:
                liang = bool(magnitude) or kind == "metric"
            else:
                liang = LIANG_BEFORE.match(after) is not None and LIANG_NOT_BEFORE.match(after) is None
        else:
            liang = len(num) >= 3 and num[0] != "0"
    body = ("两" if liang and num == "2" else number(num, fraction, liang)) + magnitude
    body = unit_reading + body if kind == "percent" else body + unit_reading
    if sign:
        if kind != "temp" and sign == "-" and _DEGREE_AFTER.match(s, end):
            kind = "temp"  # 最低-5度 → 零下五度
        body = _sign(sign, m, kind) + body
    return body


def _per_unit(m: re.Match[str], st: LineState) -> str:
    """A unit after 每 or after a slash that follows a Chinese unit: 每㎡ → 每平方米, 元/m² → 元每平方米."""
    return ("每" if m.group().startswith("/") else "") + _unit(m["unit"], st)[0]


_ADDRESS_TOKEN = re.compile(r"[A-Za-z]+|[0-9]+|.")
_ADDRESS_MARKS = {".": "点", "@": "艾特", "/": "斜杠", "-": "杠", "_": "下划线"}


def _address(m: re.Match[str], st: LineState) -> str:
    """A web or e-mail address: the scheme and a web address's path are dropped (a newsreader says the site),
    letters spelled (or kept), digits one by one with 幺, . → 点, @ → 艾特: www.gov.cn → 达布留达布留达布留点…"""
    text = re.sub(r"^(?:https?|ftp)://", "", m.group())
    if "@" not in text:
        text = re.sub(r"[/?#].*$", "", text)  # a newsreader says where the site is, not the page's path
    out: list[str] = []
    for token in _ADDRESS_TOKEN.findall(text):
        if token[0].isdigit():
            out.append(digits(token, yao=True))
        elif token[0].isalpha():
            out.append(_latin(token, st))
        else:
            out.append(_ADDRESS_MARKS.get(token, ""))
    return "".join(out)


def _abbreviation(m: re.Match[str], st: LineState) -> str:
    """Letters with dots: U.S. → 优艾丝 (US for a voice that says Latin letters)."""
    return _latin(m.group(), st)


def _roman_letters(m: re.Match[str], st: LineState) -> str:
    """A Roman numeral in Latin capitals after Chinese text: 微观经济学II → 微观经济学二 (not 艾艾)."""
    return small_number(ROMAN_LETTERS[m["r"]])


def _unless_just_said(m: re.Match[str], name: str) -> str:
    """``name``, or nothing when the text has just said it: 世界卫生组织（WHO） is not 世界卫生组织（世界卫生组织）."""
    return "" if _before(m, len(name) + 3).rstrip(" （(").endswith(name) else name


def _named_word(m: re.Match[str], st: LineState) -> str:
    """A Latin word every voice says by its Chinese name: NATO → 北约, Omicron → 奥密克戎 (not twice in a row)."""
    return _unless_just_said(m, NAMED_WORDS[m.group()])


def _chinese_reading(m: re.Match[str], st: LineState) -> str:
    """A Latin word with an established Chinese reading: GDP → 国内生产总值, WiFi → 无线网络, QQ → 扣扣."""
    return _unless_just_said(m, CHINESE_READINGS[m.group()])


def _says_no_latin(m: re.Match[str], st: LineState) -> bool:
    return not st.abilities.latin


def _lone_code(m: re.Match[str], st: LineState) -> str:
    """A currency code alone: USD → 美元, RMB → 人民币."""
    return CURRENCY_CODES[m.group()][0]


def _times(m: re.Match[str], st: LineState) -> str:
    """A multiplication sign between numbers: 3×4, 3x4, 5 x 3, 3*4 → 乘."""
    return "乘"


def is_acronym(word: str) -> bool:
    """Whether a Latin word is said letter by letter by a voice without Latin: a single letter (A股, X光, 维生素C),
    capitals only (NBA, GDP, COVID), or up to five letters with two or more capitals (mRNA, iOS, PhD)."""
    return len(word) == 1 or word.isupper() or (len(word) <= 5 and sum(c.isupper() for c in word) >= 2)


def _letters(m: re.Match[str], st: LineState) -> str:
    """Any other Latin word: kept for a voice that says Latin. Otherwise an acronym is spelled (NBA → 恩比诶);
    a word (iPhone, Journal, Tesla) is skipped, not spelled letter by letter: measured with Whisper base on
    16 mixed sentences (benchmarks/english_words.py, Baker), the CER of the Chinese around the words is 1.29
    with every word spelled, 1.06 spelling only words of up to five letters, 0.115 skipping them, and the
    spelled words were recognized 3 times in 24. The subtitles show the word as written."""
    word = m.group()
    if not st.abilities.latin and not is_acronym(word):
        return ""
    return _latin(word, st)


def _greek(m: re.Match[str], st: LineState) -> str:
    """A Greek letter by its Chinese name: α → 阿尔法, π → 派."""
    return GREEK.get(m.group(), "")


def _circle_zero(m: re.Match[str], st: LineState) -> str:
    """○ used as zero among Chinese numerals: 二○二一 → 二零二一."""
    return "零"


def _double_quote(m: re.Match[str], st: LineState) -> str:
    """ASCII double quotes alternate “ and ” along the line."""
    st.double_quotes += 1
    return "“" if st.double_quotes % 2 else "”"


def _between_letters(m: re.Match[str]) -> bool:
    s, i, j = m.string, m.start(), m.end()
    return 0 < i and j < len(s) and s[i - 1].isascii() and s[i - 1].isalpha() and s[j].isascii() and s[j].isalpha()


def _single_quote(m: re.Match[str], st: LineState) -> str:
    """An apostrophe inside a Latin word is dropped; other ASCII single quotes alternate ‘ and ’."""
    if _between_letters(m):
        return ""
    st.single_quotes += 1
    return "‘" if st.single_quotes % 2 else "’"


def _ellipsis(m: re.Match[str], st: LineState) -> str:
    """Two or more ASCII dots: ... → ……."""
    return "……"


_ABBREVIATION_BEFORE = re.compile(rf"(?<![A-Za-z])(?:[A-Za-z]|{'|'.join(ABBREVIATIONS)})$")


def _after_abbreviation(m: re.Match[str], st: LineState) -> bool:
    return _ABBREVIATION_BEFORE.search(_before(m)) is not None


def _word_gap(m: re.Match[str], st: LineState) -> str:
    """A full stop and space between Latin words (Mr. Smith): a space for a voice that says Latin, else a pause."""
    return LATIN_SPACE if st.abilities.latin else PAUSE


def _period(m: re.Match[str], st: LineState) -> str:
    """An ASCII full stop: between Latin letters (U.S) it is dropped, elsewhere it is 。."""
    return "" if _between_letters(m) else "。"


_PUNCTUATION = {",": "，", "!": "！", "?": "？", ";": "；", ":": "：", "(": "（", ")": "）", "[": "（", "]": "）",
                "{": "（", "}": "）"}  # fmt: skip


def _punctuation(m: re.Match[str], st: LineState) -> str:
    """ASCII punctuation → the full-width mark: , → ，  ! → ！  ? → ？  ; → ；  : → ：  ( → （ …"""
    return _PUNCTUATION[m.group()]


def _operator(m: re.Match[str], st: LineState) -> str:
    """A comparison written with two characters: >= → 大于等于, <= → 小于等于, != → 不等于."""
    return OPERATORS[m.group()]


def _title_mark(m: re.Match[str], st: LineState) -> str:
    """Doubled angle brackets as book-title marks: <<书名>> → 《书名》."""
    return "《" if m.group() == "<<" else "》"


_NUMBER_AHEAD = re.compile(r"\s*\d")


def _comparison(m: re.Match[str], st: LineState) -> str:
    """< and > next to a number: 小于, 大于; elsewhere dropped."""
    s, i = m.string, m.start()
    if not ((i > 0 and s[i - 1].isdigit()) or (i > 1 and s[i - 1] == " " and s[i - 2].isdigit())
            or _NUMBER_AHEAD.match(s, m.end())):  # fmt: skip
        return ""
    return "小于" if m.group() == "<" else "大于"


def _per(m: re.Match[str], st: LineState) -> str:
    """A slash between units: 元/吨 → 元每吨, 公里/小时 → 公里每小时."""
    return "每"


def _pause(m: re.Match[str], st: LineState) -> str:
    """A separator between words (| or /) is a short pause: ，."""
    return PAUSE


def _dash(m: re.Match[str], st: LineState) -> str:
    """A hyphen between Chinese words is a dash (万州-涪陵 → 万州—涪陵); elsewhere it is dropped."""
    s, i, j = m.string, m.start(), m.end()
    if i > 0 and j < len(s) and _CJK_CHAR.match(s[i - 1]) and _CJK_CHAR.match(s[j]):
        return "—" * min(2, j - i)
    return ""


def _plus_more(m: re.Match[str], st: LineState) -> str:
    """A plus sign after a number that no number follows means "more than": 10万+ → 十万多, 100+ → 一百多."""
    return "多"


def _symbol(m: re.Match[str], st: LineState) -> str:
    """A symbol with a reading of its own: + → 加, = → 等于, & → 和, @ → 艾特, ℃ → 摄氏度, % → 百分号."""
    return SYMBOLS[m.group()]


def _lone_currency(m: re.Match[str], st: LineState) -> str:
    """A currency symbol without a number: $ → 美元."""
    return CURRENCIES[m.group()]


def _superscript_digit(m: re.Match[str], st: LineState) -> str:
    """Any other superscript digit, as a digit."""
    return digits(m.group().translate(_SUPERSCRIPTS))


def _silent(m: re.Match[str], st: LineState) -> str:
    """Marks with nothing to say: # _ ~ ` ^ \\ * and stray hyphens."""
    return ""


def _space(m: re.Match[str], st: LineState) -> str:
    """Spaces: between two Latin words a space (voices that say Latin) or a pause; a pause between other
    Latin/digit tokens (iPhone 13 → 艾批艾尺欧恩伊，十三) except for voices that say Latin; else removed."""
    s, i, j = m.string, m.start(), m.end()
    if i == 0 or j == len(s) or not _WORDISH.match(s[i - 1]) or not _WORDISH.match(s[j]):
        return ""
    if st.abilities.latin and (s[i - 1].isalpha() or s[j].isalpha()):
        return LATIN_SPACE if s[i - 1].isalpha() and s[j].isalpha() else ""
    return PAUSE


# --------------------------------------------------------------------------------------------------------
# The rule table. Order matters: at each position the first rule that matches (and whose guard accepts)
# wins.

_YEAR = r"(?:1[1-9]\d\d|20\d\d)"
_MONTH = r"(?:0?[1-9]|1[0-2])"
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_MERIDIEM = r"(?P<ap>[AaPp]\.?[Mm]\.?)(?![A-Za-z0-9])"
_ERA = "|".join(re.escape(e) for e in sorted(ERAS, key=len, reverse=True))
_LETTER_BEFORE = r"(?:(?<=[A-Za-z])|(?<=[A-Za-z]·))"
_NUMERALS = "零幺一二两三四五六七八九十百千万亿点"  # a Roman numeral never follows a number

RULES: tuple[Rule, ...] = (
    Rule("sd", r"^\s*(?P<n>\d{1,2})[.、)）](?![\d.])\s*", _list_marker),
    # dates
    Rule("d", rf"(?<![\d.])(?P<y>\d{{4}})[-/.·](?P<m>{_MONTH})[-/.·](?P<d>{_DAY})(?!\d)", _date),
    Rule("d", rf"(?<![\d./-])(?P<a>{_DAY})(?P<s>[-/.])(?P<b>{_DAY})(?P=s)(?P<y>(?:1[6-9]|20)\d\d)(?!\d)", _date_mdy,
         _valid_mdy),  # fmt: skip
    Rule("d", rf"(?<![\d./-])(?P<y>\d{{2}})(?P<s>[-/])(?P<m>{_MONTH})(?P=s)(?P<d>{_DAY})(?![\d/-])", _date),
    Rule("d", rf"(?<![\d./-])(?P<y>(?:1[6-9]|20)\d\d)(?P<s>[-/])(?P<m>{_MONTH})(?![\d]|[-/.]\d)"
         r"(?!\s*(?:赛季|财年|学年|年度|季))", _month_year, _no_measure_after),  # fmt: skip
    Rule("d", r"(?<![\d./-])(?P<y>(?:19|20)\d\d)\.(?P<m>0[1-9]|1[0-2])(?![\d]|[-/.]\d)", _month_year,
         _no_measure_after),  # fmt: skip
    Rule("d", rf"(?<![\d./-])(?P<m>{_MONTH})(?P<s>[-/.])(?P<y>(?:1[6-9]|20)\d\d)(?![\d]|[-/.]\d)", _month_year,
         _no_measure_after),  # fmt: skip
    Rule("d", rf"(?<![\d./-])(?P<m>{_MONTH})(?P<s>[-/.])(?P<d>{_DAY})(?![\d]|[-/.:]\d)", _month_day, _is_month_day),
    Rule("d", r"(?<![\d.])(?P<v>(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3})(?![\d]|\.\d)",
         _ipv4),  # fmt: skip
    Rule("d", r"(?<![\d.])(?P<v>\d+(?:\.\d+){2,})(?!\d|\.\d)", _dotted),
    # years
    Rule("d", rf"(?<![\d.])(?P<y>\d{{1,4}})\s?(?P<era>{_ERA})(?![A-Za-z])", _era),
    Rule("a", r"(?<![A-Za-z])(?P<era>AD|BC)\s?(?P<y>\d{1,4})(?![\d年])", _era),
    Rule("d", r"(?<=公元)(?P<y>\d{1,4})(?=\s*年)", _era_year),
    Rule("d", r"(?<=公元前)(?P<y>\d{1,4})(?=\s*年)", _era_year),
    Rule("d", rf"(?<![\d.])(?P<a>{_YEAR})\s*[-~—至到]\s*(?P<b>{_YEAR})"
         r"(?=\s*(?P<suf>年(?![代度])|年度|年代|学年|赛季|财年|季))", _year_range),  # fmt: skip
    Rule("d", rf"(?<![\d.])(?P<a>{_YEAR})\s*[-/—]\s*(?P<b>\d{{2}})(?=\s*(?:赛季|财年|学年|年度))", _season),
    Rule("d", r"(?<![\d.])(?P<a>(?:19|20)\d\d)\s*[-~—至到]\s*(?P<b>(?:19|20)\d\d)(?![\d.])", _bare_years,
         _bare_years_ok),  # fmt: skip
    Rule("d", rf"(?<![\d.])(?P<y>{_YEAR})(?=\s*年(?!来|之久|历史|的历史))", _year),
    Rule("d", rf"(?<=[(（\[])(?P<y>{_YEAR})(?=[)）\]])", _year),
    Rule("d", r"(?<![\d.·])(?P<m>1[0-2]|0?[1-9])·(?P<d>[12]\d|3[01]|0?[1-9])(?![\d·])", _day_name),
    Rule("d", r"(?<![\d.])(?P<y>\d{2})(?=年(?![代级龄纪]))", _short_year),
    Rule("d", rf"(?<![\d.])(?P<y>{_YEAR})s(?![A-Za-z])", _decade),
    Rule("d", r"(?<![\d.月日])(?P<y>[0-9][05])(?=后(?![来面期续]))", _generation),
    Rule("o", f"[{''.join(CIRCLED)}]", _circled),
    # scores, times, ratios
    Rule("d", r"(?<![\d.:：-])(?P<a>\d{1,3})\s?[-:：]\s?(?P<b>\d{1,3})(?![\d.:：]|\s?[-:：]\s?\d)", _score, _is_score),
    Rule("d", r"(?<![\d:：.])(?P<h>[01]?\d|2[0-4])[:：](?P<m>[0-5]\d)(?:[:：](?P<s>[0-5]\d))?"
         rf"(?:\s?{_MERIDIEM})?(?![\d:：])", _time),  # fmt: skip
    Rule("d", rf"(?<![\d:.])(?P<h>1[0-2]|0?[1-9])\s?{_MERIDIEM}", _hour_meridiem),
    Rule("d", r"(?<![\d:：.])(?P<a>\d+)[:：](?P<b>\d+)(?![\d:：])", _ratio),
    # telephone numbers and other codes
    Rule("d", r"(?<![\d-])(?P<a>0\d{2,3})-(?P<b>\d{7,8})(?:-(?P<c>\d{1,5}))?(?!\d)", _landline),
    Rule("d", r"(?<=[(（])(?P<n>0\d{2,3})(?=[)）]\s*\d{7,8}(?!\d))", _area_code),
    Rule("d", r"(?:(?<=[(（]0\d\d[)）])|(?<=[(（]0\d\d\d[)）])|(?<=[(（]0\d\d[)）] )|(?<=[(（]0\d\d\d[)）] ))"
         r"(?P<n>\d{7,8})(?!\d)", _area_code),  # fmt: skip
    Rule("d", r"(?<![\d-])(?P<a>[48]00)-?(?P<b>\d{3})-?(?P<c>\d{4})(?!\d)", _service_number),
    Rule("do", r"(?<!\d)(?:(?P<cc>\+?86)[-\s]?)?(?P<a>1[3-9]\d)(?P<sep>[-\s]?)(?P<b>\d{4})[-\s]?(?P<c>\d{4})(?!\d)",
         _mobile),  # fmt: skip
    Rule("d", r"(?<!\d)\d{17}[\dXx](?![\dA-Za-z])", _id_number),
    Rule("d", rf"(?<![\d.])(?P<n>{'|'.join(RESOLUTIONS)})(?P<p>[Pp])(?![A-Za-z])", _resolution),
    Rule("d", rf"{_LETTER_BEFORE}(?<!\d[xX])(?P<n>\d{{3,}})(?!\d|\.\d|,\d)", _letter_code),
    Rule("d", r"(?<![\d.])(?P<n>\d{3,})(?=路(?![线径程口上面过])|室|房间|号房|次列车|次航班)", _route_or_room),
    Rule("d", r"(?<=\d秒)(?P<n>\d{1,3})(?![\d.])", _hundredths),
    Rule("d", r"(?P<b>\d+)(?:\.(?P<bf>\d+))?(?P<e>⁻?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)", _power),
    Rule("d", r"(?P<b>\d+)(?:\.(?P<bf>\d+))?\^(?P<e>-?\d+)", _power),
    # fractions, money
    Rule("do", rf"{_SIGN}?(?<![\d/.])(?P<a>\d+)(?:\.(?P<af>\d+))?\s?/\s?(?P<b>\d+)(?:\.(?P<bf>\d+))?(?![\d/]|\.\d)",
         _fraction),  # fmt: skip
    Rule("d", r"(?<![\dA-Za-z.])(?P<n>\d+)#", _number_sign),
    Rule("o", r"#(?P<n>\d+)(?![\d.])", _number_sign),
    Rule("ao", rf"(?P<sign>(?<![0-9A-Za-z)）])-)?(?<![A-Za-z])(?P<cur>{_CURRENCY})\s*{_AMOUNT}", _currency),
    Rule("a", rf"(?<![A-Za-z])(?P<code>{_CODES})\s?{_AMOUNT}", _code_amount),
    Rule("a", rf"(?<![A-Za-z])(?P<a>{_CODES})/(?P<b>{_CODES})(?![A-Za-z])", _currency_pair),
    Rule("do", rf"{_SIGN}?(?P<num>{_NUM})(?:\.(?P<frac>\d+))?(?P<mag>[万亿]{{0,2}})\s?(?P<code>{_CODES})(?![A-Za-z])",
         _amount_code),  # fmt: skip
    Rule("o", r"(?P<sign>(?<![0-9A-Za-z)）%‰℃°.])[-+])(?=[百千万]分之)", _signed_percent_word),
    # ranges and calculations
    Rule("so", r"(?<=[\d)）])\s*-\s*(?=[^=]{1,40}=)(?=\(?\d+(?:\.\d+)?(?:\s*[-+×*/÷xX]\s*\(?\d+(?:\.\d+)?\)?){0,6}\s*=)",
         _minus),  # fmt: skip
    Rule("so", rf"(?<=[\d%‰℃°′″年月日号时点分秒万亿千百元米克吨岁天周])\s*[-~—]\s*(?=-?\d|(?:{_CURRENCY})\s*\d)",
         _range),  # fmt: skip
    Rule("a", r"(?<![A-Za-z])(?:No|NO)\.?\s*(?P<n>\d{5,})(?![\d.])", _serial_number),
    Rule("a", r"(?<![A-Za-z])(?:No|NO)\.?\s*(?=\d)", _number_mark),
    # any other number
    Rule("do", rf"{_SIGN}?(?P<num>{_NUM})(?:\.(?P<frac>\d+))?(?P<mag>[万亿]{{0,2}})(?P<unit>\s?{_UNITS})?", _quantity),
    # addresses and Latin words
    Rule("a", r"(?:(?:https?|ftp)://|www\.)[A-Za-z0-9\-._~/?#@%=&+]*[A-Za-z0-9/]", _address),
    Rule("dao", r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", _address),
    Rule("a", r"(?<![A-Za-z.])(?:[A-Za-z]\.){2,}", _abbreviation),
    Rule("a", rf"(?:(?<=[{CJK_RANGE}])|(?<=[{CJK_RANGE}] ))(?<![{_NUMERALS}])(?<![{_NUMERALS}] )"
         r"(?P<r>VIII|VII|III|II|IV|VI|IX|I)(?![A-Za-z0-9])",
         _roman_letters),  # fmt: skip
    Rule("a", words_pattern(NAMED_WORDS), _named_word),
    Rule("a", words_pattern(CHINESE_READINGS), _chinese_reading, _says_no_latin),
    Rule("a", rf"(?<![A-Za-z])(?:{'|'.join(LONE_CURRENCY_CODES)})(?![A-Za-z])", _lone_code),
    Rule("ao", rf"(?:(?<=每)|(?<=[元米克吨升斤亩时天])/)\s?(?P<unit>{_UNITS})", _per_unit),
    Rule("sao", r"(?<=\d)\s*[xX×*]\s*(?=\d)", _times),
    Rule("a", r"[A-Za-z]+", _letters),
    Rule("o", r"[α-ωΑ-Ωµ]", _greek),
    Rule("o", r"(?<=[零一二三四五六七八九])○|○(?=[零一二三四五六七八九])", _circle_zero),
    # punctuation and symbols
    Rule("o", r'"', _double_quote),
    Rule("o", r"'", _single_quote),
    Rule("o", r"\.{2,}", _ellipsis),
    Rule("o", r"(?<=[A-Za-z])\.(?:\s+|(?=[A-Z][a-z]))(?=[A-Za-z])", _word_gap, _after_abbreviation),
    Rule("o", r"\.", _period),
    Rule("o", "|".join(re.escape(op) for op in OPERATORS), _operator),
    Rule("p", r"[,!?;:()\[\]{}]", _punctuation),
    Rule("o", r"<<|>>", _title_mark),
    Rule("o", r"[<>]", _comparison),
    Rule("o", r"(?<=[元米克吨升斤亩时天])/(?=[小时天年月日周吨克斤米升平立方公千亩人次件个台瓶盒箱份张户股晚位辆页篇只套间"
         r"桶袋包斤两度秒分])", _per),  # fmt: skip
    Rule("o", r"[|/\\]", _pause),
    Rule("o", r"-+", _dash),
    Rule("o", r"(?<=[\d万亿千百])\+(?!\s*\d)", _plus_more),
    Rule("o", r"[+=×÷±≈≠≤≥&@℃℉°%‰²³∞√]", _symbol),
    Rule("ao", _CURRENCY, _lone_currency),
    Rule("o", r"[⁰¹⁴⁵⁶⁷⁸⁹]", _superscript_digit),
    Rule("o", r"[#_~`^*]", _silent),
    Rule("s", r"\s+", _space),
)
