"""What publish needs of one published narration: ``Episode``.

The feed and the library index take episodes, not the library's catalog rows: publish knows nothing of the
catalog (``reader.library.episodes`` turns its rows into episodes), so a server or any other caller can
publish from what it has. ``format`` is the name the narration's record gives its audio (``mp3``, ``m4b``…),
never guessed from the file's suffix.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Episode:
    """One narration as the feed and the index show it. File names are relative to the library folder."""

    source: str  # where the article came from (the feed's stable guid is made from it)
    audio: str
    format: str  # the audio format's name, as the record says (reader.audio.formats.FORMATS)
    title: str | None = None
    date: str | None = None  # ISO YYYY-MM-DD
    site: str | None = None  # the article's 来源
    url: str | None = None
    summary: str | None = None  # the opening of the text
    duration: float | None = None
    vtt: str | None = None
    page: str | None = None
    made_at: float = 0.0  # when the files were made (the feed's date of an undated article)
