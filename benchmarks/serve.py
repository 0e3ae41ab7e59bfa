"""`reader serve` on loopback, measured in one run: the 语音播报 button's waits, and cached media's throughput.

    .venv/bin/python benchmarks/serve.py [--articles 3] [--voice NAME] [--other kokoro-xiaoxiao]
                                         [--requests 1000] [--concurrent 50]

A local site serves the shortest pages of the development corpus (../shared/corpus); `reader serve` runs in
its own process (`--voice` the default, `--voices` the other) with a fresh library and chunk cache. Prints:
- click → first sound for an article not yet narrated, as the widget gets it: POST, poll (every 50 ms) until
  the job lists its first chunk (the stream), then that chunk's file; per article and voice (the default voice
  and `--other`, interleaved article by article: A B A B), with the time until the whole narration is done,
  and as a ratio to the issue's goal (3 s with the default voice on 2 quiet cores);
- click → first audio bytes for a narrated article (POST answers 200 at once, then the first 64 KiB of the
  audio), and its ratio to the goal (300 ms);
- requests/s and p50/p99 latency for cached media (whole files and ranges, `--concurrent` at a time).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import http.server
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
GOAL_NEW, GOAL_DONE = 3.0, 0.3


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def shortest_pages(n: int, into: Path) -> list[str]:
    found = sorted((len((d / "expected.txt").read_text(encoding="utf-8")), d.name) for d in CORPUS.iterdir()
                   if (d / "expected.txt").is_file() and (d / "page.html").is_file())
    names = []
    for _size, name in found[:n]:
        shutil.copy(CORPUS / name / "page.html", into / f"{name}.html")
        names.append(f"{name}.html")
    return names


def first_sound(client: httpx.Client, base: str, url: str, voice: str | None = None) -> tuple[float, float, dict]:
    """Seconds from the click to the first audio in hand (a chunk of the stream, or the narration's own file
    if it is done first), seconds until it is done, and the done body."""
    t = time.perf_counter()
    answer = client.post(f"{base}/api/v1/narrations", json={"url": url, **({"voice": voice} if voice else {})})
    body = answer.json()
    first = None
    while body.get("status") in ("queued", "running"):
        if first is None and body.get("stream"):
            chunk = client.get(base + body["stream"][0]["audio"])
            assert chunk.status_code == 200 and chunk.content[:4] == b"RIFF", chunk.status_code
            first = time.perf_counter() - t
        time.sleep(0.05)
        body = client.get(f"{base}/api/v1/narrations/{body['id']}").json()
    if body.get("status") != "done":
        raise SystemExit(f"{url}: {body.get('error')}")
    if first is None:
        audio = client.get(base + body["audio"], headers={"Range": "bytes=0-65535"})
        assert audio.status_code in (200, 206), audio.status_code
        first = time.perf_counter() - t
    return first, time.perf_counter() - t, body


async def load(base: str, paths: list[str], requests: int, concurrent: int) -> tuple[float, list[float]]:
    rng = random.Random(21)
    slots = asyncio.Semaphore(concurrent)
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=concurrent, max_keepalive_connections=concurrent)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        async def one(i: int) -> None:
            headers = {"Range": f"bytes={rng.randrange(512)}-{rng.randrange(512, 1024)}"} if i % 2 else {}
            async with slots:
                t = time.perf_counter()
                answer = await client.get(paths[i % len(paths)], headers=headers)
                latencies.append(time.perf_counter() - t)
            assert answer.status_code in (200, 206), answer.status_code

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(requests)))
    return time.perf_counter() - started, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=3)
    parser.add_argument("--voice", default=None, help="a voice preset (default: reader's default voice)")
    parser.add_argument("--other", default="kokoro-xiaoxiao",
                        help="another voice, asked for per request ('' for none)")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrent", type=int, default=50)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="reader-serve-bench-") as tmp:
        site_dir = Path(tmp) / "site" / "news"
        site_dir.mkdir(parents=True)
        pages = shortest_pages(args.articles, site_dir)
        handler = functools.partial(Quiet, directory=str(site_dir.parent))
        site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=site.serve_forever, daemon=True).start()
        site_base = f"http://127.0.0.1:{site.server_address[1]}/news/"
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        command = [sys.executable, "-m", "reader", "serve", "--site", site_base, "--port", str(port),
                   "--library", str(Path(tmp) / "library")]
        if args.voice:
            command += ["--voice", args.voice]
        if args.other:
            command += ["--voices", args.other]
        env = {**os.environ, "READER_CACHE_DIR": str(Path(tmp) / "cache"), "NO_PROXY": "127.0.0.1"}
        server = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
        try:
            with httpx.Client(timeout=600) as client:
                while True:  # up, and its workers warm (as a server that has been running is)
                    try:
                        if client.get(f"{base}/healthz").json().get("warm"):
                            break
                    except httpx.TransportError:
                        pass
                    time.sleep(0.05)
                print(f"reader serve, {len(pages)} corpus pages, voices: {args.voice or 'default'} (default)"
                      + (f", {args.other}" if args.other else ""))
                voices: list[str | None] = [None, *([args.other] if args.other else [])]
                new: dict[str | None, list[float]] = {v: [] for v in voices}
                done, media = [], []
                for name in pages:
                    for voice in voices:  # interleaved: each article in every voice before the next article
                        seconds, whole, body = first_sound(client, base, site_base + name, voice)
                        new[voice].append(seconds)
                        media += [p for p in (body["audio"], body["subtitles"]) if p]
                        print(f"  {name} [{voice or 'default'}]: {body['duration']:.0f} s of audio; not narrated: "
                              f"click → first sound {seconds:.2f} s ({seconds / GOAL_NEW:.2f}× the goal of "
                              f"{GOAL_NEW:.0f} s), whole narration {whole:.1f} s ({whole / seconds:.1f}× longer)")
                for voice in voices:
                    median = statistics.median(new[voice])
                    print(f"  not narrated [{voice or 'default'}]: click → first sound {median:.2f} s (median of "
                          f"{len(new[voice])}; {median / GOAL_NEW:.2f}× the goal; spread "
                          f"{min(new[voice]):.2f}–{max(new[voice]):.2f} s)")
                for name in pages:
                    seconds, _whole, _body = first_sound(client, base, site_base + name)
                    done.append(seconds)
                median_done = statistics.median(done)
                print(f"  narrated: click → first bytes {median_done * 1000:.0f} ms (median; "
                      f"{median_done / GOAL_DONE:.2f}× the goal of {GOAL_DONE * 1000:.0f} ms)")
            wall, latencies = asyncio.run(load(base, media, args.requests, args.concurrent))
            cuts = statistics.quantiles(latencies, n=100)
            print(f"  cached media: {args.requests / wall:.0f} requests/s, {args.concurrent} at a time "
                  f"(p50 {cuts[49] * 1000:.1f} ms, p99 {cuts[98] * 1000:.1f} ms)")
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(60)
            site.shutdown()


if __name__ == "__main__":
    main()
