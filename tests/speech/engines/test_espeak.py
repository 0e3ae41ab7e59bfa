"""The espeak-ng backend against the real engine (libespeak-ng from espeakng-loader, or the system's)."""

from __future__ import annotations

import math
import re
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import reader.speech.registry
from reader.errors import BackendUnavailable, ConfigError, SynthesisError
from reader.models import Audio
from reader.speech.engines.espeak import EDGE_SILENCE, SILENCE_THRESHOLD, VOICE, EspeakBackend
from reader.speech.registry import Backend

HELLO = "你好，世界。"
LONG = "今天上午，国务院新闻办公室举行新闻发布会，介绍二零二一年国民经济运行情况。"
TEXTS = [HELLO, LONG, "中国", "北京时间昨天晚上，神舟十三号载人飞船顺利返回。", "二零二一年", "谢谢大家。"]


@pytest.fixture(scope="module")
def backend() -> EspeakBackend:
    return EspeakBackend()


def samples(audio: Audio) -> np.ndarray:
    return np.frombuffer(audio.pcm, dtype="<i2").astype(np.float64)


def rms(audio: Audio) -> float:
    return float(np.sqrt(np.mean(samples(audio) ** 2)))


def hanzi(text: str) -> int:
    return len(re.findall(r"[\u4e00-\u9fff]", text))


def assert_plausible(audio: Audio, text: str) -> None:
    """Mandarin read at 2 to 12 characters a second, clearly audible."""
    assert audio.sample_rate == 22050
    assert len(audio.pcm) % 2 == 0
    n = hanzi(text)
    assert n / 12 <= audio.duration <= n / 2, (text, audio.duration)
    assert rms(audio) > 1000, (text, rms(audio))  # about -30 dBFS; espeak speaks at -20 to -15


def test_attributes(backend: EspeakBackend) -> None:
    assert isinstance(backend, Backend)
    assert backend.name == "espeak"
    assert re.search(r"espeak-ng-\d+\.\d+", backend.version), backend.version
    assert backend.sample_rate == 22050
    assert backend.max_chunk_chars == 200
    assert backend.max_workers == 1
    assert [v.id for v in backend.voices()] == [VOICE]
    assert backend.voices()[0].language == "zh-CN"


def test_hello_world(backend: EspeakBackend) -> None:
    assert_plausible(backend.synthesize(HELLO, VOICE), HELLO)


def test_long_sentence(backend: EspeakBackend) -> None:
    audio = backend.synthesize(LONG, VOICE)
    assert_plausible(audio, LONG)
    assert audio.duration > 4  # 37 characters


def test_speaks_hanzi_as_mandarin_syllables(backend: EspeakBackend) -> None:
    # Two syllables; spelled-out letters or an "unknown character" fallback would take far longer.
    audio = backend.synthesize("中国", VOICE)
    assert 0.2 <= audio.duration <= 1.0, audio.duration
    # Numerals written in hanzi are one syllable each too.
    assert backend.synthesize("二零二一年", VOICE).duration <= 2.0


def test_rate(backend: EspeakBackend) -> None:
    slow = backend.synthesize(LONG, VOICE, 0.5).duration
    normal = backend.synthesize(LONG, VOICE, 1.0).duration
    fast = backend.synthesize(LONG, VOICE, 2.0).duration
    assert fast < 0.7 * normal
    assert slow > 1.3 * normal
    assert_plausible(backend.synthesize(LONG, VOICE, 2.0), LONG)


@pytest.mark.parametrize("rate", [0.49, 2.01, 0.0, -1.0, math.nan, math.inf])
def test_rate_out_of_range(backend: EspeakBackend, rate: float) -> None:
    with pytest.raises(ConfigError, match="rate"):
        backend.synthesize(HELLO, VOICE, rate)


def test_unknown_voice(backend: EspeakBackend) -> None:
    with pytest.raises(ConfigError, match="voice"):
        backend.synthesize(HELLO, "en-us")


def test_empty_text(backend: EspeakBackend) -> None:
    with pytest.raises(SynthesisError):
        backend.synthesize("  ", VOICE)


def test_never_empty_audio(backend: EspeakBackend) -> None:
    with pytest.raises(SynthesisError, match="。"):
        backend.synthesize("。", VOICE)


def test_edge_silence_is_trimmed(backend: EspeakBackend) -> None:
    # A leading dash makes espeak-ng start with about 110 ms of silence.
    audio = backend.synthesize("——你好", VOICE)
    loud = np.flatnonzero(np.abs(samples(audio)) > SILENCE_THRESHOLD)
    limit = round(EDGE_SILENCE * audio.sample_rate)
    assert loud[0] <= limit
    assert audio.frames - 1 - loud[-1] <= limit
    assert audio.duration <= backend.synthesize("你好", VOICE).duration + EDGE_SILENCE + 0.01


def test_pcm_is_little_endian(backend: EspeakBackend) -> None:
    audio = backend.synthesize(HELLO, VOICE)
    native = np.frombuffer(audio.pcm, dtype=np.int16)
    little = np.frombuffer(audio.pcm, dtype="<i2")
    assert np.array_equal(native, little) == (sys.byteorder == "little")


def test_threads_get_the_same_audio_as_sequential_calls(backend: EspeakBackend) -> None:
    jobs = [(text, rate) for text in TEXTS for rate in (1.0, 1.5)] * 2
    sequential = [backend.synthesize(text, VOICE, rate) for text, rate in jobs]
    with ThreadPoolExecutor(max_workers=6) as pool:
        threaded = list(pool.map(lambda job: backend.synthesize(job[0], VOICE, job[1]), jobs))
    for (text, rate), one, other in zip(jobs, sequential, threaded, strict=True):
        # espeak-ng's wave generator carries its state (pitch flutter, sample counter) from one utterance into
        # the next, so even sequential calls are not bit-identical: up to about 11 ms longer or shorter.
        assert other.sample_rate == one.sample_rate
        assert abs(other.duration - one.duration) <= 0.01 * one.duration + 0.03, (text, rate)
        assert abs(rms(other) - rms(one)) <= 0.1 * rms(one), (text, rate)


def test_registry() -> None:
    backend = reader.speech.registry.get("espeak")
    assert isinstance(backend, EspeakBackend)
    assert reader.speech.registry.get("espeak") is backend
    assert reader.speech.registry.availability("espeak")[0]
    assert_plausible(backend.synthesize(HELLO, VOICE), HELLO)


def test_close() -> None:
    backend = EspeakBackend()
    backend.close()
    with pytest.raises(BackendUnavailable):
        backend.synthesize(HELLO, VOICE)
    # The engine is shared by the process: another backend still works.
    assert_plausible(EspeakBackend().synthesize(HELLO, VOICE), HELLO)
