"""Models made on this machine (ONNX Runtime's optimized graph): kept with their own record, found only while
the record holds, and a link or FIFO in their place is never read or waited on."""

from __future__ import annotations

import os
from pathlib import Path

from reader.speech import models


def made(tmp_path: Path, data: bytes = b"graph" * 1000) -> Path:
    path = tmp_path / "made.part"
    path.write_bytes(data)
    return path


def test_kept_then_found_in_the_cache_in_force_or_the_users(tmp_path: Path) -> None:
    ours = tmp_path / "ours"
    (ours / models.MODELS).mkdir(parents=True)
    kept = models.keep_made_here(made(ours / models.MODELS), "m.onnx", ours)
    assert kept == ours / models.MODELS / "m.onnx" and kept.read_bytes() == b"graph" * 1000
    assert models.find_made_here("m.onnx", ours) == kept
    # Kept in the user cache directory (no cache_dir of its own): found from another cache in force too.
    default = models.write_folder()
    default.mkdir(parents=True, exist_ok=True)
    in_default = models.keep_made_here(made(default), "n.onnx")
    models.use_cache_dir(tmp_path / "elsewhere")
    assert models.find_made_here("n.onnx") == in_default
    assert models.find_made_here("n.onnx", ours) is None  # an engine with a cache_dir of its own looks there only


def test_not_found_when_changed_cut_short_or_its_record_is_not_a_file(tmp_path: Path) -> None:
    (tmp_path / models.MODELS).mkdir()
    kept = models.keep_made_here(made(tmp_path / models.MODELS), "m.onnx", tmp_path)
    assert kept is not None
    record = kept.with_name("m.onnx.sha256")
    kept.write_bytes(b"graph" * 999 + b"grapH")  # same size, other bytes
    assert models.find_made_here("m.onnx", tmp_path) is None
    kept.write_bytes(b"graph")
    assert models.find_made_here("m.onnx", tmp_path) is None
    good = record.read_bytes()
    kept.write_bytes(b"graph" * 1000)
    assert models.find_made_here("m.onnx", tmp_path) == kept
    record.unlink()
    os.mkfifo(record)  # a FIFO would wait for a writer forever: never opened to read
    assert models.find_made_here("m.onnx", tmp_path) is None
    record.unlink()
    (tmp_path / "elsewhere.sha256").write_bytes(good)
    record.symlink_to(tmp_path / "elsewhere.sha256")
    assert models.find_made_here("m.onnx", tmp_path) is None


def test_what_cannot_be_kept_is_deleted_and_made_again_next_time(tmp_path: Path) -> None:
    folder = tmp_path / models.MODELS
    folder.mkdir()
    (folder / "m.onnx").mkdir()  # its place is taken: the rename fails, as in a cache that cannot be written
    temp = made(folder)
    assert models.keep_made_here(temp, "m.onnx", tmp_path) is None
    assert not temp.exists() and models.find_made_here("m.onnx", tmp_path) is None
