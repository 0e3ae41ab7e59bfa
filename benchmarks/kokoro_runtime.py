"""Kokoro's runtimes, session options and precisions, interleaved in one run: speed ratios and how the audio differs.

    .venv/bin/python benchmarks/kokoro_runtime.py [--chars 300] [--rounds 2] [--voice zm_yunxi] [--only ort,int8,...]

With OpenVINO (not one of reader's dependencies; a private copy is enough):

    pip install --target /tmp/kokoro-ov openvino && rm -rf /tmp/kokoro-ov/numpy*
    PYTHONPATH=$PWD:/tmp/kokoro-ov .venv/bin/python benchmarks/kokoro_runtime.py

Every variant speaks the same chunks (the seed article's first ``--chars`` spoken characters, cut as the engine
cuts them) through the model the engine uses (the float model derived from the published int8 one, from the
cache), one call at a time. The variants take turns: round 1 runs them in order, round 2 in reverse, and so on
(A B … B A), so that a machine shared with other work slows them alike. Printed per variant:

- ``cpu/audio``: CPU-seconds (all of the process's threads) per second of audio, and its ratio to the first
  variant (ONNX Runtime as the engine runs it); ``wall/audio`` likewise (the real-time factor of one call at a
  time; only meaningful on a quiet machine);
- ``open``: seconds to create the session (first sound waits for it), ratio to the first variant;
- how its audio differs from the first variant's on the same chunks: duration ratio, log-mel distance (mean
  absolute difference in dB, frames matched by position) and the correlation of the log-mel spectrograms
  (1.0 = the same). The first variant's own second run gives the floor (0.0 dB, 1.000 unless the runtime
  is not deterministic); the int8 model as published (reader's model until the float one was derived) gives
  a scale for a difference listeners already accepted.

Measured 2026-12-07 on the 2-core AMD EPYC (AVX2, no AVX-512/AMX: OpenVINO reports FP32 and INT8, no BF16)
with a load average of 8-10 from other work, so wall times mean nothing and CPU ratios are within about ±20 %
(3 chunks, 626 tokens, 2 rounds; × the engine's ONNX Runtime setup, CPU per audio second):
optimization extended 1.02, basic 0.96; no memory arena 1.08; 2 intra-op threads 0.98; int8 as published
0.75 (0.76 in a 1-chunk run, 0.91 in a 4-round one: undecided), opens its session in 0.23-0.41 × the time;
OpenVINO fp32 0.98 (1.19 in the 1-chunk run), its audio the furthest from ONNX Runtime's (Δmel 5.4 dB,
r 0.94; int8: 1.2 dB, 0.998); the bf16 hint does nothing on this CPU. So ONNX Runtime stays the engine's
default; OpenVINO is the opt-in ``READER_KOKORO_RUNTIME=openvino|auto``.

``--profile`` prints where each model's time goes instead (ONNX Runtime's profiler, one pass, one thread): op
types, then the convolutions of each part of the network, int8 against float. Measured later the same day
(load 17-29), one 7-chunk pass each, not interleaved: the int8 model 85 s in kernels, the float one 103 s, the
float convolutions 1.15-1.8 x the int8 ones in every part; a 1-chunk pass later had the largest generator parts
(noise_res.1, resblocks.3-5) at 0.72-0.99 x, so per-part figures taken under load decide nothing. In interleaved
rounds (2 chunks, this script's ``ort_variant``) float
÷ int8 1.12-1.17 x CPU per audio second. The int8 model's narration scored 0.15 lower on DistillMOS (lower in
9 of 9 windows, Whisper CER the same): the engine keeps the float model, int8 is ``onnxruntime-int8``.

Not measured here, with the reason: batching (the export's inputs have batch size 1 and its audio output
is one-dimensional; joining chunks into one call is chunk length, ``kokoro_engine.py --only length``);
ONNX Runtime's OpenVINO execution provider (``onnxruntime-openvino`` replaces the ``onnxruntime`` wheel).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kokoro_engine import chunks_for  # noqa: E402  (this folder is on sys.path when run as a script)

from reader.speech.engines import kokoro  # noqa: E402

Run = Callable[[list[int], npt.NDArray[np.float32], float], npt.NDArray[np.float32]]
Floats = npt.NDArray[np.float32]


# -- the variants --------------------------------------------------------------------------------------------


def ort_variant(model: Path | bytes, *, level: str = "all", threads: int = 1, arena: bool = True,
                profile: str = "") -> Run:
    import onnxruntime as ort

    options = ort.SessionOptions()
    if profile:
        options.enable_profiling = True
        options.profile_file_prefix = profile
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.enable_cpu_mem_arena = arena
    options.graph_optimization_level = {
        "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
        "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
        "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
    }[level]
    options.log_severity_level = 3
    session = ort.InferenceSession(str(model) if isinstance(model, Path) else model, options,
                                   providers=["CPUExecutionProvider"])

    def run(tokens: list[int], style: Floats, speed: float) -> Floats:
        feed = {"tokens": np.array([[0, *tokens, 0]], dtype=np.int64), "style": style,
                "speed": np.array([speed], dtype=np.float32)}
        return np.asarray(session.run(None, feed)[0], dtype=np.float32).reshape(-1)

    run.end_profiling = session.end_profiling  # type: ignore[attr-defined]
    return run


def kernel_times(trace: Path) -> dict[str, float]:
    """Seconds per node from an ONNX Runtime profile (its ``*_kernel_time`` events)."""
    import json

    out: dict[str, float] = {}
    for event in json.loads(trace.read_text()):
        if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
            name = event["name"].removesuffix("_kernel_time") + "|" + event["args"]["op_name"]
            out[name] = out.get(name, 0.0) + event["dur"] / 1e6
    return out


def profile(float_path: Path, int8_path: Path, inputs: list[list[int]], styles: list[Floats]) -> None:
    """Where each model's time goes (ONNX Runtime's profiler, one pass each, one thread): the op types, then
    the convolutions of each part of the network, int8 (``ConvInteger``) against float (``Conv``)."""
    import re
    import tempfile

    times = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in (("int8", int8_path), ("float", float_path)):
            run = ort_variant(path, profile=f"{tmp}/{name}")
            for tokens, style in zip(inputs, styles, strict=True):
                run(tokens, style, 1.0)
            times[name] = kernel_times(Path(run.end_profiling()))  # type: ignore[attr-defined]
    for name, nodes in times.items():
        total = sum(nodes.values())
        by_op: dict[str, float] = {}
        for node, seconds in nodes.items():
            by_op[node.split("|")[1]] = by_op.get(node.split("|")[1], 0.0) + seconds
        top = sorted(by_op.items(), key=lambda kv: -kv[1])[:8]
        print(f"{name}: {total:.1f} s in kernels; " + ", ".join(f"{op} {s / total:.0%}" for op, s in top))

    def part(node: str) -> str | None:  # the module a convolution belongs to: generator.resblocks.5, encoder.F0.0
        found = re.match(r"/(\w+)/(?:decoder/)?(generator/)?([\w.]+)/.*Conv_quant", node)
        return f"{found.group(1)}/{found.group(2) or ''}{found.group(3)}" if found else None

    parts: dict[str, dict[str, float]] = {}
    for name, nodes in times.items():
        for node, seconds in nodes.items():
            key = part(node.split("|")[0])
            if key:
                parts.setdefault(key, {}).setdefault(name, 0.0)
                parts[key][name] += seconds
    print(f"\n{'convolutions of':40} {'int8 s':>7} {'float s':>7} {'float ÷ int8':>12}")
    for key, pair in sorted(parts.items(), key=lambda kv: -kv[1].get("int8", 0.0)):
        print(f"{key:40} {pair.get('int8', 0):7.2f} {pair.get('float', 0):7.2f} "
              f"{pair.get('float', 0) / max(pair.get('int8', 0), 1e-9):12.2f}")


def ov_variant(model: Path, *, precision: str = "f32", threads: int = 1) -> Run:
    import openvino as ov

    core = ov.Core()
    config = {"INFERENCE_NUM_THREADS": threads, "NUM_STREAMS": 1, "PERFORMANCE_HINT": "LATENCY",
              "INFERENCE_PRECISION_HINT": precision}
    compiled = core.compile_model(core.read_model(str(model)), "CPU", config)
    request = compiled.create_infer_request()

    def run(tokens: list[int], style: Floats, speed: float) -> Floats:
        feed = {"tokens": np.array([[0, *tokens, 0]], dtype=np.int64), "style": style,
                "speed": np.array([speed], dtype=np.float32)}
        result = request.infer(feed)
        return np.asarray(next(iter(result.values())), dtype=np.float32).reshape(-1)

    return run


def variants(float_path: Path, int8_path: Path, only: set[str] | None) -> dict[str, Callable[[], Run]]:
    table: dict[str, Callable[[], Run]] = {
        "ort fp32 (engine: all, 1 thread, arena)": lambda: ort_variant(float_path),
        "ort fp32 optimization extended": lambda: ort_variant(float_path, level="extended"),
        "ort fp32 optimization basic": lambda: ort_variant(float_path, level="basic"),
        "ort fp32 no memory arena": lambda: ort_variant(float_path, arena=False),
        "ort fp32 2 intra-op threads": lambda: ort_variant(float_path, threads=2),
        "ort int8 as published (onnxruntime-int8)": lambda: ort_variant(int8_path),
    }
    try:
        import openvino as ov

        capabilities = ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
        print(f"OpenVINO {ov.__version__}: CPU capabilities {', '.join(capabilities)}")
        table["openvino fp32"] = lambda: ov_variant(float_path)
        table["openvino bf16 hint" + ("" if "BF16" in capabilities else " (no BF16 on this CPU)")] = (
            lambda: ov_variant(float_path, precision="bf16"))
        table["openvino int8 as published"] = lambda: ov_variant(int8_path)
    except ImportError:
        print("OpenVINO: not importable, its variants are left out (see the docstring)")
    if only:
        first = next(iter(table))
        table = {k: v for k, v in table.items() if k == first or any(word in k for word in only)}
    return table


# -- audio comparison ----------------------------------------------------------------------------------------


def log_mel(audio: Floats, rate: int = kokoro.SAMPLE_RATE, bands: int = 80) -> Floats:
    """An 80-band log-mel spectrogram (dB; 50 ms Hann windows, 12.5 ms hop), numpy only."""
    size, hop = 1200, 300
    if audio.size < size:
        audio = np.pad(audio, (0, size - audio.size))
    frames = np.lib.stride_tricks.sliding_window_view(audio, size)[::hop] * np.hanning(size)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    mel = np.linspace(0, 2595 * np.log10(1 + (rate / 2) / 700), bands + 2)
    edges = 700 * (10 ** (mel / 2595) - 1) / (rate / 2) * (size // 2)
    bins = np.arange(size // 2 + 1)
    weights = np.zeros((bands, bins.size))
    for i in range(bands):
        lo, mid, hi = edges[i], edges[i + 1], edges[i + 2]
        weights[i] = np.clip(np.minimum((bins - lo) / (mid - lo), (hi - bins) / (hi - mid)), 0, None)
    return np.asarray(10 * np.log10(power @ weights.T + 1e-10), dtype=np.float32)


def difference(reference: list[Floats], other: list[Floats]) -> tuple[float, float, float]:
    """(duration ratio, mean |Δ log-mel| dB, log-mel correlation) over the chunks; frames matched by position
    after stretching ``other``'s spectrogram to the reference's frame count."""
    distances, correlations = [], []
    for a, b in zip(reference, other, strict=True):
        ma, mb = log_mel(a), log_mel(b)
        if len(mb) != len(ma):
            index = np.linspace(0, len(mb) - 1, len(ma)).round().astype(int)
            mb = mb[index]
        ma, mb = np.maximum(ma, -80), np.maximum(mb, -80)  # silence is silence, whatever its exact level
        distances.append(float(np.mean(np.abs(ma - mb))))
        correlations.append(float(np.corrcoef(ma.ravel(), mb.ravel())[0, 1]))
    duration = sum(b.size for b in other) / sum(a.size for a in reference)
    return duration, float(np.mean(distances)), float(np.mean(correlations))


# -- the run -------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=300, help="spoken characters of the seed article (300)")
    parser.add_argument("--rounds", type=int, default=2, help="turns each variant takes (2: A B … B A)")
    parser.add_argument("--voice", default="zm_yunxi")
    parser.add_argument("--only", default="", help="comma-separated words: variants whose name has one of them")
    parser.add_argument("--profile", action="store_true", help="where the time goes, int8 vs float (no timing)")
    args = parser.parse_args()

    backend = kokoro.KokoroBackend(runtime="onnxruntime")
    float_path = backend._model_path()  # derived once and kept in the cache directory
    if not isinstance(float_path, Path):
        raise SystemExit("the float model could not be kept in the cache directory")
    style_table = backend._style(args.voice)
    texts = chunks_for(backend.max_chunk_chars, args.chars)
    inputs = [backend.tokens(p) for text in texts for p in backend.phoneme_pieces(text)]
    styles = [style_table[len(tokens) - 1] for tokens in inputs]
    print(f"{len(inputs)} chunks ({sum(map(len, inputs))} tokens), voice {args.voice}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f}; {args.rounds} rounds, order reversed every other round")

    with tempfile.TemporaryDirectory() as tmp:
        int8_path = Path(tmp) / "kokoro-int8.onnx"
        int8_path.write_bytes(kokoro._join_parts(backend._parts))
        if args.profile:
            profile(float_path, int8_path, inputs, styles)
            return 0
        table = variants(float_path, int8_path, {w.strip() for w in args.only.split(",") if w.strip()})
        runs: dict[str, Run] = {}
        opened: dict[str, float] = {}
        failed: dict[str, str] = {}
        for name, make in table.items():
            started = time.perf_counter()
            try:
                runs[name] = make()
            except Exception as exc:  # a runtime that cannot take this model: say so, measure the rest
                failed[name] = str(exc).splitlines()[0][:160]
                continue
            opened[name] = time.perf_counter() - started
            runs[name](inputs[0], styles[0], 1.0)  # warm-up
        cpu = dict.fromkeys(runs, 0.0)
        wall = dict.fromkeys(runs, 0.0)
        audio: dict[str, list[Floats]] = {}
        baseline_again: list[Floats] = []
        names = list(runs)
        for round_ in range(args.rounds):
            for name in names if round_ % 2 == 0 else reversed(names):
                w, c = time.perf_counter(), time.process_time()
                outs = [runs[name](tokens, style, 1.0) for tokens, style in zip(inputs, styles, strict=True)]
                wall[name] += time.perf_counter() - w
                cpu[name] += time.process_time() - c
                if name not in audio:
                    audio[name] = outs
                elif name == names[0] and not baseline_again:
                    baseline_again = outs

    base = names[0]
    seconds = {name: args.rounds * sum(a.size for a in audio[name]) / kokoro.SAMPLE_RATE for name in names}
    print(f"\n{'variant':46} {'cpu/audio':>9} {'× base':>7} {'wall/audio':>10} {'× base':>7} {'open s':>6} "
          f"{'× base':>6}   {'dur':>5} {'Δmel dB':>7} {'mel r':>6}")
    reference = audio[base]
    for name in names:
        per_cpu, per_wall = cpu[name] / seconds[name], wall[name] / seconds[name]
        compare = baseline_again if name == base and baseline_again else audio[name]
        duration, distance, correlation = difference(reference, compare)
        print(f"{name:46} {per_cpu:9.3f} {per_cpu / (cpu[base] / seconds[base]):7.2f} {per_wall:10.3f} "
              f"{per_wall / (wall[base] / seconds[base]):7.2f} {opened[name]:6.2f} {opened[name] / opened[base]:6.2f}"
              f"   {duration:5.3f} {distance:7.2f} {correlation:6.3f}")
    for name, reason in failed.items():
        print(f"{name:46} cannot run: {reason}")
    print("\n× base: ratio to the first line (lower is faster). dur, Δmel, mel r: its audio against the first "
          "line's on the same chunks (the first line: against its own second round).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
