"""Where a Kokoro voice's first sound goes in `reader play` from a cold cache, beside Baker's, in one run.

    .venv/bin/python benchmarks/first_sound.py [--voice kokoro-yunxi] [--runs 1] [--article examples/…]

1. The command (as ``play_latency.py`` times it: a new process, an empty ``--cache-dir``, the WAV sink at
   real-time pace, first sound = the first audio block in the sink), Baker and the Kokoro voice taking turns
   (A B A B …); their ratio. The derived Kokoro model is in the user cache directory beforehand (it is made once
   per install, and ``--cache-dir`` does not move it), so "cold" is a cold narration cache, as a listener has it.
2. The Kokoro engine's cold start part by part, in a fresh process: importing the engine module, creating the
   backend, importing ONNX Runtime, checking the cached model (size and SHA-256 against the package's record),
   creating the session; then synthesizing, one call each: the article's first chunk as segmented now, the
   longest of the first three chunks, and the first clause alone (what a short first chunk would cost). Each
   part is also given as a share of the whole.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_STARTED = time.perf_counter()

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def child(article: Path, voice: str) -> None:
    times: dict[str, float | str] = {}
    started = time.perf_counter()
    from reader._files import has_digest
    from reader.speech.engines.kokoro import DERIVED_MODELS, KokoroBackend

    times["import engine"] = time.perf_counter() - started
    from reader.extraction.article import extract
    from reader.narration.pipeline import spoken_form
    from reader.settings import preset
    from reader.source.fetch import read_file
    from reader.text.lexicon import default_lexicon
    from reader.text.segment import segment

    chosen = preset(voice)
    started = time.perf_counter()
    backend = KokoroBackend()
    times["create backend"] = time.perf_counter() - started
    started = time.perf_counter()
    import onnxruntime  # noqa: F401

    times["import onnxruntime"] = time.perf_counter() - started
    started = time.perf_counter()
    backend.load()
    load = time.perf_counter() - started
    path = backend._model_path()
    started = time.perf_counter()
    assert isinstance(path, Path) and has_digest(path, *DERIVED_MODELS["float"])
    times["check model"] = time.perf_counter() - started  # part of load; timed again alone (page cache warm)
    times["open session"] = load - float(times["check model"])
    chunks = [c.spoken for c in segment(extract(read_file(article)), backend.max_chunk_chars,
                                        spoken_form(default_lexicon()))][:3]
    clause = re.split(r"(?<=[，。！？；：])", max(chunks, key=len))[0]
    for label, text in (("first chunk", chunks[0]), ("longest of first 3", max(chunks, key=len)),
                        ("first clause alone", clause)):
        started = time.perf_counter()
        audio = backend.synthesize(text, chosen.voice, chosen.rate)
        times[label] = time.perf_counter() - started
        times[label + " text"] = f"{text} ({len(text)} characters, {audio.duration:.1f} s of audio)"
    print(json.dumps(times, ensure_ascii=False))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--article", type=Path, default=ROOT / "examples" / "wanzhou-2022-01-28.txt")
    parser.add_argument("--voice", default="kokoro-yunxi")
    parser.add_argument("--runs", type=int, default=1, help="turns of the command for each voice (1)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.article, args.voice)
        return 0

    from play_latency import command_first_sound  # this folder is on sys.path when run as a script

    from reader.speech.engines.kokoro import KokoroBackend

    KokoroBackend().load()  # the derived model made once, beforehand
    voices = ("baker", args.voice)
    seconds: dict[str, list[float]] = {v: [] for v in voices}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        for run in range(args.runs):
            for voice in voices if run % 2 == 0 else reversed(voices):
                name = f"{voice}-{run}"
                seconds[voice].append(command_first_sound(args.article, base / name, base / f"{name}.wav", voice))
    parts = json.loads(subprocess.run([sys.executable, __file__, "--child", "--article", str(args.article),
                                       "--voice", args.voice], check=True, capture_output=True,
                                      text=True).stdout.splitlines()[-1])
    baker, kokoro = statistics.median(seconds["baker"]), statistics.median(seconds[args.voice])
    print(f"reader play, cold narration cache, first sound (median of {args.runs}): baker {baker:.2f} s, "
          f"{args.voice} {kokoro:.2f} s; ratio {kokoro / baker:.2f} × Baker")
    numbers = {k: float(v) for k, v in parts.items() if not k.endswith(" text")}
    start = sum(numbers[k] for k in ("import engine", "create backend", "import onnxruntime", "check model",
                                     "open session"))
    whole = start + numbers["first chunk"]
    print(f"the kokoro engine's cold start (fresh process), {whole:.2f} s to the first chunk's audio:")
    for name, value in numbers.items():
        note = f"   {parts[name + ' text']}" if name + " text" in parts else ""
        print(f"  {name:22} {value:6.2f} s  {value / whole:5.0%}{note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
