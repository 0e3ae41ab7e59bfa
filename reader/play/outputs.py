"""Where the player's sound goes: the sound device (through miniaudio), miniaudio's null device, or a WAV file.

Every output pulls blocks from ``Player.render`` and does nothing else to them, so what the WAV sink
records is exactly what the device would have played, in order (pauses are not recorded: nothing is played
then). ``open_output`` picks one: ``READER_AUDIO_SINK=out.wav`` in the environment sends the sound to that
file (for servers and tests), paced by ``READER_AUDIO_SINK_PACE`` (1 = real time, the default; 4 = four
times as fast; 0 = as fast as it is made); otherwise ``device`` is "default" (the system's sound device:
PulseAudio, ALSA or JACK, never a silent fallback) or "null" (miniaudio's null device: plays in real time
into nothing).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from reader._files import output_error
from reader.errors import PlaybackError, UsageError
from reader.i18n import _
from reader.play.player import Player, PlayerState
from reader.settings import AUDIO_SINK_ENV, AUDIO_SINK_PACE_ENV

#: Frames per block: 50 ms at 24 kHz.
_BLOCK_SECONDS = 0.05
#: How long an output waits before asking again when nothing could be played (paused, narration behind).
_IDLE_SECONDS = 0.01
DEVICES = ("default", "null")


class Output(Protocol):
    error: BaseException | None  # what stopped it (a full disk), if anything

    def start(self, player: Player) -> None:
        """Start pulling ``player``'s sound (in the background)."""

    def close(self) -> None:
        """Stop, and release the device or finish the file."""


class WavSink:
    """Writes what the player plays to a WAV file: in the background at ``pace`` × real time
    (``start``; 0: as fast as it can), or in the caller's thread (``pump``, for tests)."""

    def __init__(self, path: Path, pace: float = 1.0) -> None:
        if pace < 0:
            raise UsageError(_("the sink's pace must be >= 0, not {pace}").format(pace=pace))
        self.path = path
        self.pace = pace
        self.frames = 0  # written so far
        self._wav: wave.Wave_write | None = None
        self._file: BinaryIO | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.error: BaseException | None = None

    def _open(self, player: Player) -> wave.Wave_write:
        if self._wav is None:
            try:
                # Unbuffered, and ``wave`` rewrites the header's sizes after every block: the file is a valid
                # WAV of what was played so far at any moment, for whoever reads it while it plays.
                self._file = open(self.path, "wb", buffering=0)  # closed in close()
            except OSError as exc:
                raise output_error(self.path, exc) from exc
            wav = wave.open(self._file, "wb")
            wav.setnchannels(player.track.channels)
            wav.setsampwidth(2)
            wav.setframerate(player.track.sample_rate)
            self._wav = wav
        return self._wav

    def _pull(self, player: Player, frames: int) -> int:
        block = player.render(frames)
        if len(block):
            wav = self._open(player)
            wav.writeframes(block.tobytes())
            self.frames += len(block)
        return len(block)

    def pump(self, player: Player, seconds: float) -> float:
        """Play up to ``seconds`` of sound now; stops early when nothing comes (paused, ended, waiting).
        Returns the seconds played."""
        self._open(player)
        rate = player.track.sample_rate
        want = round(seconds * rate)
        done = 0
        while done < want:
            got = self._pull(player, min(want - done, round(_BLOCK_SECONDS * rate)))
            if not got:
                break
            done += got
        return done / rate

    def start(self, player: Player) -> None:
        self._open(player)
        self._thread = threading.Thread(target=self._run, args=(player,), name="wav-sink", daemon=True)
        self._thread.start()

    def _run(self, player: Player) -> None:
        rate = player.track.sample_rate
        block = round(_BLOCK_SECONDS * rate)
        played = 0.0  # seconds of sound written since the clock was last set
        clock = time.monotonic()
        try:
            while not self._stop.is_set() and player.state is not PlayerState.ENDED:
                got = self._pull(player, block)
                if not got:
                    self._stop.wait(_IDLE_SECONDS)
                    played, clock = 0.0, time.monotonic()  # a pause is not made up for afterwards
                    continue
                if self.pace > 0:
                    played += got / rate
                    ahead = played / self.pace - (time.monotonic() - clock)
                    if ahead > 0:
                        self._stop.wait(ahead)
        except BaseException as exc:  # a full disk: stop playing, let the caller report it
            self.error = exc
            player.stop()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._wav is not None:
            self._wav.close()
            self._wav = None
        if self._file is not None:
            self._file.close()
            self._file = None


@contextlib.contextmanager
def _quiet_native_stderr() -> Iterator[None]:
    """ALSA writes dozens of lines to file descriptor 2 when it finds no card; the user gets our one-line
    message instead."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _device_backends() -> list[Any]:
    """miniaudio's back ends a real sound device is looked for on, those built in."""
    import miniaudio

    return [b for b in (miniaudio.Backend.PULSEAUDIO, miniaudio.Backend.ALSA, miniaudio.Backend.JACK,
                        miniaudio.Backend.COREAUDIO, miniaudio.Backend.WASAPI) if miniaudio.is_backend_enabled(b)]


def playback_devices() -> list[str]:
    """The names of the sound devices ``DeviceOutput("default")`` may play on (``reader doctor`` lists them);
    ``PlaybackError`` when miniaudio cannot look."""
    import miniaudio

    backends = _device_backends()
    if not backends:
        return []
    try:
        with _quiet_native_stderr():
            return [str(d["name"]) for d in miniaudio.Devices(backends=backends).get_playbacks()]
    except miniaudio.MiniaudioError as exc:
        raise PlaybackError(str(exc.args[0] if exc.args else exc)) from exc


class DeviceOutput:
    """The sound device (``device="default"``) or miniaudio's null device (``"null"``)."""

    def __init__(self, device: str = "default", buffer_ms: int = 100) -> None:
        if device not in DEVICES:
            raise UsageError(_("unknown output device {device!r} (known: {join})").format(
                device=device, join=', '.join(DEVICES)))
        self.device = device
        self.buffer_ms = buffer_ms
        self._device: Any = None
        self.error: BaseException | None = None

    def start(self, player: Player) -> None:
        import miniaudio

        if self.device == "null":
            backends = [miniaudio.Backend.NULL]
        else:
            backends = _device_backends()
        try:
            with _quiet_native_stderr():
                self._device = miniaudio.PlaybackDevice(
                    output_format=miniaudio.SampleFormat.SIGNED16, nchannels=player.track.channels,
                    sample_rate=player.track.sample_rate, buffersize_msec=self.buffer_ms, backends=backends,
                    app_name="reader")
                pull = self._pull(player)
                next(pull)
                self._device.start(pull)
        except miniaudio.MiniaudioError as exc:
            self.close()
            raise PlaybackError(
                _("no sound device to play on ({value}); use --output-device null, or "
                   "{AUDIO_SINK_ENV}=out.wav to play into a file").format(
                       value=exc.args[0] if exc.args else exc, AUDIO_SINK_ENV=AUDIO_SINK_ENV)) from exc

    @staticmethod
    def _pull(player: Player) -> Any:
        frames = yield b""
        while True:
            frames = yield player.render(frames)

    def close(self) -> None:
        device, self._device = self._device, None
        if device is not None:
            device.close()


def open_output(device: str = "default") -> Output:
    """The output to play on: the WAV sink named by ``READER_AUDIO_SINK`` if set, else ``device``."""
    sink = os.environ.get(AUDIO_SINK_ENV)
    if sink:
        pace_text = os.environ.get(AUDIO_SINK_PACE_ENV, "1")
        try:
            pace = float(pace_text)
        except ValueError:
            raise UsageError(_("{AUDIO_SINK_PACE_ENV}={pace_text!r} is not a number").format(
                AUDIO_SINK_PACE_ENV=AUDIO_SINK_PACE_ENV, pace_text=pace_text)) from None
        return WavSink(Path(sink), pace)
    return DeviceOutput(device)
