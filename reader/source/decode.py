"""bytes → text, trusting a declared charset only after it decodes the bytes strictly.

Chinese pages often declare one charset and are written in another (``gb2312`` on UTF-8 bytes, ``utf-8``
on GBK bytes). The order of trust:

1. a byte-order mark;
2. strict UTF-8: GB bytes are almost never valid UTF-8, so a clean UTF-8 decode of non-ASCII bytes beats any
   declaration (the reverse is not true: GB18030 decodes most UTF-8 byte strings into mojibake);
3. the declared charsets (HTTP header, then ``<meta charset>`` / ``http-equiv``), each checked by a strict
   decode; GB2312 and GBK are read as GB18030, their superset, since pages labelled GB2312 routinely use GBK
   characters;
4. detection by charset-normalizer;
5. GB18030 with replacement characters, if only a handful of bytes are bad (a truncated download).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from charset_normalizer import from_bytes

from reader.errors import DecodeError
from reader.i18n import _

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Labels that are in practice written as their superset.
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030",
              "gb_2312-80": "gb18030", "big5": "big5hkscs", "ascii": "utf-8", "us-ascii": "utf-8",
              "iso-8859-1": "cp1252", "latin-1": "cp1252"}
# Share of undecodable bytes tolerated in the last-resort lenient decode.
_MAX_BAD_SHARE = 0.002


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # the codec name used, e.g. "utf-8", "gb18030"
    declared: str | None  # what the source said, if anything


def declared_charsets(data: bytes, header_charset: str | None = None) -> list[str]:
    """Charsets the HTTP header and the page's meta tags declare, in order of authority."""
    found = [header_charset] if header_charset else []
    found += [m.group(1).decode("ascii", "ignore") for m in _META_CHARSET.finditer(data[:16384])]
    return found


def _codec(label: str) -> str | None:
    label = label.strip().strip("\"'").lower()
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return _SUPERSETS.get(label, _SUPERSETS.get(name, name))


def _looks_binary(data: bytes) -> bool:
    """More than 1 % control bytes (NUL included) in the first 8 KB, and more than a few: an image, an
    archive, UTF-16 without a byte-order mark. A stray NUL in a long text, or an ESC in a short one's title, is
    damage, not a binary file (dropped later with every other control character: ``reader._clean``)."""
    sample = data[:8192]
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return controls > max(4, len(sample) * 0.01)


def decode(data: bytes, header_charset: str | None = None, name: str = "input") -> Decoded:
    """Decode ``data`` into text; raise ``DecodeError`` for empty or binary input."""
    if not data.strip():
        raise DecodeError(_("{name}: is empty").format(name=name))
    declared = declared_charsets(data, header_charset)
    first_declared = declared[0] if declared else None
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return Decoded(data.decode(codec, errors="replace"), codec.removesuffix("-sig"), first_declared)
    if _looks_binary(data):
        raise DecodeError(_("{name}: looks like a binary file, not a web page or text").format(name=name))
    try:
        # Not final: a download cut inside a character is still UTF-8 (its last partial character dropped).
        text = codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
        return Decoded(text, "utf-8", first_declared)
    except UnicodeDecodeError:
        pass
    for label in declared:
        declared_codec = _codec(label)
        if declared_codec is None or declared_codec == "utf-8":
            continue
        try:
            return Decoded(data.decode(declared_codec), declared_codec, first_declared)
        except (UnicodeError, LookupError):  # e.g. a page declaring charset=base64 or "undefined"
            continue
    best = from_bytes(data[:200_000]).best()
    if best is not None and best.encoding:
        codec = _SUPERSETS.get(best.encoding, best.encoding)
        try:
            return Decoded(data.decode(codec), codec, first_declared)
        except (UnicodeDecodeError, LookupError):
            pass
    for codec in ("gb18030", "utf-8"):
        text = data.decode(codec, errors="replace")
        if text.count("\ufffd") <= max(2, len(data) * _MAX_BAD_SHARE):
            return Decoded(text, codec, first_declared)
    raise DecodeError(_("{name}: cannot tell its character encoding (not UTF-8 or GB18030 text)").format(
        name=name))
