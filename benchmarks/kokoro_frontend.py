"""Kokoro front end: intelligibility (Whisper CER) of one Kokoro voice by word segmentation and chunk length.

    .venv-bench/bin/python benchmarks/kokoro_frontend.py                  # zm_yunxi, Whisper base
    .venv-bench/bin/python benchmarks/kokoro_frontend.py --chars 600 --variants phrases/sentence,jieba/sentence

The text: sentences of the seed article and of corpus pages (their ``expected.txt``), normalized as
``reader narrate`` does for a Kokoro voice, grouped into *windows* of whole sentences of one paragraph (at most
``--window-chars`` spoken characters, about 25 s). Every variant speaks the same windows and each window is
transcribed on its own, so CERs compare directly. A variant is ``WORDS/CALLS``:

- WORDS: ``phrases`` (phoneme words cut where pypinyin's phrases end, single characters between them: reader
  before this change) or ``jieba`` (real words, as misaki's ``ZHG2P`` cuts them);
- CALLS, how a window is cut into model calls: ``clause`` (at every ，；：、, 0.12 s apart), ``sentence``
  (one call per sentence, 0.35 s apart: ``reader narrate``), ``window`` (the whole window in one call, up to
  510 tokens).

Each call is ``KokoroBackend.synthesize`` (its silence trimming included); the pauses are ``reader``'s defaults.
Variants run interleaved window by window (A B A B …, ``--jobs`` at once), so load from other processes
falls on all alike (the synthesis times are for comparison within one run only).
``--mos`` also scores each variant's audio with DistillMOS (``/work/venv-mos``, if present).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
import wave
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from intelligibility_score import Tally, align, canonical  # noqa: E402
from whisper_asr import SAMPLE_RATE, Settings, Transcriber  # noqa: E402

SEED = ROOT / "examples" / "wanzhou-2022-01-28.txt"
CORPUS = ROOT.parent / "shared" / "corpus"
PAGES = ("seed", "008", "028", "036", "044", "012", "020")
PAUSE = {"clause": 0.12, "sentence": 0.35}
_CLAUSE = re.compile(r"[^，；：、]*[，；：、]|[^，；：、]+$")
MOS = Path("/work/venv-mos/bin/python")
MOS_SCRIPT = Path("/work/shared/tools/mos/mos.py")


def paragraphs(page: str) -> list[str]:
    path = SEED if page == "seed" else CORPUS / page / "expected.txt"
    text = path.read_text(encoding="utf-8")
    return [p.strip() for p in text.splitlines() if len(p.strip()) >= 20]


def windows(pages: list[str], budget: int, window_chars: int) -> list[list[str]]:
    """Windows of spoken sentences (normalized for a Chinese-only voice), ``budget`` characters in all."""
    from reader.text.normalize import normalize
    from reader.text.segment import split_sentences

    out: list[list[str]] = []
    total = 0
    per_page = budget // len(pages) + 1
    for page in pages:
        used = 0
        for paragraph in paragraphs(page):
            current: list[str] = []
            for sentence in split_sentences(paragraph):
                spoken = normalize(sentence).strip()
                if not re.search("[\u4e00-\u9fff]", spoken):
                    continue
                if current and sum(map(len, current)) + len(spoken) > window_chars:
                    out.append(current)
                    used += sum(map(len, current))
                    current = []
                current.append(spoken)
            if current:
                out.append(current)
                used += sum(map(len, current))
            if used >= per_page:
                break
        total += used
        if total >= budget:
            break
    return out


def calls(window: list[str], mode: str) -> list[tuple[str, float]]:
    """(text of one model call, pause after it) for a window."""
    if mode == "window":
        return [("".join(window), 0.0)]
    if mode == "sentence":
        return [(s, PAUSE["sentence"]) for s in window]
    out = []
    for sentence in window:
        parts = [p for p in _CLAUSE.findall(sentence) if p.strip()]
        out += [(p, PAUSE["clause"]) for p in parts[:-1]] + [(parts[-1], PAUSE["sentence"])]
    return out


def speak(backend, voice: str, window: list[str], mode: str) -> np.ndarray:
    pieces = []
    for text, pause in calls(window, mode):
        audio = backend.synthesize(text, voice)
        pcm = np.frombuffer(audio.pcm, dtype="<i2").astype(np.float32) / 32768.0
        pieces += [pcm, np.zeros(int(pause * audio.sample_rate), dtype=np.float32)]
    return np.concatenate(pieces)


def timed(backend, voice: str, window: list[str], mode: str) -> tuple[np.ndarray, float]:
    started = time.perf_counter()
    audio = speak(backend, voice, window, mode)
    return audio, time.perf_counter() - started


def resample(audio: np.ndarray, rate: int) -> np.ndarray:
    n = int(len(audio) * SAMPLE_RATE / rate)
    return np.interp(np.linspace(0, len(audio) - 1, n), np.arange(len(audio)), audio).astype(np.float32)


def write_wav(path: Path, audio: np.ndarray, rate: int) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voice", default="zm_yunxi")
    parser.add_argument("--model", default="base")
    parser.add_argument("--chars", type=int, default=1400, help="spoken characters in all (default 1400)")
    parser.add_argument("--window-chars", type=int, default=110)
    parser.add_argument("--pages", default=",".join(PAGES))
    parser.add_argument("--variants", default="phrases/sentence,jieba/sentence,jieba/clause,jieba/window")
    parser.add_argument("--cache-dir", type=Path, default=ROOT / ".bench-cache" / "kokoro-frontend")
    parser.add_argument("--mos", action="store_true")
    parser.add_argument("--keep-audio", type=Path, help="with --mos: write each variant's WAV here")
    parser.add_argument("--jobs", type=int, default=2, help="variants synthesized at once (default 2)")
    args = parser.parse_args()

    from reader.speech.engines.kokoro import KokoroBackend

    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    chosen = windows(args.pages.split(","), args.chars, args.window_chars)
    print(f"{len(chosen)} windows, {sum(len(s) for w in chosen for s in w)} spoken characters, voice {args.voice}, "
          f"Whisper {args.model}", flush=True)
    backends = {}
    for words in {v.split("/")[0] for v in variants}:  # one per segmentation, so that variants run at once
        backends[words] = backend = KokoroBackend(workers=1)
        backend.segmentation = words
        backend.load()
    pool = ThreadPoolExecutor(args.jobs)
    transcriber = Transcriber(Settings(args.model), args.cache_dir)
    tallies = {v: Tally() for v in variants}
    seconds = {v: 0.0 for v in variants}
    audio_s = {v: 0.0 for v in variants}
    audio_all: dict[str, list[np.ndarray]] = {v: [] for v in variants}
    for index, window in enumerate(chosen):
        ref = canonical("".join(window))
        spoken = list(pool.map(lambda v, w=window: timed(backends[v.split("/")[0]], args.voice, w, v.split("/")[1]),
                               variants))
        for variant, (audio, took) in zip(variants, spoken, strict=True):
            seconds[variant] += took
            audio_s[variant] += len(audio) / 24000
            if args.mos:
                audio_all[variant].append(audio)
            hyp = canonical(transcriber.transcribe(resample(audio, 24000)))
            alignment = align(ref, hyp)
            tallies[variant] += Tally(sum(alignment.cost), len(ref))
        print(f"[{index + 1}/{len(chosen)}] " + "  ".join(f"{v} {tallies[v].rate:.3f}" for v in variants),
              flush=True)
    mos: dict[str, str] = {}
    if args.mos and MOS.is_file():
        with tempfile.TemporaryDirectory() as tmp:
            folder = args.keep_audio or Path(tmp)
            folder.mkdir(parents=True, exist_ok=True)
            paths = []
            for variant in variants:
                path = folder / (variant.replace("/", "-") + ".wav")
                write_wav(path, np.concatenate(audio_all[variant]), 24000)
                paths.append(path)
            done = subprocess.run([str(MOS), str(MOS_SCRIPT), *map(str, paths)], capture_output=True, text=True)
            for variant, path in zip(variants, paths, strict=True):
                found = re.search(re.escape(path.name) + r"\D*([0-9.]+)", done.stdout)
                mos[variant] = found.group(1) if found else "?"
    print(f"\n| variant | CER | errors / chars | audio s | synth s per audio s |{' DistillMOS |' if mos else ''}")
    print(f"|---|---|---|---|---|{'---|' if mos else ''}")
    for v in variants:
        t = tallies[v]
        extra = f" {mos[v]} |" if mos else ""
        print(f"| {v} | {t.rate:.3f} | {t.errors} / {t.chars} | {audio_s[v]:.0f} | {seconds[v] / audio_s[v]:.2f} |{extra}")


if __name__ == "__main__":
    main()
