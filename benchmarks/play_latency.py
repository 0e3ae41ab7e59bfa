"""Time to first sound of `reader play ARTICLE` with a voice (the offline engine's by default), cold cache.

    .venv/bin/python benchmarks/play_latency.py [--article examples/wanzhou-2022-01-28.txt] [--runs 3]
                                                [--voice baker|kokoro-yunxi|…]

Prints, for the seed article (or --article), the median (and best) of --runs:
- the command: `reader play ARTICLE` started as a new process with an empty cache directory, playing into
  the WAV sink (READER_AUDIO_SINK, real-time pace); first sound = the first block of audio in the sink,
  seen by polling the file (it is unbuffered and its header is kept up to date); the process is then
  stopped with Ctrl-C. Includes Python's start, imports, fetch/extract, loading the engine, the first chunk.
- the library: `open_article(...).start()` and the player's first block, in this process (the engine's
  first load included in the first run only, as in the command);
- the engine alone: loading it, and synthesizing the first chunk (what nothing can start before);
- ratio = command's time to first sound ÷ the first chunk's synthesis time (the target is under 2 s in all:
  about one short sentence of synthesis);
- the second play (narration in the store): the command's time to first sound.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

_STARTED = time.perf_counter()  # before any of reader is imported: the child's import time counts from here

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reader.extraction.article import extract  # noqa: E402
from reader.narration.pipeline import NarrateOptions, spoken_form  # noqa: E402
from reader.play.live import open_article  # noqa: E402
from reader.play.player import Player  # noqa: E402
from reader.settings import preset  # noqa: E402
from reader.source.fetch import fetch  # noqa: E402
from reader.speech import registry as backends  # noqa: E402
from reader.text.lexicon import default_lexicon  # noqa: E402
from reader.text.segment import segment  # noqa: E402

_WAV_HEADER = 44


def command_first_sound(article: Path, cache: Path, sink: Path, voice: str, timeout: float = 120,
                        launcher: Sequence[str] = ("-m", "reader"), env: Mapping[str, str] | None = None) -> float:
    """Seconds from starting `reader play` to the first audio in its sink (``launcher``: what follows the
    interpreter on the command line, before ``play``; ``env``: more environment)."""
    env = {**os.environ, **(env or {}), "READER_AUDIO_SINK": str(sink), "READER_AUDIO_SINK_PACE": "1"}
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, *launcher, "play", str(article), "--cache-dir", str(cache),
                                "--voice", voice, "-q"], env=env, stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - started < timeout:
            if sink.exists() and sink.stat().st_size > _WAV_HEADER:
                return time.perf_counter() - started
            if process.poll() is not None:
                raise SystemExit(f"reader play exited ({process.returncode}) before playing anything")
            time.sleep(0.002)
        raise SystemExit(f"no sound after {timeout} s")
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def library_first_sound(article: Path, cache: Path, voice: str) -> float:
    started = time.perf_counter()
    stream = open_article(str(article), NarrateOptions(voice=voice, cache_dir=cache))
    try:
        player = Player(stream.start())
        while not len(player.render(1200)):
            time.sleep(0.001)
        return time.perf_counter() - started
    finally:
        stream.close()


def breakdown(article: Path, voice: str) -> dict[str, float | str]:
    """Where a cold start's time goes, each part alone and in order, in a fresh process (run with --child)."""
    out = subprocess.run([sys.executable, __file__, "--child", "--article", str(article), "--voice", voice], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.splitlines()[-1])


def child(article: Path, voice: str) -> None:
    import reader.cli.player_view  # noqa: F401  (what `reader play` imports, besides what is imported above)

    times: dict[str, float | str] = {"imports": time.perf_counter() - _STARTED}
    chosen = preset(voice)
    started = time.perf_counter()
    source = extract(fetch(str(article)))
    times["fetch_extract"] = time.perf_counter() - started
    backend = backends.get(chosen.backend)
    started = time.perf_counter()
    chunks = segment(source, backend.max_chunk_chars, spoken_form(default_lexicon()))
    times["segment"] = time.perf_counter() - started  # normalizing, and rjieba for clauses without punctuation
    started = time.perf_counter()
    getattr(backend, "load", lambda: None)()
    times["engine_load"] = time.perf_counter() - started
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        backend.synthesize(chunks[0].spoken, chosen.voice, chosen.rate)
        runs.append(time.perf_counter() - started)
    times["first_chunk"] = statistics.median(runs)
    times["text"] = chunks[0].text
    print(json.dumps(times, ensure_ascii=False))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--article", type=Path, default=ROOT / "examples" / "wanzhou-2022-01-28.txt")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--voice", default="baker", help="the voice preset (default baker)")
    parser.add_argument("--skip-warm", action="store_true", help="skip the second play (it narrates the article)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.article, args.voice)
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        command = [command_first_sound(args.article, base / f"cold{i}", base / f"cold{i}.wav", args.voice)
                   for i in range(args.runs)]
        library = [library_first_sound(args.article, base / f"lib{i}", args.voice) for i in range(args.runs)]
        parts = breakdown(args.article, args.voice)
        # The second play: narrate the article fully once, then time `reader play` again on that cache.
        warm: list[float] = []
        if not args.skip_warm:
            subprocess.run([sys.executable, "-m", "reader", "narrate", str(args.article), "--cache-dir",
                            str(base / "warm"), "--output-dir", str(base), "--voice", args.voice, "-q"], check=True)
            warm = [command_first_sound(args.article, base / "warm", base / f"warm{i}.wav", args.voice)
                    for i in range(args.runs)]
        # A store hit copies the MP3 into plays/ before playing; a miss would be stopped mid-narration.
        hit = any((base / "warm" / "plays").glob("*.mp3"))

    cmd = statistics.median(command)
    first_chunk = float(parts["first_chunk"])
    text = str(parts["text"])
    print(f"voice: {args.voice}; article: {args.article.name}; first chunk: “{text}” ({len(text)} characters)")
    print(f"reader play, cold cache: first sound after {cmd:.2f} s (median of {args.runs}; best "
          f"{min(command):.2f} s)   target < 2 s")
    print(f"  library (open_article → first block): {statistics.median(library):.2f} s (first run, with the "
          f"engine load: {library[0]:.2f} s)")
    print("  a cold start, part by part (fresh process, one after another): " + ", ".join(
        f"{name.replace('_', ' ')} {float(parts[name]):.2f} s"
        for name in ("imports", "fetch_extract", "segment", "engine_load", "first_chunk")))
    print(f"  ratio: first sound ÷ first chunk's synthesis = {cmd / first_chunk:.1f}")
    if warm:
        where = "from the store" if hit else "NOT from the store: was reader's code edited during the run?"
        print(f"reader play, second time ({where}): first sound after {statistics.median(warm):.2f} s "
              f"(ratio to cold: {statistics.median(warm) / cmd:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
