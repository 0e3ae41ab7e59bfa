"""`reader play`'s first sound with Baker and the Kokoro voices, before and after issue 22 §2, in one run.

    .venv/bin/python benchmarks/first_sound.py [--voices kokoro-yunxi,…] [--voice kokoro-yunxi] [--runs 1]
                                               [--no-very-cold] [--no-parts] [--article examples/…]

1. The command (as ``play_latency.py`` times it: a new process, an empty ``--cache-dir``, the WAV sink at
   real-time pace, first sound = the first audio block in the sink), for Baker and every Kokoro preset, each
   as built ("after") and without what issue 22 §2 added ("before": no engine preload while the page is
   fetched, no short first chunk; ``--launch before`` patches them out in the child), all interleaved (voice
   after voice, before/after taking turns, the next run in reverse). "cold": a fresh ``--cache-dir``, the
   derived models already in the user cache directory (made once per install), as a listener has it; "very
   cold" (Baker and ``--voice``): ``READER_CACHE_DIR`` empty too, so the models are derived first. Printed:
   seconds, after ÷ before, and each × Baker's in the same mode.
2. The Kokoro engine's cold start part by part, in a fresh process: importing the engine module, creating the
   backend, importing ONNX Runtime, checking the cached model (size and SHA-256 against the package's record),
   creating the session; then synthesizing, one call each: the article's first chunk as segmented, the longest
   of the first three chunks, the first chunk longer than ``FIRST_CHUNK_CHARS`` and the short head that
   ``short_first`` makes of it. Each part is also given as a share of the whole.
"""

from __future__ import annotations

import argparse
import json
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
    from reader.text.segment import FIRST_CHUNK_CHARS, segment, short_first

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
    spoken = spoken_form(default_lexicon())
    every = segment(extract(read_file(article)), backend.max_chunk_chars, spoken)
    chunks = [c.spoken for c in every[:3]]
    # What short_first makes of the first chunk that it cuts (the first chunk itself, when it is long).
    long = next(i for i, c in enumerate(every) if len(c.spoken) > FIRST_CHUNK_CHARS)
    head = short_first(every[long:], spoken)[0].spoken
    for label, text in (("first chunk", chunks[0]), ("longest of first 3", max(chunks, key=len)),
                        ("first long chunk", every[long].spoken), ("its short head", head)):
        started = time.perf_counter()
        audio = backend.synthesize(text, chosen.voice, chosen.rate)
        times[label] = time.perf_counter() - started
        times[label + " text"] = f"{text} ({len(text)} characters, {audio.duration:.1f} s of audio)"
    print(json.dumps(times, ensure_ascii=False))


def launch(mode: str, argv: list[str]) -> None:
    """``reader ARGV`` as built (``after``), or without what issue 22 §2 added (``before``): no engine preload
    while the page is fetched, no short first chunk. Both modes start through here, so they pay the same."""
    if mode == "before":
        from reader.narration import pipeline

        pipeline.Narrator.preload = lambda self: None  # type: ignore[method-assign]
        pipeline.short_first = lambda chunks, *args, **kwargs: chunks  # type: ignore[assignment]
    from reader.cli.app import cli

    sys.argv = ["reader", *argv]
    cli(prog_name="reader")


def kokoro_voices() -> list[str]:
    from reader.settings import load_presets

    return [name for name, chosen in load_presets().items() if chosen.backend == "kokoro"]


def main() -> int:
    if sys.argv[1:2] == ["--launch"]:
        launch(sys.argv[2], sys.argv[3:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--article", type=Path, default=ROOT / "examples" / "wanzhou-2022-01-28.txt")
    parser.add_argument("--voices", help="Kokoro presets, comma-separated (default: every one)")
    parser.add_argument("--voice", default="kokoro-yunxi", help="the voice of the very cold runs and the parts")
    parser.add_argument("--runs", type=int, default=1, help="turns of each command (1)")
    parser.add_argument("--no-very-cold", action="store_true", help="skip the runs that derive the models")
    parser.add_argument("--timeout", type=float, default=600, help="seconds a command may take to sound (600)")
    parser.add_argument("--no-parts", action="store_true", help="skip the engine's cold start part by part")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.article, args.voice)
        return 0

    from play_latency import command_first_sound  # this folder is on sys.path when run as a script

    from reader.speech.engines.kokoro import KokoroBackend

    KokoroBackend().load()  # the derived model made once, beforehand (the user cache directory's)
    voices = ["baker", *(args.voices.split(",") if args.voices else kokoro_voices())]
    modes = ("before", "after")
    seconds: dict[tuple[str, str, str], list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        turns = 0

        def play(voice: str, mode: str, kind: str, run: int) -> None:
            nonlocal turns
            turns += 1
            name = f"{kind}-{voice}-{mode}-{run}"
            env = {"READER_CACHE_DIR": str(base / f"{name}-models")} if kind == "very cold" else None
            launcher = (str(Path(__file__).resolve()), "--launch", mode)
            took = command_first_sound(args.article, base / name, base / f"{name}.wav", voice, launcher=launcher,
                                       env=env, timeout=args.timeout)
            seconds.setdefault((kind, voice, mode), []).append(took)
            print(f"  {kind:9} {voice:16} {mode:6} {took:6.2f} s", file=sys.stderr, flush=True)

        # Interleaved: voice after voice, before and after taking turns first; the next run in reverse.
        plan = [("cold", voice) for voice in voices]
        if not args.no_very_cold:
            plan += [("very cold", "baker"), ("very cold", args.voice)]
        for run in range(args.runs):
            for k, (kind, voice) in enumerate(plan if run % 2 == 0 else reversed(plan)):
                for mode in modes if (k + run) % 2 == 0 else reversed(modes):
                    play(voice, mode, kind, run)

    def median(kind: str, voice: str, mode: str) -> float:
        return statistics.median(seconds[(kind, voice, mode)])

    print(f"reader play, command → first sound, {args.article.name}, {args.runs} run(s) interleaved (median); "
          "before = without the engine preload and the short first chunk:")
    print(f"  {'':9} {'voice':16} {'before s':>8} {'after s':>8} {'after÷before':>12} {'before×Baker':>12} "
          f"{'after×Baker':>11}")
    for kind in ("cold", "very cold"):
        for voice in voices:
            if (kind, voice, "after") not in seconds:
                continue
            b, a = median(kind, voice, "before"), median(kind, voice, "after")
            bb, ba = median(kind, "baker", "before"), median(kind, "baker", "after")
            print(f"  {kind:9} {voice:16} {b:8.2f} {a:8.2f} {a / b:12.2f} {b / bb:12.2f} {a / ba:11.2f}")
    print("  (cold: a fresh --cache-dir, the derived models present; very cold: READER_CACHE_DIR empty too, so "
          "the models are derived first)")
    if args.no_parts:
        return 0
    parts = json.loads(subprocess.run([sys.executable, __file__, "--child", "--article", str(args.article),
                                       "--voice", args.voice], check=True, capture_output=True,
                                      text=True).stdout.splitlines()[-1])
    numbers = {k: float(v) for k, v in parts.items() if not k.endswith(" text")}
    start = sum(numbers[k] for k in ("import engine", "create backend", "import onnxruntime", "check model",
                                     "open session"))
    whole = start + numbers["first chunk"]
    print(f"the kokoro engine's cold start ({args.voice}, fresh process), {whole:.2f} s to the first chunk's audio:")
    for name, value in numbers.items():
        note = f"   {parts[name + ' text']}" if name + " text" in parts else ""
        print(f"  {name:22} {value:6.2f} s  {value / whole:5.0%}{note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
