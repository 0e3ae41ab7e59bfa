"""narrate(): fetch → extract → segment → normalize → synthesize → assemble → tags, subtitles, manifest.

Each stage takes the previous stage's model object. Nothing here prints: progress goes to callbacks and the
CLI decides how to show it. Outputs are published atomically: the MP3 is encoded to a temporary file,
tagged there, then renamed; the VTT and JSON sidecars are written the same way, after the MP3.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from reader import __version__
from reader._files import atomic_output, write_atomic
from reader.audio.assemble import Assembled, Piece, Placed, assemble
from reader.audio.tags import TrackInfo, chapter_marks, write_tags
from reader.errors import OutputError, SegmentError, UsageError
from reader.extract.article import extract
from reader.models import Article, Audio, ChapterMark, Chunk, Cue
from reader.narration.vtt import write_webvtt
from reader.settings import (
    BITRATE,
    DEFAULT_PRESET,
    TARGET_LUFS,
    Pauses,
    Preset,
    check_rate,
    preset,
    user_cache_dir,
)
from reader.source.fetch import fetch
from reader.speech import registry as backends
from reader.speech.cache import ChunkCache, NarrationStore
from reader.speech.synthesize import ProgressCallback, Synthesized, synthesize_iter
from reader.text.lexicon import Lexicon, default_lexicon
from reader.text.normalize.normalizer import normalize
from reader.text.segment import segment

StageCallback = Callable[[str], None]
#: Told of each chunk as it is laid out in the track: its audio and the pause (seconds) that follows it.
ListenCallback = Callable[[Chunk, Audio, float], None]


@dataclass(frozen=True)
class NarrateOptions:
    """Everything ``narrate`` can be told; validated on construction."""

    voice: str = DEFAULT_PRESET
    rate: float | None = None  # None: the preset's rate
    output: Path | None = None  # the MP3 path; None: DATE-TITLE.mp3 in output_dir
    output_dir: Path = Path(".")
    cache_dir: Path | None = None  # None: the user cache directory
    use_cache: bool = True
    pauses: Pauses = field(default_factory=Pauses)
    target_lufs: float = TARGET_LUFS
    bitrate: str = BITRATE
    header: bool = True  # read title, subtitle, source and date first
    sidecars: bool = True  # write OUT.vtt and OUT.json
    workers: int | None = None  # None: the backend's own choice
    fallback: str | None = None  # a backend that speaks the chunks the preset's backend fails on

    def __post_init__(self) -> None:
        if self.rate is not None:
            check_rate(self.rate)
        if self.fallback is not None and self.fallback not in backends.names():
            known = ", ".join(backends.names())
            raise UsageError(f"unknown fallback backend {self.fallback!r} (known: {known})")
        if not -40.0 <= self.target_lufs <= -5.0:
            raise OutputError(f"target loudness {self.target_lufs} LUFS is out of range (-40 to -5)")


@dataclass(frozen=True)
class ChunkTiming:
    chunk: Chunk
    start: float
    end: float
    key: str
    cached: bool
    backend: str  # the backend that spoke it (a fallback engine may stand in for the preset's)
    voice: str = ""  # and its voice; "" means the preset's


@dataclass(frozen=True)
class Narration:
    article: Article
    mp3: Path
    vtt: Path | None
    manifest: Path | None
    duration: float
    chapters: list[ChapterMark]
    timings: list[ChunkTiming]
    preset: Preset
    rate: float
    backend_version: str
    assembled: Assembled
    seconds: float  # wall time of the whole narration

    @property
    def cached(self) -> int:
        return sum(t.cached for t in self.timings)


def safe_filename(text: str, limit: int = 80) -> str:
    """A file name that every common file system accepts, keeping the Chinese title readable."""
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f\x7f]+', "_", text).strip(" ._")
    name = re.sub(r"\s+", " ", name)
    return name[:limit].rstrip(" ._") or "article"


def default_name(article: Article) -> str:
    stem = f"{article.date}-{article.title}" if article.date else article.title
    return safe_filename(stem) + ".mp3"


def spoken_form(lexicon: Lexicon) -> Callable[[str], str]:
    def convert(text: str) -> str:
        return normalize(lexicon.apply_replacements(text))

    return convert


def narrate(
    spec: str,
    options: NarrateOptions | None = None,
    *,
    progress: ProgressCallback | None = None,
    stage: StageCallback | None = None,
    listen: ListenCallback | None = None,
) -> Narration:
    """Narrate the article at ``spec`` (a URL, a file, or ``-`` for stdin) to an MP3."""
    if stage:
        stage("fetch")
    article = extract(fetch(spec))
    return narrate_article(article, options, progress=progress, stage=stage, listen=listen)


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
        raise SegmentError(f"{article.title}: not a Chinese article ({share:.0f}% Chinese characters among its "
                           f"letters); reader reads Mandarin")


def _output_path(article: Article, options: NarrateOptions) -> Path:
    out = options.output if options.output is not None else options.output_dir / default_name(article)
    if out.suffix.lower() != ".mp3":
        out = out.with_name(out.name + ".mp3")
    directory = out.parent if str(out.parent) else Path(".")
    if not directory.is_dir():
        raise OutputError(f"{directory}: output directory does not exist")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise OutputError(f"{directory}: output directory is not writable")
    return out


def narrate_article(
    article: Article,
    options: NarrateOptions | None = None,
    *,
    progress: ProgressCallback | None = None,
    stage: StageCallback | None = None,
    listen: ListenCallback | None = None,
) -> Narration:
    """Narrate ``article`` to an MP3 (and sidecars), or copy it from the narration store if it was made before.

    Synthesis streams into assembly: chunks are laid out and measured as they come, in order, so only the
    encode is left when the last chunk is spoken. ``listen`` (a player) is told of each chunk as it is laid
    out, in track order, with its audio and the pause after it; it is not called when the narration comes
    from the store.
    """
    options = options or NarrateOptions()
    started = time.perf_counter()
    check_language(article)
    chosen = preset(options.voice)
    rate = options.rate if options.rate is not None else chosen.rate
    out = _output_path(article, options)  # fail before minutes of synthesis, not after
    backend = backends.get(chosen.backend)
    fallback = backends.get(options.fallback) if options.fallback not in (None, chosen.backend) else None
    lexicon = default_lexicon()
    cache_root = (options.cache_dir or user_cache_dir()) if options.use_cache else None
    store = NarrationStore(cache_root)
    key = narration_key(article, chosen, rate, backend.version, lexicon, options)
    stored = store.get(key)
    if stored is not None:
        if stage:
            stage("copy")
        narration = _from_store(article, out, stored[0], stored[1], chosen, rate, backend.version)
    else:
        narration = _synthesize_and_assemble(article, out, options, chosen, rate, backend, lexicon,
                                             ChunkCache(cache_root), progress, stage, listen, fallback)
        # A narration that a fallback engine helped with is not kept: the next run asks the service again.
        if all(t.backend == backend.name for t in narration.timings):
            store.put(key, out, _store_record(narration))
    vtt = manifest = None
    if options.sidecars:
        vtt = out.with_suffix(".vtt")
        write_webvtt(vtt, sentence_cues(narration.timings))
        manifest = out.with_suffix(".json")
        _write_json(manifest, manifest_dict(narration))
    return replace(narration, vtt=vtt, manifest=manifest, seconds=time.perf_counter() - started)


def _synthesize_and_assemble(
    article: Article,
    out: Path,
    options: NarrateOptions,
    chosen: Preset,
    rate: float,
    backend: backends.Backend,
    lexicon: Lexicon,
    cache: ChunkCache,
    progress: ProgressCallback | None,
    stage: StageCallback | None,
    listen: ListenCallback | None = None,
    fallback: backends.Backend | None = None,
) -> Narration:
    if stage:
        stage("segment")
    # Chunks must fit the fallback engine too, or it could not stand in for the backend.
    limit = min(backend.max_chunk_chars, fallback.max_chunk_chars) if fallback else backend.max_chunk_chars
    chunks = segment(article, limit, spoken_form(lexicon), header=options.header)
    if stage:
        stage("synthesize")
    made: list[Synthesized] = []

    def pieces() -> Iterator[Piece]:
        stream = synthesize_iter(chunks, backend, chosen.voice, rate, cache, progress, options.workers,
                                 fallback)
        try:
            for chunk, synthesized in zip(chunks, stream, strict=True):
                # Only what the manifest needs is kept: the audio itself goes to disk and is dropped.
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

    def publish(tmp: Path, result: Assembled) -> None:
        marks.extend(chapter_marks(_chapter_starts(article, chunks, result), result.duration))
        write_tags(tmp, _track_info(article, chunks), marks)

    assembled = assemble(pieces(), out, target_lufs=options.target_lufs, bitrate=options.bitrate,
                         before_publish=publish)
    timings = [
        ChunkTiming(c, p.start, p.end, s.key, s.cached, s.backend, s.voice)
        for c, p, s in zip(chunks, assembled.placed, made, strict=True)
    ]
    return Narration(article, out, None, None, assembled.duration, marks, timings, chosen, rate,
                     backend.version, assembled, 0.0)


# -- the narration store ---------------------------------------------------------------------------------

#: Bump when what a narration record holds changes shape.
_STORE_FORMAT = 1


@functools.cache
def code_fingerprint() -> str:
    """A hash of reader's own source: a narration made by other code (segmenter, normalizer, assembler,
    tags) is never served from the store, even when the version number did not change."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent.parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def narration_key(article: Article, chosen: Preset, rate: float, engine_version: str, lexicon: Lexicon,
                  options: NarrateOptions) -> str:
    material = [
        _STORE_FORMAT, __version__, code_fingerprint(), article.to_dict(), chosen.backend, chosen.voice,
        round(rate, 4), engine_version, lexicon.digest(), asdict(options.pauses), options.target_lufs,
        options.bitrate, options.header,
    ]
    return hashlib.sha256(json.dumps(material, ensure_ascii=False).encode("utf-8")).hexdigest()


def _store_record(n: Narration) -> dict[str, Any]:
    a = n.assembled
    return {
        "format": _STORE_FORMAT,
        "chapters": [[m.title, m.start, m.end] for m in n.chapters],
        "chunks": [
            {"text": t.chunk.text, "spoken": t.chunk.spoken, "chapter": t.chunk.chapter,
             "paragraph": t.chunk.paragraph, "kind": t.chunk.kind, "pause_after": t.chunk.pause_after,
             "start": t.start, "end": t.end, "key": t.key, "backend": t.backend}
            for t in n.timings
        ],
        "assembled": {"duration": a.duration, "sample_rate": a.sample_rate,
                      "loudness_lufs_before": a.loudness_lufs_before, "loudness_lufs_after": a.loudness_lufs_after,
                      "gain_db": a.gain_db, "limited": a.limited, "true_peak_dbtp_after": a.true_peak_dbtp_after},
    }


def _from_store(article: Article, out: Path, mp3: Path, record: dict[str, Any], chosen: Preset, rate: float,
                engine_version: str) -> Narration:
    """The stored narration, its MP3 copied to ``out`` (atomically)."""
    try:
        timings = [
            ChunkTiming(Chunk(c["text"], c["spoken"], c["chapter"], c["paragraph"], c["kind"], c["pause_after"]),
                        c["start"], c["end"], c["key"], True, c["backend"])
            for c in record["chunks"]
        ]
        marks = [ChapterMark(title, start, end) for title, start, end in record["chapters"]]
        a = record["assembled"]
        assembled = Assembled(placed=[Placed(t.start, t.end) for t in timings], **a)
    except (KeyError, TypeError, ValueError) as exc:
        raise OutputError(f"the narration store holds a damaged record ({exc}); delete {mp3.parent}") from exc
    with atomic_output(out) as tmp:
        shutil.copyfile(mp3, tmp)
    return Narration(article, out, None, None, assembled.duration, marks, timings, chosen, rate, engine_version,
                     assembled, 0.0)


def _chapter_starts(article: Article, chunks: Sequence[Chunk], result: Assembled) -> list[tuple[str, float]]:
    """Each chapter starts at the first sample of its heading (the lead: at the top of the track)."""
    starts: dict[int, float] = {}
    for chunk, placed in zip(chunks, result.placed, strict=True):
        starts.setdefault(chunk.chapter, placed.start)
    titles = [c.title or article.title for c in article.chapters]
    return [(titles[i], 0.0 if i == 0 else starts[i]) for i in sorted(starts)]


def _track_info(article: Article, chunks: Sequence[Chunk]) -> TrackInfo:
    return TrackInfo(
        title=article.title,
        artist=article.source,
        album=article.source,
        date=article.date,
        url=article.url,
        lyrics=article.text(),
    )


def sentence_cues(timings: Sequence[ChunkTiming]) -> list[Cue]:
    """One cue per sentence: clauses cut from one sentence are joined back into it."""
    cues: list[Cue] = []
    open_cue: list[ChunkTiming] = []
    for t in timings:
        open_cue.append(t)
        if t.chunk.pause_after != "clause":
            cues.append(Cue(open_cue[0].start, t.end, "".join(x.chunk.text for x in open_cue)))
            open_cue = []
    if open_cue:
        cues.append(Cue(open_cue[0].start, open_cue[-1].end, "".join(x.chunk.text for x in open_cue)))
    return cues


def manifest_dict(n: Narration) -> dict[str, Any]:
    art = n.article.to_dict()
    return {
        "generator": f"reader {__version__}",
        "article": {k: v for k, v in art.items() if k != "chapters"},
        "audio": {
            "file": n.mp3.name,
            "duration": round(n.duration, 3),
            "sample_rate": n.assembled.sample_rate,
            "loudness_lufs": round(n.assembled.loudness_lufs_after, 2),
            "loudness_lufs_before": round(n.assembled.loudness_lufs_before, 2),
        },
        "voice": {"preset": n.preset.name, "backend": n.preset.backend, "voice": n.preset.voice,
                  "rate": n.rate, "engine_version": n.backend_version},
        "chapters": [
            {"index": i, "title": m.title, "start": round(m.start, 3), "end": round(m.end, 3)}
            for i, m in enumerate(n.chapters)
        ],
        "chunks": [
            {
                "chapter": t.chunk.chapter,
                "paragraph": t.chunk.paragraph,
                "kind": t.chunk.kind,
                "text": t.chunk.text,
                "spoken": t.chunk.spoken,
                "start": round(t.start, 3),
                "end": round(t.end, 3),
                "pause_after": t.chunk.pause_after,
                "backend": t.backend,
                "voice": t.voice or n.preset.voice,
                "cache_key": t.key,
            }
            for t in n.timings
        ],
    }


def _write_json(path: Path, data: dict[str, Any]) -> None:
    write_atomic(path, json.dumps(data, ensure_ascii=False, indent=1))
