"""The one time formatter: seconds as a clock (``m:ss``, ``h:mm:ss``), for screens, pages, summaries and
feeds; the one ``HH:MM:SS.mmm`` timestamp, for subtitles and chapter marks; and how a message quotes a text."""

from __future__ import annotations


def clock(seconds: float | None, *, always_hours: bool = False, rounded: bool = False) -> str:
    """``m:ss`` (``h:mm:ss`` from an hour on, or always with ``always_hours``, as RSS ``itunes:duration``
    wants). A running position is truncated (a player shows 0:59 until the minute is full); a length
    (``rounded``) is rounded to the nearest second. ``None`` and negative times count as 0."""
    value = max(0.0, seconds or 0.0)
    total = round(value) if rounded else int(value)
    minutes, secs = divmod(total, 60)
    hours, minutes = divmod(minutes, 60)
    if hours or always_hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def timestamp(ms: int) -> str:
    """``HH:MM:SS.mmm`` from whole milliseconds: WebVTT cue times, Vorbis-comment chapter marks."""
    hours, rest = divmod(max(0, ms), 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def quote(text: str, limit: int = 60) -> str:
    """``text`` as a message quotes it (a chunk an engine failed on): in quotation marks, cut to ``limit``
    characters with an ellipsis."""
    return "“" + (text if len(text) <= limit else text[: limit - 1] + "…") + "”"
