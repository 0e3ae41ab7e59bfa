"""How large inputs scale: normalize a megabyte of text and long pathological lines, extract a 5 MB page.

    .venv/bin/python benchmarks/large_inputs.py

Prints, from one run, in CPU time (process time: other jobs on the machine do not count):
- normalize: CPU seconds per megabyte of news text, and ÷ the old test budget (3 s);
- for each pathological line (one pattern repeated, tests/helpers/articles.py): CPU time of the line of
  100 000 characters ÷ that of 50 000, the least of three runs each (2 = linear, 4 = quadratic; the worst
  first);
- extract: CPU seconds for a 5 MB page, and ÷ the old test budget (10 s).
The tests check what comes out of the same inputs; the speed is measured here.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from helpers.articles import PATHOLOGICAL_CHUNKS, padded_page  # noqa: E402

from reader.extraction.article import extract  # noqa: E402
from reader.models import Source  # noqa: E402
from reader.text.normalize import normalize  # noqa: E402

SEED = ROOT / "examples" / "wanzhou-2022-01-28.txt"


def cpu(call: Callable[[], object], runs: int = 1) -> float:
    """The least CPU time of ``runs`` calls (the least is the one least disturbed)."""
    best = float("inf")
    for _ in range(runs):
        start = time.process_time()
        call()
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    article = SEED.read_text(encoding="utf-8")
    text = article * (1_000_000 // len(article) + 1)
    per_mb = cpu(lambda: normalize(text)) / (len(text) / 1_000_000)
    print(f"normalize: {per_mb:.2f} s CPU per million characters ({per_mb / 3.0:.2f} of the old 3 s budget)")
    ratios = []
    for chunk in PATHOLOGICAL_CHUNKS:
        n = 50_000 // len(chunk)
        half = cpu(lambda: normalize(chunk * n), 3)  # noqa: B023 (called at once)
        whole = cpu(lambda: normalize(chunk * (2 * n)), 3)  # noqa: B023
        ratios.append((whole / max(half, 1e-6), chunk, whole))
    ratios.sort(reverse=True)
    print("pathological lines, CPU(100 000 chars) ÷ CPU(50 000 chars): 2 is linear, 4 quadratic")
    for ratio, chunk, whole in ratios:
        print(f"  {chunk!r:>10}  {ratio:5.2f}  ({whole:.2f} s for 100 000 characters)")
    data = padded_page(5 * 1024 * 1024)
    seconds = cpu(lambda: extract(Source(data=data, name="big.html", kind="html")))
    print(f"extract a {len(data) / 1e6:.1f} MB page: {seconds:.2f} s CPU ({seconds / 10:.2f} of the old 10 s budget)")


if __name__ == "__main__":
    main()
