"""The one place where the ffmpeg binary enters the program.

We use the ffmpeg that the ``imageio-ffmpeg`` wheel ships (so a fresh machine needs no system package; the
``IMAGEIO_FFMPEG_EXE`` environment variable, honoured by imageio-ffmpeg, points it elsewhere). That build has
no ``ffprobe``, so everything that would usually ask ffprobe is done with ffmpeg itself: durations are read
from ffmpeg's input dump, loudness from its ``ebur128`` filter, samples by decoding to raw PCM.

Every failure (binary missing, non-zero exit, killed) becomes an ``AudioError`` whose message ends with the
last line ffmpeg wrote to stderr, which is where ffmpeg says what went wrong.

Measured facts this module's users rely on (ffmpeg n9.0 with libmp3lame, see ``tests/audio/test_assemble.py``):

* An MP3 that ffmpeg encodes starts with 1105 samples of encoder + decoder delay (576 + 529); ffmpeg writes a
  LAME/"Info" header with the delay and end padding and its decoder drops both, so decoding gives back
  exactly the samples that were encoded. ffmpeg reports that delay as the stream's start time (0.046042 s at
  24 kHz) and shifts ID3 chapter times by it when it lists them.
* mutagen does not recognise ffmpeg's header (its encoder string is "Lavc…", mutagen wants "LAME…"), so
  ``mutagen.mp3.MP3(path).info.length`` includes the delay and padding: about 50 ms too long at 24 kHz.
  ``probe_duration`` therefore asks ffmpeg.
"""

from __future__ import annotations

import functools
import math
import re
import subprocess
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

from reader._files import reason
from reader.errors import AudioError
from reader.i18n import N_, _
from reader.models import Audio

#: Options put before every ffmpeg command: no banner, no progress lines, no questions asked.
_QUIET = ("-hide_banner", "-nostats")


@dataclass(frozen=True)
class FFmpegOutput:
    """What a successful ffmpeg run wrote: ``stdout`` raw, ``stderr`` decoded (it carries filter reports)."""

    stdout: bytes
    stderr: str


@dataclass(frozen=True)
class Loudness:
    """An EBU R128 measurement: integrated loudness in LUFS and true peak in dBTP.

    Silence (or audio shorter than the 400 ms gating block) measures as -70 LUFS and a peak of ``-inf``.
    """

    integrated_lufs: float
    true_peak_dbtp: float


@functools.cache
def ffmpeg_path() -> str:
    """The ffmpeg executable (imageio-ffmpeg's bundled build); looked up once per process."""
    try:
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except (ImportError, RuntimeError, OSError) as exc:
        raise AudioError(_("ffmpeg is not available (install imageio-ffmpeg): {exc}").format(
            exc=exc)) from exc


@functools.cache
def pydub_audio_segment() -> Any:
    """pydub's ``AudioSegment`` class with its ``converter`` pointed at our ffmpeg.

    pydub looks for ``ffmpeg`` on PATH when it is imported and warns when there is none (there usually is
    none: we ship ours through imageio-ffmpeg), and importing it on Python 3.11 warns that ``audioop`` is
    deprecated; both warnings are noise for us, so the import is done here with them silenced.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        from pydub import AudioSegment
    AudioSegment.converter = ffmpeg_path()
    return AudioSegment


_VERSION = re.compile(r"ffmpeg version n?(\d+)\.(\d+)")


@functools.cache
def ffmpeg_version() -> tuple[int, int] | None:
    """ffmpeg's (major, minor) release, or ``None`` for builds that do not say (git snapshots)."""
    match = _VERSION.search(run_ffmpeg(["-version"]).decode("utf-8", errors="replace"))
    return (int(match.group(1)), int(match.group(2))) if match else None


def has_loopback_decoder() -> bool:
    """Whether ffmpeg can decode its own encoder's output in the same run (``-dec``, ffmpeg 7.0 and later).

    imageio-ffmpeg 0.8 ships ffmpeg 9; a system ffmpeg chosen with ``IMAGEIO_FFMPEG_EXE`` may be older.
    Snapshot builds without a release number are assumed to be recent.
    """
    version = ffmpeg_version()
    return version is None or version >= (7, 0)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no message"


def run_ffmpeg_capture(args: Sequence[str], input: bytes | bytearray | None = None) -> FFmpegOutput:
    """Run ffmpeg with ``args`` (everything after the program name) and return its stdout and stderr.

    ``input`` is fed to stdin (for ``-i -``); without it ffmpeg gets ``-nostdin`` so that it never waits for
    a keypress. ``-hide_banner -nostats`` keep stderr to what matters: stream dumps, filter reports, errors.
    Raises ``AudioError`` when ffmpeg is missing, cannot start, exits non-zero or is killed. On
    KeyboardInterrupt the child is killed (``subprocess.run`` does that) and the interrupt propagates.
    """
    command = [ffmpeg_path(), *_QUIET]
    if input is None:
        command.append("-nostdin")
    command.extend(args)
    try:
        done = subprocess.run(
            command,
            input=input,
            stdin=subprocess.DEVNULL if input is None else None,
            capture_output=True,
            check=False,
        )
    except OSError as exc:
        raise AudioError(_("cannot run ffmpeg ({command}): {strerror}").format(
            command=command[0], strerror=reason(exc))) from exc
    stderr = done.stderr.decode("utf-8", errors="replace")
    if done.returncode != 0:
        if done.returncode < 0:
            raise AudioError(_("ffmpeg was killed by signal {value}: {last_line}").format(
                value=-done.returncode, last_line=_last_line(stderr)))
        raise AudioError(_("ffmpeg failed (exit {returncode}): {last_line}").format(
            returncode=done.returncode, last_line=_last_line(stderr)))
    return FFmpegOutput(stdout=done.stdout, stderr=stderr)


def run_ffmpeg(args: Sequence[str], input: bytes | bytearray | None = None) -> bytes:
    """Run ffmpeg and return what it wrote to stdout; see ``run_ffmpeg_capture`` for the error contract."""
    return run_ffmpeg_capture(args, input).stdout


def decode_to_pcm(path: Path, sample_rate: int) -> Audio:
    """Decode the first audio stream of ``path`` to mono 16-bit PCM at ``sample_rate`` Hz.

    For MP3s with a LAME/Info header (all that ffmpeg writes) the result is gapless: encoder delay and end
    padding are removed, so sample ``k`` is at ``k / sample_rate`` seconds of the original track.
    """
    pcm = run_ffmpeg(
        ["-i", str(path), "-map", "0:a:0", "-ac", "1", "-ar", str(sample_rate), "-f", "s16le",
         "-acodec", "pcm_s16le", "-"]
    )
    return Audio(pcm=pcm, sample_rate=sample_rate)


_DURATION = re.compile(r"Duration:\s*(\d+):(\d{2}):(\d{2}(?:\.\d+)?)")


def probe_duration(path: Path) -> float:
    """The playing time of ``path`` in seconds, as ffmpeg's decoder will play it (10 ms resolution).

    Read from the ``Duration:`` line of ffmpeg's input dump, so nothing is decoded. For MP3s ffmpeg computes
    it from the Xing/Info frame count minus the LAME delay and padding, i.e. the gapless length. (mutagen's
    ``MP3.info.length`` is not used: it ignores the delay and padding in files written by ffmpeg.)
    """
    out = run_ffmpeg_capture(["-i", str(path), "-map", "0:a:0", "-t", "0", "-f", "null", "-"])
    match = _DURATION.search(out.stderr)
    if match is None:
        raise AudioError(_("ffmpeg reports no duration for {path}").format(path=path))
    hours, minutes, seconds = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


_AUDIO_STREAM = re.compile(r"Stream #\d+:\d+\S*: Audio: [^\n]*?, (\d+) Hz, ([^,\n]+)")


@dataclass(frozen=True)
class AudioStream:
    """What ffmpeg says of a file's first audio stream, as its decoder gives it."""

    duration: float  # seconds, 10 ms resolution (the input dump's ``Duration:``)
    sample_rate: int
    channels: int


def probe_audio(path: Path) -> AudioStream:
    """The duration, sample rate and channels of the first audio stream of ``path`` (nothing is decoded).

    Channel layouts beyond stereo count as stereo: ``DecodeStream`` downmixes them.
    ``AudioError`` when ffmpeg cannot read the file or finds no audio in it.
    """
    out = run_ffmpeg_capture(["-i", str(path), "-map", "0:a:0", "-t", "0", "-f", "null", "-"])
    duration, stream = _DURATION.search(out.stderr), _AUDIO_STREAM.search(out.stderr)
    if duration is None or stream is None:
        raise AudioError(_("ffmpeg finds no audio in {path}").format(path=path))
    hours, minutes, seconds = duration.groups()
    layout = stream.group(2).strip()
    channels = 1 if layout == "mono" or layout.startswith("1 channel") else 2
    return AudioStream(int(hours) * 3600 + int(minutes) * 60 + float(seconds), int(stream.group(1)), channels)


class DecodeStream:
    """ffmpeg decoding the first audio stream of ``path`` from ``start`` seconds into 16-bit PCM, handed out
    in blocks as it is read from ffmpeg's stdout: memory does not grow with the file.

    The seek is ffmpeg's input seek, which decodes from the packet before ``start`` and drops what precedes it
    (``-accurate_seek``, on by default), so the first sample is the one at ``start`` (measured: to the sample
    for our MP3, Opus and WAV files, and for MP4 with ``input_args`` ``-advanced_editlist 0``, without which
    ffmpeg 9 starts up to one AAC frame late). Iterate for the blocks (bytes, ``block_frames`` frames each,
    the last one shorter); ``close()`` stops ffmpeg.
    """

    def __init__(self, path: Path, start: float, sample_rate: int, channels: int, block_frames: int = 4096,
                 input_args: Sequence[str] = ()) -> None:
        command = [ffmpeg_path(), *_QUIET, "-nostdin", "-v", "error", "-ss", f"{max(0.0, start):.6f}",
                   *input_args, "-i", str(path), "-map", "0:a:0", "-f", "s16le", "-acodec", "pcm_s16le",
                   "-ac", str(channels), "-ar", str(sample_rate), "-"]
        self._block = block_frames * channels * 2
        try:
            self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                             stderr=subprocess.DEVNULL)
        except OSError as exc:
            raise AudioError(_("cannot run ffmpeg ({command}): {strerror}").format(command=command[0], strerror=reason(exc))) from exc

    def __iter__(self) -> DecodeStream:
        return self

    def __next__(self) -> bytes:
        assert self._process.stdout is not None
        data = self._process.stdout.read(self._block)
        if not data:
            raise StopIteration
        return data

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()


_INTEGRATED = re.compile(r"^\s*I:\s+(\S+)\s+LUFS", re.MULTILINE)
_PEAK = re.compile(r"^\s*Peak:\s+(\S+)\s+dBFS", re.MULTILINE)

#: The ebur128 filter as a measuring tap: true-peak on, per-100-ms lines demoted below the log level.
EBUR128_TAP = "ebur128=peak=true:framelog=verbose"
#: The same without the true-peak meter (4x oversampling), which doubles its cost.
EBUR128_TAP_NO_PEAK = "ebur128=peak=none:framelog=verbose"


def parse_ebur128_summary(stderr: str) -> Loudness:
    """Read the ``Summary:`` that the ``ebur128`` filter logs when it closes (the last one, if several)."""
    integrated = _INTEGRATED.findall(stderr)
    peaks = _PEAK.findall(stderr)
    if not integrated:
        raise AudioError(_("ffmpeg's ebur128 filter reported no integrated loudness"))
    peak = float(peaks[-1]) if peaks else -math.inf
    return Loudness(integrated_lufs=float(integrated[-1]), true_peak_dbtp=peak)


def raw_input(source: Path | str, sample_rate: int) -> list[str]:
    """ffmpeg's input arguments for headerless mono s16le PCM at ``sample_rate`` (a file, or ``pipe:0``)."""
    return ["-f", "s16le", "-ar", str(sample_rate), "-ac", "1", "-i", str(source)]


def measure_loudness(path: Path, *, raw_sample_rate: int | None = None) -> Loudness:
    """Measure the integrated loudness (EBU R128 / ITU BS.1770) and true peak of the audio in ``path``.

    ``path`` is any file ffmpeg reads, or, with ``raw_sample_rate``, headerless mono s16le PCM at that rate.
    Mono is measured as one channel (ebur128's default, not "dual mono").
    """
    source = raw_input(path, raw_sample_rate) if raw_sample_rate else ["-i", str(path)]
    out = run_ffmpeg_capture([*source, "-map", "0:a:0", "-af", EBUR128_TAP, "-f", "null", "-"])
    return parse_ebur128_summary(out.stderr)


class PipedFFmpeg:
    """One ffmpeg process that reads raw mono s16le PCM from a pipe as ``feed`` writes it.

    ``args`` is everything after the input (filters, outputs). Use it as a context manager: leaving the
    block without calling ``finish`` (an error, Ctrl-C) kills the process.
    """

    what = N_("processing audio")

    def __init__(self, sample_rate: int, args: Sequence[str]) -> None:
        command = [ffmpeg_path(), *_QUIET, *raw_input("pipe:0", sample_rate), *args]
        # stderr goes to a file, not a pipe: ffmpeg logs as it reads, and an unread pipe would fill up and
        # block it (and with it, our writes to its stdin).
        self._log = tempfile.TemporaryFile()
        try:
            self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                             stderr=self._log)
        except OSError as exc:
            self._log.close()
            raise AudioError(_("cannot run ffmpeg ({command}): {strerror}").format(
                command=command[0], strerror=reason(exc))) from exc

    def feed(self, pcm: bytes | memoryview) -> None:
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(pcm)
        except BrokenPipeError as exc:
            raise AudioError(_("ffmpeg stopped {what}: {stderr_tail}").format(
                what=_(self.what), stderr_tail=self._stderr_tail())) from exc

    def _stderr_tail(self) -> str:
        self._log.seek(0)
        return _last_line(self._log.read().decode("utf-8", errors="replace"))

    def finish(self) -> str:
        """Close the input, wait for ffmpeg and return its stderr; ``AudioError`` if it failed."""
        assert self._process.stdin is not None
        try:
            self._process.stdin.close()
        except BrokenPipeError:
            pass
        code = self._process.wait()
        self._log.seek(0)
        stderr = self._log.read().decode("utf-8", errors="replace")
        if code != 0:
            raise AudioError(_("ffmpeg failed {what} (exit {code}): {last_line}").format(
                what=_(self.what), code=code, last_line=_last_line(stderr)))
        return stderr

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        if self._process.stdin is not None and not self._process.stdin.closed:
            try:
                self._process.stdin.close()
            except BrokenPipeError:
                pass
        self._log.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LoudnessMeter(PipedFFmpeg):
    """Measures raw mono s16le PCM with ``ebur128`` while it is being produced.

    When the last piece of a track is laid out the measurement is already done, instead of costing a second
    pass over the file (about 1.4 s per hour of audio with the true-peak meter).
    """

    what = N_("measuring loudness")

    def __init__(self, sample_rate: int) -> None:
        super().__init__(sample_rate, ["-af", EBUR128_TAP, "-f", "null", "-"])

    def result(self) -> Loudness:
        """Close the input, wait for ffmpeg and return its measurement."""
        return parse_ebur128_summary(self.finish())
