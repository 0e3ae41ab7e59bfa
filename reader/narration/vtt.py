"""WebVTT subtitles for the spoken track: one cue per chunk, timed by where ``assemble`` placed it.

Written by hand rather than with a library (webvtt-py, pyvtt…): what we write is the simplest subset of
the format (a header, numbered cues, one line of plain text each), about thirty lines, and owning it lets us
guarantee the properties players need, which the libraries leave to the caller: cues sorted and not
overlapping, times rounded to milliseconds without creating overlaps, text escaped and on one line.
``parse_webvtt`` reads any WebVTT file, not only ours (for tests and the player), into plain text.

Format reference: https://www.w3.org/TR/webvtt1/ (timestamps ``HH:MM:SS.mmm``; in cue text ``&`` and ``<``
must be escaped, ``>`` is escaped too so that no cue text can contain ``-->``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from pathlib import Path

from reader._files import write_atomic
from reader._format import timestamp
from reader.models import Cue


def _lines(text: str) -> str:
    """Each line's runs of whitespace collapsed to one space, blank lines dropped (a blank line would end
    the cue); the cue's own line breaks (two-line subtitles) are kept."""
    return "\n".join(line for line in (" ".join(part.split()) for part in text.splitlines()) if line)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_webvtt(cues: Sequence[Cue]) -> str:
    """Render ``cues`` as a WebVTT document.

    Times are rounded to milliseconds, then the result is made valid and ordered: cues with blank text or
    no duration (after rounding, negative times counting as 0) are dropped, the rest are sorted by start
    (stably), and a cue that would overlap the next one ends where the next one starts, so a cue starting
    at the same millisecond as a later one is replaced by it. Text is put on one line and ``&``, ``<``,
    ``>`` are escaped. Cues are numbered from 1.
    """
    spans: list[tuple[int, int, str]] = []
    for cue in cues:
        start, end, text = max(0, round(cue.start * 1000)), round(cue.end * 1000), _lines(cue.text)
        if text and end > start:
            spans.append((start, end, text))
    spans.sort(key=lambda span: span[0])
    blocks = ["WEBVTT"]
    for i, (start, end, text) in enumerate(spans):
        if i + 1 < len(spans):
            end = min(end, spans[i + 1][0])
        if end > start:
            blocks.append(f"{len(blocks)}\n{timestamp(start)} --> {timestamp(end)}\n{_escape(text)}")
    return "\n\n".join(blocks) + "\n"


def write_webvtt(path: Path, cues: Sequence[Cue]) -> Path:
    """Write ``to_webvtt(cues)`` to ``path`` (UTF-8) atomically: a temporary file next to it, then a rename.

    ``OutputError`` when the directory is missing or not writable or the disk is full.
    """
    return write_atomic(path, to_webvtt(cues))


_TIMING = re.compile(
    r"^(?:(\d+):)?(\d{2}):(\d{2})\.(\d{3})[ \t]+-->[ \t]+(?:(\d+):)?(\d{2}):(\d{2})\.(\d{3})(?:[ \t].*)?$"
)
_TAG = re.compile(r"<[^>]*>")


def _seconds(hours: str | None, minutes: str, seconds: str, millis: str) -> float:
    # Whole milliseconds first, one division last: 16 + 0.923 would give 16.923000000000002.
    return ((int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)) * 1000 + int(millis)) / 1000


def parse_webvtt(text: str) -> list[Cue]:
    """Read the cues of a WebVTT document, as plain text.

    Accepts what the spec allows in practice: a BOM, text after ``WEBVTT`` on the first line, CRLF line
    ends, header metadata, ``NOTE``/``STYLE``/``REGION`` blocks, cue identifiers, hour-less timestamps, cue
    settings after the timing. Cue text lines are joined with ``\\n``; markup tags (``<v Name>``, ``<b>``,
    timestamps…) are removed and character references (``&amp;``, ``&lt;``…) decoded. Blocks without a valid
    timing line are skipped, as a browser would. ``ValueError`` if the document does not start with WEBVTT.
    """
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    header, *blocks = re.split(r"\n{2,}", text)
    first = header.partition("\n")[0]
    if not (first == "WEBVTT" or first.startswith(("WEBVTT ", "WEBVTT\t"))):
        raise ValueError("not a WebVTT document: it must start with 'WEBVTT'")
    cues: list[Cue] = []
    for block in blocks:
        lines = block.strip("\n").split("\n")
        if "-->" not in lines[0]:
            lines = lines[1:]  # a cue identifier, or a NOTE/STYLE/REGION block (no timing: skipped below)
        if not lines:
            continue
        match = _TIMING.match(lines[0].strip())
        if match is None:
            continue
        groups = match.groups()
        payload = "\n".join(html.unescape(_TAG.sub("", line)) for line in lines[1:])
        cues.append(Cue(_seconds(*groups[:4]), _seconds(*groups[4:]), payload))
    return cues
