"""Reading numbers in Chinese characters: digit by digit, cardinals in 万/亿 groups, decimals, large amounts."""

from __future__ import annotations

import functools
from decimal import Decimal

from reader.text.normalize.tables import DIGITS, DIGITS_YAO

_PLACES = ("", "十", "百", "千")


def digits(s: str, yao: bool = False) -> str:
    """Digit by digit: 2021 → 二零二一; with ``yao`` 1 is 幺 (110 → 幺幺零). Non-digits are skipped."""
    table = DIGITS_YAO if yao else DIGITS
    return "".join(table[ord(c) - 48] for c in s if "0" <= c <= "9")


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


def integer(s: str, liang: bool = False) -> str:
    """An integer as a cardinal: 10 → 十, 110 → 一百一十, 37131 → 三万七千一百三十一.

    Leading zeros are ignored; more than sixteen digits are read digit by digit. With ``liang`` a 2 leading
    the number at the 百/千/万/亿 place reads 两 (2000 → 两千), never at the 十 place (20 → 二十).
    """
    s = "".join(c for c in s if "0" <= c <= "9").lstrip("0")
    if not s:
        return "零"
    if len(s) > 16:
        return digits(s)
    return _short_integer(s, liang)


@functools.lru_cache(maxsize=8192)
def _short_integer(s: str, liang: bool) -> str:
    """``integer`` for at most sixteen digits without leading zeros (cached: news repeats its numbers)."""
    out = _cardinal(s)
    if out.startswith("一十"):
        out = out[1:]
    if liang and len(out) > 1 and out[0] == "二" and out[1] in "百千万亿":
        out = "两" + out[1:]
    return out


def number(whole: str, fraction: str | None, liang: bool = False) -> str:
    """An integer or decimal: 3.71 → 三点七一, 0.5 → 零点五 (the fraction is read digit by digit)."""
    if fraction is None:
        return integer(whole, liang)
    return integer(whole, liang) + "点" + digits(fraction)


def amount(whole: str, fraction: str | None, two: str = "两") -> str:
    """A counted amount (money): a lone 2 reads ``two`` (两美元), a 2 at the 百/千/万/亿 place 两."""
    if whole.lstrip("0") == "2" and fraction is None:
        return two
    return number(whole, fraction, liang=fraction is None or len(whole) >= 3)


def scaled(whole: str, fraction: str | None, power: int) -> str:
    """An amount times 10**power in 万/亿: (1, 5, 9) → 十五亿, (3, None, 6) → 三百万, (2, None, 6) → 两百万."""
    value = Decimal(f"{whole}.{fraction or 0}").scaleb(power)
    for size, unit in ((8, "亿"), (4, "万"), (0, "")):
        if value >= Decimal(10) ** size or size == 0:
            text = format(value.scaleb(-size).normalize(), "f")
            head, _, tail = text.partition(".")
            return amount(head, tail or None) + unit
    raise AssertionError("unreachable")  # pragma: no cover
