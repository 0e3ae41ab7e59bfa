"""Small shared helpers for files: atomic writes (the one way reader publishes a file) and TOML reading.

Every file reader writes for a user (audio, subtitles, records, pages, feeds, caches) goes through
``atomic_output`` or ``write_atomic``: the data is written to a visible temporary file next to the target,
``<name>.<random>.part``, and renamed over it only when complete, so a crash, a full disk or Ctrl-C never
leaves a half-written file under a real name. A file left by a killed process is easy to recognise by its
``.part`` suffix.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from reader.errors import ConfigError, OutputError
from reader.i18n import _


def output_error(path: Path, exc: OSError) -> OutputError:
    """``exc`` (a failed write of ``path``) as the one-line ``OutputError`` the user sees."""
    return OutputError(_("cannot write {path}: {strerror}").format(path=path, strerror=exc.strerror or exc))


def create_sibling_temp(path: Path, suffix: str = ".part") -> Path:
    """Create an empty, new file next to ``path`` (same directory, so ``os.replace`` onto it is atomic).

    The name is ``<path.name>.<random><suffix>``: visible, so that a file left by a killed process is easy
    to recognise. It is created with mode 0666 minus the umask, like any new file, so the published file
    gets ordinary permissions (``tempfile`` would make it 0600). Raises ``OutputError`` with a one-line
    message naming the directory when it is missing, not a directory or not writable.
    """
    directory = path.parent
    if not directory.exists():
        raise OutputError(_("output directory does not exist: {directory}").format(directory=directory))
    if not directory.is_dir():
        raise OutputError(_("output directory is not a directory: {directory}").format(directory=directory))
    for _attempt in range(100):
        candidate = directory / f"{path.name}.{secrets.token_hex(4)}{suffix}"
        try:
            fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        except OSError as exc:
            raise OutputError(_("cannot write to {directory}: {strerror}").format(
                directory=directory, strerror=exc.strerror or exc)) from exc
        os.close(fd)
        return candidate
    raise OutputError(_("cannot create a temporary file in {directory}").format(directory=directory))


@contextmanager
def atomic_output(path: Path, suffix: str = ".part") -> Iterator[Path]:
    """Yield a fresh temporary path next to ``path``; when the block ends normally, move it onto ``path``.

    If the block raises (anything, KeyboardInterrupt included) the temporary file is deleted and the
    exception propagates, an ``OSError`` as ``OutputError``; ``path`` is untouched. A failing rename
    becomes ``OutputError`` too.
    """
    temp = create_sibling_temp(path, suffix)
    try:
        try:
            yield temp
        except OSError as exc:
            raise output_error(path, exc) from exc
        try:
            os.replace(temp, path)
        except OSError as exc:
            raise output_error(path, exc) from exc
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_atomic(path: Path, data: bytes | str) -> Path:
    """Write ``data`` (``str`` as UTF-8) to ``path`` atomically; ``OutputError`` on any failure."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_output(path) as temp:
        temp.write_bytes(payload)
    return path


def read_toml(path: Path, what: str = "") -> dict[str, Any]:
    """The TOML document at ``path``; ``ConfigError`` (one line, naming ``what`` and the file) if it cannot
    be read, is not UTF-8 or is not valid TOML."""
    label = f"{what} {path}" if what else str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(_("{label}: cannot read ({strerror})").format(
            label=label, strerror=exc.strerror or exc)) from exc
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(_("{label}: not UTF-8 text ({exc})").format(label=label, exc=exc)) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_("{label}: not valid TOML ({exc})").format(label=label, exc=exc)) from exc
