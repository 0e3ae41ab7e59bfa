"""Join synthesized chunks and pauses into one loudness-normalized audio file; know where every chunk landed.

The file's format (MP3, M4B/M4A, Opus, WAV: ``reader.audio.formats``) decides the encoder; everything else
here is the same for all of them. The MP3 is described below; the other formats differ only in the encoder
and in its delay, which each container records and its decoders remove (see ``reader.audio.formats``).

How a track is made (``assemble``):

1. **Lay out** (one pass, streaming): each piece's PCM and then its pause, as that many zero samples, are
   appended to a temporary raw PCM file next to the output. Nothing is concatenated in memory (pydub's
   ``AudioSegment +`` copies the whole track on every join, which is quadratic), so memory stays at one
   piece however long the article; ``pieces`` may be a generator that yields chunks as they are
   synthesized. Positions are counted in samples, so ``Placed`` times are exact, with no drift from
   rounding pauses one by one. The track's rate is the first piece's; a piece at another rate (rare: the
   pipeline uses one engine per track) is converted with pydub's ``AudioSegment.set_frame_rate``.
2. **Measure** the integrated loudness (EBU R128) and true peak of the raw track with ffmpeg's ``ebur128``,
   fed through a pipe during the layout (``LoudnessMeter``), so no second pass over the file is needed.
3. **Encode** once with ffmpeg: one constant gain (``volume``) to bring the MP3 to ``target_lufs``, then,
   only if the gained true peak would pass ``peak_limit_dbtp``, ffmpeg's ``alimiter`` with ``latency=1``
   (its lookahead delay compensated: measured sample-exact) and ``level=0`` (no auto make-up gain), then
   the format's encoder (libmp3lame for MP3). A constant gain never moves a sample in time, which two-pass
   ``loudnorm`` (192 kHz resampling, dynamic mode when the peak does not fit) cannot promise as simply.
   The gain allows for
   an encoder's own level scale (LAME's 0.95), and for the loudness the limiter takes off (measured, see
   ``_plan_gain``). In the same ffmpeg run a loopback decoder decodes the MP3 as it is written and
   measures it, so ``Assembled.loudness_lufs_after`` is the loudness of the file itself.
   A long track (over ``STREAM_ENCODE_AFTER``, two minutes) does not wait for its last piece: the gain is
   planned on its first two minutes and the encoder is fed as the layout goes on (``_StreamedEncode``),
   with the limiter always in the chain; if the MP3 then misses the target by more than 0.5 LU it is encoded
   again from the whole. On the seed (13 minutes) this took the time after the last chunk from 3.4 s to
   0.4 s, at −15.8 instead of −16.0 LUFS.
4. **Publish** atomically: ffmpeg writes ``<name>.<random>.part`` in the output directory (next to the
   raw ``<name>.<random>.pcm.part``), the caller's ``before_publish`` hook (tags!) runs on it, then
   ``os.replace`` puts it in place. On any failure, KeyboardInterrupt included, the temporary files are
   removed and nothing appears at ``out_path`` (an existing file there stays as it was).

Why ffmpeg is called directly for the encode instead of ``AudioSegment.export``: ``export`` needs the whole
track as one in-memory ``AudioSegment``, writes it again as a WAV into the system temp directory, has ffmpeg
encode into a second temp file there, then copies that into the destination; it does not remove those temp
files when ffmpeg fails or the user interrupts, and it does not return ffmpeg's stderr, which carries the
``ebur128`` measurement and the error message. Feeding ffmpeg the raw file directly avoids all of that.

Timing (measured, see ``tests/audio/test_assemble.py``): ``Placed`` times are positions in the PCM that a gapless
decoder returns. ffmpeg's MP3 encoder adds 1105 samples of delay (46 ms at 24 kHz) and records it in the
LAME/Info header; ffmpeg's decoder removes it, so a decoded track has exactly ``duration`` seconds and each
piece starts within a sample of ``Placed.start`` (onset errors under 1 ms in the tests).
"""

from __future__ import annotations

import errno
import math
import os
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from reader._files import atomic_output, create_sibling_temp, output_error
from reader.audio.ffmpeg import (
    EBUR128_TAP,
    EBUR128_TAP_NO_PEAK,
    Loudness,
    LoudnessMeter,
    PipedFFmpeg,
    has_loopback_decoder,
    measure_loudness,
    parse_ebur128_summary,
    pydub_audio_segment,
    raw_input,
    run_ffmpeg_capture,
)
from reader.audio.formats import MP3, AudioFormat
from reader.errors import AudioError, OutputError
from reader.i18n import N_, _
from reader.models import Audio

_BYTES_PER_SAMPLE = 2  # mono s16le
#: ebur128 reports this for silence and for audio too short to gate: nothing to normalize.
_SILENCE_LUFS = -70.0
#: Never boost more than this: a near-silent track would otherwise be turned into loud noise.
_MAX_GAIN_DB = 40.0
#: A track that grows longer than this (seconds) is encoded while it is still being laid out, with the gain
#: planned on these first seconds; a shorter one is planned on the whole and encoded afterwards.
STREAM_ENCODE_AFTER = 120.0
#: A streamed MP3 further than this from the target loudness is encoded again with the whole track's gain
#: (EBU R128's tolerance for programmes: ±0.5 LU).
_STREAM_TOLERANCE_LU = 0.5


@dataclass(frozen=True)
class Piece:
    """One synthesized chunk and the silence (seconds, >= 0) that follows it in the track."""

    audio: Audio
    pause_after: float = 0.0

    def __post_init__(self) -> None:
        if not (self.pause_after >= 0 and math.isfinite(self.pause_after)):
            raise ValueError(f"pause_after must be a finite number >= 0, not {self.pause_after!r}")


@dataclass(frozen=True)
class Placed:
    """Where a piece's own audio (not its pause) is in the final track, in seconds.

    ``start`` is the time of its first sample, ``end`` the time just after its last one
    (``end - start`` is the piece's duration), as a gapless decoder (ffmpeg) plays the MP3.
    """

    start: float
    end: float


@dataclass(frozen=True)
class Assembled:
    """The result of ``assemble``.

    Attributes:
        placed: one ``Placed`` per piece, in the order the pieces were given.
        duration: the track's length in seconds (lead-in, every piece and every pause, the last one included).
        sample_rate: the track's sample rate (the first piece's). The MP3 has the same rate when MP3 allows
            it (8, 11.025, 12, 16, 22.05, 24, 32, 44.1, 48 kHz); otherwise ffmpeg picks the nearest one.
        loudness_lufs_before: integrated loudness of the joined audio before normalization.
        loudness_lufs_after: integrated loudness of the file as a decoder plays it (measured on the file's
            own packets, see ``_encode``).
        gain_db: the constant gain applied before encoding (0 for silence).
        limited: whether the peak limiter was engaged because the gained true peak would pass the ceiling.
        true_peak_dbtp_after: true peak of the decoded MP3. The limiter holds the PCM's sample peaks at the
            ceiling; MP3 quantization and inter-sample peaks put the MP3's true peak up to about 1 dB above
            it (measured -0.6 dBTP for espeak speech with a -1.5 ceiling): still clear of clipping, which
            is what the ceiling's margin is for.
    """

    placed: list[Placed]
    duration: float
    sample_rate: int
    loudness_lufs_before: float
    loudness_lufs_after: float
    gain_db: float
    limited: bool
    true_peak_dbtp_after: float


def _resample(audio: Audio, sample_rate: int) -> bytes:
    """Convert a piece to the track's rate with pydub (audioop.ratecv: linear interpolation, no filter).

    Good enough for the rare mixed-engine track; it is not used when the rates agree.
    """
    segment_class = pydub_audio_segment()
    pcm = audio.pcm[: audio.frames * _BYTES_PER_SAMPLE]
    segment = segment_class(
        data=pcm, sample_width=_BYTES_PER_SAMPLE, frame_rate=audio.sample_rate, channels=1
    )
    return bytes(segment.set_frame_rate(sample_rate).raw_data)


class _Layout:
    """Streams pieces and silences into a raw PCM file while counting samples."""

    _ZEROS = bytes(64 * 1024)

    def __init__(self, sink: BinaryIO, path: Path) -> None:
        self.sink = sink
        self.path = path
        self.sample_rate = 0
        self.samples = 0
        self.placed: list[Placed] = []
        self.taps: list[Callable[[bytes | memoryview], None]] = []  # see every byte written, in order

    def _write(self, data: bytes | memoryview) -> None:
        try:
            self.sink.write(data)
        except OSError as exc:
            raise output_error(self.path, exc) from exc
        for tap in self.taps:
            tap(data)

    def flush(self) -> None:
        """Push out the write buffer here, where a full disk can still be reported as an ``OutputError``."""
        try:
            self.sink.flush()
        except OSError as exc:
            raise output_error(self.path, exc) from exc

    def silence(self, seconds: float) -> None:
        count = round(seconds * self.sample_rate) * _BYTES_PER_SAMPLE
        self.samples += count // _BYTES_PER_SAMPLE
        while count > 0:
            block = min(count, len(self._ZEROS))
            self._write(memoryview(self._ZEROS)[:block])
            count -= block

    def piece(self, piece: Piece) -> None:
        audio = piece.audio
        if audio.sample_rate <= 0:
            raise AudioError(_("a piece has an invalid sample rate: {sample_rate}").format(sample_rate=audio.sample_rate))
        if audio.sample_rate == self.sample_rate:
            # An odd trailing byte (never expected) would shift every later sample: drop it.
            pcm: bytes | memoryview = memoryview(audio.pcm)[: audio.frames * _BYTES_PER_SAMPLE]
        else:
            pcm = _resample(audio, self.sample_rate)
        start = self.samples
        self._write(pcm)
        self.samples += len(pcm) // _BYTES_PER_SAMPLE
        self.placed.append(Placed(start / self.sample_rate, self.samples / self.sample_rate))
        self.silence(piece.pause_after)


@dataclass(frozen=True)
class _Gain:
    """How the encode pass changes the level: a constant gain (dB) and, when ``limit`` is set, a limiter."""

    gain_db: float
    limit: float | None  # linear sample-peak ceiling of alimiter

    def chain(self) -> str:
        filters = [f"volume={self.gain_db:.3f}dB:precision=double"]
        if self.limit is not None:
            # latency=1 removes the lookahead delay (measured: sample-exact), level=0 stops alimiter from
            # re-normalizing its output to 0 dBFS.
            filters.append(f"alimiter=limit={self.limit:.6f}:level=0:latency=1:attack=5:release=50")
        return ",".join(filters)


def _plan_gain(
    source: list[str], before: Loudness, target_lufs: float, peak_limit_dbtp: float, *, scale_db: float = 0.0,
    always_limit: bool = False,
) -> _Gain:
    """Choose the gain that brings the *encoded file* to ``target_lufs``, with a limiter if the peaks need
    one (or always, with ``always_limit``: when ``before`` measured only the start of the track, the peaks
    of the rest are not known yet; a limiter that nothing reaches changes nothing).

    ``scale_db`` is what the encoder itself takes off the level: libmp3lame scales its input by 0.95 (LAME's
    default ``scale``; measured: tones of any frequency and level decode exactly 0.446 dB quieter), so the PCM
    is aimed that much higher, ceiling included. When
    the limiter is engaged it takes some loudness off the peaks; one measuring pass through the
    same chain (no encoding, about 0.05 s per minute of audio) corrects the gain for that.
    """
    if not math.isfinite(before.integrated_lufs) or before.integrated_lufs <= _SILENCE_LUFS:
        return _Gain(0.0, None)
    aim = target_lufs + scale_db
    gain = max(-_MAX_GAIN_DB, min(_MAX_GAIN_DB, aim - before.integrated_lufs))
    exceeds = math.isfinite(before.true_peak_dbtp) and before.true_peak_dbtp + gain > peak_limit_dbtp
    if not (exceeds or always_limit):
        return _Gain(gain, None)
    plan = _Gain(gain, 10 ** ((peak_limit_dbtp + scale_db) / 20))
    # One measuring pass through the limiter corrects the gain for the loudness it takes off (measured on
    # the seed: 0.25 LU; what a second pass would still correct is under 0.05 LU). The encode measures the
    # encoded file itself, so the figure reported is exact either way.
    measured = run_ffmpeg_capture([*source, "-af", f"{plan.chain()},{EBUR128_TAP_NO_PEAK}", "-f", "null", "-"])
    error = aim - parse_ebur128_summary(measured.stderr).integrated_lufs
    return _Gain(max(-_MAX_GAIN_DB, min(_MAX_GAIN_DB, plan.gain_db + error)), plan.limit)


def _encode_args(plan: _Gain, fmt: AudioFormat, bitrate: str | None, path: Path, loopback: bool) -> list[str]:
    """ffmpeg's arguments after the input: gain (and limiter), the format's encoder, and with ``loopback``
    (ffmpeg 7 or later) a loopback decoder (``-dec``) that decodes the encoder's packets as they come out and
    measures them, so the loudness reported is the file's own; older ffmpeg gets a second pass over it."""
    args = ["-af", plan.chain(), *fmt.encode_args(bitrate), "-y", str(path)]
    if loopback:
        args += ["-dec", "0:0", "-filter_complex", f"[dec:0]{EBUR128_TAP}[measured]", "-map", "[measured]",
                 "-f", "null", "-"]
    return args


def _disk_error(exc: AudioError, out_path: Path) -> OutputError | None:
    """ffmpeg's failure to write the file (full disk, file-size limit) as the ``OutputError`` it is."""
    for code in (errno.ENOSPC, errno.EFBIG):
        if os.strerror(code) in str(exc):
            return OutputError(_("cannot write {out_path}: {strerror}").format(out_path=out_path, strerror=os.strerror(code)))
    return None


def _encode(source: list[str], plan: _Gain, fmt: AudioFormat, bitrate: str | None, path: Path,
            out_path: Path) -> Loudness:
    """Encode to ``path`` and measure the loudness of the file as a decoder will play it."""
    loopback = has_loopback_decoder()
    try:
        encoded = run_ffmpeg_capture([*source, *_encode_args(plan, fmt, bitrate, path, loopback)])
    except AudioError as exc:
        raise (_disk_error(exc, out_path) or exc) from exc
    return parse_ebur128_summary(encoded.stderr) if loopback else measure_loudness(path)


class _StreamedEncode(PipedFFmpeg):
    """The encode of a long track, fed as it is laid out, with a gain planned on its first minutes.

    Why: the encode is the one step that needs the whole track's loudness before it can start, so on a long
    article it used to run alone after the last chunk (2.2 s of LAME for the 13-minute seed, plus the
    limiter's measuring pass) while the other cores idled. Speech from one voice has a steady loudness: the
    first ``STREAM_ENCODE_AFTER`` seconds predict the whole within a few tenths of a LU, and ``assemble``
    checks the file's measured loudness and encodes again in the rare case it misses by more than
    ``_STREAM_TOLERANCE_LU``. The limiter is always in the chain, since the peaks still to come are unknown.
    """

    def __init__(self, sample_rate: int, plan: _Gain, fmt: AudioFormat, bitrate: str | None, path: Path,
                 out_path: Path) -> None:
        self.plan, self.path, self.out_path = plan, path, out_path
        self.what = N_("encoding the audio")
        self.loopback = has_loopback_decoder()
        super().__init__(sample_rate, _encode_args(plan, fmt, bitrate, path, self.loopback))

    def feed(self, pcm: bytes | memoryview) -> None:
        try:
            super().feed(pcm)
        except AudioError as exc:
            raise (_disk_error(exc, self.out_path) or exc) from exc

    def result(self) -> Loudness:
        """Close the input, wait for the encoder; the loudness of the file it wrote."""
        try:
            stderr = self.finish()
        except AudioError as exc:
            raise (_disk_error(exc, self.out_path) or exc) from exc
        return parse_ebur128_summary(stderr) if self.loopback else measure_loudness(self.path)


def _start_streamed_encode(
    layout: _Layout, raw: Path, target_lufs: float, peak_limit_dbtp: float, fmt: AudioFormat,
    bitrate: str | None, path: Path, out_path: Path,
) -> _StreamedEncode:
    """Plan the gain on what is laid out so far, start the encoder, feed it that, and tap the layout."""
    layout.flush()  # the raw file now holds exactly the track so far
    rate = layout.sample_rate
    prefix = measure_loudness(raw, raw_sample_rate=rate)
    plan = _plan_gain(raw_input(raw, rate), prefix, target_lufs, peak_limit_dbtp, scale_db=fmt.level_scale_db,
                      always_limit=True)
    encoder = _StreamedEncode(rate, plan, fmt, bitrate, path, out_path)
    try:
        with open(raw, "rb") as fh:
            while block := fh.read(1 << 20):
                encoder.feed(block)
    except BaseException:
        encoder.close()
        raise
    layout.taps.append(encoder.feed)
    return encoder


def assemble(
    pieces: Iterable[Piece],
    out_path: Path,
    *,
    target_lufs: float = -16.0,
    peak_limit_dbtp: float = -1.5,
    fmt: AudioFormat = MP3,
    bitrate: str | None = None,
    lead_in: float = 0.0,
    before_publish: Callable[[Path, Assembled], None] | None = None,
    stream_encode_after: float | None = STREAM_ENCODE_AFTER,
) -> Assembled:
    """Join ``pieces`` (each followed by its pause) into one audio file at ``out_path``, at ``target_lufs``.

    Args:
        pieces: the chunks in reading order; may be a generator (consumed once, streamed to disk).
        out_path: the file to write; its directory must exist. An existing file is replaced atomically.
        target_lufs: integrated loudness of the file (EBU R128, mono measured as one channel). -16 LUFS is
            the usual podcast/speech level.
        peak_limit_dbtp: the peak ceiling. A limiter is engaged only when the measured true peak plus the gain
            would pass it; it then holds sample peaks there (see ``Assembled.true_peak_dbtp_after``).
        fmt: the output format (its encoder and muxer); MP3 by default.
        bitrate: the encoder's bitrate (None: the format's default).
        lead_in: seconds of silence before the first piece.
        before_publish: called with the finished temporary file (in ``out_path``'s directory, name ending in
            ``.part``) and the ``Assembled`` result, after encoding and before the rename: write tags here
            (``fmt.write_tags``), so that ``out_path`` never exists untagged. If it raises, nothing is
            published, the temporary file is removed and its exception propagates unchanged.
        stream_encode_after: once the track is this many seconds long, start encoding it while the rest
            is laid out, with the gain planned on those seconds (``_StreamedEncode``); if the file then
            misses ``target_lufs`` by more than 0.5 LU it is encoded again with the whole track's gain.
            None: always plan on the whole track and encode after the last piece.

    Returns:
        where each piece was placed, the duration and the loudness measurements.

    Raises:
        OutputError: the output directory is missing or not writable, or the disk is full.
        AudioError: there are no pieces, or ffmpeg failed (its last stderr line is in the message).
        Anything ``pieces`` or ``before_publish`` raise (KeyboardInterrupt too) propagates unchanged, after
        the temporary files are removed.
    """
    if not (lead_in >= 0 and math.isfinite(lead_in)):
        raise ValueError(f"lead_in must be a finite number >= 0, not {lead_in!r}")
    with atomic_output(out_path) as part:
        raw = create_sibling_temp(out_path, ".pcm.part")
        try:
            with open(raw, "wb") as sink, ExitStack() as stack:
                layout = _Layout(sink, out_path)
                meter: LoudnessMeter | None = None
                streamed: _StreamedEncode | None = None
                for piece in pieces:
                    if not layout.sample_rate:
                        layout.sample_rate = piece.audio.sample_rate
                        # Measured while the pieces arrive: when they come from a synthesizer, the
                        # measurement costs no time after the last one.
                        meter = stack.enter_context(LoudnessMeter(layout.sample_rate))
                        layout.taps.append(meter.feed)
                        layout.silence(lead_in)
                    layout.piece(piece)
                    if (streamed is None and stream_encode_after is not None
                            and layout.samples >= stream_encode_after * layout.sample_rate):
                        streamed = stack.enter_context(_start_streamed_encode(
                            layout, raw, target_lufs, peak_limit_dbtp, fmt, bitrate, part, out_path))
                layout.flush()
                if meter is None or not layout.placed:
                    raise AudioError(_("nothing to assemble: no audio pieces"))
                before = meter.result()
                after: Loudness | None = None
                if streamed is not None:
                    plan, after = streamed.plan, streamed.result()
                    if not abs(after.integrated_lufs - target_lufs) <= _STREAM_TOLERANCE_LU:
                        after = None  # the start of the track did not predict the whole: encode again
            rate = layout.sample_rate
            if after is None:
                whole = raw_input(raw, rate)
                plan = _plan_gain(whole, before, target_lufs, peak_limit_dbtp, scale_db=fmt.level_scale_db)
                after = _encode(whole, plan, fmt, bitrate, part, out_path)
        finally:
            raw.unlink(missing_ok=True)
        # Engaged: the whole track's true peak, gained, would pass the ceiling (a limiter in the chain that
        # nothing reaches, as in a streamed encode of a quiet track, is not engaged).
        limited = plan.limit is not None and math.isfinite(before.true_peak_dbtp) and (
            before.true_peak_dbtp + plan.gain_db > peak_limit_dbtp)
        result = Assembled(
            placed=layout.placed,
            duration=layout.samples / rate,
            sample_rate=rate,
            loudness_lufs_before=before.integrated_lufs,
            loudness_lufs_after=after.integrated_lufs,
            gain_db=plan.gain_db,
            limited=limited,
            true_peak_dbtp_after=after.true_peak_dbtp,
        )
        if before_publish is not None:
            before_publish(part, result)
    return result
