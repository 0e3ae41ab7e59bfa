"""edge backend: Microsoft Edge's online neural voices (zh-CN-YunyangNeural, …) through the edge-tts client.

The real ``edge-tts`` client (7.x) does the talking: the websocket, its DRM token (``Sec-MS-GEC``) and clock-skew
correction, the SSML. Around it, this module does what the client does not:

* **Chunking is ours.** edge-tts cuts text only at newlines or spaces, so Chinese without them would go out as
  one oversized request; we send the segmenter's chunks, at most ``max_chunk_chars`` characters (≈ 600 bytes of
  UTF-8 inside ~300 bytes of SSML: far below the service's 4096-byte limit), so edge-tts never splits one.
* **Audio → PCM, speech only.** The service answers 24 kHz, 48 kbit/s mono MP3 that starts (and ends) with
  some silence. It is decoded in process by miniaudio (dr_mp3; the speech stage needs no ffmpeg, and no
  ``reader.audio``, which comes after it); ``SentenceBoundary`` events (offsets in 100-ns ticks)
  say where the speech is, and the cut is made at the first and last loud 10 ms frame inside that window
  (the decoded MP3 lags the service's timeline by the codec delay, ~46 ms, which the window allows for).
  Without boundaries the level alone decides. Chunks are placed exactly by the pipeline, so this trim is what
  makes chapter marks and subtitle cues as accurate as with the offline voice.
* **Silent failures are caught.** The service is known to end a stream early (truncated audio, *no exception*
  from the client) and to send no audio at all for some text. A reply is rejected when the stream ended
  without ``turn.end``, when the boundaries promise more audio than arrived, or when the speech is too short or
  too long for its text (3–8 characters a second at rate 1.0, scaled by the rate). A rejected reply is retried;
  it is never returned, so never cached.
* **Bounded concurrency, retries, a deadline.** ``max_workers`` (``[edge] concurrency``, default 4) threads
  call ``synthesize`` at once, and never more than ``EDGE_MAX_CONCURRENCY`` requests are in flight. 429, 5xx,
  connection errors and time-outs are retried with exponential backoff; each request has an overall
  deadline, so a server that accepts and then stalls cannot hang a run.
* **Failure policy.** A service that stays unreachable or refuses (403, or 429/5xx after every retry) is a
  ``BackendUnavailable`` whose one line says what happened and suggests ``--voice baker``; the backend then
  fails fast for ``_DOWN_SECONDS`` instead of retrying every remaining chunk (with ``--fallback offline``
  those chunks go straight to the offline voice). A chunk the service will not speak is a ``SynthesisError``.
  A time-out is retried only while the service answers something: once a call has timed out ``_STALLS`` (2)
  times and the service as many times in a row as requests may be in flight (``concurrency``), with no answer
  between them, the service counts as stalled (unavailable) at once, so a stalled service fails in about two
  ``timeout``s, not ``attempts`` of them; a slow start (every first request timing out) is still retried. An answer the client cannot parse
  (a malformed frame) is the service's fault: retried, and a ``SynthesisError`` in the end (so ``--fallback``
  applies), never a usage error; only edge-tts refusing our own voice or prosody strings is one.
* **Cancel.** ``cancel()`` (Ctrl-C) makes every request in flight end at once, and their retries stop; the
  calls in flight raise ``SynthesisError``. Calls made afterwards work as before.
* **Endpoints.** ``READER_EDGE_WSS_URL`` / ``READER_EDGE_VOICES_URL`` or ``[edge] wss_url`` / ``voices_url``
  in config.toml (see ``reader.settings.EdgeSettings``). edge-tts 7.x imports its URL constants *by value* into
  ``edge_tts.communicate`` (``WSS_URL``) and ``edge_tts.voices`` (``VOICE_LIST``) and reads them there on each
  request, and offers no parameter for them, so those two module attributes are what we set (before each
  request; one endpoint per process). The client honours the proxy environment variables.

Voice ids are edge's short names, optionally with prosody: ``zh-CN-YunyangNeural;pitch=+5Hz;volume=-10%``
(presets with ``pitch``/``volume`` produce this form, see ``reader.settings.Preset``); ``rate`` becomes
edge-tts's ``+N%``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import random
import re
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import edge_tts
import miniaudio
import numpy as np
import numpy.typing as npt
from edge_tts import communicate as _client
from edge_tts import constants as _constants
from edge_tts import voices as _voice_list
from edge_tts.exceptions import EdgeTTSException, NoAudioReceived, SkewAdjustmentError

from reader._files import reason, write_atomic
from reader._format import quote
from reader.errors import BackendUnavailable, ConfigError, OutputError, SynthesisError
from reader.i18n import N_, _
from reader.models import Audio
from reader.settings import (
    EDGE_MAX_CONCURRENCY,
    PITCH_FORM,
    RATE_MAX,
    RATE_MIN,
    VOLUME_FORM,
    EdgeSettings,
    edge_settings,
    user_cache_dir,
)
from reader.speech.backend import VoiceInfo
from reader.speech.dsp import FRAME_SECONDS
from reader.speech.dsp import speech_span as dsp_speech_span

__all__ = ["EdgeBackend", "speech_span", "edge_rate", "parse_voice", "SAMPLE_RATE", "SUGGESTION"]

log = logging.getLogger(__name__)

SAMPLE_RATE = 24000
MP3_BYTES_PER_SECOND = 48000 // 8  # the service's format is always 48 kbit/s CBR
TICKS_PER_SECOND = 10_000_000  # boundary offsets and durations are in 100-ns ticks
SUGGESTION = N_("use --voice baker for the offline voice, or add --fallback offline")

# Bump when the same reply would come out different (decoding, trimming): part of ``version``, so of cache keys.
_REVISION = 1

_KEEP = 0.02  # seconds kept before the first and after the last loud frame (10 ms frames below -40 dBFS are silence)
_EARLY = 0.10  # seconds before a boundary's onset where speech may already start
_LATE = 0.25  # seconds after the last boundary's end where speech may still sound (codec delay, decay)

# A Mandarin chunk speaks 3–8 characters a second at rate 1.0; the slack keeps one- and two-character
# chunks (headings such as 一、) from being judged on a fraction of a second.
CHARS_PER_SECOND = (3.0, 8.0)
_SHORT_SLACK, _LONG_SLACK = 0.2, 1.0

_DOWN_SECONDS = 30.0  # after the service was found unusable, calls fail at once for this long
#: Time-outs in a row (no answer between them, from any thread) after which the service counts as stalled:
#: one per request that may be in flight, and at least two.
_STALLS = 2
_VOICE_NAME = re.compile(r"[a-z]{2,3}-[A-Z]{2,}(?:-[a-z]+)?-[A-Za-z]+Neural")

# edge-tts reads its endpoint from module globals: setting them is serialised, and nothing else sets them.
_ENDPOINT_LOCK = threading.Lock()


def parse_voice(voice: str) -> tuple[str, str, str]:
    """``zh-CN-YunyangNeural;pitch=+5Hz;volume=-10%`` → (short name, pitch, volume), validated."""
    name, *options = voice.split(";")
    if not _VOICE_NAME.fullmatch(name):
        raise ConfigError(_("{voice!r} is not an Edge voice name (like zh-CN-YunyangNeural; see `reader voices --backend edge`)").format(voice=voice))
    prosody = {"pitch": "+0Hz", "volume": "+0%"}
    forms = {"pitch": PITCH_FORM, "volume": VOLUME_FORM}
    for option in options:
        key, _sep, value = option.partition("=")
        if key not in forms or not forms[key].fullmatch(value):
            raise ConfigError(_("{voice!r}: {option!r} is not pitch=+NHz or volume=+N%").format(voice=voice, option=option))
        prosody[key] = value
    return name, prosody["pitch"], prosody["volume"]


def edge_rate(rate: float) -> str:
    """Our rate (1.0 = normal) in edge-tts's form: 1.25 → ``+25%``, 0.8 → ``-20%``."""
    if not isinstance(rate, int | float) or not math.isfinite(rate) or not RATE_MIN <= rate <= RATE_MAX:
        raise ConfigError(_("rate must be between {RATE_MIN} and {RATE_MAX}, not {rate!r}").format(RATE_MIN=RATE_MIN, RATE_MAX=RATE_MAX, rate=rate))
    return f"{round((rate - 1.0) * 100):+d}%"


def speakable_chars(text: str) -> int:
    """Letters and digits: what takes time to say (punctuation and spaces do not)."""
    return sum(unicodedata.category(c)[0] in "LN" for c in text)


def speech_span(samples: npt.NDArray[np.int16], window: tuple[float, float] | None = None) -> tuple[int, int]:
    """[start, stop) of the speech in ``samples`` (24 kHz), with ``_KEEP`` seconds of silence at most on each side.

    ``window`` = (onset, end) in seconds, from the service's boundaries: only loud frames from ``_EARLY``
    before the onset to ``_LATE`` after the end count, and if none is loud there the window itself is taken.
    Without a window, the first and last loud frame of the whole reply decide. (0, 0): nothing loud.
    """
    search = None
    if window is not None:
        frame = round(FRAME_SECONDS * SAMPLE_RATE)
        search = (int((window[0] - _EARLY) * SAMPLE_RATE) // frame, math.ceil((window[1] + _LATE) * SAMPLE_RATE / frame))
    span = dsp_speech_span(samples, SAMPLE_RATE, keep=_KEEP, search=search)
    if span is not None:
        return span
    if window is None:
        return 0, 0
    start, stop = (min(len(samples), max(0, round(t * SAMPLE_RATE))) for t in window)
    return start, stop


def decode_mp3(mp3: bytes) -> npt.NDArray[np.int16]:
    """The service's MP3 as mono 16-bit samples at 24 kHz, decoded by miniaudio (dr_mp3), in process. Against
    ffmpeg's decoder on the service's kind of stream: the same length and alignment, samples within 1 LSB
    (only complete streams are decoded; a cut one is rejected before). ``miniaudio.DecodeError`` if it is not
    MP3."""
    decoded = miniaudio.decode(mp3, output_format=miniaudio.SampleFormat.SIGNED16, nchannels=1,
                               sample_rate=SAMPLE_RATE)
    return np.frombuffer(decoded.samples, dtype=np.int16)


@dataclass
class _Reply:
    """What one request brought back."""

    mp3: bytes = b""
    boundaries: list[tuple[int, int]] = field(default_factory=list)  # (offset, duration) in ticks
    complete: bool = True  # the stream ended with turn.end


class _Retry(Exception):
    """A failure worth another try; ``unavailable``: it says the service as a whole is not usable."""

    def __init__(self, message: str, *, unavailable: bool, wait: float = 0.0, timed_out: bool = False) -> None:
        super().__init__(message)
        self.unavailable = unavailable
        self.wait = wait
        self.timed_out = timed_out
        self.final = False  # not worth another try (the service stalls)


class EdgeBackend:
    """Microsoft Edge's neural voices (see the module docstring); a ``reader.speech.backend.Backend``."""

    name = "edge"
    sample_rate = SAMPLE_RATE
    # Long enough for almost every sentence to be one request (better prosody, fewer round trips), short
    # enough that a failed request costs little and a request stays far below 4096 bytes.
    max_chunk_chars = 200

    def __init__(self, settings: EdgeSettings | None = None, *, cache_dir: Path | None = None) -> None:
        self.settings = settings if settings is not None else edge_settings()
        self.max_workers = self.settings.concurrency
        self.version = f"edge-tts-{edge_tts.__version__.split('.')[0]}/mp3-24k-48k/r{_REVISION}"
        self._cache_dir = cache_dir
        self._in_flight = threading.BoundedSemaphore(EDGE_MAX_CONCURRENCY)
        self._lock = threading.Lock()
        self._down: tuple[float, str] | None = None  # (until, message) once the service proved unusable
        self._stalls = 0  # time-outs in a row, with no answer between them
        self._cancels = threading.Condition(self._lock)
        self._epoch = 0  # incremented by cancel(): calls that started before it give up
        self._running: set[tuple[asyncio.AbstractEventLoop, asyncio.Task[Any]]] = set()

    # -- endpoints -------------------------------------------------------------------------------------

    @property
    def wss_url(self) -> str:
        return self.settings.wss_url or _constants.WSS_URL

    @property
    def voices_url(self) -> str:
        return self.settings.voices_url or _constants.VOICE_LIST

    def _point_client(self) -> None:
        with _ENDPOINT_LOCK:
            _client.WSS_URL = self.wss_url
            _voice_list.VOICE_LIST = self.voices_url

    def _host(self, url: str) -> str:
        parts = urlsplit(url)
        return parts.netloc or url

    # -- voices ----------------------------------------------------------------------------------------

    def voices(self) -> list[VoiceInfo]:
        """The service's Chinese voices, from its live list (cached for ``voices_ttl``); raises
        ``BackendUnavailable`` when the list can be neither fetched nor found in the cache."""
        return [
            VoiceInfo(v["ShortName"], v["Locale"], str(v.get("Gender", "")).lower() or None,
                      str(v.get("FriendlyName", "")))
            for v in self.voice_list()
            if str(v["Locale"]).startswith("zh-")
        ]

    def voice_list(self) -> list[dict[str, Any]]:
        """Every voice the service offers (its JSON objects), fetched at most once per ``voices_ttl``."""
        path = (self._cache_dir or user_cache_dir()) / "edge-voices.json"
        cached = _read_voice_cache(path)
        if cached is not None and time.time() - path.stat().st_mtime < self.settings.voices_ttl:
            return cached
        self._point_client()

        async def fetch() -> list[Any]:
            async with asyncio.timeout(self.settings.timeout):
                return await _list_voices(self.voices_url)

        try:
            voices = _valid_voice_list(asyncio.run(fetch()))
        except (aiohttp.ClientError, OSError, TimeoutError, EdgeTTSException, ValueError) as exc:
            reason = _describe(exc, self.settings.timeout)
            if cached is not None:
                log.warning(_("edge: cannot refresh the voice list (%s); using the one from %s"), reason, path)
                return cached
            raise BackendUnavailable(
                _("cannot fetch the Edge voice list from {host}: {reason}").format(host=self._host(self.voices_url), reason=reason)
            ) from exc
        _write_voice_cache(path, voices)
        return voices

    # -- synthesis ---------------------------------------------------------------------------------------

    def synthesize(self, text: str, voice: str, rate: float = 1.0) -> Audio:
        name, pitch, volume = parse_voice(voice)
        edge_speed = edge_rate(rate)
        if speakable_chars(text) == 0:
            raise SynthesisError(_("nothing speakable in {quote} (the Edge service would send no audio)").format(quote=quote(text)))
        attempts = self.settings.attempts
        with self._lock:
            epoch = self._epoch
        last: _Retry | None = None
        tried = timed_out = 0
        for attempt in range(1, attempts + 1):
            self._check_down()
            self._check_cancelled(epoch, text)
            tried = attempt
            try:
                reply = self._request(text, name, edge_speed, pitch, volume, self._max_reply_bytes(text, rate))
                with self._lock:
                    self._stalls = 0  # the service answers
                return self._speech(reply, text, rate)
            except _Retry as exc:
                last = exc
            if last.timed_out:
                timed_out += 1
                last.final = self._stalled(timed_out)
            if last.final:
                break
            if attempt < attempts:
                delay = max(last.wait, self.settings.backoff * 2 ** (attempt - 1) * random.uniform(0.8, 1.2))
                log.info("edge: the service %s for %s; retrying in %.2f s (attempt %d of %d)", last, quote(text),
                         delay, attempt + 1, attempts)
                with self._cancels:  # a sleep that cancel() ends
                    self._cancels.wait_for(lambda: self._epoch != epoch, timeout=delay)
        self._check_cancelled(epoch, text)
        assert last is not None
        tries = _("after {attempts} attempts").format(attempts=tried) if tried > 1 else _("on the only attempt")
        if last.unavailable:
            message = _("the Edge voice service at {host} {problem} ({tries}); {suggestion}").format(
                host=self._host(self.wss_url), problem=last, tries=tries, suggestion=_(SUGGESTION))
            with self._lock:
                self._down = (time.monotonic() + _DOWN_SECONDS, message)
            raise BackendUnavailable(message)
        raise SynthesisError(_("the Edge voice service failed on {text}: {problem} ({tries})").format(
            text=quote(text), problem=last, tries=tries))

    def cancel(self) -> None:
        """End every request in flight now (Ctrl-C): their calls raise ``SynthesisError``; later calls work."""
        with self._cancels:
            self._epoch += 1
            running = list(self._running)
            self._cancels.notify_all()
        for loop, task in running:
            try:
                loop.call_soon_threadsafe(task.cancel)
            except RuntimeError:  # its loop has just finished
                pass

    def _check_cancelled(self, epoch: int, text: str) -> None:
        with self._lock:
            if self._epoch != epoch:
                raise SynthesisError(_("the Edge voice request for {quote} was cancelled").format(quote=quote(text)))

    def _stalled(self, own: int) -> bool:
        """Count a time-out; whether the service is stalled: this call has now timed out ``_STALLS`` times, and
        the service as many times in a row as requests may be in flight (nobody got an answer meanwhile).
        A slow start (every first request timing out while the service warms up) is retried; a service
        that answers others but not this text leaves the decision to the attempts."""
        with self._lock:
            self._stalls += 1
            return own >= _STALLS and self._stalls >= max(_STALLS, self.settings.concurrency)

    def _check_down(self) -> None:
        with self._lock:
            if self._down is not None:
                until, message = self._down
                if time.monotonic() < until:
                    raise BackendUnavailable(message)
                self._down = None

    @staticmethod
    def _max_reply_bytes(text: str, rate: float) -> int:
        """The most MP3 one reply may bring: twice the longest speech its text can take, and the silence around
        it (a service that streams without end is cut off, not buffered)."""
        longest = speakable_chars(text) / (CHARS_PER_SECOND[0] * rate) + _LONG_SLACK
        return int((longest + 5.0) * MP3_BYTES_PER_SECOND * 2)

    def _request(self, text: str, name: str, rate: str, pitch: str, volume: str, max_bytes: int) -> _Reply:
        """One round trip, bounded in time and size; failures come out as ``_Retry`` or final ``ReaderError``s."""
        self._point_client()
        seconds = max(1, math.ceil(self.settings.timeout))
        try:
            communicate = edge_tts.Communicate(text, name, rate=rate, pitch=pitch, volume=volume,
                                               boundary="SentenceBoundary", connect_timeout=seconds,
                                               receive_timeout=seconds)
        except ValueError as exc:  # edge-tts's own validation of the voice and prosody strings: ours
            raise ConfigError(_("edge-tts rejects voice {name!r} with rate {rate}, pitch {pitch}, volume {volume}: {exc}").format(name=name, rate=rate, pitch=pitch, volume=volume, exc=exc)) from exc

        async def run() -> _Reply:
            task = asyncio.current_task()
            assert task is not None
            entry = (asyncio.get_running_loop(), task)
            with self._lock:
                self._running.add(entry)
            try:
                return await receive()
            finally:
                with self._lock:
                    self._running.discard(entry)

        async def receive() -> _Reply:
            reply = _Reply()
            audio = bytearray()
            # aclosing: whatever ends the loop early (a cap, a parse error), the client's stream, and with it
            # its websocket and session, is closed before the event loop is.
            async with asyncio.timeout(self.settings.timeout), contextlib.aclosing(communicate.stream()) as stream:
                async for message in stream:
                    if message["type"] == "audio":
                        audio += message.get("data", b"")
                        if len(audio) > max_bytes:
                            raise _Retry(_("sent more audio than {text} can take ({size} bytes)").format(
                    text=quote(text), size=len(audio)),
                                         unavailable=False)
                    elif message["type"] in ("SentenceBoundary", "WordBoundary"):
                        mark = (int(message.get("offset", 0)), int(message.get("duration", 0)))
                        reply.boundaries.append(mark)
            reply.mp3 = bytes(audio)
            # The client counts the audio bytes of the current request and zeroes the count at turn.end;
            # a stream that just stops (the service's silent truncation) leaves them counted.
            reply.complete = getattr(communicate, "state", {}).get("chunk_audio_bytes", 0) == 0
            return reply

        with self._in_flight:
            try:
                return asyncio.run(run())
            except asyncio.CancelledError as exc:
                raise SynthesisError(_("the Edge voice request for {quote} was cancelled").format(quote=quote(text))) from exc
            except NoAudioReceived as exc:
                raise SynthesisError(
                    _("the Edge voice service sent no audio for {quote} (nothing speakable, or a voice it does not have: {name})").format(quote=quote(text), name=name)
                ) from exc
            except SkewAdjustmentError as exc:
                raise BackendUnavailable(
                    _("the Edge voice service at {host} refused the request (HTTP 403, with no "
                      "date to correct the clock by); {suggestion}").format(
                          host=self._host(self.wss_url), suggestion=_(SUGGESTION))
                ) from exc
            except aiohttp.ClientResponseError as exc:
                if exc.status == 429 or exc.status >= 500:
                    raise _Retry(_describe(exc, self.settings.timeout), unavailable=True,
                                 wait=_retry_after(exc)) from exc
                why = _("refused the request") if exc.status in (401, 403) else _("answered")
                raise BackendUnavailable(
                    _("the Edge voice service at {host} {problem} (HTTP {status}); {suggestion}").format(
                        host=self._host(self.wss_url), problem=why,
                        status=f"{exc.status} {exc.message or ''}".rstrip(), suggestion=_(SUGGESTION))
                ) from exc
            except TimeoutError as exc:  # asyncio's, and aiohttp's connect and read time-outs
                raise _Retry(_describe(exc, self.settings.timeout), unavailable=True, timed_out=True) from exc
            except (aiohttp.ClientError, OSError) as exc:
                raise _Retry(_describe(exc, self.settings.timeout), unavailable=True) from exc
            except EdgeTTSException as exc:  # WebSocketError, UnexpectedResponse, UnknownResponse
                raise _Retry(_("broke the protocol ({error})").format(error=f"{type(exc).__name__}: {exc}"),
                             unavailable=False) from exc
            except (ValueError, KeyError, TypeError, IndexError, UnicodeError) as exc:
                # The client failing to parse what the service sent (a malformed frame or message): the
                # service's fault, not ours (our voice and prosody strings were checked above).
                raise _Retry(_("sent a malformed answer ({error})").format(error=f"{type(exc).__name__}: {exc}"),
                             unavailable=False) from exc

    def _speech(self, reply: _Reply, text: str, rate: float) -> Audio:
        """The speech in ``reply`` as PCM, or ``_Retry`` when the reply is truncated or implausible."""
        received = len(reply.mp3) / MP3_BYTES_PER_SECOND
        if not reply.complete:
            raise _Retry(_("ended the stream early ({received:.2f} s of audio, no turn.end)").format(
                received=received), unavailable=False)
        window = None
        if reply.boundaries:
            onset = min(o for o, _d in reply.boundaries) / TICKS_PER_SECOND
            end = max(o + d for o, d in reply.boundaries) / TICKS_PER_SECOND
            if received + 0.05 < end:
                raise _Retry(_("sent {received:.2f} s of audio where its boundaries end at {end:.2f} s").format(
                    received=received, end=end), unavailable=False)
            window = (onset, end)
        try:
            samples = decode_mp3(reply.mp3)
        except miniaudio.MiniaudioError as exc:
            raise _Retry(_("sent audio that is not MP3"), unavailable=False) from exc
        start, stop = speech_span(samples, window)
        seconds = (stop - start) / SAMPLE_RATE
        chars = speakable_chars(text)
        shortest = chars / (CHARS_PER_SECOND[1] * rate) - _SHORT_SLACK
        longest = chars / (CHARS_PER_SECOND[0] * rate) + _LONG_SLACK
        if seconds <= 0 or not shortest <= seconds <= longest:
            raise _Retry(_("sent {seconds:.2f} s of speech for {chars} characters (expected "
                           "{shortest:.1f}–{longest:.1f} s)").format(seconds=seconds, chars=chars,
                                                                     shortest=max(shortest, 0), longest=longest),
                         unavailable=False)
        return Audio(pcm=samples[start:stop].tobytes(), sample_rate=SAMPLE_RATE)

    def close(self) -> None:
        """Nothing is held between calls (each request has its own connection)."""


# -- helpers -----------------------------------------------------------------------------------------------


def _describe(exc: BaseException, timeout: float) -> str:
    """A few words on a network failure, for a one-line message."""
    if isinstance(exc, TimeoutError):
        return _("did not answer within {seconds:g} s").format(seconds=timeout)
    if isinstance(exc, aiohttp.ClientResponseError):
        what = _("rate-limited the requests") if exc.status == 429 else _("failed")
        return f"{what} (HTTP {exc.status})"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return _("cannot be reached ({reason})").format(reason=reason(exc.os_error))
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return _("closed the connection")
    if isinstance(exc, OSError) and exc.strerror:
        return _("cannot be reached ({reason})").format(reason=exc.strerror)
    return _("cannot be reached ({reason})").format(reason=f"{type(exc).__name__}: {exc}")


def _retry_after(exc: aiohttp.ClientResponseError) -> float:
    """The server's Retry-After in seconds when it gives a small number, else 0."""
    value = exc.headers.get("Retry-After", "") if exc.headers is not None else ""
    try:
        return min(30.0, max(0.0, float(value)))
    except ValueError:
        return 0.0


#: The service's voice list is about 400 KB; an endpoint that sends more is not read further.
MAX_VOICE_LIST_BYTES = 8 * 1024 * 1024


async def _list_voices(url: str) -> list[Any]:
    """``edge_tts.list_voices`` (the same request with its DRM token, one retry after a 403 from clock skew),
    but bounded: edge-tts reads the whole answer before parsing it (300 MB took 775 MB of memory), so the list is
    asked for uncompressed and read as it streams, at most ``MAX_VOICE_LIST_BYTES``; ``ValueError`` past that."""
    from edge_tts.drm import DRM

    headers = {**DRM.headers_with_muid(_constants.VOICE_HEADERS), "Accept-Encoding": "identity"}
    async with aiohttp.ClientSession(trust_env=True, auto_decompress=False) as session:
        for attempt in (1, 2):
            try:
                async with session.get(f"{url}&Sec-MS-GEC={DRM.generate_sec_ms_gec()}"
                                       f"&Sec-MS-GEC-Version={_constants.SEC_MS_GEC_VERSION}",
                                       headers=headers, ssl=_voice_list._SSL_CTX, raise_for_status=True) as response:
                    if response.headers.get("Content-Encoding", "identity").strip().lower() not in ("", "identity"):
                        raise ValueError("the voice list came compressed, though asked for plain")
                    data = bytearray()
                    async for piece in response.content.iter_chunked(1 << 16):
                        data += piece
                        if len(data) > MAX_VOICE_LIST_BYTES:
                            raise ValueError(f"the voice list is larger than {MAX_VOICE_LIST_BYTES >> 20} MB")
                    return list(json.loads(data))
            except aiohttp.ClientResponseError as exc:
                if exc.status != 403 or attempt == 2:
                    raise
                DRM.handle_client_response_error(exc)
    raise AssertionError("unreachable")


def _valid_voice_list(data: Any) -> list[dict[str, Any]]:
    if not isinstance(data, list) or not all(
        isinstance(v, dict) and isinstance(v.get("ShortName"), str) and isinstance(v.get("Locale"), str)
        for v in data
    ):
        raise ValueError("the voice list is not a JSON array of voices")
    return data


def _read_voice_cache(path: Path) -> list[dict[str, Any]] | None:
    try:
        return _valid_voice_list(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def _write_voice_cache(path: Path, voices: list[dict[str, Any]]) -> None:
    """Atomically, and only as a convenience: a cache directory that cannot be written is not an error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(voices, ensure_ascii=False))
    except (OSError, OutputError) as exc:
        log.warning(_("edge: cannot cache the voice list in %s: %s"), path, exc)
