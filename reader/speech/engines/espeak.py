"""espeak-ng backend: Mandarin formant synthesis through libespeak-ng, called with ctypes.

The library comes from the ``espeakng-loader`` wheel (which ships ``libespeak-ng`` and its data, Mandarin
included) or, failing that, from the system (Debian's ``espeak-ng`` package depends on ``libespeak-ng1``, so
``apt-get install espeak-ng`` provides it). Both are driven the same way: in synchronous retrieval mode
(``ENOUTPUT_MODE_SYNCHRONOUS``) the synthesizer runs in the calling thread and hands the samples to a
callback, so no audio device, subprocess or WAV parsing is involved.

libespeak-ng keeps all its state in globals (current voice, parameters, the synth callback, the wave
generator), so one engine is created per process, shared by every ``EspeakBackend`` and used under one lock:
``max_workers`` is 1. That costs little: synthesis runs some hundreds of times faster than real time.

Post-processing: the audio is trimmed so that at most ``EDGE_SILENCE`` seconds of near-silence (below
``SILENCE_THRESHOLD``) remain at either end. espeak-ng itself leaves 0-40 ms there, but some leading
punctuation (quotes, dashes) adds about 110 ms; the pipeline inserts its own pauses between chunks. Audio
with nothing above the threshold (text of punctuation only) is a ``SynthesisError``, never empty audio.

Output is not bit-for-bit repeatable inside one process: the wave generator's pitch "flutter" and sample
counter carry over from one utterance to the next (nothing in the API resets them short of a new process),
so the same text can come out up to about 11 ms longer or shorter, with the same sound. The first call in a
fresh process is repeatable.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math
import threading
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

from reader.errors import BackendUnavailable, ConfigError, SynthesisError
from reader.i18n import _
from reader.models import Audio
from reader.speech.backend import VoiceInfo
from reader.speech.dsp import trim_silence

__all__ = ["EspeakBackend", "text_to_ipa", "VOICE", "NORMAL_WPM", "MIN_RATE", "MAX_RATE", "EDGE_SILENCE", "INSTALL_HINT"]

VOICE = "cmn-latn-pinyin"
"""The one voice offered: the Mandarin voice that is meant to read Latin letters as pinyin, not English.

In espeak-ng 1.51 and 1.52 it sounds the same as plain ``cmn`` on hanzi, and Latin words such as "GDP" or
"nian" are still read as English by both: the text normaliser should spell out what it can before this.
"""

NORMAL_WPM = 175
"""espeak-ng's default speed in words per minute: ``rate`` 1.0."""

MIN_RATE = 0.5
MAX_RATE = 2.0

EDGE_SILENCE = 0.05
"""Seconds of leading or trailing near-silence kept at most."""

SILENCE_THRESHOLD = 100
"""|sample| at or below this counts as silence when trimming (measured per sample, not per frame)."""
SILENCE_DBFS = 20 * math.log10((SILENCE_THRESHOLD + 0.5) / 32768)  # the same, as reader.speech.dsp takes it

INSTALL_HINT = "install with: pip install espeakng-loader  (or apt-get install espeak-ng)"

_REVISION = "r1"  # our post-processing; bump it whenever it changes what comes out
_MAX_CHUNK_CHARS = 200

# From espeak-ng's speak_lib.h and espeak_ng.h.
_ENS_OK = 0
_ENOUTPUT_MODE_SYNCHRONOUS = 0x0001
_POS_CHARACTER = 1
_ESPEAK_CHARS_UTF8 = 1
_ESPEAK_RATE = 1
_IPA_TIED = 0x02 | 0x80 | (ord("^") << 8)  # espeakPHONEMES_IPA, tie the letters of one phoneme with ^

_SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class _VoiceStruct(ctypes.Structure):
    """``espeak_VOICE`` from speak_lib.h."""

    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_char_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


def _declare(lib: ctypes.CDLL) -> None:
    """Give ctypes the signatures of the functions used (AttributeError if one is missing)."""
    c_int, c_char_p, c_void_p, c_size_t, c_uint = (
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_void_p,
        ctypes.c_size_t,
        ctypes.c_uint,
    )
    signatures: dict[str, tuple[list[type], type | None]] = {
        "espeak_Info": ([c_void_p], c_char_p),
        "espeak_ng_InitializePath": ([c_char_p], None),
        "espeak_ng_Initialize": ([c_void_p], c_int),
        "espeak_ng_InitializeOutput": ([c_int, c_int, c_char_p], c_int),
        "espeak_ng_GetSampleRate": ([], c_int),
        "espeak_ng_GetStatusCodeMessage": ([c_int, c_char_p, c_size_t], None),
        "espeak_SetSynthCallback": ([_SynthCallback], None),
        "espeak_ng_SetVoiceByName": ([c_char_p], c_int),
        "espeak_GetCurrentVoice": ([], ctypes.POINTER(_VoiceStruct)),
        "espeak_ng_SetParameter": ([c_int, c_int, c_int], c_int),
        "espeak_ng_Synthesize": (
            [c_void_p, c_size_t, c_uint, c_int, c_uint, c_uint, c_void_p, c_void_p],
            c_int,
        ),
        "espeak_TextToPhonemes": ([ctypes.POINTER(c_void_p), c_int, c_int], c_char_p),
    }
    for name, (argtypes, restype) in signatures.items():
        function = getattr(lib, name)
        function.argtypes = argtypes
        function.restype = restype


class _Engine:
    """One loaded and initialized libespeak-ng with the Mandarin voice selected; use it under ``lock``."""

    def __init__(self, library: str, data_path: str | None) -> None:
        try:
            self._lib = ctypes.CDLL(library)
            _declare(self._lib)
        except (OSError, AttributeError) as exc:
            raise BackendUnavailable(_("cannot load {library}: {exc}").format(
                library=library, exc=exc)) from exc
        self.library = library
        self.lock = threading.Lock()
        self._chunks: list[bytes] = []
        self._failure: BaseException | None = None
        self._callback = _SynthCallback(self._collect)  # kept referenced: libespeak-ng holds the pointer
        lib = self._lib
        lib.espeak_ng_InitializePath(data_path.encode() if data_path is not None else None)
        self._check(lib.espeak_ng_Initialize(None), f"cannot initialize {library} (data: {data_path})")
        self._check(
            lib.espeak_ng_InitializeOutput(_ENOUTPUT_MODE_SYNCHRONOUS, 0, None), "cannot set up retrieval"
        )
        self.sample_rate = int(lib.espeak_ng_GetSampleRate())
        lib.espeak_SetSynthCallback(self._callback)
        self._check(lib.espeak_ng_SetVoiceByName(VOICE.encode()), f"no {VOICE} voice in {library}")
        current = lib.espeak_GetCurrentVoice()
        identifier = (current.contents.identifier or b"").decode(errors="replace") if current else ""
        if not identifier.lower().endswith(VOICE):
            raise BackendUnavailable(_("{library} chose voice {identifier!r} when asked for "
                                        "{VOICE!r}").format(
                                            library=library, identifier=identifier, VOICE=VOICE))
        self.espeak_version = (lib.espeak_Info(None) or b"unknown").decode(errors="replace")

    def _message(self, status: int) -> str:
        buffer = ctypes.create_string_buffer(512)
        self._lib.espeak_ng_GetStatusCodeMessage(status, buffer, len(buffer))
        return buffer.value.decode(errors="replace") or f"status {status:#x}"

    def _check(self, status: int, what: str) -> None:
        if status != _ENS_OK:
            raise BackendUnavailable(_("{what}: {message}").format(what=what, message=self._message(status)))

    def _collect(self, wav: ctypes._Pointer[ctypes.c_short], count: int, _events: int | None) -> int:
        try:
            if count > 0 and wav:
                self._chunks.append(ctypes.string_at(wav, count * 2))
        except BaseException as exc:  # an exception must not cross into C: keep it and stop the utterance
            self._failure = exc
            return 1
        return 0

    def synthesize(self, text: str, words_per_minute: int) -> bytes:
        """Native-endian int16 samples for ``text``; raises SynthesisError with espeak-ng's reason."""
        data = text.replace("\0", " ").encode("utf-8") + b"\0"
        with self.lock:
            self._chunks, self._failure = [], None
            status = self._lib.espeak_ng_SetParameter(_ESPEAK_RATE, words_per_minute, 0)
            if status == _ENS_OK:
                status = self._lib.espeak_ng_Synthesize(
                    data, len(data), 0, _POS_CHARACTER, 0, _ESPEAK_CHARS_UTF8, None, None
                )
            chunks, failure = self._chunks, self._failure
            self._chunks, self._failure = [], None
        if failure is not None:
            raise SynthesisError(_("espeak-ng failed on {excerpt}: {failure}").format(
                excerpt=_excerpt(text), failure=failure)) from failure
        if status != _ENS_OK:
            raise SynthesisError(_("espeak-ng failed on {excerpt}: {message}").format(
                excerpt=_excerpt(text), message=self._message(status)))
        return b"".join(chunks)

    def phonemes(self, text: str, voice: str) -> str:
        """``text`` as IPA in ``voice``'s language (stress marks kept; the parts of one phoneme, such as the
        a and ɪ of a diphthong, tied with ``^``), clause by clause joined with spaces; the Mandarin voice is
        selected again afterwards. ``SynthesisError`` if espeak-ng has no such voice."""
        data = ctypes.create_string_buffer(text.replace("\0", " ").encode("utf-8") + b"\0")
        pointer = ctypes.c_void_p(ctypes.addressof(data))
        clauses: list[str] = []
        with self.lock:
            status = self._lib.espeak_ng_SetVoiceByName(voice.encode())
            try:
                if status != _ENS_OK:
                    raise SynthesisError(_("espeak-ng has no voice {voice!r}: {message}").format(
                        voice=voice, message=self._message(status)))
                while pointer.value:
                    out = self._lib.espeak_TextToPhonemes(ctypes.byref(pointer), _ESPEAK_CHARS_UTF8, _IPA_TIED)
                    clauses.append((out or b"").decode("utf-8", errors="replace"))
            finally:
                self._lib.espeak_ng_SetVoiceByName(VOICE.encode())
        return " ".join(c.strip() for c in clauses if c.strip())


def text_to_ipa(text: str, voice: str = "en-us") -> str:
    """``text`` as espeak-ng's IPA in another language than Mandarin (English by default), with ``^`` tying
    the parts of one phoneme (``d^ʒˈɜːnə^l``). Shares the process's one engine (and its lock) with
    ``EspeakBackend``; ``BackendUnavailable`` when espeak-ng cannot be loaded."""
    return _engine().phonemes(text, voice)


def _candidates() -> Iterator[tuple[str, str | None]]:
    """(library, data directory or None for the library's own default), best first."""
    try:
        import espeakng_loader
    except ImportError:
        pass
    else:
        try:
            yield espeakng_loader.get_library_path(), espeakng_loader.get_data_path()
        except (OSError, RuntimeError):  # a broken wheel: its data directory is missing
            pass
    system = ctypes.util.find_library("espeak-ng")
    yield (system or "libespeak-ng.so.1"), None


_ENGINE: _Engine | None = None
_ENGINE_LOCK = threading.Lock()


def _engine() -> _Engine:
    """The process's engine, loaded on first use."""
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            reasons = []
            for library, data_path in _candidates():
                try:
                    _ENGINE = _Engine(library, data_path)
                    break
                except BackendUnavailable as exc:
                    reasons.append(str(exc))
            else:
                raise BackendUnavailable(_("espeak-ng is not usable ({join}); {INSTALL_HINT}").format(
                    join='; '.join(reasons), INSTALL_HINT=INSTALL_HINT))
        return _ENGINE


def _excerpt(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _trim(samples: npt.NDArray[np.int16], sample_rate: int) -> npt.NDArray[np.int16]:
    """``samples`` with edge silence cut to at most ``EDGE_SILENCE`` seconds; empty if all silent."""
    trimmed = trim_silence(samples, sample_rate, threshold_dbfs=SILENCE_DBFS, keep=EDGE_SILENCE, frame_seconds=0)
    return np.asarray(trimmed, dtype=np.int16)


class EspeakBackend:
    """espeak-ng's Mandarin voice: very fast and robotic, offline."""

    name: str = "espeak"
    max_chunk_chars: int = _MAX_CHUNK_CHARS
    max_workers: int = 1

    def __init__(self) -> None:
        self._engine = _engine()
        self.version = f"espeak-ng-{self._engine.espeak_version}-{VOICE}-{_REVISION}"
        self.sample_rate = self._engine.sample_rate
        self._closed = False

    def voices(self) -> list[VoiceInfo]:
        return [
            VoiceInfo(
                id=VOICE,
                language="zh-CN",
                gender="male",
                description="espeak-ng Mandarin: formant synthesis, robotic but very fast",
            )
        ]

    def synthesize(self, text: str, voice: str, rate: float = 1.0) -> Audio:
        if self._closed:
            raise BackendUnavailable(_("the espeak backend has been closed"))
        if voice != VOICE:
            raise ConfigError(_("unknown espeak voice {voice!r} (known: {VOICE})").format(
                voice=voice, VOICE=VOICE))
        if not MIN_RATE <= rate <= MAX_RATE:  # also rejects NaN
            raise ConfigError(_("rate must be between {MIN_RATE} and {MAX_RATE}, not {rate}").format(
                MIN_RATE=MIN_RATE, MAX_RATE=MAX_RATE, rate=rate))
        if not text.strip():
            raise SynthesisError(_("nothing to synthesize: the text is empty"))
        raw = self._engine.synthesize(text, round(NORMAL_WPM * rate))
        samples = _trim(np.frombuffer(raw, dtype=np.int16), self.sample_rate)
        if samples.size == 0:
            raise SynthesisError(_("espeak-ng produced no sound for {excerpt}").format(
                excerpt=_excerpt(text)))
        return Audio(pcm=samples.astype("<i2").tobytes(), sample_rate=self.sample_rate)

    def close(self) -> None:
        """Marks this backend closed. The library stays loaded: it is process-wide and shared."""
        self._closed = True
