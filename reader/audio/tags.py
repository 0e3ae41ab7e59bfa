"""ID3 tags and chapter marks for the MP3s we write, with mutagen.

Tags are ID3v2.4 (UTF-8 text, full ``TDRC`` dates; ffmpeg and current players read it, and ffmpeg reads
v2.3 and v2.4 chapters alike): ``TIT2`` title, ``TPE1`` artist (the source, e.g. 万州时报), ``TALB`` album
(the site), ``TDRC`` date, ``WOAS`` + ``WXXX`` the article's address, ``USLT`` the full text as lyrics,
``TLAN`` language, ``APIC`` the cover art (if any), and chapters per the ID3v2 Chapter Frame Addendum: one
``CHAP`` per chapter (element ids ``ch0``, ``ch1``…, times in ms, a ``TIT2`` sub-frame) listed by one
top-level, ordered ``CTOC`` (``toc``).

Chapter time base (decided and measured, see ``tests/audio/test_assemble.py``): CHAP times are positions in the
*gapless* track, the PCM a gapless decoder (ffmpeg, mutagen-based tools, players honouring the LAME header)
returns, i.e. exactly ``Placed.start`` of a heading; that is what ffmpeg's own muxer writes too. ffmpeg's
*reader* lists them shifted back by the stream's start time, which is the encoder delay (1105 samples:
46 ms at 24 kHz, 50 ms at 22.05 kHz), so ``ffmpeg -f ffmetadata`` shows a chapter 46 ms before its heading.
We prefer that error to the opposite one: a player that seeks to a chapter early lands in the pause before
the heading, one that seeks late cuts off its first syllable. Players that ignore the LAME header play the
delay too and therefore also seek early, never late.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from mutagen import MutagenError
from mutagen.id3 import (
    APIC,
    CHAP,
    CTOC,
    ID3,
    TALB,
    TDRC,
    TIT2,
    TLAN,
    TPE1,
    USLT,
    WOAS,
    WXXX,
    CTOCFlags,
    Encoding,
    ID3NoHeaderError,
    PictureType,
)

from reader import _clean
from reader._files import reason
from reader.errors import AudioError, OutputError
from reader.i18n import _
from reader.models import ChapterMark

#: Frames that ``write_tags`` owns: removed before writing, so that writing twice gives the same tag.
_OWNED = ("TIT2", "TPE1", "TALB", "TDRC", "WOAS", "WXXX", "USLT", "TLAN", "CHAP", "CTOC", "APIC")
_TOC_ID = "toc"


@dataclass(frozen=True)
class Cover:
    """Cover art: a JPEG or PNG image (``reader.audio.formats.load_cover`` reads and checks one)."""

    data: bytes
    mime: str  # image/jpeg or image/png


@dataclass(frozen=True)
class TrackInfo:
    """What the tags say about the track. ``language`` is ISO 639-2 ("zho" = Chinese; "chi" is the older
    bibliographic code for the same language); it goes into ``USLT`` and ``TLAN``."""

    title: str
    artist: str | None = None
    album: str | None = None
    date: str | None = None
    url: str | None = None
    lyrics: str | None = None
    language: str = "zho"
    cover: Cover | None = None


def chapter_marks(starts: Sequence[tuple[str, float]], duration: float) -> list[ChapterMark]:
    """Chapters covering ``[0, duration]`` from ``(title, start)`` pairs in track order.

    Each chapter ends where the next begins and the last ends at ``duration``; the first starts at 0 even
    when its audio begins later (a lead-in), so that every instant of the track is in some chapter.
    Raises ``ValueError`` when the starts are not increasing or fall outside the track.
    """
    marks: list[ChapterMark] = []
    for i, (title, start) in enumerate(starts):
        begin = 0.0 if i == 0 else start
        end = starts[i + 1][1] if i + 1 < len(starts) else duration
        if not 0 <= begin < end <= duration:
            raise ValueError(f"chapter {i} ({title!r}) does not fit: starts {begin:.3f}, ends {end:.3f} "
                             f"of a {duration:.3f} s track")
        marks.append(ChapterMark(title, begin, end))
    return marks


def _ms(seconds: float) -> int:
    return max(0, round(seconds * 1000))


def check_chapters(chapters: Sequence[ChapterMark]) -> None:
    """``ValueError`` unless ``chapters`` are in order, non-empty, each starting where the last ends (ms)."""
    for i, mark in enumerate(chapters):
        if not 0 <= mark.start < mark.end:
            raise ValueError(f"chapter {i} ({mark.title!r}) has start {mark.start} and end {mark.end}")
        if i and _ms(chapters[i - 1].end) != _ms(mark.start):
            raise ValueError(f"chapter {i} ({mark.title!r}) does not start where chapter {i - 1} ends")


@contextmanager
def reading_tags(path: Path) -> Iterator[None]:
    """Map what reading ``path``'s tags can raise (mutagen's errors, the file system's) to one ``AudioError``."""
    try:
        yield
    except (MutagenError, OSError) as exc:
        raise AudioError(_("cannot read the tags of {path}: {exc}").format(path=path, exc=exc)) from exc


@contextmanager
def writing_tags(path: Path, failures: tuple[type[Exception], ...] = (MutagenError,)) -> Iterator[None]:
    """Map what writing ``path``'s tags can raise to the error the user reads: the file system's failure is an
    ``OutputError`` (its reason), one of ``failures`` (mutagen's errors, or ffmpeg's ``AudioError``) an
    ``AudioError``. Every format writes its tags inside it."""
    try:
        yield
    except OSError as exc:
        raise OutputError(_("cannot write the tags of {path}: {strerror}").format(
            path=path, strerror=reason(exc))) from exc
    except failures as exc:
        raise AudioError(_("cannot write the tags of {path}: {exc}").format(path=path, exc=exc)) from exc


def _load(path: Path) -> ID3:
    with reading_tags(path):
        try:
            return ID3(path)
        except ID3NoHeaderError:
            return ID3()


def write_tags(path: Path, info: TrackInfo, chapters: Sequence[ChapterMark]) -> None:
    """Write ``info`` and ``chapters`` into the ID3v2.4 tag of the MP3 at ``path``, in place.

    Frames this function owns (see ``_OWNED``) are replaced; other frames (e.g. ffmpeg's ``TSSE``) are kept.
    mutagen rewrites the file in place, so call this on a temporary file before it is published: use it in
    ``assemble(..., before_publish=...)``. Chapters must be in order and contiguous (build them with
    ``chapter_marks``); an empty sequence removes the chapters. ``ValueError`` for malformed chapters,
    ``OutputError`` when the file cannot be written, ``AudioError`` when it is not something mutagen can tag.
    """
    check_chapters(chapters)
    info, chapters = displayable(info, chapters)
    tags = _load(path)
    for key in _OWNED:
        tags.delall(key)
    utf8 = Encoding.UTF8
    tags.add(TIT2(encoding=utf8, text=[info.title]))
    if info.artist:
        tags.add(TPE1(encoding=utf8, text=[info.artist]))
    if info.album:
        tags.add(TALB(encoding=utf8, text=[info.album]))
    if info.date:
        tags.add(TDRC(encoding=utf8, text=[info.date]))
    if info.url:
        tags.add(WOAS(url=info.url))
        tags.add(WXXX(encoding=utf8, desc="", url=info.url))
    if info.lyrics:
        tags.add(USLT(encoding=utf8, lang=info.language, desc="", text=info.lyrics))
    tags.add(TLAN(encoding=utf8, text=[info.language]))
    if info.cover is not None:
        tags.add(APIC(encoding=utf8, mime=info.cover.mime, type=PictureType.COVER_FRONT, desc="",
                      data=info.cover.data))
    ids = [f"ch{i}" for i in range(len(chapters))]
    for element_id, mark in zip(ids, chapters, strict=True):
        tags.add(CHAP(element_id=element_id, start_time=_ms(mark.start), end_time=_ms(mark.end),
                      sub_frames=[TIT2(encoding=utf8, text=[mark.title])]))
    if ids:
        tags.add(CTOC(element_id=_TOC_ID, flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                      child_element_ids=ids, sub_frames=[TIT2(encoding=utf8, text=[info.title])]))
    with writing_tags(path):
        tags.save(path, v2_version=4)
        _put_chapters_in_order(path)


def displayable(info: TrackInfo, chapters: Sequence[ChapterMark]) -> tuple[TrackInfo, list[ChapterMark]]:
    """Text as players show it, for every format's tags (``reader._clean.display``: no control or bidi
    characters; a NUL would end an ID3 text early) and the URL without credentials, in ASCII (WOAS is a
    Latin-1 frame)."""
    def show(value: str | None) -> str | None:
        return _clean.display(value) if value is not None else None

    cleaned = replace(
        info, title=_clean.display(info.title), artist=show(info.artist), album=show(info.album),
        date=show(info.date), url=_clean.uri(info.url) if info.url else None, lyrics=show(info.lyrics),
    )  # the language code and the cover are not text
    return cleaned, [ChapterMark(_clean.display(m.title), m.start, m.end) for m in chapters]


def _syncsafe(data: bytes) -> int:
    return (data[0] << 21) | (data[1] << 14) | (data[2] << 7) | data[3]


def _put_chapters_in_order(path: Path) -> None:
    """Rewrite the CHAP frames of the ID3v2.4 tag at the start of ``path`` in order of start time.

    mutagen writes frames sorted by their size, so CHAP frames come out in an arbitrary order; ffmpeg (and
    every player built on it: mpv, ffprobe-based servers) ignores the CTOC and lists chapters in the order
    of the frames in the file. This swaps the CHAP frames among their own slots, so the tag keeps its exact
    size and is rewritten in place. A tag of a shape mutagen does not write (extended header,
    unsynchronisation, not v2.4) is left alone.
    """
    with open(path, "r+b") as file:
        header = file.read(10)
        if len(header) < 10 or header[:3] != b"ID3" or header[3] != 4 or header[5] & 0xC0:
            return
        body = file.read(_syncsafe(header[6:10]))
        frames: list[bytes] = []
        position = 0
        while position + 10 <= len(body) and body[position] != 0:
            end = position + 10 + _syncsafe(body[position + 4 : position + 8])
            if end > len(body):
                return
            frames.append(body[position:end])
            position = end
        chaps = [frame for frame in frames if frame[:4] == b"CHAP"]

        def start_ms(frame: bytes) -> int:
            after_id = frame.index(b"\0", 10) + 1
            return int.from_bytes(frame[after_id : after_id + 4], "big")

        ordered = iter(sorted(chaps, key=start_ms))
        rewritten = b"".join(next(ordered) if frame[:4] == b"CHAP" else frame for frame in frames)
        if rewritten != body[:position]:
            file.seek(10)
            file.write(rewritten)


def read_tags(path: Path) -> TrackInfo:
    """What the ID3 tag of the MP3 at ``path`` says (``write_tags``'s frames; untagged: no title)."""
    tags = _load(path)

    def text(key: str) -> str | None:
        frame = tags.get(key)
        return str(frame.text[0]) if frame is not None and frame.text else None

    woas = tags.getall("WOAS")
    wxxx = tags.getall("WXXX")
    lyrics = tags.getall("USLT")
    pictures = [p for p in tags.getall("APIC") if p.type == PictureType.COVER_FRONT]
    return TrackInfo(
        title=text("TIT2") or "", artist=text("TPE1"), album=text("TALB"), date=text("TDRC"),
        url=woas[0].url if woas else (wxxx[0].url if wxxx else None),
        lyrics=lyrics[0].text if lyrics else None, language=text("TLAN") or "zho",
        cover=Cover(bytes(pictures[0].data), pictures[0].mime) if pictures else None,
    )


def _title(frame: Any) -> str:
    titles = [sub for sub in frame.sub_frames.getall("TIT2")]
    return " ".join(str(text) for text in titles[0].text) if titles else frame.element_id


def read_chapters(path: Path) -> list[ChapterMark]:
    """The chapters of the MP3 at ``path``, in the order its table of contents gives.

    The order comes from the top-level ``CTOC`` (the first one, if a tool wrote several); chapters it does
    not list are left out. Without a ``CTOC`` the ``CHAP`` frames are taken in order of start time. A chapter
    without a ``TIT2`` sub-frame is titled by its element id. An MP3 without chapters (or without a tag)
    gives ``[]``. Times are as written (see the module docstring for their time base).
    """
    tags = _load(path)
    # mutagen's frame classes declare their fields dynamically, so mypy sees them as Any here.
    chapters: dict[str, Any] = {frame.element_id: frame for frame in tags.getall("CHAP")}
    tocs: list[Any] = [toc for toc in tags.getall("CTOC") if toc.flags & CTOCFlags.TOP_LEVEL]
    if tocs:
        frames = [chapters[child] for child in tocs[0].child_element_ids if child in chapters]
    else:
        frames = sorted(chapters.values(), key=lambda frame: frame.start_time)
    return [ChapterMark(_title(frame), frame.start_time / 1000, frame.end_time / 1000) for frame in frames]
