"""`reader batch` over the development corpus (../shared/corpus, 32 real pages), offline, measured in one run.

    .venv/bin/python benchmarks/batch.py [--limit N] [--jobs 2]

Prints:
- articles narrated per minute, and minutes of audio made per minute of wall time (cold cache, fresh library);
- peak memory of the batch process (ru_maxrss from wait4), and its resident memory sampled through the run
  at each quarter of the elapsed time (flat = nothing accumulates as the archive grows);
- the re-run time (same command, same library) ÷ the first run (target <= 0.02: only reading, hashing and
  checking the catalog);
- which pages failed and why (the corpus holds English pages and pages with no article).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def run_batch(inputs: Path, library: Path, cache: Path, jobs: int) -> tuple[float, float, int, list[tuple[float, float]]]:
    """Run the batch as a child process: (wall seconds, peak RSS MB, exit status, [(elapsed, RSS MB)])."""
    command = [sys.executable, "-m", "reader", "batch", str(inputs), "-o", str(library), "--cache-dir", str(cache),
               "-j", str(jobs), "-q"]
    samples: list[tuple[float, float]] = []
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.5):
            value = rss_mb(proc.pid)
            if value is not None:
                samples.append((time.perf_counter() - start, value))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    assert proc.stderr is not None
    errors = proc.stderr.read()  # drained while it runs: a long failure list cannot block the child
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):  # 1: some pages failed, which the corpus is expected to make happen
        sys.exit(f"the batch failed ({proc.returncode}):\n{errors}")
    return wall, usage.ru_maxrss / 1024, proc.returncode, samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="only the first N corpus pages (a quick run)")
    parser.add_argument("--jobs", type=int, default=2, help="articles in flight (reader batch -j)")
    args = parser.parse_args()
    pages = sorted(CORPUS.glob("*/page.html"))
    if not pages:
        sys.exit(f"{CORPUS}: no corpus pages (this benchmark needs ../shared/corpus)")
    pages = pages[: args.limit] if args.limit else pages

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        inputs = base / "pages"
        inputs.mkdir()
        for page in pages:  # the corpus folders also hold expected.txt etc.: give the batch the pages only
            (inputs / f"{page.parent.name}.html").symlink_to(page)
        library, cache = base / "library", base / "cache"

        first, peak, _, samples = run_batch(inputs, library, cache, args.jobs)
        again, peak_again, _, _ = run_batch(inputs, library, cache, args.jobs)

        db = sqlite3.connect(library / "catalog.sqlite")
        done = db.execute("SELECT count(*), coalesce(sum(duration), 0) FROM articles WHERE status = 'done'").fetchone()
        failed = db.execute("SELECT source, error FROM articles WHERE status = 'failed' ORDER BY source").fetchall()
        db.close()
        library_mb = sum(p.stat().st_size for p in library.iterdir() if p.is_file()) / 1e6

    narrated, audio = done
    print(f"corpus pages: {len(pages)}, -j {args.jobs}: {narrated} narrated, {len(failed)} failed")
    for source, error in failed:
        print(f"  failed {Path(source).name}: {error.split(': ', 1)[-1]}")
    print(f"first run: {first:.1f} s, {audio / 60:.1f} min of audio, library {library_mb:.0f} MB")
    print(f"articles per minute: {narrated / (first / 60):.2f}")
    print(f"audio minutes per wall minute: {audio / first:.1f}")
    print(f"peak memory of the batch process: {peak:.0f} MB (re-run: {peak_again:.0f} MB)")
    if samples:
        quarters = [max((v for t, v in samples if t <= first * q / 4), default=0.0) for q in (1, 2, 3, 4)]
        print("peak resident memory by each quarter of the run: " + " / ".join(f"{q:.0f}" for q in quarters) + " MB")
    print(f"re-run (nothing changed): {again:.2f} s")
    print(f"re-run / first run: {again / first:.4f}   target <= 0.02")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
