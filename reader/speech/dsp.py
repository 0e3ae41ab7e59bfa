"""Signal helpers shared by the engines: the one silence trimmer.

Every engine hands back a chunk with its own leading and trailing silence cut down (the pipeline adds its own
pauses between chunks, and the Backend contract asks for none added by the engine). They differ only in how
much they keep and what counts as silence, so those are parameters here, not copies of the algorithm.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

#: A frame whose peak is below this is silence (the offline and Edge voices; espeak uses -50 dBFS).
SILENCE_DBFS = -40.0
#: The unit of the level measurement.
FRAME_SECONDS = 0.01


def _peaks(samples: npt.NDArray[np.generic], frame: int) -> npt.NDArray[np.float64]:
    """Peak level of each whole ``frame``-sample frame, as a fraction of full scale."""
    frames = len(samples) // frame
    scale = 32768.0 if np.issubdtype(samples.dtype, np.integer) else 1.0
    block = np.abs(samples[: frames * frame].astype(np.float64)).reshape(frames, frame)
    return np.asarray(block.max(axis=1) / scale, dtype=np.float64)


def speech_span(
    samples: npt.NDArray[np.generic],
    sample_rate: int,
    *,
    threshold_dbfs: float = SILENCE_DBFS,
    keep: float = 0.05,
    frame_seconds: float = FRAME_SECONDS,
    search: tuple[int, int] | None = None,
) -> tuple[int, int] | None:
    """[start, stop) of the sound in ``samples`` (int16 or float), or ``None`` if nothing is loud.

    Levels are measured per frame of ``frame_seconds`` (0: per sample); a frame is loud when its peak reaches
    ``threshold_dbfs``. The span runs from ``keep`` seconds before the first loud frame to ``keep`` after the
    last, clipped to the samples. ``search`` = (first, last) frame indices limits where loud frames count.
    """
    frame = max(1, round(frame_seconds * sample_rate))
    peaks = _peaks(samples, frame)
    first, last = (0, len(peaks)) if search is None else (max(0, search[0]), min(len(peaks), search[1]))
    loud = np.flatnonzero(peaks[first:last] >= 10 ** (threshold_dbfs / 20)) + first
    if loud.size == 0:
        return None
    margin = round(keep * sample_rate)
    return max(0, int(loud[0]) * frame - margin), min(len(samples), (int(loud[-1]) + 1) * frame + margin)


def trim_silence(
    samples: npt.NDArray[np.generic],
    sample_rate: int,
    *,
    threshold_dbfs: float = SILENCE_DBFS,
    keep: float = 0.05,
    frame_seconds: float = FRAME_SECONDS,
) -> npt.NDArray[np.generic]:
    """``samples`` with leading and trailing silence cut down to ``keep`` seconds; empty if all is silence."""
    span = speech_span(samples, sample_rate, threshold_dbfs=threshold_dbfs, keep=keep, frame_seconds=frame_seconds)
    return samples[:0] if span is None else samples[span[0] : span[1]]


def to_pcm16(audio: npt.NDArray[np.floating]) -> bytes:
    """Float audio in [-1, 1] → 16-bit little-endian PCM. Neural vocoders can overshoot full scale slightly;
    a chunk that does is scaled down as a whole to a peak of 0.99 (hard clipping would distort), everything
    else keeps its level."""
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak > 1.0:
        audio = audio * np.float32(0.99 / peak)
    return bytes(np.clip(np.rint(audio * 32767.0), -32768, 32767).astype("<i2").tobytes())
