"""Edge voices: requests in flight at once vs one after another, against the local fake service, one run.

    .venv/bin/python benchmarks/edge_concurrency.py [--latency 0.3] [--workers 4] [--article FILE]

The fake (tests/helpers/fake_edge.py, the service's real protocol) answers every request after ``--latency``
seconds. Its audio for every chunk of the seed article is rendered before anything is timed (otherwise the
offline engine inside the fake would be what is measured), so the runs measure the network pattern: latency,
transfer, decoding and trimming. Each configuration narrates the article into a fresh cache:

- one request at a time (``--jobs 1``: the way edge-tts's own CLI sends its pieces, one after another);
- ``--workers`` requests in flight (the backend's default, 4).

Prints the synthesis time of the chunks alone and of the whole narration (plus segmentation, assembly,
encoding, tags), and the speed-up ratios.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from helpers.fake_edge import FakeEdge  # noqa: E402

from reader.extraction.article import extract  # noqa: E402
from reader.models import Article, Chunk  # noqa: E402
from reader.narration.pipeline import NarrateOptions, narrate_article, spoken_form  # noqa: E402
from reader.settings import EdgeSettings, preset  # noqa: E402
from reader.source.fetch import read_file  # noqa: E402
from reader.speech import registry as backends  # noqa: E402
from reader.speech.cache import ChunkCache  # noqa: E402
from reader.speech.engines.edge import EdgeBackend  # noqa: E402
from reader.speech.synthesize import synthesize_all  # noqa: E402
from reader.text.lexicon import default_lexicon  # noqa: E402
from reader.text.segment import segment  # noqa: E402


def timed_synthesis(chunks: list[Chunk], backend: EdgeBackend, voice: str, workers: int) -> float:
    start = time.perf_counter()
    synthesize_all(chunks, backend, voice, 1.0, ChunkCache(None), workers=workers)
    return time.perf_counter() - start


def timed_narration(article: Article, workers: int, out: Path) -> float:
    start = time.perf_counter()
    options = NarrateOptions(voice="yunyang", output=out / f"j{workers}.mp3", cache_dir=out / f"c{workers}",
                             workers=workers)
    narrate_article(article, options)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--article", type=Path, default=ROOT / "examples" / "wanzhou-2022-01-28.txt")
    parser.add_argument("--latency", type=float, default=0.3, help="seconds the fake waits before each answer")
    parser.add_argument("--workers", type=int, default=4, help="requests in flight in the concurrent run")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("NO_PROXY", "127.0.0.1")

    article = extract(read_file(args.article))
    voice = preset("yunyang").voice
    with FakeEdge() as fake, tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        os.environ["READER_CONFIG_DIR"] = str(out / "config")  # no user settings
        backend = EdgeBackend(EdgeSettings(wss_url=fake.wss_url, voices_url=fake.voices_url))
        backends._INSTANCES["edge"] = backend  # what the pipeline gets for --voice yunyang
        chunks = segment(article, backend.max_chunk_chars, spoken_form(default_lexicon()))
        print(f"rendering {len(chunks)} chunks in the fake (not timed)…", file=sys.stderr, flush=True)
        fake.prepare(c.spoken for c in chunks)
        fake.latency = args.latency

        one = timed_synthesis(chunks, backend, voice, 1)
        many = timed_synthesis(chunks, backend, voice, args.workers)
        one_whole = timed_narration(article, 1, out)
        many_whole = timed_narration(article, args.workers, out)
        most = fake.max_active

    chars = sum(len(c.spoken) for c in chunks)
    print(f"article: {args.article.name}, {len(chunks)} chunks, {chars} spoken chars; "
          f"fake service latency {args.latency * 1000:.0f} ms per request")
    print(f"one request at a time:      synthesis {one:6.1f} s   whole narration {one_whole:6.1f} s")
    print(f"{args.workers} requests in flight:      synthesis {many:6.1f} s   "
          f"whole narration {many_whole:6.1f} s   (at most {most} seen at once by the fake)")
    print(f"speed-up, concurrent over one at a time: synthesis {one / many:.2f}x, whole narration "
          f"{one_whole / many_whole:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
