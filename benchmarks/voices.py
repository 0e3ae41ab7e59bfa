"""Every voice on the same texts in one run: CER, DistillMOS, speed, memory and first sound, and issue 22 item 5's verdict.

    make bench-voices                                        # the development corpus and the seed, whole
    make bench-voices BENCH_ARGS=--quick                     # three texts, their first ~150 characters
    .venv-bench/bin/python benchmarks/voices.py --voices kokoro-yunjian,kokoro-xiaoxiao --max-chars 600

For Baker and each Kokoro preset (or the ``--voices`` given; Baker is always measured, as the reference), each
text is narrated to WAV through the library (``reader.narrate_article``, the whole narration: a new process per
narration with an empty chunk cache, so it pays for its imports and the engine's loading as the command does),
then scored in the same run:

- **CER**: Whisper (``whisper_asr.Transcriber``) on windows of whole chunks, against the text meant to be
  spoken, exactly as ``intelligibility.py`` scores a narration (its windows, alignment and canonical form);
- **DistillMOS**: ``../shared/tools/mos/mos.py`` on the WAVs, in its own venv (``--mos-python`` or
  ``MOS_PYTHON``; ``make .venv-mos`` builds one); a voice's score is the mean over its texts weighted by duration;
- **speed**: wall seconds of the whole narration per second of audio (its real-time factor), CPU seconds
  per audio second, and each text's wall time ÷ Baker's on that text (median and spread over the texts);
- **memory**: the narrating process's peak RSS (``os.wait4``);
- **first sound**: ``reader play`` from a cold cache until its first audio (``play_latency.command_first_sound``,
  the measure ``first_sound.py`` makes), each voice beside a turn of Baker's (B V, then V B on the next turn).

The texts are the ones ``intelligibility.py`` finds: the seed article (the benchmark text) and the Chinese pages
of ../shared/corpus that have an ``expected.txt``. Voices are interleaved across texts (text 1 in every voice,
then text 2 …, every other text in reverse order), so a change in the machine's load falls on all of them alike.

Then, per Kokoro voice, issue 22 item 5's criteria, each with its figure: CER ≤ 1.0 × Baker's, DistillMOS ≥
Baker's + 0.3, whole narration ≤ 3.5 × Baker's wall time, real-time factor ≤ 0.2, peak memory ≤ 1.2 GiB, first
sound ≤ 1.5 s cold, and ``make test`` under 10 minutes (measured apart: ``--make-test-seconds``). Absolute
timings (real-time factor, first sound) hold only on a quiet machine; the ratios to Baker are from one run.
The best voice meeting every criterion (lowest CER, then highest DistillMOS) is named as the default's
candidate, with the best male and female voices beside it. ``--json`` writes every figure (after each text,
so a run stopped early keeps what it measured).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from intelligibility import CORPUS, SEED, Source, choose_sources  # noqa: E402
from intelligibility_score import Tally  # noqa: E402

BAKER = "baker"
QUICK = ("seed", "002", "032")
QUICK_CHARS = 150
MOS_SCRIPT = ROOT.parent / "shared" / "tools" / "mos" / "mos.py"

# Issue 22 item 5 (and targets 1-2 it names): what a Kokoro voice must show to become the default.
CER_RATIO_MAX = 1.0  # × Baker's CER
MOS_GAIN_MIN = 0.3  # DistillMOS over Baker's
WALL_RATIO_MAX = 3.5  # whole narration's wall time × Baker's
RTF_MAX = 0.2  # wall seconds per audio second, 2 quiet cores
PEAK_MIB_MAX = 1.2 * 1024  # peak RSS of the narration, 1.2 GiB
FIRST_SOUND_MAX = 1.5  # seconds to the first sound of `reader play`, cold cache
MAKE_TEST_MAX = 600.0  # seconds of `make test`


# -- figures (pure) --------------------------------------------------------------------------------------------


@dataclass
class Run:
    """One voice's narration of one text, and its scores."""

    text: str
    voice: str
    audio_s: float
    wall_s: float
    cpu_s: float
    peak_mib: float
    cer: Tally = field(default_factory=Tally)
    syllables: Tally = field(default_factory=Tally)
    mos: float | None = None
    mfcc_sqa: float | None = None


@dataclass
class Figures:
    """A voice's figures over the texts it shares with Baker."""

    voice: str
    texts: int
    audio_s: float
    cer: Tally
    syllables: Tally
    mos: float | None
    rtf: float  # wall seconds per audio second
    cpu_rtf: float  # CPU seconds per audio second
    peak_mib: float
    wall_ratios: list[float]  # per text: this voice's wall time ÷ Baker's
    first_sound: list[float]  # seconds, one per turn
    first_sound_ratios: list[float] = field(default_factory=list)  # each turn ÷ Baker's turn beside it

    @property
    def wall_ratio(self) -> float | None:
        return statistics.median(self.wall_ratios) if self.wall_ratios else None

    @property
    def first_sound_s(self) -> float | None:
        return statistics.median(self.first_sound) if self.first_sound else None

    def first_sound_ratio(self, baker: Figures) -> float | None:
        """The median of each turn ÷ Baker's turn beside it; without pairs, the medians' ratio."""
        if self.first_sound_ratios:
            return statistics.median(self.first_sound_ratios)
        if self.first_sound_s is not None and baker.first_sound_s:
            return self.first_sound_s / baker.first_sound_s
        return None


def _weighted(values: Iterable[tuple[float | None, float]]) -> float | None:
    pairs = [(v, w) for v, w in values if v is not None]
    weight = sum(w for _, w in pairs)
    return sum(v * w for v, w in pairs) / weight if pairs and weight else None


def figures(runs: Sequence[Run], voice: str, first_sound: dict[str, list[float]] | None = None,
            first_ratios: dict[str, list[float]] | None = None) -> Figures:
    """``voice``'s figures over the texts both it and Baker narrated."""
    baker = {r.text: r for r in runs if r.voice == BAKER}
    mine = [r for r in runs if r.voice == voice and r.text in baker]
    audio = sum(r.audio_s for r in mine)
    cer, syllables = Tally(), Tally()
    for r in mine:
        cer += r.cer
        syllables += r.syllables
    return Figures(
        voice=voice,
        texts=len(mine),
        audio_s=audio,
        cer=cer,
        syllables=syllables,
        mos=_weighted((r.mos, r.audio_s) for r in mine),
        rtf=sum(r.wall_s for r in mine) / audio if audio else float("nan"),
        cpu_rtf=sum(r.cpu_s for r in mine) / audio if audio else float("nan"),
        peak_mib=max((r.peak_mib for r in mine), default=0.0),
        wall_ratios=[r.wall_s / baker[r.text].wall_s for r in mine if baker[r.text].wall_s > 0],
        first_sound=list((first_sound or {}).get(voice, [])),
        first_sound_ratios=list((first_ratios or {}).get(voice, [])),
    )


@dataclass(frozen=True)
class Criterion:
    name: str
    figure: str  # what was measured, against what was asked
    met: bool | None  # None: not measured


def criteria(voice: Figures, baker: Figures, make_test_s: float | None = None) -> list[Criterion]:
    """Issue 22 item 5's criteria for ``voice``, each met or not, with its figure."""
    out = []
    if voice.cer.chars and baker.cer.chars and baker.cer.rate:
        cer_ratio = voice.cer.rate / baker.cer.rate
        out.append(Criterion("CER", f"{voice.cer.rate:.3f} = {cer_ratio:.2f} × Baker's {baker.cer.rate:.3f} "
                                    f"(≤ {CER_RATIO_MAX:g} ×)", cer_ratio <= CER_RATIO_MAX))
    else:
        out.append(Criterion("CER", "not measured", None))
    if voice.mos is not None and baker.mos is not None:
        gain = voice.mos - baker.mos
        out.append(Criterion("DistillMOS", f"{voice.mos:.2f} = Baker's {baker.mos:.2f} {gain:+.2f} "
                                           f"(≥ +{MOS_GAIN_MIN:g})", gain >= MOS_GAIN_MIN - 1e-9))
    else:
        out.append(Criterion("DistillMOS", "not measured", None))
    ratio = voice.wall_ratio
    if ratio is not None:
        spread = f", texts {min(voice.wall_ratios):.2f}–{max(voice.wall_ratios):.2f}" if len(voice.wall_ratios) > 1 else ""
        out.append(Criterion("narrate time", f"{ratio:.2f} × Baker's (median{spread}; ≤ {WALL_RATIO_MAX:g} ×)",
                             ratio <= WALL_RATIO_MAX))
    else:
        out.append(Criterion("narrate time", "not measured", None))
    if voice.audio_s:
        out.append(Criterion("real-time factor", f"{voice.rtf:.3f} (≤ {RTF_MAX:g})", voice.rtf <= RTF_MAX))
        out.append(Criterion("peak memory", f"{voice.peak_mib:.0f} MiB (≤ {PEAK_MIB_MAX:.0f})",
                             voice.peak_mib <= PEAK_MIB_MAX))
    else:
        out += [Criterion("real-time factor", "not measured", None), Criterion("peak memory", "not measured", None)]
    first = voice.first_sound_s
    if first is not None:
        first_ratio = voice.first_sound_ratio(baker)
        versus = f", {first_ratio:.2f} × Baker's" if first_ratio is not None else ""
        out.append(Criterion("first sound", f"{first:.2f} s{versus} (≤ {FIRST_SOUND_MAX:g} s)", first <= FIRST_SOUND_MAX))
    else:
        out.append(Criterion("first sound", "not measured", None))
    if make_test_s is not None:
        out.append(Criterion("make test", f"{make_test_s / 60:.1f} min (< {MAKE_TEST_MAX / 60:g} min)",
                             make_test_s < MAKE_TEST_MAX))
    else:
        out.append(Criterion("make test", "not measured here (--make-test-seconds)", None))
    return out


def verdict(found: Sequence[Criterion]) -> str:
    """``meets item 5``, ``fails: …``, or ``meets what was measured`` when some criterion was not measured."""
    failed = [c.name for c in found if c.met is False]
    if failed:
        return "fails: " + ", ".join(failed)
    if any(c.met is None for c in found):
        return "meets what was measured (not measured: " + ", ".join(c.name for c in found if c.met is None) + ")"
    return "meets item 5"


def rank(candidates: Sequence[Figures]) -> list[Figures]:
    """Best first: lowest CER, then highest DistillMOS."""
    return sorted(candidates, key=lambda f: (f.cer.rate if f.cer.chars else float("inf"),
                                             -(f.mos if f.mos is not None else float("-inf"))))


def choose(voices: Sequence[Figures], baker: Figures, make_test_s: float | None = None) -> str | None:
    """The default's candidate: the best voice that fails no criterion (unmeasured ones are shown, not held against it)."""
    passing = [f for f in voices if not any(c.met is False for c in criteria(f, baker, make_test_s))]
    best = rank(passing)
    return best[0].voice if best else None


# -- the report (pure) -------------------------------------------------------------------------------------------

HEADER = ("voice", "CER", "× Baker", "syl", "DistillMOS", "Δ Baker", "RTF", "time × Baker", "CPU-s/s", "peak MiB",
          "first sound")


def _f(value: float | None, digits: int, suffix: str = "") -> str:
    return "-" if value is None or value != value else f"{value:.{digits}f}{suffix}"


def row(f: Figures, baker: Figures) -> list[str]:
    cer_ratio = f.cer.rate / baker.cer.rate if f.cer.chars and baker.cer.chars and baker.cer.rate else None
    gain = f.mos - baker.mos if f.mos is not None and baker.mos is not None else None
    wall = f.wall_ratio
    if wall is not None and len(f.wall_ratios) > 1:
        time_ratio = f"{wall:.2f} ({min(f.wall_ratios):.2f}–{max(f.wall_ratios):.2f})"
    else:
        time_ratio = _f(wall, 2)
    first, first_ratio = f.first_sound_s, f.first_sound_ratio(baker)
    first_text = "-" if first is None else f"{first:.2f} s" + (
        f" ({first_ratio:.2f} ×)" if first_ratio is not None and f is not baker else "")
    return [f.voice, _f(f.cer.rate if f.cer.chars else None, 3), _f(cer_ratio, 2),
            _f(f.syllables.rate if f.syllables.chars else None, 3), _f(f.mos, 2),
            "" if f is baker else (f"{gain:+.2f}" if gain is not None else "-"), _f(f.rtf, 3), time_ratio,
            _f(f.cpu_rtf, 3), _f(f.peak_mib, 0), first_text]


def table(rows: Sequence[Sequence[str]], markdown: bool = False) -> list[str]:
    """Columns padded to their widest cell (text left, figures right), or a Markdown table."""
    if markdown:
        lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
        return lines + ["| " + " | ".join(r) + " |" for r in rows]
    widths = [max(len(str(r[i])) for r in [HEADER, *rows]) for i in range(len(HEADER))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))

    return [line(HEADER), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def gender(voice: str) -> str | None:
    """``male`` or ``female`` from a Kokoro voice id (``zm_…``, ``zf_…``), else None."""
    match = re.match(r"^[a-z]([mf])_", voice)
    return {"m": "male", "f": "female"}[match.group(1)] if match else None


def report(all_figures: Sequence[Figures], genders: dict[str, str | None], make_test_s: float | None = None,
           markdown: bool = False) -> list[str]:
    """The table (Baker first, then best first), each Kokoro voice's criteria, and the candidates."""
    baker = next(f for f in all_figures if f.voice == BAKER)
    others = rank([f for f in all_figures if f.voice != BAKER])
    lines = table([row(f, baker) for f in [baker, *others]], markdown)
    lines += ["", "Issue 22 item 5, per voice (✓ met, ✗ not met, ? not measured):"]
    for f in others:
        found = criteria(f, baker, make_test_s)
        lines.append(f"{f.voice}: {verdict(found)}")
        for c in found:
            mark = {True: "✓", False: "✗", None: "?"}[c.met]
            lines.append(f"  {mark} {c.name:<17} {c.figure}")
    best = choose(others, baker, make_test_s)
    lines.append("")
    lines.append(f"default candidate: {best}" if best else "default candidate: none (no voice meets every criterion)")
    for sex in ("male", "female"):
        ranked = rank([f for f in others if genders.get(f.voice) == sex])
        if ranked:
            lines.append(f"best {sex} voice by the table: {ranked[0].voice}")
    return lines


def to_json(runs: Sequence[Run], all_figures: Sequence[Figures], make_test_s: float | None,
            about: dict[str, Any]) -> dict[str, Any]:
    baker = next((f for f in all_figures if f.voice == BAKER), None)

    def tally(t: Tally) -> dict[str, Any]:
        return {"rate": t.rate if t.chars else None, "errors": t.errors, "chars": t.chars}

    def voice(f: Figures) -> dict[str, Any]:
        out: dict[str, Any] = {
            "texts": f.texts, "audio_s": f.audio_s, "cer": tally(f.cer), "syllable_er": tally(f.syllables),
            "distillmos": f.mos, "rtf": f.rtf, "cpu_rtf": f.cpu_rtf, "peak_mib": f.peak_mib,
            "wall_ratio_to_baker": f.wall_ratio, "wall_ratios_to_baker": f.wall_ratios,
            "first_sound_s": f.first_sound_s, "first_sound_runs": f.first_sound,
            "first_sound_ratios_to_baker": f.first_sound_ratios,
        }
        if baker is not None and f is not baker:
            found = criteria(f, baker, make_test_s)
            out["criteria"] = [asdict(c) for c in found]
            out["verdict"] = verdict(found)
        return out

    return {
        **about,
        "voices": {f.voice: voice(f) for f in all_figures},
        "default_candidate": choose([f for f in all_figures if f.voice != BAKER], baker, make_test_s) if baker else None,
        "runs": [{**asdict(r), "cer": tally(r.cer), "syllables": tally(r.syllables)} for r in runs],
    }


# -- measuring ---------------------------------------------------------------------------------------------------


def child_narrate(source: Path, max_chars: int | None, voice: str, out: Path, cache: Path) -> None:
    """In a fresh process: the article narrated to ``out`` (WAV) with an empty cache; prints the manifest's path."""
    from intelligibility import first_paragraphs

    from reader import NarrateOptions, extract, narrate_article
    from reader.source.fetch import read_file

    article = first_paragraphs(extract(read_file(source)), max_chars)
    narration = narrate_article(article, NarrateOptions(voice=voice, output=out, cache_dir=cache))
    print(json.dumps({"manifest": str(narration.manifest)}))


def narrate(source: Source, max_chars: int | None, voice: str, out: Path, cache: Path) -> tuple[Run, Path]:
    """Narrate in a child process; its wall time, CPU time and peak RSS (``os.wait4``: this child's alone)."""
    command = [sys.executable, __file__, "--child-narrate", str(source.path), "--voice", voice, "--out", str(out),
               "--cache-dir", str(cache)]
    if max_chars:
        command += ["--max-chars", str(max_chars)]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"narrating {source.id} with {voice} failed (exit {process.returncode})")
    with wave.open(str(out), "rb") as w:
        audio_s = w.getnframes() / w.getframerate()
    manifest = Path(json.loads(output.strip().splitlines()[-1])["manifest"])
    run = Run(source.id, voice, audio_s, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)
    return run, manifest


def score_cer(run: Run, wav: Path, manifest: Path, asr: Any, window: float) -> None:
    """CER and syllable errors of ``run``'s narration, as intelligibility.py scores a project narration."""
    from intelligibility import decode, project_windows, score, transcribe_all, units_of

    from reader.text.lexicon import default_lexicon

    units = units_of(json.loads(manifest.read_text(encoding="utf-8")), default_lexicon().apply_replacements)
    audio = decode(wav)
    heard = transcribe_all([project_windows(u, audio, window) for u in units], asr, lambda n: None)
    result = score(run.text, units, heard)
    run.cer, run.syllables = result.tally, result.syllables


def parse_mos(output: str, files: Sequence[Path]) -> dict[Path, tuple[float, float]]:
    """mos.py's lines ``FILE  DISTILLMOS  MFCC``, for the files given (its header and MEAN line are skipped)."""
    by_name = {str(f): f for f in files}
    scores = {}
    for line in output.splitlines():
        parts = line.rsplit(None, 2)
        if len(parts) == 3 and parts[0].strip() in by_name:
            try:
                scores[by_name[parts[0].strip()]] = (float(parts[1]), float(parts[2]))
            except ValueError:
                continue
    return scores


def score_mos(runs_and_wavs: Sequence[tuple[Run, Path]], mos_python: Path, mos_script: Path) -> None:
    wavs = [w for _, w in runs_and_wavs]
    done = subprocess.run([str(mos_python), str(mos_script), *map(str, wavs)], capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"mos.py failed ({done.returncode}): {done.stderr.strip().splitlines()[-1:]}")
    scores = parse_mos(done.stdout, wavs)
    for run, wav in runs_and_wavs:
        if wav in scores:
            run.mos, run.mfcc_sqa = scores[wav]


def first_sounds(voices: Sequence[str], article: Path, turns: int, base: Path,
                 log: Callable[[str], None]) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """``reader play``'s first sound from a cold cache: each other voice beside a turn of Baker's (B V, then
    V B on every other turn), so each ratio is of two runs next to each other. Seconds, and ratios to Baker."""
    from play_latency import command_first_sound  # the measure first_sound.py makes

    seconds: dict[str, list[float]] = {v: [] for v in voices}
    ratios: dict[str, list[float]] = {v: [] for v in voices if v != BAKER}
    count = 0
    for turn in range(turns):
        for voice in ratios:
            pair = {}
            for one in (BAKER, voice) if turn % 2 == 0 else (voice, BAKER):
                count += 1
                pair[one] = command_first_sound(article, base / f"{count}", base / f"{count}.wav", one)
                seconds[one].append(pair[one])
            ratios[voice].append(pair[voice] / pair[BAKER])
            log(f"first sound: {voice} {pair[voice]:.2f} s, baker {pair[BAKER]:.2f} s")
    return seconds, ratios


def prepare_kokoro() -> None:
    """The derived Kokoro model made beforehand (once per install: not part of any narration's time)."""
    subprocess.run([sys.executable, "-c", "from reader.speech.engines.kokoro import KokoroBackend; "
                    "KokoroBackend().load()"], check=True)


def kokoro_presets() -> dict[str, str]:
    """The shipped Kokoro presets and their voice ids."""
    from reader.settings import load_presets

    return {name: p.voice for name, p in load_presets().items() if p.backend == "kokoro"}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--voices", help="comma-separated presets (default: every Kokoro preset); Baker always")
    parser.add_argument("--articles", help="comma-separated: seed, corpus ids (002,…) or files")
    parser.add_argument("--quick", action="store_true",
                        help=f"only {', '.join(QUICK)}, their first ~{QUICK_CHARS} characters")
    parser.add_argument("--limit", type=int, help="only the first N texts")
    parser.add_argument("--max-chars", type=int, help="only each text's first paragraphs, up to N characters")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--model", choices=["base", "small"], default="base", help="Whisper model (default base)")
    parser.add_argument("--beam-size", type=int, default=5)
    parser.add_argument("--window", type=float, default=15.0, help="longest window transcribed at once (s)")
    parser.add_argument("--cache-dir", type=Path, default=ROOT / ".bench-cache" / "voices",
                        help="the Whisper model and its transcripts (narrations always start from an empty cache)")
    parser.add_argument("--mos-python", type=Path,
                        default=Path(os.environ.get("MOS_PYTHON", ROOT / ".venv-mos" / "bin" / "python")),
                        help="the DistillMOS venv's python (MOS_PYTHON; default .venv-mos/bin/python)")
    parser.add_argument("--mos-script", type=Path, default=Path(os.environ.get("MOS_SCRIPT", MOS_SCRIPT)))
    parser.add_argument("--no-mos", action="store_true", help="skip DistillMOS")
    parser.add_argument("--first-sound-runs", type=int, default=1, help="turns of reader play per voice (0: skip)")
    parser.add_argument("--first-sound-article", type=Path, default=SEED)
    parser.add_argument("--make-test-seconds", type=float, help="the time `make test` took, measured apart")
    parser.add_argument("--json", type=Path, help="also write every figure here (default: CACHE_DIR/voices.json)")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--keep-audio", type=Path, metavar="DIR", help="keep the WAVs and manifests here")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.add_argument("--child-narrate", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--voice", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_narrate:
        child_narrate(args.child_narrate, args.max_chars, args.voice, args.out, args.cache_dir)
        return 0

    import logging

    from whisper_asr import ModelUnavailable, Settings, Transcriber

    # This checkout's code in every child (reader play, the narrations), and the voices as shipped.
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    os.environ["READER_CONFIG_DIR"] = tempfile.mkdtemp(prefix="reader-bench-config-")
    logging.getLogger("faster_whisper").setLevel(logging.ERROR)

    def log(message: str) -> None:
        if not args.quiet:
            print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    kokoro = kokoro_presets()
    wanted = [v.strip() for v in args.voices.split(",") if v.strip()] if args.voices else sorted(kokoro)
    voices = [BAKER, *[v for v in wanted if v != BAKER]]
    from reader.settings import preset

    for v in voices:
        preset(v)  # an unknown preset stops here, before anything is measured
    genders = {v: gender(preset(v).voice) for v in voices}
    max_chars = args.max_chars or (QUICK_CHARS if args.quick else None)
    sources = choose_sources(args.articles or (",".join(QUICK) if args.quick else None), False, args.limit,
                             args.corpus)
    args.cache_dir = args.cache_dir.resolve()
    json_path = args.json or args.cache_dir / "voices.json"
    mos = not args.no_mos
    if mos and not (args.mos_python.is_file() and args.mos_script.is_file()):
        print(f"voices: no DistillMOS at {args.mos_python} {args.mos_script} (make .venv-mos, or --mos-python, "
              f"or --no-mos)", file=sys.stderr)
        return 2
    settings = Settings(args.model, beam_size=args.beam_size)
    try:
        asr = Transcriber(settings, args.cache_dir)
    except ModelUnavailable as exc:
        print(f"voices: {exc}", file=sys.stderr)
        return 2
    if any(v in kokoro for v in voices):
        prepare_kokoro()
    about: dict[str, Any] = {"recognizer": settings.describe(), "texts": [s.id for s in sources], "max_chars": max_chars,
             "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "load_average": os.getloadavg()}
    runs: list[Run] = []
    first: dict[str, list[float]] = {}
    first_ratios: dict[str, list[float]] = {}
    started = time.perf_counter()

    def finish() -> list[Figures]:
        found = [figures(runs, v, first, first_ratios) for v in voices]
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(to_json(runs, found, args.make_test_seconds, about), ensure_ascii=False,
                                        indent=1), encoding="utf-8")
        return found

    with tempfile.TemporaryDirectory(prefix="bench-voices-") as tmp:
        keep = args.keep_audio or Path(tmp) / "audio"
        keep.mkdir(parents=True, exist_ok=True)
        for index, source in enumerate(sources):
            order = voices if index % 2 == 0 else list(reversed(voices))
            done: list[tuple[Run, Path, Path]] = []
            for voice in order:
                wav = keep / f"{source.id}-{voice}.wav"
                try:
                    run, manifest = narrate(source, max_chars, voice, wav, Path(tmp) / f"cache-{source.id}-{voice}")
                except RuntimeError as exc:
                    log(str(exc))
                    continue
                log(f"{source.id} {voice}: {run.audio_s:.0f} s of audio in {run.wall_s:.1f} s, "
                    f"peak {run.peak_mib:.0f} MiB")
                done.append((run, wav, manifest))
            for run, wav, manifest in done:
                score_cer(run, wav, manifest, asr, args.window)
                log(f"{source.id} {run.voice}: CER {run.cer.rate:.3f}")
            if mos and done:
                score_mos([(r, w) for r, w, _ in done], args.mos_python, args.mos_script)
                log(f"{source.id}: DistillMOS " + ", ".join(f"{r.voice} {r.mos:.2f}" for r, _, _ in done if r.mos))
            runs.extend(r for r, _, _ in done)
            finish()
        if args.first_sound_runs > 0:
            first, first_ratios = first_sounds(voices, args.first_sound_article, args.first_sound_runs,
                                               Path(tmp) / "play", log)
    found = finish()
    load = os.getloadavg()
    print(f"Voices on {len(sources)} text(s) ({', '.join(s.id for s in sources)}"
          f"{f', first ~{max_chars} characters each' if max_chars else ', whole'}), one run, "
          f"{time.perf_counter() - started:.0f} s; load average {about['load_average'][0]:.1f} at the start, "
          f"{load[0]:.1f} at the end")
    print(f"CER: {settings.describe()}; DistillMOS: {'mos.py' if mos else 'skipped'}; RTF = wall s per audio s "
          f"of the whole narration; time × Baker: median (spread) over the texts; first sound: reader play, cold")
    print()
    print("\n".join(report(found, genders, args.make_test_seconds, args.markdown)))
    print(f"\nJSON: {json_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
