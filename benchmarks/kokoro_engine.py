"""The kokoro engine beside the offline (Baker) engine, and what made it faster, measured in one run.

    .venv/bin/python benchmarks/kokoro_engine.py [--chars 400] [--voice zm_yunxi] [--only compare,variant,...]

The text is the seed article's first ``--chars`` spoken characters, cut by reader's own segmenter for each
engine (its own ``max_chunk_chars``). Every figure is CPU-seconds per second of audio (``cpu/audio``: all of the
process's threads, so it does not flatter a multi-threaded engine) and, where it says so, the real-time factor
(wall time ÷ audio time) on this machine's cores. Timings on a shared machine are noisy; ratios measured in
the same run are what to read. Sections (``--only`` picks some):

- compare: Baker vs Kokoro (as shipped by reader), each sequential on one thread; the ratio of the two.
- variant: Kokoro's int8 model as published vs the float variant derived at load time, with its 1-D
  convolutions left 1-D and made 2-D (the shipped one) (before/after each step).
- session: ONNX Runtime options on the float model: graph optimization basic/extended/all, one thread vs two
  (with and without spinning).
- length: chunk length (``max_chunk_chars``) vs throughput.
- parallel: the engine alone on all cores: 1 worker × 2 threads vs 2 workers × 1 thread (shipped) vs 2 workers
  × 2 threads (real-time factor).
- load: in fresh processes: deriving the float model (empty cache), loading it from the cache, loading the
  int8 model from the joined parts; peak memory after one chunk.
- narrate: the whole ``reader narrate`` command (a fresh process, empty chunk cache) on the seed's first
  paragraphs (about ``--chars`` characters), Baker vs Kokoro: real-time factor of the command and of the
  engine alone on all its workers, and peak memory.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reader.extraction.article import extract  # noqa: E402
from reader.narration.pipeline import spoken_form  # noqa: E402
from reader.source.fetch import read_file  # noqa: E402
from reader.text.lexicon import default_lexicon  # noqa: E402
from reader.text.segment import segment  # noqa: E402

SEED = ROOT / "examples" / "wanzhou-2022-01-28.txt"
SECTIONS = ("compare", "variant", "session", "length", "parallel", "load", "narrate")


def chunks_for(limit: int, chars: int) -> list[str]:
    """The seed's spoken chunks, cut for an engine taking ``limit`` characters, up to ``chars`` in all."""
    article = extract(read_file(SEED))
    out: list[str] = []
    total = 0
    for chunk in segment(article, limit, spoken_form(default_lexicon()), header=False):
        if total >= chars:
            break
        out.append(chunk.spoken)
        total += len(chunk.spoken)
    return out


def measure(backend: Any, voice: str, texts: list[str], workers: int = 1) -> dict[str, float]:
    """cpu/audio and the real-time factor of speaking ``texts`` (after one warm-up call)."""
    backend.synthesize("预热。", voice)
    wall, cpu = time.perf_counter(), time.process_time()
    if workers == 1:
        audio = sum(backend.synthesize(t, voice).duration for t in texts)
    else:
        with ThreadPoolExecutor(workers) as pool:
            audio = sum(a.duration for a in pool.map(lambda t: backend.synthesize(t, voice), texts))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"cpu_per_audio": cpu / audio, "rtf": wall / audio, "audio": audio, "chunks": len(texts)}


def line(label: str, m: dict[str, float]) -> str:
    return (f"  {label:46} cpu/audio {m['cpu_per_audio']:.3f}   rtf {m['rtf']:.3f}   "
            f"({m['chunks']:.0f} chunks, {m['audio']:.0f} s of audio)")


def kokoro(**kwargs: Any) -> Any:
    from reader.speech.engines.kokoro import KokoroBackend

    backend = KokoroBackend(**kwargs)
    backend.load()
    return backend


def section_compare(args: argparse.Namespace) -> None:
    from reader.speech.engines.offline import OfflineBackend

    print("compare: each engine alone, sequential, one thread")
    baker = OfflineBackend(workers=1)
    baker.load()
    b = measure(baker, "baker", chunks_for(baker.max_chunk_chars, args.chars))
    baker.close()
    k_backend = kokoro(workers=1)
    k = measure(k_backend, args.voice, chunks_for(k_backend.max_chunk_chars, args.chars))
    k_backend.close()
    print(line(f"baker (max_chunk_chars {baker.max_chunk_chars})", b))
    print(line(f"kokoro {args.voice} (max_chunk_chars {k_backend.max_chunk_chars})", k))
    print(f"  kokoro ÷ baker, cpu/audio: {k['cpu_per_audio'] / b['cpu_per_audio']:.2f}")


def section_variant(args: argparse.Namespace) -> None:
    print("variant: the model as published vs the derived float model (sequential, one thread)")
    texts = chunks_for(100, args.chars)
    results = {}
    for variant in ("int8", "float1d", "float"):
        backend = kokoro(variant=variant, workers=1)
        results[variant] = measure(backend, args.voice, texts)
        backend.close()
        print(line(variant, results[variant]))
    base = results["int8"]["cpu_per_audio"]
    print(f"  ÷ int8, cpu/audio: float1d {results['float1d']['cpu_per_audio'] / base:.2f}, "
          f"float (2-D, shipped) {results['float']['cpu_per_audio'] / base:.2f}")


def section_session(args: argparse.Namespace) -> None:
    print("session: ONNX Runtime options on the float model (sequential calls)")
    texts = chunks_for(100, args.chars)
    configs: list[tuple[str, dict[str, Any]]] = [
        ("optimization basic, 1 thread", {"optimization": "basic"}),
        ("optimization extended, 1 thread", {"optimization": "extended"}),
        ("optimization all, 1 thread (shipped)", {}),
        ("optimization all, 2 threads, no spinning", {"threads": 2}),
        ("optimization all, 2 threads, spinning", {"threads": 2, "spinning": True}),
    ]
    for label, kwargs in configs:
        backend = kokoro(workers=1, **kwargs)
        print(line(label, measure(backend, args.voice, texts)))
        backend.close()


def section_length(args: argparse.Namespace) -> None:
    print("length: chunk length vs throughput (float model, sequential, one thread)")
    backend = kokoro(workers=1)
    for limit in (30, 50, 70, 100):
        print(line(f"max_chunk_chars {limit}", measure(backend, args.voice, chunks_for(limit, args.chars))))
    backend.close()


def section_parallel(args: argparse.Namespace) -> None:
    print("parallel: the engine alone on all cores (what a narration's synthesis can reach)")
    texts = chunks_for(100, args.chars)
    one = kokoro(threads=2, workers=1)
    a = measure(one, args.voice, texts, workers=1)
    one.close()
    two = kokoro(threads=1, workers=2)
    b = measure(two, args.voice, texts, workers=2)
    two.close()
    both = kokoro(threads=2, workers=2)
    c = measure(both, args.voice, texts, workers=2)
    both.close()
    print(line("1 worker x 2 threads", a))
    print(line("2 workers x 1 thread (shipped)", b))
    print(line("2 workers x 2 threads", c))
    print(f"  ÷ 1x2, real-time factor: 2x1 {b['rtf'] / a['rtf']:.2f}, 2x2 {c['rtf'] / a['rtf']:.2f}")


def load_child(mode: str, cache: str, voice: str) -> None:
    """In a fresh process: construct, load, speak one chunk; print times and peak memory as JSON."""
    started = time.perf_counter()
    from reader.speech.engines.kokoro import KokoroBackend

    backend = KokoroBackend(variant="int8" if mode == "int8" else "float", cache_dir=Path(cache))
    backend.load()
    loaded = time.perf_counter() - started
    first = time.perf_counter()
    backend.synthesize(chunks_for(100, 1)[0], voice)
    print(json.dumps({"load": loaded, "first_chunk": time.perf_counter() - first,
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def section_load(args: argparse.Namespace) -> None:
    print("load: fresh processes (import + construct + load), then one chunk")
    with tempfile.TemporaryDirectory() as tmp:
        for label, mode in (("float, empty cache (derives the model)", "float"),
                            ("float, from the cache (shipped)", "float"),
                            ("int8, joined parts as bytes", "int8")):
            out = subprocess.run([sys.executable, __file__, "--load-child", mode, "--cache", tmp,
                                  "--voice", args.voice], check=True, capture_output=True, text=True).stdout
            r = json.loads(out.splitlines()[-1])
            print(f"  {label:46} load {r['load']:.2f} s   first chunk {r['first_chunk']:.2f} s   "
                  f"peak {r['peak_mb']:.0f} MB")


def section_narrate(args: argparse.Namespace) -> None:
    from reader.audio.ffmpeg import probe_duration
    from reader.settings import preset
    from reader.speech import registry

    print("narrate: the whole command (fresh process, empty chunk cache) vs the engine alone on its workers")
    seed = extract(read_file(SEED))
    paragraphs, total = [], 0
    for paragraph in seed.paragraphs():  # the lead's paragraphs, up to --chars characters
        if total >= args.chars:
            break
        paragraphs.append(paragraph)
        total += len(paragraph)
    text = [seed.title, f"日期：{seed.date} 来源：{seed.source}", *paragraphs]
    with tempfile.TemporaryDirectory() as tmp:
        article = Path(tmp) / "article.txt"
        article.write_text("\n\n".join(text) + "\n", encoding="utf-8")
        results = {}
        for voice in ("baker", args.preset):
            out = Path(tmp) / voice
            out.mkdir()
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "reader", "narrate", str(article), "--output-dir", str(out),
                            "--cache-dir", str(Path(tmp) / f"cache-{voice}"), "--voice", voice, "--quiet"],
                           check=True)
            wall = time.perf_counter() - started
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            duration = probe_duration(next(out.glob("*.mp3")))
            chosen = preset(voice)
            backend = registry.get(chosen.backend)
            chunks = [c.spoken for c in segment(extract(read_file(article)), backend.max_chunk_chars,
                                                spoken_form(default_lexicon()))]
            engine = measure(backend, chosen.voice, chunks, workers=backend.max_workers)
            results[voice] = (wall / duration, engine["rtf"], engine["audio"])
            print(f"  {voice:16} command rtf {wall / duration:.3f} ({duration:.0f} s of audio)   engine alone on "
                  f"{backend.max_workers} workers rtf {engine['rtf']:.3f}   peak of the commands so far {peak:.0f} MB")
        k, b = results[args.preset], results["baker"]
        print(f"  {args.preset} ÷ baker: command {k[0] / b[0]:.2f}, engine alone {k[1] / b[1]:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=400, help="spoken characters of the seed to measure on")
    parser.add_argument("--voice", default="zm_yunxi")
    parser.add_argument("--preset", default="kokoro-yunxi", help="the Kokoro preset of the narrate section")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated: {', '.join(SECTIONS)}")
    parser.add_argument("--load-child", help=argparse.SUPPRESS)
    parser.add_argument("--cache", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load_child:
        load_child(args.load_child, args.cache, args.voice)
        return 0
    for name in args.only.split(","):
        if name not in SECTIONS:
            parser.error(f"unknown section {name!r}")
        globals()[f"section_{name}"](args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
