"""narrate(): fetch → extract → segment → normalize → synthesize → assemble → tags, subtitles, manifest.

Each stage takes the previous stage's model object. Nothing here prints: progress goes to callbacks and the
CLI decides how to show it. Outputs are published atomically: the MP3 is encoded to a temporary file,
tagged there, then renamed; the VTT and JSON sidecars are written the same way, after the MP3.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__, backends
from .assemble import Assembled, Piece, assemble
from .cache import ChunkCache
from .config import BITRATE, DEFAULT_PRESET, TARGET_LUFS, Pauses, Preset, check_rate, preset, user_cache_dir
from .exceptions import OutputError
from .extract import extract
from .fetch import fetch
from .lexicon import Lexicon, default_lexicon
from .models import Article, Chunk
from .normalize import normalize
from .segment import segment
from .subtitles import Cue, write_webvtt
from .synthesize import ProgressCallback, synthesize_all
from .tags import ChapterMark, TrackInfo, chapter_marks, write_tags

StageCallback = Callable[[str], None]


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

    def __post_init__(self) -> None:
        if self.rate is not None:
            check_rate(self.rate)
        if not -40.0 <= self.target_lufs <= -5.0:
            raise OutputError(f"target loudness {self.target_lufs} LUFS is out of range (-40 to -5)")


@dataclass(frozen=True)
class ChunkTiming:
    chunk: Chunk
    start: float
    end: float
    key: str
    cached: bool


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
) -> Narration:
    """Narrate the article at ``spec`` (a URL, a file, or ``-`` for stdin) to an MP3."""
    if stage:
        stage("fetch")
    article = extract(fetch(spec))
    return narrate_article(article, options, progress=progress, stage=stage)


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
) -> Narration:
    options = options or NarrateOptions()
    started = time.perf_counter()
    chosen = preset(options.voice)
    rate = options.rate if options.rate is not None else chosen.rate
    out = _output_path(article, options)  # fail before minutes of synthesis, not after
    backend = backends.get(chosen.backend)
    lexicon = default_lexicon()
    if stage:
        stage("segment")
    chunks = segment(article, backend.max_chunk_chars, spoken_form(lexicon), header=options.header)
    cache = ChunkCache((options.cache_dir or user_cache_dir()) if options.use_cache else None)
    if stage:
        stage("synthesize")
    audio = synthesize_all(chunks, backend, chosen.voice, rate, cache, progress, options.workers)
    if stage:
        stage("assemble")
    pieces = [Piece(a.audio, options.pauses.after(c.pause_after)) for c, a in zip(chunks, audio, strict=True)]

    marks: list[ChapterMark] = []

    def publish(tmp: Path, result: Assembled) -> None:
        marks.extend(chapter_marks(_chapter_starts(article, chunks, result), result.duration))
        write_tags(tmp, _track_info(article, chunks), marks)

    assembled = assemble(pieces, out, target_lufs=options.target_lufs, bitrate=options.bitrate,
                         before_publish=publish)
    timings = [
        ChunkTiming(c, p.start, p.end, a.key, a.cached)
        for c, p, a in zip(chunks, assembled.placed, audio, strict=True)
    ]
    vtt = manifest = None
    narration = Narration(article, out, None, None, assembled.duration, marks, timings, chosen, rate,
                          backend.version, assembled, 0.0)
    if options.sidecars:
        vtt = out.with_suffix(".vtt")
        write_webvtt(vtt, sentence_cues(timings))
        manifest = out.with_suffix(".json")
        _write_json(manifest, manifest_dict(narration))
    return Narration(article, out, vtt, manifest, assembled.duration, marks, timings, chosen, rate,
                     backend.version, assembled, time.perf_counter() - started)


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
                "backend": n.preset.backend,
                "voice": n.preset.voice,
                "cache_key": t.key,
            }
            for t in n.timings
        ],
    }


def _write_json(path: Path, data: dict[str, Any]) -> None:
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".part")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, ensure_ascii=False, indent=1)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({exc.strerror or exc})") from exc
