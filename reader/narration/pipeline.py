"""Narrating: fetch → extract → segment → normalize → synthesize → assemble → tags, subtitles, record.

Orchestration only: each stage is a module of its own and takes the previous stage's model object. A
``Narrator`` resolves the settings once (voice preset, engine, lexicon, the fingerprint of everything that
decides the audio) and narrates any number of articles with them; ``narrate`` and ``narrate_article`` are
one-article shorthands. Nothing here prints: progress goes to callbacks and the CLI decides how to show it.
Outputs are published together (``reader._files.OutputGroup``): the audio is encoded to a temporary file and
tagged there, the VTT and JSON sidecars are written to theirs, and only then is everything renamed into place,
sidecars first: a full disk or Ctrl-C leaves no audio without its sidecars (and no temporary files: those a
killed run left are removed by the next one). A default file name is the narration's own
(``reader.narration.outputs.own_name``): another article of the same date and title gets ``NAME (2)``.
"""

from __future__ import annotations

import functools
import hashlib
import math
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from reader._clean import clean_article, url_for_display
from reader._files import OutputGroup, reason, remove_leftovers
from reader.audio import formats
from reader.audio.assemble import Assembled, Piece, assemble
from reader.audio.tags import Cover, TrackInfo, chapter_marks
from reader.errors import OutputError, ReaderError, SegmentError, UsageError
from reader.extraction import extract
from reader.i18n import _
from reader.models import Article, Audio, ChapterMark, Chunk, Source
from reader.narration.fingerprint import (
    AudioSettings,
    content_hash,
    narration_fingerprint,
    settings_fingerprint,
)
from reader.narration.naming import DEFAULT_TEMPLATE, check_template, default_name
from reader.narration.outputs import check_beside, files_of, own_name, same_article
from reader.narration.record import AudioInfo, ChunkRecord, NarrationRecord, VoiceRecord, ms
from reader.narration.store import NarrationStore
from reader.narration.subtitles import subtitle_cues
from reader.narration.vtt import write_webvtt
from reader.settings import (
    DEFAULT_PRESET,
    FETCH_TIMEOUT,
    TARGET_LUFS,
    Pauses,
    Preset,
    check_rate,
    preset,
    user_cache_dir,
)
from reader.source.fetch import fetch, is_url
from reader.speech import models as speech_models
from reader.speech import registry
from reader.speech.backend import Backend
from reader.speech.cache import ChunkCache
from reader.speech.synthesize import ProgressCallback, Synthesized, synthesize_iter
from reader.text.lexicon import Lexicon, default_lexicon
from reader.text.normalize import CHINESE, CHINESE_AND_LATIN, Abilities, normalize
from reader.text.segment import segment, short_first

StageCallback = Callable[[str], None]
#: Told of each chunk as it is laid out in the track: its audio and the pause (seconds) that follows it.
ListenCallback = Callable[[Chunk, Audio, float], None]


@dataclass(frozen=True)
class NarrateOptions:
    """Everything ``narrate`` can be told; validated on construction."""

    voice: str = DEFAULT_PRESET
    rate: float | None = None  # None: the preset's rate
    output: Path | None = None  # the audio file; None: DATE-TITLE.<format's suffix> in output_dir
    output_dir: Path = Path(".")
    format: str | None = None  # a format's name (reader.audio.formats); None: output's suffix, else mp3
    cover: Path | None = None  # cover art (JPEG or PNG) for the audio file's tags
    cache_dir: Path | None = None  # None: the user cache directory
    use_cache: bool = True
    pauses: Pauses = field(default_factory=Pauses)
    target_lufs: float = TARGET_LUFS
    bitrate: str | None = None  # None: the format's default
    header: bool = True  # read title, subtitle, source and date first
    sidecars: bool = True  # write OUT.vtt and OUT.json
    workers: int | None = None  # None: the backend's own choice
    fallback: str | None = None  # a backend that speaks the chunks the preset's backend fails on
    timeout: float = FETCH_TIMEOUT  # seconds a web page may take in all
    name_template: str = DEFAULT_TEMPLATE  # the default file name (reader.narration.naming)
    ascii_names: bool = False  # pinyin file names
    #: For a narration heard while it is made (``reader play``): its first chunk is its first sentence cut short
    #: (``reader.text.segment.short_first``), so that the first sound waits for one short synthesis. The same
    #: text in the same order with the same pauses; off for files, whose chunks (and chunk cache) it would change.
    short_first: bool = False
    #: The audio format, resolved once from ``output`` and ``format`` (``reader.audio.formats.choose``); the
    #: narrator, its names, its fingerprint and its record all take it from here.
    fmt: formats.AudioFormat = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_template(self.name_template)
        if self.rate is not None:
            check_rate(self.rate)
        if self.fallback is not None:
            registry.check(self.fallback, _("fallback backend"))
        if not -40.0 <= self.target_lufs <= -5.0:  # nan too
            raise UsageError(_("target loudness {target_lufs} LUFS is out of range (-40 to -5)").format(target_lufs=self.target_lufs))
        if not (math.isfinite(self.timeout) and self.timeout > 0):
            raise UsageError(_("timeout {timeout} is not a number of seconds above 0").format(timeout=self.timeout))
        fmt = formats.choose(self.output, self.format)  # an unknown or contradicting format fails early
        object.__setattr__(self, "fmt", fmt)
        if self.cover is not None and not fmt.covers:
            raise UsageError(_("--cover: a {label} file has no place for cover art").format(label=fmt.label))


@dataclass(frozen=True)
class Narration:
    """A finished narration: the article, its record, and where its files are."""

    article: Article
    record: NarrationRecord
    audio: Path
    vtt: Path | None
    manifest: Path | None
    preset: Preset
    seconds: float  # wall time of the whole narration
    from_store: bool = False  # copied out of the narration store (nothing was synthesized or encoded)

    @property
    def duration(self) -> float:
        return self.record.audio.duration

    @property
    def chapters(self) -> list[ChapterMark]:
        return self.record.chapters

    @property
    def chunks(self) -> list[ChunkRecord]:
        return self.record.chunks

    @property
    def cached(self) -> int:
        return self.record.cached

    @property
    def rate(self) -> float:
        return self.record.voice.rate


#: Below this share of Chinese characters among the letters of its text, an article is not read: the
#: Mandarin voices would spell an English page out letter by letter, for minutes.
MIN_CHINESE_SHARE = 0.2


def check_language(article: Article) -> None:
    """Refuse (``SegmentError``) an article whose text is not Chinese."""
    text = "".join(article.paragraphs())
    han = sum(1 for ch in text if "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff")
    latin = sum(1 for ch in text if ch.isascii() and ch.isalpha())
    if han + latin and han < MIN_CHINESE_SHARE * (han + latin):
        share = 100 * han / (han + latin)
        raise SegmentError(_("{title}: not a Chinese article ({share:.0f}% Chinese characters among its letters); reader reads Mandarin").format(title=article.title, share=share))


def spoken_abilities(*backends: str) -> Abilities:
    """What every one of ``backends`` can say (the registry's word for each; an engine it does not know, such
    as a test's own, says Chinese only): the spoken form the text is put in. Latin letters and words are kept
    as written only when all of them say Latin, since a fallback engine may have to speak any chunk."""
    def latin(name: str) -> bool:
        try:
            return registry.info(name).latin
        except ReaderError:
            return False

    return CHINESE_AND_LATIN if backends and all(latin(b) for b in backends) else CHINESE


def spoken_form(lexicon: Lexicon, abilities: Abilities = CHINESE) -> Callable[[str], str]:
    def convert(text: str) -> str:
        return normalize(lexicon.apply_replacements(text), abilities)

    return convert


class Narrator:
    """Narrates articles with one set of options.

    The voice preset, the engine (``backend``, or the registry's for the preset), the fallback engine, the
    lexicon and the settings' fingerprint are resolved once, here, so a bad voice or a missing engine fails
    before any article is touched, and a batch shares them across all its articles. ``backend`` and
    ``fallback`` may be passed in (any object that follows ``reader.speech.backend.Backend``).
    """

    def __init__(self, options: NarrateOptions | None = None, *, backend: Backend | None = None,
                 fallback: Backend | None = None) -> None:
        self.options = options = options or NarrateOptions()
        self.preset = preset(options.voice)
        self.rate = options.rate if options.rate is not None else self.preset.rate
        self.cover = formats.load_cover(options.cover) if options.cover is not None else None
        self._backend = backend
        self._fallback = fallback
        self.cache_root = (options.cache_dir or user_cache_dir()) if options.use_cache else None
        # The engines' derived models (Kokoro's float model, Baker's patched one) go under --cache-dir too; a
        # checked copy in the user cache directory is still read from there (reader.speech.models).
        speech_models.use_cache_dir(options.cache_dir)

    def preload(self) -> None:
        """Start loading the engines' models in the background and return: for a caller that streams, which calls
        this before it fetches the article, so that the load overlaps fetching, extracting and segmenting. The
        engine (and the fallback engine) is created here (a bad voice or a missing engine fails here); a backend
        with the optional ``preload`` of ``reader.speech.backend.Backend`` starts loading, one without loads on
        its first ``synthesize`` as always."""
        for engine in (self.backend, self.fallback):
            start = getattr(engine, "preload", None)
            if callable(start):
                start()

    # The engines and the lexicon are loaded on first use, so that a missing file or a bad URL is reported
    # before seconds of model loading; a batch asks for ``settings_fingerprint`` before its first article.

    @functools.cached_property
    def backend(self) -> Backend:
        return self._backend if self._backend is not None else registry.get(self.preset.backend)

    @functools.cached_property
    def fallback(self) -> Backend | None:
        if self._fallback is None and self.options.fallback not in (None, self.preset.backend):
            return registry.get(self.options.fallback)
        return self._fallback

    @functools.cached_property
    def lexicon(self) -> Lexicon:
        return default_lexicon()

    @functools.cached_property
    def audio_settings(self) -> AudioSettings:
        options = self.options
        return AudioSettings(
            backend=self.backend.name, voice=self.preset.voice, rate=self.rate, engine_version=self.backend.version,
            lexicon=self.lexicon.digest(), pauses=options.pauses, target_lufs=options.target_lufs,
            bitrate=options.bitrate or options.fmt.bitrate or "", header=options.header,
            format=options.fmt.name, spoken_form=self.abilities.key,
            cover=hashlib.sha256(self.cover.data).hexdigest()[:16] if self.cover is not None else "",
            short_first=options.short_first,
        )

    @functools.cached_property
    def abilities(self) -> Abilities:
        """The spoken form the text is put in: what the engine (and the fallback engine) can say."""
        names = [self.backend.name] + ([self.fallback.name] if self.fallback is not None else [])
        return spoken_abilities(*names)

    @functools.cached_property
    def settings_fingerprint(self) -> str:
        """Everything but the article that decides the audio (resolving it loads the engine)."""
        self.fallback  # noqa: B018  (a missing fallback engine fails here too, before any article)
        return settings_fingerprint(self.audio_settings)

    def fingerprint(self, article: Article, settings: AudioSettings | None = None) -> str:
        """The key of ``article``'s narration with these settings (or with ``settings``)."""
        fingerprint = self.settings_fingerprint if settings is None else settings_fingerprint(settings)
        return narration_fingerprint(fingerprint, content_hash(article))

    def file_name(self, article: Article) -> str:
        """``article``'s audio file name by the options' template (``DATE-TITLE.mp3`` by default), with the
        format's suffix."""
        return default_name(article, self.options.fmt.suffix, template=self.options.name_template,
                            ascii_names=self.options.ascii_names)

    def output_path(self, article: Article, output: Path | None = None, *, source: str | None = None) -> Path:
        """Where ``article``'s audio goes (checked: its directory exists, or is created when it is the
        options' ``output_dir``, and is writable; its suffix is the format's, a name without one gets it). A
        default name (no ``output``) is the narration's own: not one that another article's narration holds."""
        explicit = output or self.options.output
        out = explicit
        if out is None:
            out = self.options.output_dir / self.file_name(article)
            try:
                self.options.output_dir.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise OutputError(_("{output_dir}: cannot create the output directory ({strerror})").format(output_dir=self.options.output_dir, strerror=reason(exc))) from exc
        fmt = self.options.fmt
        out = formats.output_path(out, fmt)
        if out.suffix.lower() not in fmt.suffixes:
            # Only a per-call ``output`` can get here (the options checked their own, and a default name has
            # the format's suffix): ``choose`` says how its suffix contradicts the options' format.
            formats.choose(out, fmt.name)
        directory = out.parent if str(out.parent) else Path(".")
        if not directory.is_dir():
            raise OutputError(_("{directory}: output directory does not exist").format(directory=directory))
        if not os.access(directory, os.W_OK | os.X_OK):
            raise OutputError(_("{directory}: output directory is not writable").format(directory=directory))
        if explicit is not None and self.options.sidecars:  # the audio is named; the files beside it are not
            check_beside(out, (".vtt", ".json"))
        if explicit is None:
            key = self.fingerprint(article)
            out = own_name(out, lambda r: same_article(r, source=source, fingerprint=key, article=article))
        return out

    def read(self, spec: str) -> tuple[Article, str | None]:
        """The article at ``spec`` (a URL, a file, or ``-`` for stdin; fetched with the options' timeout), and
        what a narration of it names as its source (``source_name``): the front of ``narrate``, for a caller
        that needs the article before narrating it (``reader play``) and passes both to ``narrate_article``."""
        return extract(fetch(spec, timeout=self.options.timeout)), source_name(spec)

    def narrate(self, spec: str, *, progress: ProgressCallback | None = None, stage: StageCallback | None = None,
                listen: ListenCallback | None = None) -> Narration:
        """Narrate the article at ``spec`` (a URL, a file, or ``-`` for stdin)."""
        if stage:
            stage("fetch")
        article, origin = self.read(spec)
        return self.narrate_article(article, progress=progress, stage=stage, listen=listen, source=origin)

    def narrate_source(self, source: Source, *, progress: ProgressCallback | None = None,
                       stage: StageCallback | None = None, listen: ListenCallback | None = None,
                       origin: str | None = None) -> Narration:
        """Narrate the article in ``source`` (fetched bytes, or text from ``reader.source.fetch.from_text``);
        ``origin`` is what the record says it was read from (``source_name``; None for stdin or text)."""
        return self.narrate_article(extract(source), progress=progress, stage=stage, listen=listen, source=origin)

    def narrate_article(
        self,
        article: Article,
        *,
        output: Path | None = None,
        progress: ProgressCallback | None = None,
        stage: StageCallback | None = None,
        listen: ListenCallback | None = None,
        source: str | None = None,
    ) -> Narration:
        """Narrate ``article`` (to ``output``, or the options' output), or copy it from the narration store.

        ``source``: what the article was read from, as ``source_name`` gives it (written in the record, so that
        the files say which article they are).

        Synthesis streams into assembly: chunks are laid out and measured as they come, in order, so only the
        encode is left when the last chunk is spoken. ``listen`` (a player) is told of each chunk as it is
        laid out, in track order, with its audio and the pause after it; it is not called when the narration
        comes from the store.
        """
        started = time.perf_counter()
        article = clean_article(article)
        check_language(article)
        out = self.output_path(article, output, source=source)  # fail before minutes of synthesis, not after
        for path in files_of(out):
            remove_leftovers(path)  # of a run that was killed
        store = NarrationStore(self.cache_root)
        key = self.fingerprint(article)
        stored = store.get(key)
        if stored is None and self.options.short_first:
            # A quick start (play) takes narrate's narration too; never the other way round: narrate does not
            # copy one whose first sentence was cut short (1.22 x Whisper CER on first sentences, measured by
            # benchmarks/first_chunk_cer.py). Their keys differ by ``AudioSettings.short_first``.
            stored = store.get(self.fingerprint(article, replace(self.audio_settings, short_first=False)))
        vtt = manifest = None
        with OutputGroup() as group:
            if self.options.sidecars:  # renamed into place before the audio
                vtt, manifest = group.temp(out.with_suffix(".vtt")), group.temp(out.with_suffix(".json"))
            audio = group.temp(out)
            if stored is not None:
                if stage:
                    stage("copy")
                try:
                    shutil.copyfile(stored[0], audio)
                except OSError as exc:
                    raise OutputError(_("cannot write {out}: {strerror}").format(out=out, strerror=reason(exc))) from exc
                record = replace(stored[1], voice=replace(stored[1].voice, preset=self.preset.name),
                                 source=source).with_file(out.name)
            else:
                record = replace(self._make(article, out, audio, key, progress, stage, listen), source=source)
            if vtt is not None and manifest is not None:
                write_webvtt(vtt, subtitle_cues(record))
                record.write(manifest)
                vtt, manifest = out.with_suffix(".vtt"), out.with_suffix(".json")
        # A narration that a fallback engine helped with is not kept: the next run asks the service again.
        if stored is None and not record.helped():
            store.put(key, out, record)
        return Narration(article, record, out, vtt, manifest, self.preset, time.perf_counter() - started,
                         from_store=stored is not None)

    def _make(self, article: Article, out: Path, target: Path, key: str, progress: ProgressCallback | None,
              stage: StageCallback | None, listen: ListenCallback | None) -> NarrationRecord:
        """Synthesize and assemble ``article`` into ``target`` (a temporary file that becomes ``out``)."""
        if stage:
            stage("segment")
        backend, fallback, options = self.backend, self.fallback, self.options
        # Chunks must fit the fallback engine too, or it could not stand in for the backend.
        limit = min(backend.max_chunk_chars, fallback.max_chunk_chars) if fallback else backend.max_chunk_chars
        spoken = spoken_form(self.lexicon, self.abilities)
        chunks = segment(article, limit, spoken, header=options.header)
        if options.short_first:
            chunks = short_first(chunks, spoken)
        if stage:
            stage("synthesize")
        made: list[Synthesized] = []

        def pieces() -> Iterator[Piece]:
            stream = synthesize_iter(chunks, backend, self.preset.voice, self.rate, ChunkCache(self.cache_root),
                                     progress, options.workers, fallback)
            try:
                for chunk, synthesized in zip(chunks, stream, strict=True):
                    # Only what the record needs is kept: the audio itself goes to disk and is dropped.
                    made.append(replace(synthesized, audio=Audio(b"", synthesized.audio.sample_rate)))
                    pause = options.pauses.after(chunk.pause_after)
                    if listen:
                        listen(chunk, synthesized.audio, pause)
                    yield Piece(synthesized.audio, pause)
            finally:
                stream.close()
            if stage:
                stage("encode")

        marks: list[ChapterMark] = []
        fmt = self.options.fmt

        def publish(tmp: Path, result: Assembled) -> None:
            marks.extend(chapter_marks(_chapter_starts(article, chunks, result), result.duration))
            fmt.write_tags(tmp, _track_info(article, self.cover), marks if fmt.chapters else [])

        assembled = assemble(pieces(), target, target_lufs=options.target_lufs, fmt=fmt, bitrate=options.bitrate,
                             before_publish=publish)
        return NarrationRecord(
            article=article,
            audio=AudioInfo(
                file=out.name, format=fmt.name, duration=ms(assembled.duration),
                sample_rate=assembled.sample_rate,
                loudness_lufs=round(assembled.loudness_lufs_after, 2),
                loudness_lufs_before=round(assembled.loudness_lufs_before, 2),
                gain_db=round(assembled.gain_db, 2), limited=assembled.limited,
                true_peak_dbtp=round(assembled.true_peak_dbtp_after, 2),
            ),
            voice=VoiceRecord(self.preset.name, self.backend.name, self.preset.voice, self.rate,
                              self.backend.version, self.abilities.key),
            chapters=[ChapterMark(m.title, ms(m.start), ms(m.end)) for m in marks],
            chunks=[
                ChunkRecord(c.text, c.spoken, c.chapter, c.paragraph, c.kind, c.pause_after, ms(p.start), ms(p.end),
                            s.backend, s.voice or self.preset.voice, s.key, s.cached)
                for c, p, s in zip(chunks, assembled.placed, made, strict=True)
            ],
            fingerprint=key,
        )


def source_name(spec: str) -> str | None:
    """What a narration of ``spec`` says it was read from: a URL without credentials, an absolute path, or
    None for stdin."""
    if spec == "-":
        return None
    if is_url(spec):
        return url_for_display(spec)
    try:
        return str(Path(spec).resolve())
    except (OSError, RuntimeError):
        return spec


def narrate(spec: str, options: NarrateOptions | None = None, *, progress: ProgressCallback | None = None,
            stage: StageCallback | None = None, listen: ListenCallback | None = None) -> Narration:
    """Narrate the article at ``spec`` (a URL, a file, or ``-`` for stdin) with ``options``."""
    return Narrator(options).narrate(spec, progress=progress, stage=stage, listen=listen)


def narrate_article(article: Article, options: NarrateOptions | None = None, *,
                    progress: ProgressCallback | None = None, stage: StageCallback | None = None,
                    listen: ListenCallback | None = None) -> Narration:
    """Narrate ``article`` with ``options``; see ``Narrator.narrate_article``."""
    return Narrator(options).narrate_article(article, progress=progress, stage=stage, listen=listen)


def _chapter_starts(article: Article, chunks: Sequence[Chunk], result: Assembled) -> list[tuple[str, float]]:
    """Each chapter starts at the first sample of its heading (the lead: at the top of the track)."""
    starts: dict[int, float] = {}
    for chunk, placed in zip(chunks, result.placed, strict=True):
        starts.setdefault(chunk.chapter, placed.start)
    titles = [c.title or article.title for c in article.chapters]
    return [(titles[i], 0.0 if i == 0 else starts[i]) for i in sorted(starts)]


def _track_info(article: Article, cover: Cover | None = None) -> TrackInfo:
    return TrackInfo(
        title=article.title,
        artist=article.source,
        album=article.source,
        date=article.date,
        url=article.url,
        lyrics=article.text(),
        cover=cover,
    )
