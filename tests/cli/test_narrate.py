"""``reader narrate`` as a user runs it: short typed or piped text, ``-o -`` (standard output), the summary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from reader.audio.ffmpeg import probe_duration
from reader.cli import cli

READER = [sys.executable, "-m", "reader"]


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    env.update(extra)
    return env


def _spoken(record: Path) -> str:
    data = json.loads(record.read_text(encoding="utf-8"))
    return "".join(c["text"] for c in data["chunks"])


@pytest.mark.parametrize("text", ["明天上午八点停水。", "测试一下。", "今天气温二十度。"])
def test_short_typed_text_is_the_article(tmp_path: Path, text: str) -> None:
    out = tmp_path / "short.mp3"
    result = CliRunner().invoke(cli, ["narrate", "--text", text, "-o", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert _spoken(tmp_path / "short.json") == text
    assert 0.5 + 0.1 * len(text) < probe_duration(out) < 8.0


def test_short_piped_text_is_the_article(tmp_path: Path) -> None:
    done = subprocess.run([*READER, "narrate", "-", "-o", "hello.mp3", "--quiet"], input="你好，世界\n".encode(),
                          cwd=tmp_path, env=_env(), capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode()
    assert _spoken(tmp_path / "hello.json") == "你好，世界"
    assert 0.8 < probe_duration(tmp_path / "hello.mp3") < 8.0


def test_a_typed_dump_with_furniture_only_is_still_refused() -> None:
    result = CliRunner().invoke(cli, ["narrate", "--text", "……\n。。。！！"])
    assert result.exit_code == 1 and "no article text" in result.stderr
