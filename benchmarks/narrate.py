"""Narrating the seed article offline: the whole command against the engine alone, measured in one run.

    .venv/bin/python benchmarks/narrate.py [--article examples/wanzhou-2022-01-28.txt]

Prints:
- real-time factor of the whole `reader narrate` command (cold cache);
- overhead ratio: the whole command ÷ the engine's own synthesis time for the same chunks, called directly
  one after another (target ≤ 0.6: parallel chunks on 2 cores, plus fetch, assembly, tags, sidecars);
- warm re-run ÷ cold run (target ≤ 0.05: the finished narration copied from the store), and the same
  with only the chunk cache (what a re-run after editing one paragraph costs, plus that paragraph);
- peak memory of the command (target < 1 GB).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reader.extraction.article import extract  # noqa: E402
from reader.narration.pipeline import spoken_form  # noqa: E402
from reader.settings import preset  # noqa: E402
from reader.source.fetch import read_file  # noqa: E402
from reader.speech import registry as backends  # noqa: E402
from reader.text.lexicon import default_lexicon  # noqa: E402
from reader.text.segment import segment  # noqa: E402


def run_command(article: Path, out: Path, cache: Path, voice: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "reader", "narrate", str(article), "--output-dir", str(out),
         "--cache-dir", str(cache), "--voice", voice, "--quiet"],
        check=True,
    )
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--article", type=Path, default=ROOT / "examples" / "wanzhou-2022-01-28.txt")
    parser.add_argument("--voice", default="baker")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        (base / "cold").mkdir()
        (base / "warm").mkdir()
        cold = run_command(args.article, base / "cold", base / "cache", args.voice)
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        warm = run_command(args.article, base / "warm", base / "cache", args.voice)
        # The same with only the chunk cache (as after editing one paragraph: the narration is re-laid out,
        # re-measured and re-encoded from cached chunks).
        shutil.rmtree(base / "cache" / "narrations")
        warm_chunks = run_command(args.article, base / "warm", base / "cache", args.voice)
        mp3 = next((base / "cold").glob("*.mp3"))
        from reader.audio.ffmpeg import probe_duration

        duration = probe_duration(mp3)

    # The engine alone, on exactly the chunks the command synthesized, one after another.
    chosen = preset(args.voice)
    backend = backends.get(chosen.backend)
    article = extract(read_file(args.article))
    chunks = segment(article, backend.max_chunk_chars, spoken_form(default_lexicon()))
    backend.synthesize("预热。", chosen.voice, chosen.rate)  # load the models outside the timing
    start = time.perf_counter()
    speech = 0.0
    for chunk in chunks:
        speech += backend.synthesize(chunk.spoken, chosen.voice, chosen.rate).duration
    engine = time.perf_counter() - start
    # The engine alone again, on all its workers at once: the best any pipeline could do on this machine,
    # so that the overhead ratio splits into the engine's own parallel speed-up and the pipeline's cost.
    workers = backend.max_workers
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(lambda c: backend.synthesize(c.spoken, chosen.voice, chosen.rate), chunks))
    engine_parallel = time.perf_counter() - start

    print(f"article: {args.article.name}, {len(chunks)} chunks, {sum(len(c.spoken) for c in chunks)} spoken chars")
    print(f"audio: {duration:.1f} s ({speech:.1f} s of speech, the rest pauses)")
    print(f"engine alone, sequential: {engine:.1f} s   (real-time factor {engine / speech:.3f})")
    print(f"engine alone, {workers} workers: {engine_parallel:.1f} s   (speed-up {engine / engine_parallel:.2f}x: "
          f"the floor of the overhead ratio is {engine_parallel / engine:.2f})")
    print(f"whole command, cold:      {cold:.1f} s   (real-time factor {cold / duration:.3f})")
    print(f"whole command, warm:      {warm:.1f} s")
    print(f"pipeline cost (cold command / engine on {workers} workers): {cold / engine_parallel:.2f}")
    print(f"overhead ratio (cold command / sequential engine): {cold / engine:.2f}   target <= 0.60")
    print(f"whole command, warm, chunk cache only (no stored narration): {warm_chunks:.1f} s")
    print(f"warm / cold: {warm / cold:.3f}   target <= 0.05   (chunk cache only: {warm_chunks / cold:.3f})")
    print(f"peak memory of the command: {peak_mb:.0f} MB   target < 1024 MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
