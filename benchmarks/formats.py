"""The output formats on one narration, measured in one run: size, encode time, loudness, chapter offsets.

    .venv/bin/python benchmarks/formats.py [--article examples/wanzhou-2022-01-28.txt]

The article is synthesized once (into a temporary chunk cache); then it is narrated once per format from that
cache, so each run is the layout, the encode (streamed while laid out, as for any track over two minutes),
the tags and the sidecars. Per format it prints:

- the file's size, and its ratio to the MP3's;
- the narration's wall time and the CPU time of its ffmpeg processes, each as a ratio to the MP3's (the CPU
  time is the steadier figure on a shared machine);
- the time to write the tags and chapters alone (for MP4 and WAV a ``-c copy`` remux), on a copy;
- the loudness measured on the file, and its error against the target;
- the worst chapter offset: where ffprobe lists each chapter against where its heading is heard (the record's
  time, plus the file's measured offset against the WAV, which is the laid-out track itself).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reader.audio.ffmpeg import decode_to_pcm, measure_loudness  # noqa: E402
from reader.audio.formats import FORMATS  # noqa: E402
from reader.audio.tags import TrackInfo  # noqa: E402
from reader.extraction.article import extract  # noqa: E402
from reader.narration.pipeline import NarrateOptions, narrate_article  # noqa: E402
from reader.source.fetch import read_file  # noqa: E402


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def lag(signal: np.ndarray, reference: np.ndarray, rate: int, search: float = 0.2) -> float:
    size = 1 << (len(signal) + len(reference) - 1).bit_length()
    corr = np.fft.irfft(np.fft.rfft(signal, size) * np.conj(np.fft.rfft(reference, size)), size)
    window = round(search * rate)
    values = np.concatenate([corr[: window + 1], corr[size - window:]])
    lags = np.concatenate([np.arange(0, window + 1), np.arange(-window, 0)])
    return float(lags[int(np.argmax(values))]) / rate


def decoded(path: Path, rate: int, seconds: float = 60.0) -> np.ndarray:
    """The first ``seconds`` of ``path`` as ffmpeg decodes it (enough to find its offset)."""
    return np.frombuffer(decode_to_pcm(path, rate).pcm, dtype="<i2")[: round(seconds * rate)].astype(np.float64)


def ffprobe_starts(path: Path) -> list[float] | None:
    ffprobe = shutil.which("ffprobe")
    if ffprobe is None:
        return None
    out = subprocess.run([ffprobe, "-v", "error", "-show_chapters", "-of", "json", str(path)],
                         capture_output=True, check=True).stdout
    return [float(c["start_time"]) for c in json.loads(out)["chapters"]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--article", type=Path, default=ROOT / "examples" / "wanzhou-2022-01-28.txt")
    args = parser.parse_args()
    article = extract(read_file(args.article))
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        cache = base / "cache"
        warmup = time.perf_counter()
        narrate_article(article, NarrateOptions(output=base / "warmup.mp3", cache_dir=cache, sidecars=False))
        print(f"synthesis (once, for all formats): {time.perf_counter() - warmup:.1f} s", flush=True)
        for name in ["wav", *[n for n in FORMATS if n != "wav"]]:
            shutil.rmtree(cache / "narrations", ignore_errors=True)  # made from the chunks, not copied
            out = base / name / f"seed{FORMATS[name].suffix}"
            out.parent.mkdir()
            cpu, wall = children_cpu(), time.perf_counter()
            narration = narrate_article(article, NarrateOptions(output=out, cache_dir=cache, format=name))
            wall, cpu = time.perf_counter() - wall, children_cpu() - cpu
            copy = base / name / f"copy{FORMATS[name].suffix}"
            shutil.copyfile(out, copy)
            tag = time.perf_counter()
            FORMATS[name].write_tags(copy, TrackInfo(article.title, lyrics=article.text()),
                                     narration.record.chapters if FORMATS[name].chapters else [])
            tag = time.perf_counter() - tag
            rows[name] = {"narration": narration, "size": out.stat().st_size, "wall": wall, "cpu": cpu, "tag": tag,
                          "lufs": measure_loudness(out).integrated_lufs}
        rate = rows["wav"]["narration"].record.audio.sample_rate
        reference = decoded(rows["wav"]["narration"].audio, rate)
        target = NarrateOptions().target_lufs
        mp3 = rows["mp3"]
        print(f"{rows['mp3']['narration'].duration:.0f} s of audio, {len(mp3['narration'].chapters)} chapters, "
              f"target {target} LUFS")
        print("format    size (× MP3)      wall (× MP3)    ffmpeg CPU (× MP3)  tags   LUFS (error)   worst chapter")
        for name, row in rows.items():
            narration = row["narration"]
            offset = lag(decoded(narration.audio, rate), reference, rate)
            starts = ffprobe_starts(narration.audio) if FORMATS[name].chapters else []
            if starts is None:
                worst = "no ffprobe"
            elif not starts:
                worst = "no chapters"
            else:
                errors = [abs(s - (c.start + offset)) for s, c in zip(starts, narration.chapters, strict=True)]
                worst = f"{1000 * max(errors):.1f} ms"
            print(f"{name:6} {row['size'] / 1e6:7.2f} MB ({row['size'] / mp3['size']:4.2f})  "
                  f"{row['wall']:5.1f} s ({row['wall'] / mp3['wall']:4.2f})  "
                  f"{row['cpu']:5.1f} s ({row['cpu'] / mp3['cpu']:4.2f})      "
                  f"{row['tag']:4.2f} s  {row['lufs']:6.1f} ({row['lufs'] - target:+.1f})   {worst}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
