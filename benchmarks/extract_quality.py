"""Extraction quality on ../shared/corpus: ours beside readability-lxml and trafilatura, in one run.

Score: character 3-gram precision / recall / F1 between the extracted text and ``expected.txt``, after NFKC
and the removal of all whitespace; the better of with and without the title, since ground truths differ.

    .venv/bin/python benchmarks/extract_quality.py [--corpus ../shared/corpus] [--verbose]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reader.extraction.article import extract_html  # noqa: E402
from reader.source.decode import decode  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
#: Corrected ground truths (see errata/README.md): scored beside the originals, never instead of them.
ERRATA = Path(__file__).resolve().parent / "errata"


def _grams(text: str) -> Counter[str]:
    t = "".join(unicodedata.normalize("NFKC", text).split())
    return Counter(t[i : i + 3] for i in range(len(t) - 2))


def prf(got: str, expected: str) -> tuple[float, float, float]:
    g, e = _grams(got), _grams(expected)
    if not g or not e:
        return 0.0, 0.0, 0.0
    overlap = sum((g & e).values())
    p, r = overlap / sum(g.values()), overlap / sum(e.values())
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def best_score(title: str, body: str, expected: str) -> tuple[float, float, float]:
    """The better F1 of the body alone and the title followed by the body."""
    return max(prf(body, expected), prf(f"{title}\n{body}", expected), key=lambda s: s[2])


# Each extractor: html text → (title, body).
def ours(html: str) -> tuple[str, str]:
    article = extract_html(html)
    body = article.text().split("\n", 1)[1] if "\n" in article.text() else ""
    return article.title, body


def readability(html: str) -> tuple[str, str]:
    from lxml import html as lhtml
    from readability import Document

    doc = Document(html)
    return doc.short_title(), lhtml.fromstring(doc.summary()).text_content()


def trafilatura(html: str) -> tuple[str, str]:
    import trafilatura as tf

    body = tf.extract(html, favor_recall=False) or ""
    meta = tf.extract_metadata(html)
    return (meta.title if meta and meta.title else ""), body


EXTRACTORS: dict[str, Callable[[str], tuple[str, str]]] = {
    "reader": ours,
    "readability": readability,
    "trafilatura": trafilatura,
}


def pages(corpus: Path) -> list[Path]:
    return sorted(d for d in corpus.iterdir() if (d / "expected.txt").is_file() and (d / "page.html").is_file())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--verbose", "-v", action="store_true", help="print every page's scores")
    parser.add_argument("--only", choices=list(EXTRACTORS), action="append")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 2
    names = args.only or list(EXTRACTORS)
    dirs = pages(args.corpus)
    scores: dict[str, dict[str, tuple[float, float, float]]] = {n: {} for n in names}
    seconds: dict[str, float] = dict.fromkeys(names, 0.0)
    corrected: dict[str, dict[str, tuple[float, float, float]]] = {n: {} for n in names}
    for d in dirs:
        html = decode((d / "page.html").read_bytes()).text
        expected = (d / "expected.txt").read_text(encoding="utf-8")
        erratum = ERRATA / f"{d.name}.expected.txt"
        fixed = erratum.read_text(encoding="utf-8") if erratum.is_file() else None
        for name in names:
            start = time.perf_counter()
            try:
                title, body = EXTRACTORS[name](html)
            except Exception as exc:  # a failing comparison tool scores 0 on that page
                title, body = "", ""
                if args.verbose:
                    print(f"  {name} failed on {d.name}: {exc!r}", file=sys.stderr)
            seconds[name] += time.perf_counter() - start
            scores[name][d.name] = best_score(title, body, expected)
            corrected[name][d.name] = best_score(title, body, fixed) if fixed else scores[name][d.name]
    if args.verbose:
        print("page  " + "  ".join(f"{n:>20}" for n in names))
        for d in dirs:
            cells = [f"P{s[0]:.2f} R{s[1]:.2f} F{s[2]:.3f}" for s in (scores[n][d.name] for n in names)]
            print(f"{d.name:5} " + "  ".join(f"{c:>20}" for c in cells))
            if (ERRATA / f"{d.name}.expected.txt").is_file():
                cells = [f"P{s[0]:.2f} R{s[1]:.2f} F{s[2]:.3f}" for s in (corrected[n][d.name] for n in names)]
                print(f"{d.name + '*':5} " + "  ".join(f"{c:>20}" for c in cells))
    print(f"{len(dirs)} pages with expected.txt in {args.corpus}")
    errata = sorted(p.name.split(".")[0] for p in ERRATA.glob("*.expected.txt"))
    for label, table in (("corpus ground truth as given", scores),
                         (f"with corrected ground truth for {', '.join(errata)} (benchmarks/errata)", corrected)):
        print(f"\n{label}")
        _summary(names, table, seconds, len(dirs))
    return 0


def _summary(names: list[str], scores: dict[str, dict[str, tuple[float, float, float]]],
             seconds: dict[str, float], pages: int) -> None:
    print(f"{'extractor':12} {'mean F1':>8} {'worst':>6} {'page':>5} {'<0.85':>6} {'P':>6} {'R':>6} {'ms/page':>8}")
    for name in names:
        f1 = {k: v[2] for k, v in scores[name].items()}
        worst = min(f1, key=lambda k: f1[k])
        print(
            f"{name:12} {statistics.mean(f1.values()):8.3f} {f1[worst]:6.3f} {worst:>5} "
            f"{sum(v < 0.85 for v in f1.values()):6d} "
            f"{statistics.mean(v[0] for v in scores[name].values()):6.3f} "
            f"{statistics.mean(v[1] for v in scores[name].values()):6.3f} "
            f"{1000 * seconds[name] / pages:8.1f}"
        )
    if "reader" in names and "readability" in names:
        ratio = statistics.mean(v[2] for v in scores["reader"].values()) / max(
            1e-9, statistics.mean(v[2] for v in scores["readability"].values())
        )
        print(f"ratio reader/readability mean F1: {ratio:.3f}")


if __name__ == "__main__":
    raise SystemExit(main())
