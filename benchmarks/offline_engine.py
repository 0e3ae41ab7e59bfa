"""The offline engine alone (FastSpeech2 + MB-MelGAN on LiteRT): load time, speed and memory.

    .venv/bin/python benchmarks/offline_engine.py [--article examples/wanzhou-2022-01-28.txt] [--threading]

Prints:
- cold load: importing the backend, constructing it and loading the models (the patch of the acoustic
  model included), in this fresh process;
- real-time factor (synthesis time ÷ audio duration) over the seed article's chunks, one after another;
- the same with ``max_workers`` threads, as the pipeline runs it, and the speed-up ratio;
- peak RSS of the process.
With ``--threading``, each threading layout (engines × LiteRT threads per engine) is also measured in its own
process, which is how max_workers and threads-per-engine were chosen.

Chunks: each line of the article, normalized by ``reader.text.normalize.normalize`` when it is importable (else a
crude filter keeping Chinese characters and ，。), split after 。！？ and then at ，、；： so that each chunk has
at most ``max_chunk_chars`` characters, as the segmenter does.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HAN = re.compile(r"[\u4e00-\u9fff]")


def normalizer() -> tuple[Callable[[str], str], str]:
    try:
        from reader.text.normalize.normalizer import normalize
    except ImportError:
        return (lambda text: "".join(re.findall(r"[\u4e00-\u9fff，。]", text))), "crude filter (CJK + ，。)"
    return normalize, "reader.text.normalize.normalizer.normalize"


def split(text: str, limit: int) -> list[str]:
    """Sentences (after 。！？), cut at ，、；： and, failing that, anywhere, to at most ``limit`` characters."""
    chunks: list[str] = []
    for sentence in re.findall(r"[^。！？]+[。！？”」]*", text):
        current = ""
        for clause in re.findall(r"[^，、；：]+[，、；：]?", sentence):
            pieces = [clause[i : i + limit] for i in range(0, len(clause), limit)]
            for piece in pieces:
                if current and len(current) + len(piece) > limit:
                    chunks.append(current)
                    current = ""
                current += piece
        if current:
            chunks.append(current)
    return [c for c in chunks if HAN.search(c)]


def article_chunks(path: Path, limit: int) -> tuple[list[str], str]:
    normalize, how = normalizer()
    chunks: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        spoken = normalize(line.strip())
        if HAN.search(spoken):
            chunks.extend(split(spoken, limit))
    return chunks, how


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(article: Path, workers: int | None, threads_per_engine: int, limit_chunks: int | None) -> dict[str, float]:
    started = time.perf_counter()
    from reader.speech.engines.offline import OfflineBackend

    backend = OfflineBackend(workers=workers, threads_per_engine=threads_per_engine)
    constructed = time.perf_counter()
    backend.load()
    loaded = time.perf_counter()
    n_workers = backend._pool._size
    chunks, _ = article_chunks(article, backend.max_chunk_chars)
    chunks = chunks[:limit_chunks] if limit_chunks else chunks
    result = {
        "construct_s": constructed - started,
        "load_s": loaded - started,
        "workers": n_workers,
        "chunks": len(chunks),
        "chars": sum(len(c) for c in chunks),
        "rss_after_load_mb": peak_rss_mb(),
    }

    begin = time.perf_counter()
    audio = [backend.synthesize(c, "baker") for c in chunks]
    sequential = time.perf_counter() - begin
    duration = sum(a.duration for a in audio)
    result.update(audio_s=duration, sequential_s=sequential, rtf_sequential=sequential / duration)
    result["rss_sequential_mb"] = peak_rss_mb()

    with ThreadPoolExecutor(max_workers=n_workers) as pool:
        list(pool.map(lambda c: backend.synthesize(c, "baker"), chunks[:n_workers]))  # load every engine
        begin = time.perf_counter()
        threaded_audio = list(pool.map(lambda c: backend.synthesize(c, "baker"), chunks))
        threaded = time.perf_counter() - begin
    result.update(threaded_s=threaded, rtf_threaded=threaded / duration, speedup=sequential / threaded)
    result["same_audio"] = float([a.pcm for a in threaded_audio] == [a.pcm for a in audio])
    result["peak_rss_mb"] = peak_rss_mb()
    backend.close()
    return result


def compare_threading(article: Path, limit_chunks: int | None) -> None:
    print("\nthreading layouts (each in a fresh process; RTF with all engines busy):")
    print(f"  {'engines':>7} {'threads/engine':>14} {'RTF':>7} {'vs 1x1':>7} {'peak RSS':>9}")
    baseline = None
    for workers, threads in [(1, 1), (1, 2), (2, 1), (2, 2)]:
        out = subprocess.run(
            [sys.executable, __file__, "--json", "--workers", str(workers), "--threads-per-engine", str(threads)]
            + (["--chunks", str(limit_chunks)] if limit_chunks else [])
            + ["--article", str(article)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        r = json.loads(out.strip().splitlines()[-1])
        rtf = r["rtf_threaded"]
        baseline = baseline or rtf
        print(f"  {workers:>7} {threads:>14} {rtf:>7.3f} {baseline / rtf:>6.2f}x {r['peak_rss_mb']:>7.0f}MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--article", type=Path, default=ROOT / "examples" / "wanzhou-2022-01-28.txt")
    parser.add_argument("--workers", type=int, default=None, help="engines (default: max_workers)")
    parser.add_argument("--threads-per-engine", type=int, default=1)
    parser.add_argument("--chunks", type=int, default=None, help="only the first N chunks")
    parser.add_argument("--threading", action="store_true", help="also compare threading layouts")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    r = run(args.article, args.workers, args.threads_per_engine, args.chunks)
    if args.json:
        print(json.dumps(r))
        return 0
    _, how = normalizer()
    print(f"article: {args.article.name}, {r['chunks']:.0f} chunks, {r['chars']:.0f} characters ({how})")
    print(f"cold load: {r['load_s']:.2f} s (construction {r['construct_s']:.2f} s, then models + patch)")
    print(f"audio: {r['audio_s']:.1f} s ({r['chars'] / r['audio_s']:.2f} characters/s)")
    print(f"sequential: {r['sequential_s']:.1f} s, RTF {r['rtf_sequential']:.3f}")
    print(
        f"{r['workers']:.0f} threads: {r['threaded_s']:.1f} s, RTF {r['rtf_threaded']:.3f}, "
        f"speed-up {r['speedup']:.2f}x, same audio as sequential: {bool(r['same_audio'])}"
    )
    print(
        f"peak RSS: {r['rss_after_load_mb']:.0f} MB after load, {r['rss_sequential_mb']:.0f} MB sequential, "
        f"{r['peak_rss_mb']:.0f} MB with {r['workers']:.0f} engines"
    )
    if args.threading:
        compare_threading(args.article, args.chunks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
