"""``config.toml``: defaults a user keeps for the command line, validated with one-line errors; the command line
wins; ``reader config`` says where each setting came from; ``--output-dir`` creates its folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reader.cli import cli
from reader.cli.config_file import load_config
from reader.narration.record import NarrationRecord
from reader.settings import edge_settings

NOTICE = "因管网维修，本周六停水，敬请谅解。"


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "config"
    folder.mkdir()
    monkeypatch.setenv("READER_CONFIG_DIR", str(folder))
    monkeypatch.delenv("READER_LANG", raising=False)
    return folder


def write(config_dir: Path, text: str) -> Path:
    path = config_dir / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def shown(args: list[str] | None = None) -> dict[str, dict[str, object]]:
    result = CliRunner().invoke(cli, ["config", "--format", "json", *(args or [])])
    assert result.exit_code == 0, result.output
    data: dict[str, dict[str, object]] = json.loads(result.output)
    return data


def one_line_error(result: Result, code: int, fragment: str) -> None:
    assert result.exit_code == code, result.output
    assert result.output.count("\n") == 1 and result.output.startswith("reader: error: "), result.output
    assert fragment in result.output, result.output


def test_without_a_file_everything_is_a_default(config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    data = shown()
    assert data["voice"] == {"value": "baker", "from": "default"}
    assert data["name_template"] == {"value": "{date}-{title}", "from": "default"}
    assert data["language"] == {"value": "zh", "from": "LANG=zh_CN.UTF-8"}
    assert data["edge.concurrency"] == {"value": 4, "from": "default"}
    monkeypatch.setenv("READER_LANG", "en")
    assert shown()["language"] == {"value": "en", "from": "READER_LANG"}
    table = CliRunner().invoke(cli, ["config"])
    assert table.output.splitlines()[0].split() == ["setting", "value", "from"]
    assert f"config file: {config_dir / 'config.toml'} (none yet)" in table.output


def test_the_file_gives_the_defaults_and_the_command_line_wins(config_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "new" / "folder"
    path = write(config_dir, f'voice = "BAKER"\nrate = 1.25\noutput_dir = "{out}"\nloudness = -20\n'
                             'name_template = "{id}-{title}"\nascii_names = true\nlanguage = "zh"\n'
                             'cluster = "local"\n[feed]\ntitle = "万州新闻"\n[edge]\ntimeout = 5\n')
    data = shown()
    assert data["voice"] == {"value": "baker", "from": str(path)}  # checked, and named as the preset is
    assert data["rate"] == {"value": 1.25, "from": str(path)} and data["ascii_names"]["value"] is True
    assert data["feed.title"] == {"value": "万州新闻", "from": str(path)}
    assert data["edge.timeout"] == {"value": 5, "from": str(path)} and edge_settings().timeout == 5
    assert data["language"] == {"value": "zh", "from": str(path)}
    assert data["cluster"] == {"value": "local", "from": str(path)}
    assert data["format"] == {"value": "mp3", "from": "default"}
    # --help shows the defaults in force (in Chinese: the file says language = "zh").
    assert "[默认：1.25" in CliRunner().invoke(cli, ["narrate", "--help"]).output

    cache = ["--cache-dir", str(tmp_path / "cache")]
    result = CliRunner().invoke(cli, ["narrate", "--text", NOTICE, "-q", *cache])
    assert result.exit_code == 0, result.output
    [mp3] = out.glob("*.mp3")  # the folder was created
    assert mp3.name.endswith("-yin-guanwang-weixiu.mp3")  # the untitled notice is named by its opening
    assert len(mp3.name.split("-")[0]) == 8  # {id}
    record = NarrationRecord.read(mp3.with_suffix(".json"))
    assert (record.voice.preset, record.voice.rate) == ("baker", 1.25)
    assert record.audio.loudness_lufs == pytest.approx(-20, abs=1.0)

    here = tmp_path / "here"
    result = CliRunner().invoke(cli, ["narrate", "--text", NOTICE, "-q", "--rate", "1.0", "--output-dir", str(here),
                                      "--name-template", "{date}-{title}", "--loudness", "-16", *cache])
    assert result.exit_code == 0, result.output
    [mp3] = here.glob("*.mp3")
    assert mp3.name == "yin-guanwang-weixiu.mp3"  # still ASCII: the file says so
    assert NarrationRecord.read(mp3.with_suffix(".json")).voice.rate == 1.0


@pytest.mark.parametrize(("text", "fragment"), [
    ('voce = "baker"\n', "unknown setting 'voce'; did you mean 'voice'?"),
    ('voice = "yunyan"\n', "voice: unknown voice 'yunyan'; did you mean 'yunyang'"),
    ("rate = 5\n", "rate: must be a number from 0.5 to 2.0"),
    ('name_template = "{titel}"\n', "unknown field {titel}; did you mean title?"),
    ('ascii_names = "yes"\n', "ascii_names: must be true or false"),
    ('language = "fr"\n', "language: must be one of zh, en"),
    ("[fead]\ntitle = 1\n", "unknown table [fead]; did you mean 'feed'?"),
    ('[feed]\ntitel = "x"\n', "unknown setting 'feed.titel'; did you mean 'feed.title'?"),
    ("edge = 1\n", "edge must be a table"),
    ('[cluster]\ncert_file = "a.pem"\n', "unknown setting 'cluster.cert_file'; did you mean 'cluster.cert'?"),
    ("[cluster]\nrequire_encryption = 1\n", "cluster.require_encryption: must be true or false"),
    ("voice = \n", "not valid TOML"),
])
def test_a_bad_file_is_a_one_line_usage_error(config_dir: Path, text: str, fragment: str) -> None:
    path = write(config_dir, text)
    for args in (["config"], ["voices"], ["narrate", "--text", NOTICE]):
        result = CliRunner().invoke(cli, args)
        one_line_error(result, 2, fragment)
        assert str(path) in result.output


def test_a_bad_reader_lang_is_refused(config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("READER_LANG", "fr")
    one_line_error(CliRunner().invoke(cli, ["config"]), 2, "READER_LANG=fr: must be one of zh, en")


def test_output_dir_that_cannot_be_made_is_one_line(config_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    result = CliRunner().invoke(cli, ["narrate", "--text", NOTICE, "--output-dir", str(tmp_path / "file" / "sub")])
    one_line_error(result, 1, "cannot create the output directory")


def test_the_voices_table_marks_the_configured_voice(config_dir: Path) -> None:
    write(config_dir, 'voice = "yunyang"\n')
    assert load_config().get("voice") == "yunyang"
    lines = CliRunner().invoke(cli, ["voices"]).output.splitlines()
    assert any(line.startswith("yunyang *") for line in lines)
    assert not any(line.startswith("baker *") for line in lines)
