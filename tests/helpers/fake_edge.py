"""A local fake of Microsoft Edge's read-aloud service, speaking its real protocol, for tests and benchmarks.

The real ``edge-tts`` client talks to it unchanged (point ``READER_EDGE_WSS_URL`` / ``READER_EDGE_VOICES_URL``
at ``fake.wss_url`` / ``fake.voices_url``). What it implements, as edge-tts 7.x expects it:

* ``GET …/edge/v1?TrustedClientToken=…&ConnectionId=…&Sec-MS-GEC=…&Sec-MS-GEC-Version=…`` upgraded to a
  websocket. The ``Sec-MS-GEC`` token is checked against the fake's own clock (``clock_offset`` puts it ahead
  of the client's) with edge-tts's algorithm, as the service does: a wrong one gets HTTP 403 with a ``Date``.
* The client's two text messages: ``Path:speech.config`` (JSON: are sentence or word boundaries wanted) and
  ``Path:ssml`` (``<speak><voice name=…><prosody pitch rate volume>TEXT</prosody></voice></speak>``).
* The answer: ``Path:turn.start``, ``Path:response``, one ``Path:audio.metadata`` ``SentenceBoundary`` per
  sentence (offset and duration in 100-ns ticks, when sentence boundaries were asked for; word boundaries
  are not offered), binary ``Path:audio`` frames (2-byte big-endian header length, headers with
  ``Content-Type:audio/mpeg`` not first, MP3 bytes), an empty closing audio frame, ``Path:turn.end``.
* ``GET …/voices/list?trustedclienttoken=…`` → a JSON array of voices in the service's format.

The audio is real speech: each sentence is spoken by the offline engine (at the requested rate), laid out
with the leading and trailing silence the service has, and encoded as 24 kHz, 48 kbit/s mono MP3 by ffmpeg
(no Xing header: a stream, like the service's). Renders are cached per text; ``prepare`` makes them ahead.

It misbehaves on command (``misbehave(fault, times)``): ``403`` (with a Date), ``403-no-date``, ``429``,
``500`` (at the handshake), ``close`` (closes the websocket a third of the way into the audio: truncated
audio and no error), ``short`` (a third of the audio, then a normal ``turn.end``, no boundaries), ``noaudio``
(``turn.start`` then ``turn.end``), ``stall`` (accepts, reads the request, never answers),
``no-boundaries``, ``bad-frame`` (a binary audio frame whose header block is malformed: a line without a
colon, which the client fails to parse), ``not-mp3`` (audio frames of bytes that are not MP3), ``flood`` (the audio sent again and again, 200 times); ``latency`` delays every answer; ``refuse()`` stops listening
altogether.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

import numpy as np
from aiohttp import WSMsgType, web
from edge_tts import constants as edge_constants
from edge_tts.drm import generate_sec_ms_gec_v2

from reader.audio.ffmpeg import run_ffmpeg
from reader.speech import registry as backends
from reader.text.segment import speakable, split_long, split_sentences

SAMPLE_RATE = 24000
TICKS = 10_000_000
LEAD, GAP, TAIL = 0.12, 0.30, 0.25  # seconds of silence before, between and after the sentences
BLOCK = 4096  # MP3 bytes per binary frame
LOUD = 328  # -40 dBFS: where a sentence's speech starts and ends, for its boundary

TOKEN = edge_constants.TRUSTED_CLIENT_TOKEN
SYNTH_PATH = "/consumer/speech/synthesize/readaloud/edge/v1"
VOICES_PATH = "/consumer/speech/synthesize/readaloud/voices/list"

VOICES = [
    ("zh-CN", "XiaoxiaoNeural", "Female", "Xiaoxiao", "Warm"),
    ("zh-CN", "XiaoyiNeural", "Female", "Xiaoyi", "Lively"),
    ("zh-CN", "YunjianNeural", "Male", "Yunjian", "Passion"),
    ("zh-CN", "YunxiNeural", "Male", "Yunxi", "Lively, Sunshine"),
    ("zh-CN", "YunxiaNeural", "Male", "Yunxia", "Cute"),
    ("zh-CN", "YunyangNeural", "Male", "Yunyang", "Professional, Reliable"),
    ("zh-CN-liaoning", "XiaobeiNeural", "Female", "Xiaobei", "Humorous"),
    ("zh-CN-shaanxi", "XiaoniNeural", "Female", "Xiaoni", "Bright"),
    ("zh-HK", "HiuGaaiNeural", "Female", "HiuGaai", "Friendly, Positive"),
    ("zh-TW", "HsiaoChenNeural", "Female", "HsiaoChen", "Friendly, Positive"),
    ("en-US", "EmmaMultilingualNeural", "Female", "Emma Multilingual", "Cheerful, Clear"),
]


def voice_list() -> list[dict[str, Any]]:
    """The voices, as the service's JSON describes them."""
    out = []
    for locale, short, gender, friendly, personalities in VOICES:
        lang, region = locale.split("-", 1)
        out.append({
            "Name": f"Microsoft Server Speech Text to Speech Voice ({locale}, {short})",
            "ShortName": f"{locale}-{short}",
            "Gender": gender,
            "Locale": f"{lang}-{region.split('-')[0]}",
            "SuggestedCodec": "audio-24khz-48kbitrate-mono-mp3",
            "FriendlyName": f"Microsoft {friendly} Online (Natural) - {locale}",
            "Status": "GA",
            "VoiceTag": {"ContentCategories": ["News", "Novel"],
                         "VoicePersonalities": personalities.split(", ")},
        })
    return out


KNOWN_VOICES = {v["Name"] for v in voice_list()}


@dataclass(frozen=True)
class Rendered:
    mp3: bytes
    boundaries: list[tuple[int, int, str]]  # (offset, duration) in ticks, and the sentence


@dataclass
class Received:
    """One synthesis request as the fake saw it."""

    voice: str
    rate: str
    pitch: str
    volume: str
    text: str
    sentence_boundaries: bool
    word_boundaries: bool
    boundaries: list[tuple[int, int, str]] = field(default_factory=list)  # what it sent back


def _percent(value: str) -> float:
    match = re.fullmatch(r"([+-]\d+)%", value)
    return int(match.group(1)) / 100 if match else 0.0


def encode_mp3(pcm: bytes) -> bytes:
    """24 kHz mono s16le → 48 kbit/s MP3 as a bare stream of frames (ffmpeg writes no Xing frame to a pipe)."""
    return run_ffmpeg(["-f", "s16le", "-ar", str(SAMPLE_RATE), "-ac", "1", "-i", "pipe:0", "-c:a", "libmp3lame",
                       "-b:a", "48k", "-ar", str(SAMPLE_RATE), "-ac", "1", "-f", "mp3", "pipe:1"], input=pcm)


def render(text: str, rate: float = 1.0, volume: float = 0.0) -> Rendered:
    """``text`` spoken sentence by sentence by the offline engine, with the service's silences, as MP3."""
    offline = backends.get("offline")
    parts: list[np.ndarray] = [np.zeros(round(LEAD * SAMPLE_RATE), np.int16)]
    at = len(parts[0])
    marks: list[tuple[int, int, str]] = []
    for sentence in split_sentences(text):
        if not speakable(sentence):
            continue
        pieces = [p for p in split_long(sentence, lambda s: len(s) <= offline.max_chunk_chars) if speakable(p)]
        gap = np.zeros(round(0.1 * SAMPLE_RATE), np.int16)
        spoken = [np.frombuffer(offline.synthesize(p, "baker", rate).pcm, "<i2") for p in pieces]
        audio = np.concatenate([x for piece in spoken for x in (piece, gap)][:-1])
        loud = np.flatnonzero(np.abs(audio.astype(np.int32)) >= LOUD)
        if loud.size:
            onset, end = at + int(loud[0]), at + int(loud[-1]) + 1
            marks.append((onset * TICKS // SAMPLE_RATE, (end - onset) * TICKS // SAMPLE_RATE, sentence))
        parts += [audio, np.zeros(round(GAP * SAMPLE_RATE), np.int16)]
        at += len(audio) + len(parts[-1])
    if not marks:
        return Rendered(b"", [])
    parts[-1] = np.zeros(round(TAIL * SAMPLE_RATE), np.int16)
    pcm = np.concatenate(parts).astype(np.float32) * (1.0 + volume)
    return Rendered(encode_mp3(np.clip(pcm, -32768, 32767).astype("<i2").tobytes()), marks)


def _text_message(request_id: str, path: str, body: dict[str, Any]) -> str:
    return (f"X-RequestId:{request_id}\r\nContent-Type:application/json; charset=utf-8\r\nPath:{path}\r\n\r\n"
            + json.dumps(body, ensure_ascii=False))


def _audio_message(request_id: str, data: bytes, content_type: bool = True) -> bytes:
    # "Path" must not come first: the client counts the two length bytes into the header block it parses.
    headers = f"X-RequestId:{request_id}\r\n" + ("Content-Type:audio/mpeg\r\n" if content_type else "") + (
        f"X-StreamId:{request_id[:8]}\r\nPath:audio\r\n")
    raw = headers.encode("ascii")
    return len(raw).to_bytes(2, "big") + raw + data


def _parse(message: str) -> tuple[dict[str, str], str]:
    head, _, body = message.partition("\r\n\r\n")
    headers = dict(line.split(":", 1) for line in head.split("\r\n") if ":" in line)
    return headers, body


class FakeEdge:
    """The fake service on 127.0.0.1, in a thread of its own; use it as a context manager."""

    def __init__(self, *, latency: float = 0.0) -> None:
        self.latency = latency
        self.clock_offset = 0.0  # seconds the fake's clock is ahead of the client's
        self.requests: list[Received] = []
        self.handshakes = 0
        self.voice_requests = 0
        self.active = self.max_active = 0  # websockets open now, and at most so far
        self._faults: list[str] = []  # one per request to come; "*" at the end repeats the one before it
        self._renders: dict[tuple[str, float, float], Rendered] = {}
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fake-edge", daemon=True)
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self.port = 0

    # -- control -----------------------------------------------------------------------------------------

    def __enter__(self) -> FakeEdge:
        self._thread.start()
        self._call(self._start())
        return self

    def __exit__(self, *exc: object) -> None:
        self._call(self._stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(30)

    @property
    def wss_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}{SYNTH_PATH}?TrustedClientToken={TOKEN}"

    @property
    def voices_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{VOICES_PATH}?trustedclienttoken={TOKEN}"

    def misbehave(self, fault: str | None, times: int | None = None) -> None:
        """The next ``times`` requests (all, when None) fail with ``fault``; None: behave again."""
        with self._lock:
            self._faults = [] if fault is None else [fault] * (times or 1) + ([] if times else ["*"])

    def refuse(self) -> None:
        """Stop listening: connections are refused until ``accept``."""
        self._call(self._close_site())

    def accept(self) -> None:
        self._call(self._open_site())

    def reset(self) -> None:
        """Behave, forget what was received, and wait (5 s at most) for conversations still going on."""
        deadline = time.monotonic() + 5
        while self.active and time.monotonic() < deadline:
            time.sleep(0.02)
        with self._lock:
            self._faults = []
            self.requests.clear()
            self.handshakes = self.voice_requests = self.max_active = 0
        self.latency = 0.0
        self.clock_offset = 0.0

    def prepare(self, texts: Iterable[str], rate: float = 1.0, volume: float = 0.0) -> None:
        """Render ``texts`` ahead (so that a benchmark measures the network, not the engine)."""
        for text in texts:
            self.rendered(text, rate, volume)

    def rendered(self, text: str, rate: float = 1.0, volume: float = 0.0) -> Rendered:
        key = (text, round(rate, 4), round(volume, 4))
        with self._lock:
            hit = self._renders.get(key)
        if hit is None:
            hit = render(text, rate, volume)
            with self._lock:
                self._renders[key] = hit
        return hit

    def _next_fault(self) -> str | None:
        with self._lock:
            if not self._faults:
                return None
            fault = self._faults[0]
            if fault == "*":
                return None
            if len(self._faults) > 1 and self._faults[1] == "*":
                return fault
            self._faults.pop(0)
            return fault

    # -- server ------------------------------------------------------------------------------------------

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_get(SYNTH_PATH, self._synthesize)
        app.router.add_get(VOICES_PATH, self._voices)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        await self._open_site()

    async def _open_site(self) -> None:
        assert self._runner is not None
        if self._site is None:
            self._site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
            await self._site.start()
            server = self._site._server
            assert server is not None and hasattr(server, "sockets")
            self.port = server.sockets[0].getsockname()[1]

    async def _close_site(self) -> None:
        if self._site is not None:
            await self._site.stop()
            self._site = None

    async def _stop(self) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    def _now(self) -> float:
        return time.time() + self.clock_offset

    def _token_ok(self, token: str) -> bool:
        now = self._now()
        return token in {generate_sec_ms_gec_v2(now + d) for d in (-300, 0, 300)}

    async def _refusal(self, request: web.Request, fault: str | None) -> web.StreamResponse | None:
        """The HTTP answer that refuses this handshake, if it is to be refused."""
        date = formatdate(self._now(), usegmt=True)
        if TOKEN not in (request.query.get("TrustedClientToken"), request.query.get("trustedclienttoken")):
            return web.Response(status=401, headers={"Date": date})
        if fault == "403-no-date":
            # aiohttp always adds a Date header; the service's bare refusal is written by hand.
            assert request.transport is not None
            request.transport.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            request.transport.close()
            raise asyncio.CancelledError
        if fault == "403" or not self._token_ok(request.query.get("Sec-MS-GEC", "")):
            return web.Response(status=403, headers={"Date": date})
        if fault in ("429", "500"):
            return web.Response(status=int(fault), headers={"Date": date})
        return None

    async def _voices(self, request: web.Request) -> web.StreamResponse:
        self.voice_requests += 1
        refused = await self._refusal(request, self._next_fault())
        if refused is not None:
            return refused
        if self.latency:
            await asyncio.sleep(self.latency)
        return web.json_response(voice_list())

    async def _synthesize(self, request: web.Request) -> web.StreamResponse:
        self.handshakes += 1
        fault = self._next_fault()
        refused = await self._refusal(request, fault)
        if refused is not None:
            return refused
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            return await self._converse(ws, fault)
        except ConnectionResetError:  # the client gave up (its time-out) while we were still answering
            return ws
        finally:
            self.active -= 1

    async def _converse(self, ws: web.WebSocketResponse, fault: str | None) -> web.WebSocketResponse:
        config: dict[str, Any] = {}
        ssml = ""
        while not ssml:
            message = await ws.receive()
            if message.type != WSMsgType.TEXT:
                return ws
            headers, body = _parse(message.data)
            if headers.get("Path") == "speech.config":
                config = json.loads(body)
            elif headers.get("Path") == "ssml":
                ssml = body
        options = config.get("context", {}).get("synthesis", {}).get("audio", {}).get("metadataoptions", {})
        voice = ET.fromstring(ssml).find("{http://www.w3.org/2001/10/synthesis}voice")
        prosody = voice.find("{http://www.w3.org/2001/10/synthesis}prosody") if voice is not None else None
        if voice is None or prosody is None:
            await ws.close()
            return ws
        received = Received(voice.get("name", ""), prosody.get("rate", "+0%"), prosody.get("pitch", "+0Hz"),
                             prosody.get("volume", "+0%"), prosody.text or "",
                             options.get("sentenceBoundaryEnabled") == "true",
                             options.get("wordBoundaryEnabled") == "true")
        with self._lock:
            self.requests.append(received)
        if fault == "stall":  # say nothing until the client gives up and closes
            while (await ws.receive()).type in (WSMsgType.TEXT, WSMsgType.BINARY):
                pass
            return ws
        if self.latency:
            await asyncio.sleep(self.latency)
        request_id = uuid.uuid4().hex
        await ws.send_str(_text_message(request_id, "turn.start", {"context": {"serviceTag": request_id}}))
        await ws.send_str(_text_message(request_id, "response", {
            "context": {"serviceTag": request_id},
            "audio": {"type": "inline", "streamId": request_id[:8]}}))
        rendered = None
        if received.voice in KNOWN_VOICES and fault != "noaudio":
            rendered = await asyncio.get_running_loop().run_in_executor(
                None, self.rendered, received.text, 1.0 + _percent(received.rate), _percent(received.volume))
        if rendered is None or not rendered.mp3:  # the service's answer to text with nothing to say
            await ws.send_str(_text_message(request_id, "turn.end", {}))
            await ws.close()
            return ws
        if received.sentence_boundaries and fault not in ("short", "no-boundaries"):
            for offset, duration, sentence in rendered.boundaries:
                await ws.send_str(_text_message(request_id, "audio.metadata", {"Metadata": [{
                    "Type": "SentenceBoundary",
                    "Data": {"Offset": offset, "Duration": duration,
                             "text": {"Text": sentence, "Length": len(sentence),
                                      "BoundaryType": "SentenceBoundary"}},
                }]}))
            received.boundaries = list(rendered.boundaries)
        blocks = [rendered.mp3[i:i + BLOCK] for i in range(0, len(rendered.mp3), BLOCK)]
        if fault in ("close", "short"):
            cut = len(rendered.mp3) // 3  # a third of the audio (not on a frame boundary, as a dropped stream)
            blocks = [rendered.mp3[i:min(i + BLOCK, cut)] for i in range(0, cut, BLOCK)]
        if fault == "bad-frame":
            raw = b"X-RequestId:" + request_id.encode() + b"\r\nthis line has no colon\r\nPath:audio\r\n"
            await ws.send_bytes(len(raw).to_bytes(2, "big") + raw + blocks[0])
            await ws.close()
            return ws
        if fault == "flood":
            blocks = blocks * 200
        if fault == "not-mp3":
            blocks = [bytes(len(b)) for b in blocks]  # as many bytes, all zero: no MP3 frame in them
        for block in blocks:
            await ws.send_bytes(_audio_message(request_id, block))
        if fault == "close":
            await ws.close()
            return ws
        await ws.send_bytes(_audio_message(request_id, b"", content_type=False))
        await ws.send_str(_text_message(request_id, "turn.end", {}))
        await ws.close()
        return ws
