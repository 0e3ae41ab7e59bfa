"""``reader voices``: the table and the JSON, a sample heard (into the WAV sink) or written, names matched
case-insensitively with "did you mean", an unknown engine refused; ``reader play --voice/--rate``."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers.fake_edge import FakeEdge
from helpers.play_helpers import ARTICLE_TEXT, RATE, Narrated, decode, narrate_short, read_wav
from mutagen.mp3 import MP3

from reader.cli import cli
from reader.narration.record import NarrationRecord
from reader.narration.sample import sample_text
from reader.play.live import plays_dir
from reader.settings import EdgeSettings, load_presets, preset
from reader.speech import registry
from reader.speech.engines.edge import EdgeBackend


@pytest.fixture(scope="module")
def fake_edge() -> Iterator[FakeEdge]:
    with FakeEdge() as fake:
        yield fake


@pytest.fixture
def edge_online(fake_edge: FakeEdge, tmp_path: Path) -> Iterator[None]:
    """Edge's service reachable (the fake one on 127.0.0.1)."""
    settings = EdgeSettings(wss_url=fake_edge.wss_url, voices_url=fake_edge.voices_url, attempts=1)
    with registry.using("edge", EdgeBackend(settings, cache_dir=tmp_path)):
        yield


@pytest.fixture
def edge_offline(tmp_path: Path) -> Iterator[None]:
    """Edge's service unreachable: a port of 127.0.0.1 nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = EdgeSettings(wss_url=f"ws://127.0.0.1:{port}/edge?x=1", voices_url=f"http://127.0.0.1:{port}/v?x=1",
                            attempts=1, backoff=0.01)
    with registry.using("edge", EdgeBackend(settings, cache_dir=tmp_path)):
        yield


def test_table_has_a_header_and_a_row_per_preset(edge_online: None) -> None:
    result = CliRunner().invoke(cli, ["voices"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["preset", "name", "engine", "network", "installed", "speed"]
    assert set(lines[1]) == {"─"}
    rows = {line.split()[0]: line for line in lines[2:] if line.strip() and not line.startswith("*")}
    assert set(load_presets()) <= set(rows)
    assert re.search(r"^yunyang\s+云扬 男声 新闻\s+edge\s+online\s+yes\s+medium$", rows["yunyang"].rstrip())
    assert re.search(r"^baker \*\s+标贝 女声 离线\s+offline\s+offline\s+yes\s+fast$", rows["baker"].rstrip())
    assert "* the default voice" in result.output


def test_json_is_a_list_of_objects(edge_online: None) -> None:
    result = CliRunner().invoke(cli, ["voices", "--format", "json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert isinstance(listed, list) and {v["name"] for v in listed} == set(load_presets())
    by_name = {v["name"]: v for v in listed}
    assert by_name["yunyang"] | {"description": ""} == {
        "name": "yunyang", "display": "云扬 男声 新闻", "engine": "edge", "voice": "zh-CN-YunyangNeural",
        "rate": 1.0, "online": True, "installed": True, "reachable": True, "speed": "medium", "default": False,
        "description": ""}
    assert (by_name["baker"]["online"], by_name["baker"]["installed"], by_name["baker"]["reachable"],
            by_name["baker"]["default"]) == (False, True, None, True)
    only_edge = json.loads(CliRunner().invoke(cli, ["voices", "--backend", "edge", "--format", "json"]).output)
    assert {v["engine"] for v in only_edge} == {"edge"} and len(only_edge) == 8


@pytest.mark.parametrize(("args", "fragment"), [
    (["voices", "--backend", "egde"], "unknown backend 'egde'; did you mean 'edge'?"),
    (["voices", "--backend", "nonesuch"], "unknown backend 'nonesuch' (known: edge, espeak, kokoro, offline)"),
    (["voices", "--sample", "yunyan"], "unknown voice 'yunyan'; did you mean 'yunyang'"),
    (["narrate", "--text", "测试。", "--voice", "Bakr"], "unknown voice 'Bakr'; did you mean 'baker'"),
    (["voices", "-o", "x.mp3"], "-o/--output goes with --sample NAME"),
])
def test_unknown_names_are_usage_errors_with_suggestions(args: list[str], fragment: str) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1 and fragment in result.output and result.stdout == ""


def test_voice_names_match_whatever_the_case() -> None:
    assert preset("YunYang").name == "yunyang" and preset("BAKER-fast").name == "baker-fast"
    assert sample_text(preset("yunyang")).startswith("您好，我是云扬。")


def test_sample_written_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "sample.mp3"
    result = CliRunner().invoke(cli, ["voices", "--sample", "Baker", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output == f"{out}  标贝 女声 离线\n"
    assert 4.0 < MP3(out).info.length < 12.0  # one sentence of news: a name, a date, a temperature
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sample.mp3"]  # no sidecars, nothing half-written


def test_sample_is_played(tmp_path: Path, sink: Path) -> None:
    result = CliRunner().invoke(cli, ["voices", "--sample", "baker", "--cache-dir", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    [made] = (tmp_path / "c" / "samples").glob("*.mp3")
    assert made.name == "baker.mp3"
    assert len(read_wav(sink)) == len(decode(made))  # all of it, and nothing else


@pytest.fixture(scope="module")
def short(tmp_path_factory: pytest.TempPathFactory) -> Narrated:
    return narrate_short(tmp_path_factory.mktemp("voices-play"))


def test_play_rate_of_an_audio_file_is_its_speed(short: Narrated, sink: Path) -> None:
    result = CliRunner().invoke(cli, ["play", str(short.mp3), "--rate", "2", "-q"])
    assert result.exit_code == 0, result.output
    assert len(read_wav(sink)) / RATE == pytest.approx(short.narration.duration / 2, abs=0.3)


def test_play_voice_and_rate_of_an_article(tmp_path: Path, sink: Path) -> None:
    article = tmp_path / "article.txt"
    article.write_text(ARTICLE_TEXT.replace("流式播放测试", "语速播放测试"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["play", str(article), "--voice", "BAKER", "--rate", "1.5", "-q",
                                      "--cache-dir", str(tmp_path / "cache")])
    assert result.exit_code == 0, result.output
    [manifest] = plays_dir(tmp_path / "cache").glob("*.json")
    record = NarrationRecord.read(manifest)
    assert (record.voice.preset, record.voice.rate) == ("baker", 1.5)
    [mp3] = plays_dir(tmp_path / "cache").glob("*.mp3")
    assert len(read_wav(sink)) == len(decode(mp3))


# -- without a network or a sound device (issue 23 A8) ------------------------------------------------------------


def test_offline_edge_is_not_listed_as_ready(edge_offline: None) -> None:
    result = CliRunner().invoke(cli, ["voices"])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if line.startswith("yunyang "))
    assert re.search(r"edge\s+online\s+no network\s+medium$", row.rstrip())
    assert re.search(r"^edge: installed, but 127\.0\.0\.1 cannot be reached now \(.*\): no network\?$",
                     result.output, re.MULTILINE)
    listed = json.loads(CliRunner().invoke(cli, ["voices", "--format", "json"]).output)
    yunyang = next(v for v in listed if v["name"] == "yunyang")
    assert (yunyang["installed"], yunyang["reachable"]) == (True, False)


def test_an_offline_sample_suggests_an_offline_sample(edge_offline: None) -> None:
    result = CliRunner().invoke(cli, ["voices", "--sample", "yunyang"])
    assert result.exit_code == 1
    assert result.stderr.rstrip().endswith("hear an offline voice instead: reader voices --sample baker")
    assert "--voice" not in result.stderr and "--fallback" not in result.stderr


def test_a_sample_without_a_sound_device_is_kept_and_said_where(tmp_path: Path) -> None:
    """A process with no sound server and no ALSA device: the sample is made, and its path said."""
    empty = tmp_path / "asound.conf"
    empty.write_text("", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("READER_AUDIO_SINK")}
    env |= {"PULSE_SERVER": "unix:/nonexistent", "ALSA_CONFIG_PATH": str(empty), "JACK_NO_START_SERVER": "1",
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]), "READER_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-m", "reader", "voices", "--sample", "baker"], env=env,
                          capture_output=True, timeout=300)
    sample = tmp_path / "cache" / "samples" / "baker.mp3"
    assert done.returncode == 0, done.stderr.decode()
    assert done.stderr.decode() == f"reader: note: no sound device to play the sample on; it is in {sample}\n"
    assert MP3(sample).info.length > 2.0
