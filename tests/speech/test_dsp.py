"""The one silence trimmer every engine uses."""

from __future__ import annotations

import numpy as np

from reader.speech.dsp import speech_span, trim_silence

RATE = 24000


def tone(seconds: float, level: float) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    return (level * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def test_span_keeps_the_margin_around_loud_frames() -> None:
    audio = np.concatenate([np.zeros(RATE // 2, np.float32), tone(0.3, 0.5), np.zeros(RATE // 2, np.float32)])
    start, stop = speech_span(audio, RATE, keep=0.05) or (0, 0)
    assert start == RATE // 2 - round(0.05 * RATE)
    assert stop == RATE // 2 + round(0.3 * RATE) + round(0.05 * RATE)


def test_int16_and_float_agree_and_quiet_is_silence() -> None:
    audio = np.concatenate([np.zeros(2400, np.float32), tone(0.2, 0.3), tone(0.2, 0.005)])
    pcm = np.round(audio * 32767).astype(np.int16)
    assert speech_span(audio, RATE) == speech_span(pcm, RATE)
    assert speech_span(tone(0.2, 0.005), RATE) is None  # -46 dBFS is below the -40 dBFS threshold
    assert speech_span(tone(0.2, 0.005), RATE, threshold_dbfs=-50) is not None


def test_trim_returns_empty_for_silence_and_per_sample_frames() -> None:
    assert len(trim_silence(np.zeros(4800, np.int16), RATE)) == 0
    pcm = np.zeros(4800, np.int16)
    pcm[1000] = 20000
    trimmed = trim_silence(pcm, RATE, keep=0.001, frame_seconds=0)
    assert len(trimmed) == 2 * 24 + 1  # one loud sample and 1 ms on each side


def test_search_window_limits_where_loud_frames_count() -> None:
    audio = np.concatenate([tone(0.1, 0.5), np.zeros(RATE, np.float32), tone(0.1, 0.5)])
    first_frame_of_tail = round(1.1 / 0.01)
    span = speech_span(audio, RATE, keep=0.0, search=(first_frame_of_tail, 10_000))
    assert span == (round(1.1 * RATE), len(audio))
