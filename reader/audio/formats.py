"""The output formats: one class per container, each knowing its encoder, its suffixes and MIME type, and how
tags and chapters are written into it and read back, in that format's own way.

========  =================  ==============  =========================================  =====================
format    codec (bundled     suffixes        tags                                       chapters
          ffmpeg encoder)
========  =================  ==============  =========================================  =====================
mp3       libmp3lame 64k     .mp3            ID3v2.4 (``reader.audio.tags``)            ID3 CHAP + CTOC
m4b, m4a  aac 64k in MP4     .m4b / .m4a     iTunes atoms (mutagen.mp4): ©nam ©ART      QuickTime chapter
          (ffmpeg's ipod                     ©alb ©day ©lyr, the URL in a freeform      track + Nero ``chpl``
          muxer)                             ``----:com.apple.iTunes:URL`` atom         (ffmpeg's muxer)
opus      libopus 24k in Ogg .opus, .ogg     Vorbis comments (mutagen.oggopus)          ``CHAPTER001=…``,
                                                                                        ``CHAPTER001NAME=…``
wav       pcm_s16le          .wav            RIFF ``LIST/INFO`` (ffmpeg's wav muxer)    none (for editing)
========  =================  ==============  =========================================  =====================

Every format is encoded in one ffmpeg run by ``reader.audio.assemble`` (``encode_args``), which measures the
encoded file's own loudness with ffmpeg's loopback decoder; ``level_scale_db`` is what an encoder itself
takes off the level (LAME scales its input by 0.95), so the gain aims that much higher. Tags and chapters
are written afterwards (``write_tags``) on the temporary file, before it is published.

Why these choices (measured on the 13-minute seed, see ``benchmarks/formats.py``):

* **AAC** at 64 kbit/s with ffmpeg's default coder (``twoloop``: its rate control stays close to the
  bitrate, and its own author found it the better-sounding one at low bitrates); ``fast`` encodes three times
  quicker but is meant for high bitrates. The priming samples (1024) are recorded in the MP4 edit list,
  which ffmpeg's muxer writes and every decoder here honours, so the decoded track starts at sample 0 of
  the laid-out track, like the MP3.
  The chapters are known only after the layout, and a long track is encoded while it is laid out, so they
  are added by a ``-c copy`` remux with an ffmetadata file (the mov muxer writes both a QuickTime chapter
  track, the kind Apple's players read, and a Nero ``chpl`` atom, which mutagen reads; ffmpeg, and so mpv
  and ffprobe, read either), with ``+faststart`` (the index first: a podcast app can start playing before
  the download ends). The remux copies packets: about 0.1 s for the seed.
* **Opus** at 24 kbit/s: libopus codes mono speech at full super-wideband (12 kHz of audio, all that a
  24 kHz voice holds) from about 18 kbit/s up (its bandwidth thresholds, ``opus_encoder.c``), so 24 kbit/s
  keeps every frequency the voice has, with margin (more bits add no bandwidth); the files are about a
  third of the MP3's. Pre-skip (the encoder's lookahead) is in the Ogg header and dropped by decoders.
* **WAV**: 16-bit PCM at the track's rate, for editing; no chapters. Tags go in the RIFF ``INFO`` list
  (INAM title, IART artist, IPRD album, ICRD date, ICMT the URL, ISBJ the text, ILNG language), written
  by a ``-c copy`` remux as for MP4.

``FORMATS`` is the registry by name; ``by_suffix``, ``by_name``, ``choose`` (for an output path and an
optional name) and ``sniff`` (by the file's first bytes, for playing what another tool made) look in it.
"""

from __future__ import annotations

import base64
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mutagen import MutagenError

from reader._files import check_regular, create_sibling_temp, reason
from reader._format import timestamp
from reader.audio import tags as id3
from reader.audio.ffmpeg import probe_duration, run_ffmpeg, run_ffmpeg_capture
from reader.audio.mp4lang import set_track_languages
from reader.audio.tags import Cover, TrackInfo, check_chapters, reading_tags, writing_tags
from reader.errors import AudioError, UsageError
from reader.i18n import _
from reader.models import ChapterMark
from reader.settings import DEFAULT_FORMAT

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AudioFormat:
    """An output format. Subclasses write and read its tags and chapters.

    Attributes:
        name: what ``--format`` calls it, and what the record and the fingerprint say.
        label: how messages and pages name it ("MP3", "M4B").
        suffixes: file name suffixes, the one used for new files first.
        mime: its media type, for ``<audio>`` and HTTP.
        feed_mime: the enclosure type podcast apps expect (Apple's list has ``audio/x-m4a`` for MP4 audio).
        codec, muxer: ffmpeg's encoder and output format.
        bitrate: the default bitrate (None: uncompressed).
        chapters: whether the file carries chapters.
        level_scale_db: how much quieter than its input the encoder makes the audio (dB, measured).
        codec_args: further encoder options.
        decode_args: ffmpeg input options for decoding it from a position (``DecodeStream``).
        covers: whether it can carry cover art.
    """

    name: str
    label: str
    suffixes: tuple[str, ...]
    mime: str
    codec: str
    muxer: str
    bitrate: str | None
    chapters: bool
    level_scale_db: float = 0.0
    codec_args: tuple[str, ...] = ()
    feed_mime: str = ""
    decode_args: tuple[str, ...] = ()
    covers: bool = True

    @property
    def suffix(self) -> str:
        return self.suffixes[0]

    @property
    def enclosure_type(self) -> str:
        return self.feed_mime or self.mime

    def encode_args(self, bitrate: str | None = None) -> list[str]:
        """ffmpeg's output options for this format (encoder, bitrate, muxer), before the output path."""
        args = ["-c:a", self.codec]
        rate = bitrate or self.bitrate
        if rate is not None:
            args += ["-b:a", rate]
        return [*args, *self.codec_args, "-f", self.muxer]

    def write_tags(self, path: Path, info: TrackInfo, chapters: Sequence[ChapterMark]) -> None:
        """Write ``info`` and ``chapters`` into the file at ``path`` (a temporary one, before publishing).

        The text is cleaned here, for every format, as players show it (``reader.audio.tags.displayable``).
        ``ValueError`` for malformed chapters, ``OutputError`` when the file cannot be written, ``AudioError``
        when it is not a file of this format.
        """
        check_chapters(chapters)
        info, marks = id3.displayable(info, chapters)
        self._write_tags(path, info, marks)

    def _write_tags(self, path: Path, info: TrackInfo, chapters: Sequence[ChapterMark]) -> None:
        """The format's own writing of ``write_tags``, given checked chapters and cleaned text."""
        raise NotImplementedError

    def read_tags(self, path: Path) -> TrackInfo:
        """The tags of the file at ``path`` (``AudioError`` if they cannot be read)."""
        raise NotImplementedError

    def read_chapters(self, path: Path) -> list[ChapterMark]:
        """The chapters of the file at ``path`` in order ([] for none), in seconds of the decoded track."""
        return []


# -- MP3 -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mp3Format(AudioFormat):
    """MP3 with ID3v2.4 tags and CHAP/CTOC chapters: ``reader.audio.tags`` does the work."""

    def _write_tags(self, path: Path, info: TrackInfo, chapters: Sequence[ChapterMark]) -> None:
        id3.write_tags(path, info, chapters)  # a public function of its own, which checks and cleans too

    def read_tags(self, path: Path) -> TrackInfo:
        return id3.read_tags(path)

    def read_chapters(self, path: Path) -> list[ChapterMark]:
        return id3.read_chapters(path)


# -- ffmpeg's ffmetadata (chapters for MP4, INFO tags for WAV) -----------------------------------------------

_FFMETA_SPECIAL = re.compile(r"([=;#\\\n])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _ffmeta_escape(text: str) -> str:
    """A value as ffmetadata wants it: ``= ; # \\`` and newlines escaped with a backslash, and no control
    characters (a NUL would end the value)."""
    return _FFMETA_SPECIAL.sub(r"\\\1", _CONTROL.sub("", text))


def ffmetadata(tags: dict[str, str], chapters: Sequence[ChapterMark] = ()) -> str:
    """An ffmetadata document: global ``tags`` and ``chapters`` (millisecond time base)."""
    lines = [";FFMETADATA1"]
    lines += [f"{key}={_ffmeta_escape(value)}" for key, value in tags.items()]
    for mark in chapters:
        lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={round(mark.start * 1000)}",
                  f"END={round(mark.end * 1000)}", f"title={_ffmeta_escape(mark.title)}"]
    return "\n".join(lines) + "\n"


def parse_ffmetadata(text: str) -> tuple[dict[str, str], list[ChapterMark]]:
    """The global tags and the chapters of an ffmetadata document (what ``ffmpeg -f ffmetadata -`` prints)."""
    sections: list[dict[str, str]] = [{}]
    key_value = re.compile(r"((?:[^=\\]|\\.)*)=((?:[^\\]|\\.)*)", re.DOTALL)
    # A value continues on the next line after an escaped newline: split on the newlines that are not.
    for line in re.split(r"(?<!\\)\n", text):
        if not line or line.startswith((";", "#")):
            continue
        if line.startswith("["):
            sections.append({"[": line.strip()})
            continue
        match = key_value.fullmatch(line)
        if match:
            unescape = re.compile(r"\\(.)", re.DOTALL)
            sections[-1][unescape.sub(r"\1", match.group(1)).lower()] = unescape.sub(r"\1", match.group(2))
    marks: list[ChapterMark] = []
    for section in sections[1:]:
        if section.get("[") != "[CHAPTER]":
            continue
        num, _, den = section.get("timebase", "1/1000").partition("/")
        try:
            unit = int(num) / int(den)
            start, end = int(section["start"]) * unit, int(section["end"]) * unit
        except (KeyError, ValueError, ZeroDivisionError):
            continue
        marks.append(ChapterMark(section.get("title", ""), start, end))
    return sections[0], marks


def _remux(path: Path, muxer: str, metadata: str, *options: str, chapters: bool = False) -> None:
    """Copy the audio of ``path`` into a new file with ``metadata`` (an ffmetadata document) and ``options``,
    then move it over ``path``. Packets are copied, not decoded, so this costs the time to copy the file.
    With ``chapters`` the chapters come from ``metadata``; the global tags always do."""
    meta = create_sibling_temp(path, ".ffmeta.part")
    out = create_sibling_temp(path, ".remux.part")
    try:
        with writing_tags(path, failures=(AudioError,)):  # ffmpeg's failure, or the file system's
            meta.write_text(metadata, encoding="utf-8")
            args = ["-i", str(path), "-f", "ffmetadata", "-i", str(meta), "-map", "0:a", "-c", "copy",
                    "-map_metadata", "1", "-map_chapters", "1" if chapters else "-1", *options, "-f", muxer,
                    "-y", str(out)]
            run_ffmpeg_capture(args)
            os.replace(out, path)
    finally:
        meta.unlink(missing_ok=True)
        out.unlink(missing_ok=True)


def read_ffmetadata(path: Path) -> tuple[dict[str, str], list[ChapterMark]]:
    """The global tags and chapters ffmpeg reads from ``path`` (any format it knows)."""
    text = run_ffmpeg(["-i", str(path), "-f", "ffmetadata", "-"]).decode("utf-8", errors="replace")
    return parse_ffmetadata(text)


def _fit(starts: Sequence[tuple[str, float]], duration: float) -> list[ChapterMark]:
    """Chapters from (title, start) in order: each ends where the next starts, the last at ``duration``."""
    ordered = sorted(starts, key=lambda s: s[1])
    return [ChapterMark(title, start, ordered[i + 1][1] if i + 1 < len(ordered) else max(duration, start))
            for i, (title, start) in enumerate(ordered)]


# -- MP4 (M4B, M4A) ------------------------------------------------------------------------------------------

_MP4_TEXT = {"©nam": "title", "©ART": "artist", "©alb": "album", "©day": "date", "©lyr": "lyrics"}
_MP4_URL = "----:com.apple.iTunes:URL"


@dataclass(frozen=True)
class Mp4Format(AudioFormat):
    """AAC in MP4: chapters by a ``-c copy`` remux (see the module docstring), then iTunes atoms (mutagen)."""

    brand: str = "M4A "

    def _write_tags(self, path: Path, info: TrackInfo, chapters: Sequence[ChapterMark]) -> None:
        from mutagen.mp4 import MP4, MP4Cover, MP4FreeForm

        _remux(path, self.muxer, ffmetadata({}, chapters), "-brand", self.brand, "-movflags", "+faststart",
               chapters=bool(chapters))
        with writing_tags(path):
            audio = MP4(path)
            if audio.tags is None:
                audio.add_tags()
            tags: Any = audio.tags
            for key in (*_MP4_TEXT, _MP4_URL, "covr"):
                tags.pop(key, None)
            for key, field in _MP4_TEXT.items():
                value = getattr(info, field)
                if value:
                    tags[key] = [value]
            if info.url:
                tags[_MP4_URL] = [MP4FreeForm(info.url.encode("utf-8"))]
            if info.cover is not None:
                kind = MP4Cover.FORMAT_PNG if info.cover.mime == "image/png" else MP4Cover.FORMAT_JPEG
                tags["covr"] = [MP4Cover(info.cover.data, imageformat=kind)]
            audio.save()
            set_track_languages(path, info.language)  # the chapter track's too (ffmpeg leaves it "eng")

    def _open(self, path: Path) -> Any:
        from mutagen.mp4 import MP4

        with reading_tags(path):
            return MP4(path)

    def read_tags(self, path: Path) -> TrackInfo:
        from mutagen.mp4 import MP4Cover

        tags = self._open(path).tags or {}
        values = {field: str(tags[key][0]) for key, field in _MP4_TEXT.items() if tags.get(key)}
        url, covers = tags.get(_MP4_URL), tags.get("covr")
        cover = None
        if covers:
            mime = "image/png" if covers[0].imageformat == MP4Cover.FORMAT_PNG else "image/jpeg"
            cover = Cover(bytes(covers[0]), mime)
        return TrackInfo(title=values.pop("title", ""), url=bytes(url[0]).decode("utf-8") if url else None,
                         cover=cover, **values)

    def read_chapters(self, path: Path) -> list[ChapterMark]:
        """The Nero ``chpl`` chapters, as mutagen reads them (the QuickTime chapter track holds the same)."""
        chapters = self._open(path).chapters or []
        # mutagen's length counts the encoder's priming samples, which the edit list cuts: ask ffmpeg.
        return _fit([(c.title, c.start) for c in chapters], probe_duration(path) if chapters else 0.0)


# -- Opus ----------------------------------------------------------------------------------------------------

_VORBIS_TEXT = {"TITLE": "title", "ARTIST": "artist", "ALBUM": "album", "DATE": "date", "WEBSITE": "url",
                "LYRICS": "lyrics", "LANGUAGE": "language"}
_VORBIS_CHAPTER = re.compile(r"CHAPTER(\d{3})(NAME)?", re.IGNORECASE)
#: Cover art in Vorbis comments: a FLAC picture block, base64 (the form Xiph's wiki and every player use).
_VORBIS_PICTURE = "METADATA_BLOCK_PICTURE"
#: The chapter extension numbers chapters with three digits (ffmpeg reads no more).
_MAX_VORBIS_CHAPTERS = 999


def _vorbis_picture(cover: Cover) -> str:
    from mutagen.flac import Picture

    picture = Picture()
    picture.type, picture.mime, picture.desc, picture.data = 3, cover.mime, "", cover.data  # 3: front cover
    return base64.b64encode(picture.write()).decode("ascii")


def _parse_clock(text: str) -> float | None:
    match = re.fullmatch(r"(\d+):(\d{1,2}):(\d{1,2}(?:\.\d+)?)", text.strip())
    if match is None:
        return None
    hours, minutes, seconds = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


@dataclass(frozen=True)
class OpusFormat(AudioFormat):
    """Opus in Ogg with Vorbis comments, chapters per the Ogg chapter extension, by mutagen, in place."""

    def _open(self, path: Path) -> Any:
        from mutagen.oggopus import OggOpus

        with reading_tags(path):
            return OggOpus(path)

    def _write_tags(self, path: Path, info: TrackInfo, chapters: Sequence[ChapterMark]) -> None:
        if len(chapters) > _MAX_VORBIS_CHAPTERS:
            log.warning("%s: only the first %d of %d chapters fit in Vorbis comments", path,
                        _MAX_VORBIS_CHAPTERS, len(chapters))
        audio = self._open(path)
        tags: Any = audio.tags
        for key in list(tags.keys()):
            if key.upper() in (*_VORBIS_TEXT, _VORBIS_PICTURE) or _VORBIS_CHAPTER.fullmatch(key):
                del tags[key]
        for key, field in _VORBIS_TEXT.items():
            value = getattr(info, field)
            if value:
                tags[key] = [value]
        if info.cover is not None:
            tags[_VORBIS_PICTURE] = [_vorbis_picture(info.cover)]
        for i, mark in enumerate(chapters[:_MAX_VORBIS_CHAPTERS], start=1):
            tags[f"CHAPTER{i:03d}"] = [timestamp(round(mark.start * 1000))]
            tags[f"CHAPTER{i:03d}NAME"] = [mark.title]
        with writing_tags(path):
            audio.save()

    def read_tags(self, path: Path) -> TrackInfo:
        from mutagen.flac import Picture

        tags = self._open(path).tags
        values = {field: str(tags[key][0]) for key, field in _VORBIS_TEXT.items() if tags.get(key)}
        cover = None
        for value in tags.get(_VORBIS_PICTURE) or []:
            try:
                picture = Picture(base64.b64decode(value))
            except (MutagenError, ValueError):
                continue
            if picture.type == 3:  # front cover
                cover = Cover(bytes(picture.data), picture.mime)
        return TrackInfo(title=values.pop("title", ""), cover=cover, **values)

    def read_chapters(self, path: Path) -> list[ChapterMark]:
        audio = self._open(path)
        starts: dict[str, float] = {}
        names: dict[str, str] = {}
        for key, values in audio.tags.items():
            match = _VORBIS_CHAPTER.fullmatch(key)
            if match is None or not values:
                continue
            if match.group(2):
                names[match.group(1)] = str(values[0])
            elif (start := _parse_clock(str(values[0]))) is not None:
                starts[match.group(1)] = start
        return _fit([(names.get(n, f"Chapter {int(n)}"), s) for n, s in sorted(starts.items())],
                    audio.info.length)


def opus_input_rate(path: Path) -> int | None:
    """The sample rate an Ogg Opus file was made from (its ``OpusHead``), or None (not Opus, or it does not
    say). Opus always decodes at 48 kHz; a player can ask for this rate instead."""
    try:
        with path.open("rb") as fh:
            head = fh.read(128)
    except OSError:
        return None
    at = head.find(b"OpusHead")
    if not head.startswith(b"OggS") or at < 0 or len(head) < at + 16:
        return None
    rate = int.from_bytes(head[at + 12 : at + 16], "little")
    return rate if rate in (8000, 12000, 16000, 24000, 48000) else None


# -- WAV -----------------------------------------------------------------------------------------------------

#: TrackInfo field → the RIFF INFO key ffmpeg's wav muxer writes it under (its generic names, or the FourCC).
_WAV_INFO = {"title": "title", "artist": "artist", "album": "album", "date": "date", "url": "comment",
             "lyrics": "ISBJ", "language": "ILNG"}


@dataclass(frozen=True)
class WavFormat(AudioFormat):
    """16-bit PCM WAV; tags in its ``LIST/INFO`` chunk by a ``-c copy`` remux; no chapters."""

    def _write_tags(self, path: Path, info: TrackInfo, chapters: Sequence[ChapterMark]) -> None:
        tags = {key: getattr(info, field) for field, key in _WAV_INFO.items() if getattr(info, field)}
        _remux(path, self.muxer, ffmetadata(tags), "-fflags", "+bitexact")

    def read_tags(self, path: Path) -> TrackInfo:
        tags, _ = read_ffmetadata(path)
        values = {field: tags[key.lower()] for field, key in _WAV_INFO.items() if tags.get(key.lower())}
        return TrackInfo(title=values.pop("title", ""), cover=None, **values)


# -- the registry --------------------------------------------------------------------------------------------

MP3 = Mp3Format("mp3", "MP3", (".mp3",), "audio/mpeg", "libmp3lame", "mp3", "64k", chapters=True,
                # LAME scales its input by 0.95: the MP3 plays 0.446 dB quieter (measured on tones).
                level_scale_db=0.4455,
                # LAME's quality/speed 5 ("good speed, reasonable quality"): on speech at 64 kbit/s it
                # encodes the seed 30 % faster than ffmpeg's default (LAME's 3) at the same SNR.
                codec_args=("-compression_level", "5"))
#: ffmpeg 9's mov demuxer, seeking with its edit-list index, lands up to one AAC frame (1024 samples) late;
#: without it the seek is exact (measured on our files).
_MP4_SEEK = ("-advanced_editlist", "0")
M4B = Mp4Format("m4b", "M4B", (".m4b",), "audio/mp4", "aac", "ipod", "64k", chapters=True,
                feed_mime="audio/x-m4a", decode_args=_MP4_SEEK, brand="M4B ")
M4A = Mp4Format("m4a", "M4A", (".m4a",), "audio/mp4", "aac", "ipod", "64k", chapters=True,
                feed_mime="audio/x-m4a", decode_args=_MP4_SEEK, brand="M4A ")
OPUS = OpusFormat("opus", "Opus", (".opus", ".ogg"), "audio/ogg", "libopus", "ogg", "24k", chapters=True)
WAV = WavFormat("wav", "WAV", (".wav",), "audio/wav", "pcm_s16le", "wav", None, chapters=False, covers=False)

#: Every format by name, MP3 first.
FORMATS: dict[str, AudioFormat] = {f.name: f for f in (MP3, M4B, M4A, OPUS, WAV)}
DEFAULT = FORMATS[DEFAULT_FORMAT]


def names() -> list[str]:
    return list(FORMATS)


def known_suffixes() -> list[str]:
    return [s for f in FORMATS.values() for s in f.suffixes]


def by_name(name: str) -> AudioFormat:
    """The format called ``name`` (case-insensitive); ``UsageError`` for an unknown one."""
    try:
        return FORMATS[name.lower()]
    except KeyError:
        raise UsageError(_("unknown audio format {name!r} (known: {join})").format(name=name, join=', '.join(FORMATS))) from None


def by_suffix(suffix: str) -> AudioFormat | None:
    """The format whose files end in ``suffix`` (``.m4b``, case-insensitive), or None."""
    suffix = suffix.lower()
    return next((f for f in FORMATS.values() if suffix in f.suffixes), None)


#: Cover art larger than this is refused (a podcast's artwork is at most 3000 × 3000: about 1–3 MB as JPEG).
MAX_COVER_BYTES = 8 * 1024 * 1024
_IMAGES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}


def load_cover(path: Path) -> Cover:
    """The JPEG or PNG image at ``path`` as cover art; ``UsageError`` if missing, too large or neither."""
    check_regular(path, "--cover")  # a named pipe would be waited on forever
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_COVER_BYTES + 1)
    except OSError as exc:
        raise UsageError(_("--cover {path}: {strerror}").format(path=path, strerror=reason(exc))) from exc
    if len(data) > MAX_COVER_BYTES:
        raise UsageError(_("--cover {path}: larger than {value} MB").format(path=path, value=MAX_COVER_BYTES // (1024 * 1024)))
    mime = next((m for magic, m in _IMAGES.items() if data.startswith(magic)), None)
    if mime is None:
        raise UsageError(_("--cover {path}: not a JPEG or PNG image").format(path=path))
    check_cover_size(path, data)
    return Cover(data, mime)


#: The largest cover side players and podcast apps show (Apple's artwork limit); a larger one is refused.
MAX_COVER_SIDE = 3000


def check_cover_size(path: Path, data: bytes) -> None:
    """``UsageError`` for an image whose header gives no size (a 20-byte "JPEG") or a side above
    ``MAX_COVER_SIDE`` (a 30000 × 30000 PNG no player decodes). Refused, not scaled: no image library is
    installed to scale it with, and a header is all that is read (``reader.publish.cover.image_info``)."""
    from reader.publish.cover import image_info

    try:
        _kind, width, height = image_info(data)
    except ValueError as exc:
        raise UsageError(_("--cover {path}: {exc}").format(path=path, exc=exc)) from None
    if not 0 < max(width, height) <= MAX_COVER_SIDE or min(width, height) <= 0:
        raise UsageError(_("--cover {path}: {width} × {height} pixels; give an image of at most {side} × {side}").format(
            path=path, width=width, height=height, side=MAX_COVER_SIDE))


#: What counts as a file name's suffix when choosing a format: a dot and a few letters or digits. Anything
#: else after a dot ("2022.01 会议") is part of the name, and the format's suffix is added.
_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,5}")


def choose(output: Path | None, name: str | None = None) -> AudioFormat:
    """The format for ``output`` (by its suffix) and ``name`` (``--format``): either one, or both if they
    agree; MP3 when neither says. ``UsageError`` for an unknown name or suffix, or when they disagree."""
    named = by_name(name) if name is not None else None
    suffix = output.suffix if output is not None and _SUFFIX.fullmatch(output.suffix) else ""
    if not suffix:
        return named or DEFAULT
    found = by_suffix(suffix)
    if found is None:
        raise UsageError(_("{output}: unknown audio format {suffix!r} (use one of {join}, or name the format with --format)").format(output=output, suffix=suffix, join=', '.join(known_suffixes())))
    if named is not None and named is not found:
        raise UsageError(_("{output}: the suffix {suffix!r} is {name}, not the {name2} asked for").format(output=output, suffix=suffix, name=found.name, name2=named.name))
    return found


def output_path(output: Path, fmt: AudioFormat) -> Path:
    """``output`` as the file of format ``fmt``: with the format's suffix added when it has none."""
    if _SUFFIX.fullmatch(output.suffix):
        return output
    return output.with_name(output.name + fmt.suffix)


#: An ID3v2 tag, or the frame sync of an MPEG-1/2/2.5 Layer III frame (with or without CRC).
_MP3_MAGIC = (b"ID3", b"\xff\xfb", b"\xff\xfa", b"\xff\xf3", b"\xff\xf2", b"\xff\xe3", b"\xff\xe2")


def sniff(path: Path) -> AudioFormat | None:
    """The format of the file at ``path`` by its first bytes (None: not one of ours, or unreadable).

    An MP4 is M4B when its brand says so, else M4A; an Ogg file is Opus when its first packet is an
    ``OpusHead``.
    """
    try:
        with path.open("rb") as fh:
            head = fh.read(64)
    except OSError:
        return None
    if head.startswith(_MP3_MAGIC):
        return MP3
    if head[4:8] == b"ftyp":
        return M4B if head[8:12] == b"M4B " else M4A
    if head.startswith(b"OggS") and b"OpusHead" in head:
        return OPUS
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return WAV
    return None
