"""The narration record: what was read, when, and how, as one typed model with one writer and one reader.

Every narration writes it beside its audio (``NAME.json``, the "manifest"), keeps it in the narration store,
and everything downstream reads it through this module: the listen page, the player's sentence display,
the batch library (a library can be rebuilt from these files), the benchmarks. It holds

- ``article``: the article's metadata (title, subtitle, date, source, byline, url, encoding, captions);
- ``audio``: the file, its format, duration, sample rate and loudness (before and after normalization);
- ``voice``: the preset, backend, engine voice, rate, engine version and the spoken form used;
- ``chapters``: one mark per chapter, start and end in seconds of the track;
- ``chunks``: every piece the engine spoke, with its original and spoken text, place in the article, time
  span in the track, the pause after it, the backend and voice that spoke it and its chunk-cache key;
- ``fingerprint``: the narration's key (``reader.narration.fingerprint``), so a file says what made it;
- ``source``: what was narrated, as the user named it (an absolute path or a URL without credentials; None
  for stdin), so a file says which article it is: ``reader narrate`` tells its own earlier narration from
  another article's of the same title, and a batch library can be rebuilt from its records.

``sentences()`` is the one rule that joins chunks back into sentences (a sentence ends at a chunk that is
not followed by a clause pause, or where its paragraph ends): the VTT cues, the page's highlighted spans
and the player's sentence line all come from it.

Versioned: ``version`` 2 is written; version 1 manifests (reader 0.1, no ``version`` key) are read too.
Times are kept to the millisecond and loudness to 0.01 LU in the model itself, so a record read back from
its JSON equals the one that was written.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast, get_args

from reader._files import write_atomic
from reader._version import __version__
from reader.errors import RecordError
from reader.i18n import _
from reader.models import Article, ChapterMark, Chunk, ChunkKind, Cue, Pause

#: The version this reader writes; it reads this one and every older one.
VERSION = 2
_KINDS: tuple[str, ...] = get_args(ChunkKind)
_PAUSES: tuple[str, ...] = get_args(Pause)
_ARTICLE_KEYS = ("title", "subtitle", "date", "source", "byline", "url", "encoding", "captions")


def ms(seconds: float) -> float:
    """A time as the record keeps it: to the millisecond."""
    return round(seconds, 3)


@dataclass(frozen=True)
class ChunkRecord:
    """One piece of the track: what was spoken, where it sits in the article and in the audio.

    ``cached`` says whether this run took the audio from the chunk cache; it is not written (a record read
    from a file says nothing about how it was made, so it reads as cached).
    """

    text: str
    spoken: str
    chapter: int
    paragraph: int
    kind: ChunkKind
    pause_after: Pause
    start: float
    end: float
    backend: str
    voice: str
    cache_key: str
    cached: bool = False

    @property
    def chunk(self) -> Chunk:
        return Chunk(self.text, self.spoken, self.chapter, self.paragraph, self.kind, self.pause_after)

    @property
    def place(self) -> tuple[int, int, str]:
        return self.chapter, self.paragraph, self.kind


@dataclass(frozen=True)
class AudioInfo:
    """The audio file and what was measured on it."""

    file: str
    duration: float
    sample_rate: int
    loudness_lufs: float  # integrated loudness of the file as written (EBU R128)
    loudness_lufs_before: float  # of the joined speech before normalization
    format: str = "mp3"
    gain_db: float = 0.0
    limited: bool = False
    true_peak_dbtp: float = -math.inf


@dataclass(frozen=True)
class VoiceRecord:
    """Who spoke: the preset, its backend and engine voice, the rate, the engine's version, the spoken form."""

    preset: str
    backend: str
    voice: str
    rate: float
    engine_version: str
    spoken_form: str = ""  # which written→spoken form the text was put in (empty: the only one, v1)


@dataclass(frozen=True)
class Sentence:
    """Chunks joined back into one sentence: its text, span in the track, and place in the article."""

    text: str
    start: float
    end: float
    chapter: int
    paragraph: int
    kind: ChunkKind

    @property
    def cue(self) -> Cue:
        return Cue(self.start, self.end, self.text)


class SentenceJoiner:
    """The one rule that joins chunks into sentences, fed one chunk at a time (a live track grows this way).

    A sentence ends after a chunk that is not followed by a clause pause, and where its paragraph (or
    heading, or header) ends even then.
    """

    def __init__(self) -> None:
        self._open: list[ChunkRecord] = []

    def add(self, chunk: ChunkRecord) -> list[Sentence]:
        """Take ``chunk``; the sentences it finishes (none, one, or two when it starts a new paragraph
        after a chunk that wrongly ended on a clause pause)."""
        done: list[Sentence] = []
        if self._open and self._open[-1].place != chunk.place:
            done.extend(self.finish())
        self._open.append(chunk)
        if chunk.pause_after != "clause":
            done.extend(self.finish())
        return done

    def finish(self) -> list[Sentence]:
        """The sentence still open (at the end of the track), if any."""
        if not self._open:
            return []
        first, last = self._open[0], self._open[-1]
        sentence = Sentence("".join(c.text for c in self._open), first.start, last.end, first.chapter,
                            first.paragraph, first.kind)
        self._open = []
        return [sentence]


def join_sentences(chunks: Iterable[ChunkRecord]) -> list[Sentence]:
    joiner = SentenceJoiner()
    sentences = [s for chunk in chunks for s in joiner.add(chunk)]
    return sentences + joiner.finish()


@dataclass(frozen=True)
class NarrationRecord:
    """The record of one narration; see the module docstring."""

    article: Article  # metadata only: its ``chapters`` hold the chapter titles, without paragraphs
    audio: AudioInfo
    voice: VoiceRecord
    chapters: list[ChapterMark]
    chunks: list[ChunkRecord]
    fingerprint: str = ""
    source: str | None = None
    generator: str = field(default=f"reader {__version__}")
    version: int = VERSION

    # -- derived ----------------------------------------------------------------------------------------

    def sentences(self) -> list[Sentence]:
        return join_sentences(self.chunks)

    def cues(self) -> list[Cue]:
        """One subtitle cue per sentence, original text."""
        return [s.cue for s in self.sentences()]

    @property
    def cached(self) -> int:
        return sum(c.cached for c in self.chunks)

    def helped(self) -> bool:
        """Whether a fallback engine spoke some chunks (the voice's own backend failed on them)."""
        return any(c.backend != self.voice.backend for c in self.chunks)

    def with_file(self, name: str) -> NarrationRecord:
        return replace(self, audio=replace(self.audio, file=name))

    # -- writing ----------------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        art = self.article.to_dict()
        return {
            "version": self.version,
            "generator": self.generator,
            "fingerprint": self.fingerprint,
            "source": self.source,
            "article": {k: art[k] for k in _ARTICLE_KEYS},  # type: ignore[literal-required]
            "audio": {
                "file": self.audio.file,
                "format": self.audio.format,
                "duration": self.audio.duration,
                "sample_rate": self.audio.sample_rate,
                "loudness_lufs": self.audio.loudness_lufs,
                "loudness_lufs_before": self.audio.loudness_lufs_before,
                "gain_db": self.audio.gain_db,
                "limited": self.audio.limited,
                "true_peak_dbtp": self.audio.true_peak_dbtp if math.isfinite(self.audio.true_peak_dbtp) else None,
            },
            "voice": {
                "preset": self.voice.preset,
                "backend": self.voice.backend,
                "voice": self.voice.voice,
                "rate": self.voice.rate,
                "engine_version": self.voice.engine_version,
                "spoken_form": self.voice.spoken_form,
            },
            "chapters": [
                {"index": i, "title": m.title, "start": m.start, "end": m.end} for i, m in enumerate(self.chapters)
            ],
            "chunks": [
                {
                    "chapter": c.chapter,
                    "paragraph": c.paragraph,
                    "kind": c.kind,
                    "text": c.text,
                    "spoken": c.spoken,
                    "start": c.start,
                    "end": c.end,
                    "pause_after": c.pause_after,
                    "backend": c.backend,
                    "voice": c.voice,
                    "cache_key": c.cache_key,
                }
                for c in self.chunks
            ],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1)

    def write(self, path: Path) -> Path:
        """Write the record to ``path`` atomically (``OutputError`` on failure)."""
        return write_atomic(path, self.to_json())

    # -- reading ----------------------------------------------------------------------------------------

    @classmethod
    def read(cls, path: Path) -> NarrationRecord:
        """The record in ``path``; ``RecordError`` (one line, naming the file and the bad field) otherwise."""
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise RecordError(_("{path}: no narration record (narrate without --no-sidecars to "
                                 "write one)").format(path=path)) from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise RecordError(_("{path}: cannot read the narration record ({exc})").format(
                path=path, exc=exc)) from exc
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RecordError(_("{path}: not a reader narration record (invalid JSON: {exc})").format(
                path=path, exc=exc)) from exc
        return cls.from_dict(data, str(path))

    @classmethod
    def from_dict(cls, data: Any, where: str = "record") -> NarrationRecord:
        """Check ``data`` (a parsed record of any version this reader knows) and build the model."""
        return _Reader(where).record(data)


# ---------------------------------------------------------------------------------------------------------
# Reading. Checked by hand rather than with a schema library: the messages say which field is wrong in the
# record's own terms (chunks[3].start), and version 1 files need their own defaults.

_NUMBER = (int, float)


class _Reader:
    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, reason: str) -> RecordError:
        return RecordError(_("{where}: not a reader narration record ({reason})").format(
            where=self.where, reason=reason))

    def get(self, obj: Any, key: str, kind: type | tuple[type, ...], *, optional: bool = False,
            default: Any = None) -> Any:
        parent, _sep, name = key.rpartition(".")
        if not isinstance(obj, Mapping):
            raise self.fail(f"{parent or 'it'} is not an object")
        value = obj.get(name)
        if value is None and optional:
            return default
        number = kind == _NUMBER or kind is float
        if number and isinstance(value, int | float) and not isinstance(value, bool):
            if not math.isfinite(value):
                raise self.fail(f"{key} is not a finite number")
            return float(value)
        if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
            raise self.fail(f"{key} is missing or not {_kind_name(kind)}")
        return value

    def record(self, data: Any) -> NarrationRecord:
        if not isinstance(data, Mapping):
            raise self.fail("not a JSON object")
        version = data.get("version", 1)
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise self.fail("version is not a positive integer")
        if version > VERSION:
            raise RecordError(_("{where}: written by a newer reader (record version {version}, "
                                 "this reader reads up to {VERSION}); upgrade reader").format(
                                     where=self.where, version=version, VERSION=VERSION))
        art = self.get(data, "article", Mapping)
        audio = self.get(data, "audio", Mapping)
        chapters = [self.chapter(i, c) for i, c in enumerate(self.get(data, "chapters", list))]
        chunks = [self.chunk(i, c, len(chapters)) for i, c in enumerate(self.get(data, "chunks", list))]
        voice = self.get(data, "voice", Mapping, optional=True, default={})
        preset = voice.get("preset") if isinstance(voice.get("preset"), str) else ""
        backend = voice.get("backend") if isinstance(voice.get("backend"), str) else ""
        rate = voice.get("rate")
        return NarrationRecord(
            article=self.article(art, chapters),
            audio=AudioInfo(
                file=self.get(audio, "audio.file", str, optional=True, default=""),
                duration=self.get(audio, "audio.duration", _NUMBER),
                sample_rate=int(self.get(audio, "audio.sample_rate", _NUMBER, optional=True, default=0)),
                loudness_lufs=self.get(audio, "audio.loudness_lufs", _NUMBER, optional=True, default=math.nan),
                loudness_lufs_before=self.get(audio, "audio.loudness_lufs_before", _NUMBER, optional=True,
                                              default=math.nan),
                format=self.get(audio, "audio.format", str, optional=True, default="mp3"),
                gain_db=self.get(audio, "audio.gain_db", _NUMBER, optional=True, default=0.0),
                limited=bool(audio.get("limited", False)),
                true_peak_dbtp=self.get(audio, "audio.true_peak_dbtp", _NUMBER, optional=True, default=-math.inf),
            ),
            voice=VoiceRecord(
                preset=preset,
                backend=backend,
                voice=voice.get("voice") if isinstance(voice.get("voice"), str) else "",
                rate=float(rate) if isinstance(rate, int | float) and not isinstance(rate, bool) else 1.0,
                engine_version=str(voice.get("engine_version", "")),
                spoken_form=str(voice.get("spoken_form", "")),
            ),
            chapters=chapters,
            chunks=chunks,
            fingerprint=self.get(data, "fingerprint", str, optional=True, default=""),
            source=self.get(data, "source", str, optional=True),
            generator=str(data.get("generator", "")),
            version=VERSION,
        )

    def article(self, art: Mapping[str, Any], chapters: Sequence[ChapterMark]) -> Article:
        from reader.models import Chapter

        title = self.get(art, "article.title", str)
        meta = {k: self.get(art, f"article.{k}", str, optional=True) for k in ("subtitle", "date", "source",
                                                                               "byline", "url")}
        captions = art.get("captions")
        return Article(
            title=title,
            chapters=[Chapter(None if i == 0 else m.title) for i, m in enumerate(chapters)] or [Chapter(None)],
            encoding=self.get(art, "article.encoding", str, optional=True, default="utf-8"),
            captions=[c for c in captions if isinstance(c, str)] if isinstance(captions, list) else [],
            **meta,
        )

    def chapter(self, i: int, ch: Any) -> ChapterMark:
        at = f"chapters[{i}]"
        if not isinstance(ch, Mapping):
            raise self.fail(f"{at} is not an object")
        index = self.get(ch, f"{at}.index", int, optional=True, default=i)
        if index != i:
            raise self.fail(f"{at}.index is {index}, not {i}")
        start, end = self.get(ch, f"{at}.start", _NUMBER), self.get(ch, f"{at}.end", _NUMBER)
        return ChapterMark(self.get(ch, f"{at}.title", str), start, end)

    def chunk(self, i: int, c: Any, chapters: int) -> ChunkRecord:
        at = f"chunks[{i}]"
        if not isinstance(c, Mapping):
            raise self.fail(f"{at} is not an object")
        text = self.get(c, f"{at}.text", str)
        chapter = self.get(c, f"{at}.chapter", int)
        if not 0 <= chapter < max(chapters, 1):
            raise self.fail(f"{at}.chapter {chapter} names no chapter")
        kind = self.get(c, f"{at}.kind", str)
        if kind not in _KINDS:
            raise self.fail(f"{at}.kind {kind!r} is unknown")
        pause = self.get(c, f"{at}.pause_after", str, optional=True, default="sentence")
        if pause not in _PAUSES:
            raise self.fail(f"{at}.pause_after {pause!r} is unknown")
        start, end = self.get(c, f"{at}.start", _NUMBER), self.get(c, f"{at}.end", _NUMBER)
        if not 0 <= start <= end:
            raise self.fail(f"{at} starts at {start} and ends at {end}")
        return ChunkRecord(
            text=text,
            spoken=self.get(c, f"{at}.spoken", str, optional=True, default=text),
            chapter=chapter,
            paragraph=self.get(c, f"{at}.paragraph", int, optional=True, default=0),
            kind=cast(ChunkKind, kind),
            pause_after=cast(Pause, pause),
            start=start,
            end=end,
            backend=self.get(c, f"{at}.backend", str, optional=True, default=""),
            voice=self.get(c, f"{at}.voice", str, optional=True, default=""),
            cache_key=self.get(c, f"{at}.cache_key", str, optional=True, default=""),
            cached=True,
        )


def _kind_name(kind: type | tuple[type, ...]) -> str:
    if isinstance(kind, tuple):
        return "a number"
    names = {str: "a string", int: "an integer", list: "a list", Mapping: "an object", bool: "true or false"}
    return names.get(kind, kind.__name__)


def iter_records(paths: Iterable[Path]) -> Iterator[tuple[Path, NarrationRecord | RecordError]]:
    """Each path with its record, or with the error that says why it is not one (for library repair)."""
    for path in paths:
        try:
            yield path, NarrationRecord.read(path)
        except RecordError as exc:
            yield path, exc
