"""Issue 23 B9: does segmenting text that never punctuates grow linearly? 40 KB of ``1.1.1…`` and of digits took
34-93 s before (quadratic); this prints the seconds per KB at two sizes and their ratio (1.0: linear)."""

from __future__ import annotations

import time

from reader.models import Article, Chapter
from reader.text.normalize import normalize
from reader.text.segment import segment


def seconds(body: str) -> float:
    started = time.perf_counter()
    segment(Article("数字", [Chapter(None, [body])]), 100, normalize, header=False)
    return time.perf_counter() - started


def main() -> None:
    for name, unit in (("1.1.1…", "1."), ("digits", "1234567890")):
        small, large = 4_000, 16_000
        a = seconds((unit * small)[:small])
        b = seconds((unit * large)[:large])
        print(f"{name:8} {small // 1000} KB: {a:6.2f} s   {large // 1000} KB: {b:6.2f} s   "
              f"per-KB ratio {b / large / (a / small):.2f}")


if __name__ == "__main__":
    main()
