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


@pytest.mark.parametrize(
    ("args", "name", "format_name"),
    [
        (["narrate", "--text", "明天上午八点停水，请提前储水。", "-o", "-"], "narration", "mp3"),
        (["narrate", "--text", "明天上午八点停水，请提前储水。", "-o", "-", "--format", "m4b"], "narration", "mov,mp4"),
        (["voices", "--sample", "baker", "-o", "-"], "sample", "mp3"),
    ],
)
def test_dash_output_is_standard_output(tmp_path: Path, args: list[str], name: str, format_name: str) -> None:
    """``-o -``: the audio through a pipe into a file, the messages on stderr, and no file named ``-.*``."""
    from helpers.ffprobe import probe

    target = tmp_path / "piped.bin"
    with target.open("wb") as out:
        done = subprocess.run([*READER, *args], cwd=tmp_path, env=_env(READER_LANG="en"), stdout=out,
                              stderr=subprocess.PIPE, timeout=300)
    assert done.returncode == 0, done.stderr.decode()
    found = probe(target)["format"]
    assert found["format_name"].startswith(format_name) and 1.0 < float(found["duration"]) < 15.0
    assert "<stdout>" in done.stderr.decode()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["piped.bin"]


def test_dash_output_refuses_a_terminal_and_html(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["narrate", "--text", "明天上午八点停水。", "-o", "-", "--html"])
    assert result.exit_code == 2 and "--html needs a file" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_summary_fits_80_columns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    """The audio file on a line of its own (whole, to copy), what it holds on the next: never wrapped mid-value
    at 80 columns (issue 23 A7)."""
    from rich.cells import cell_len

    from reader.cli.narrate import _summary_figures
    from reader.i18n import set_language

    monkeypatch.setenv("READER_LANG", lang)
    text = "重庆市万州区人民政府关于城市基础设施建设工作情况的通报\n今年以来，全区城市基础设施建设工作有序推进，成效明显。"
    result = CliRunner().invoke(cli, ["narrate", "--text", text, "--output-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    audio = next(tmp_path.glob("*.mp3"))
    assert len(lines) == 2 and lines[0] == str(audio) and cell_len(lines[1]) <= 80
    set_language(lang)
    try:  # the widest figures a long article gives: 2 hours, 99 chapters, 9999 chunks, 17 minutes
        assert cell_len("  " + _summary_figures(99, 9999, 9999, 7200.0, -16.0, 999.9)) <= 80
    finally:
        set_language(None)
