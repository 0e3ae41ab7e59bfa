"""Issue 23 B6 — the derived Kokoro model in the cache's ``models/`` folder is used only when it is what the
package records (``DERIVED_MODELS``: size and SHA-256 of what ``float_model`` makes of the checked int8 model),
never because of its name. Planted files — the published int8 model, random bytes, a copy named by its own hash
in the old scheme, a link to /dev/zero, a FIFO, a directory — are made again (or, where nothing can be
written, the model runs from memory); none is read to the end or blocks.

The real model parts are joined and checked (``_join_parts``) in every test; the derivation itself is replaced
by a small stand-in (deriving the 256 MB model takes seconds), except in the last test, which derives it for real.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("misaki.transcription")

from reader.speech.engines import kokoro  # noqa: E402
from reader.speech.engines.kokoro import MODEL_SHA256, KokoroBackend  # noqa: E402

DERIVED = b"the float model, as the package records it\n" * 100


@pytest.fixture
def derive(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """``float_model`` replaced by a stand-in whose output the record names; returns the list of its calls."""
    calls: list[int] = []

    def fake(int8: bytes, two_d: bool = True) -> bytes:
        assert hashlib.sha256(int8).hexdigest() == MODEL_SHA256  # made from the checked model only
        calls.append(1)
        return DERIVED

    monkeypatch.setattr(kokoro, "float_model", fake)
    monkeypatch.setitem(kokoro.DERIVED_MODELS, "float", (len(DERIVED), hashlib.sha256(DERIVED).hexdigest()))
    return calls


def model_file(cache: Path) -> Path:
    folder = cache / "models"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"kokoro-v1.0-float-{MODEL_SHA256[:12]}-r{kokoro._DERIVE_REVISION}.onnx"


def resolve(cache: Path) -> Path | bytes:
    return KokoroBackend(cache_dir=cache)._model_path()


def test_a_good_copy_is_used_without_deriving_again(tmp_path: Path, derive: list[int]) -> None:
    first = resolve(tmp_path)
    assert isinstance(first, Path) and first.read_bytes() == DERIVED and len(derive) == 1
    assert resolve(tmp_path) == first and len(derive) == 1


@pytest.mark.parametrize("planted", ["int8", "random", "short", "empty"])
def test_a_wrong_file_under_the_name_is_made_again(tmp_path: Path, derive: list[int], planted: str) -> None:
    target = model_file(tmp_path)
    target.write_bytes({
        "int8": kokoro._join_parts(kokoro._find_parts()),  # the published model: runs, but is not this model
        "random": os.urandom(len(DERIVED)),  # the right size, the wrong bytes
        "short": DERIVED[:-1],
        "empty": b"",
    }[planted])
    assert resolve(tmp_path) == target and target.read_bytes() == DERIVED and len(derive) == 1
    assert resolve(tmp_path) == target and len(derive) == 1  # fixed for good, not failing on every run


def test_a_copy_named_by_its_own_hash_is_not_trusted(tmp_path: Path, derive: list[int]) -> None:
    """reader 0.1 named the file by its own SHA-256 and believed the name: such a file is never used, and goes."""
    fake = b"not the model"
    folder = tmp_path / "models"
    folder.mkdir()
    old = folder / f"kokoro-v1.0-float-{MODEL_SHA256[:12]}-r1-{hashlib.sha256(fake).hexdigest()[:16]}.onnx"
    old.write_bytes(fake)
    path = resolve(tmp_path)
    assert isinstance(path, Path) and path.read_bytes() == DERIVED
    assert not old.exists()


def run_bounded(cache: Path, seconds: float = 60) -> Path | bytes:
    """``_model_path`` in a thread, failing the test (not hanging it) if it does not return in time."""
    result: list[Path | bytes] = []
    worker = threading.Thread(target=lambda: result.append(resolve(cache)), daemon=True)
    worker.start()
    worker.join(seconds)
    assert result, "reading the planted file did not end"
    return result[0]


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_link_to_dev_zero_is_not_read(tmp_path: Path, derive: list[int]) -> None:
    target = model_file(tmp_path)
    target.symlink_to("/dev/zero")
    path = run_bounded(tmp_path)
    assert path == target and not target.is_symlink() and target.read_bytes() == DERIVED


def test_a_link_to_a_good_copy_elsewhere_is_not_followed(tmp_path: Path, derive: list[int]) -> None:
    """Even a link to the right bytes is replaced: the models folder holds its own files."""
    elsewhere = tmp_path / "elsewhere.onnx"
    elsewhere.write_bytes(DERIVED)
    target = model_file(tmp_path / "cache")
    target.symlink_to(elsewhere)
    assert resolve(tmp_path / "cache") == target and not target.is_symlink() and len(derive) == 1
    assert elsewhere.read_bytes() == DERIVED  # the link's target is left alone


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_does_not_block(tmp_path: Path, derive: list[int]) -> None:
    target = model_file(tmp_path)
    os.mkfifo(target)
    assert run_bounded(tmp_path) == target and target.is_file() and target.read_bytes() == DERIVED


def test_a_directory_under_the_name_runs_from_memory(tmp_path: Path, derive: list[int]) -> None:
    target = model_file(tmp_path)
    target.mkdir()
    (target / "inside").write_text("left alone")
    assert resolve(tmp_path) == DERIVED  # cannot be kept there: speech goes on, from memory
    assert (target / "inside").read_text() == "left alone"


def test_a_derivation_that_differs_from_the_record_is_used_but_not_kept(
        tmp_path: Path, derive: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(kokoro.DERIVED_MODELS, "float", (len(DERIVED), "0" * 64))
    assert resolve(tmp_path) == DERIVED
    assert not list((tmp_path / "models").glob("*.onnx"))


def test_the_published_int8_model_planted_is_replaced_by_the_real_float_model(tmp_path: Path) -> None:
    """End to end with the real derivation: the int8 model under the float model's name is not run."""
    target = model_file(tmp_path)
    target.write_bytes(kokoro._join_parts(kokoro._find_parts()))
    assert resolve(tmp_path) == target
    size, digest = kokoro.DERIVED_MODELS["float"]
    assert target.stat().st_size == size
    with target.open("rb") as fh:
        assert hashlib.file_digest(fh, "sha256").hexdigest() == digest
