"""Shared by the player's tests: a short narration made with the real offline engine, the same track decoded
by ffmpeg (a decoder independent of the player's), and a way to find where played audio comes from."""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reader.audio.ffmpeg import run_ffmpeg
from reader.models import Article, Chapter
from reader.narration.pipeline import NarrateOptions, Narration, narrate_article

RATE = 24_000

#: Three chapters, a few sentences: about 30 s of speech, synthesized in ~2 s.
ARTICLE = Article(
    title="播放测试",
    date="2023-10-01",
    source="某某日报",
    chapters=[
        Chapter(None, ["这是导语，用来测试播放器。今天天气很好，我们一起去公园散步。"]),
        Chapter("第一部分", ["第一部分的正文有两句话。这是第二句话，说得稍微长一点。"]),
        Chapter("第二部分", ["第二部分的正文，到此结束。谢谢大家的收听。"]),
    ],
)

#: The same kind of article as text, for ``reader play ARTICLE`` (fetched and extracted like any file).
ARTICLE_TEXT = """流式播放测试

2023-10-02

这是流式播放的导语。播放器一边合成一边朗读。

一、开始部分

第一部分只有一句话。

二、结束部分

最后一部分，到此结束。
"""


@dataclass(frozen=True)
class Narrated:
    narration: Narration
    mp3: Path
    reference: np.ndarray  # the whole track as ffmpeg decodes it, float in [-1, 1]


def narrate_short(directory: Path) -> Narrated:
    """ARTICLE narrated into ``directory`` (the session's cache: a second call is a copy from the store)."""
    narration = narrate_article(ARTICLE, NarrateOptions(output=directory / "short.mp3"))
    return Narrated(narration, narration.audio, decode(narration.audio))


def decode(mp3: Path) -> np.ndarray:
    raw = run_ffmpeg(["-i", str(mp3), "-f", "s16le", "-ac", "1", "-ar", str(RATE), "-"])
    return np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        assert w.getframerate() == RATE and w.getnchannels() == 1 and w.getsampwidth() == 2
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64) / 32768


def locate(segment: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """Where in ``reference`` ``segment`` comes from: (seconds, normalized correlation there, 1 = the same)."""
    n = len(reference) + len(segment)
    size = 1 << (n - 1).bit_length()
    spectrum = np.fft.rfft(reference, size) * np.conj(np.fft.rfft(segment, size))
    correlation = np.fft.irfft(spectrum, size)[: len(reference) - len(segment) + 1]
    # Normalize by the energy of each window of the reference, so loud passages do not win by loudness.
    energy = np.cumsum(np.concatenate([[0.0], reference**2]))
    windows = energy[len(segment):] - energy[: len(energy) - len(segment)]
    norm = np.sqrt(np.maximum(windows, 1e-12) * float(segment @ segment))
    score = correlation / norm
    best = int(np.argmax(score))
    return best / RATE, float(score[best])


def f0_median(signal: np.ndarray, rate: int = RATE) -> float:
    """The median fundamental frequency (Hz) of the voiced 40 ms frames, by autocorrelation (70–400 Hz)."""
    frame, lo, hi = round(0.04 * rate), rate // 400, rate // 70
    found = []
    for start in range(0, len(signal) - frame, frame // 2):
        x = signal[start : start + frame] - signal[start : start + frame].mean()
        if np.sqrt((x**2).mean()) < 0.02:
            continue
        ac = np.correlate(x, x, "full")[frame - 1 :]
        lag = lo + int(np.argmax(ac[lo:hi]))
        if ac[lag] > 0.5 * ac[0]:
            found.append(rate / lag)
    assert len(found) >= 5, "too few voiced frames to measure a pitch"
    return float(np.median(found))
