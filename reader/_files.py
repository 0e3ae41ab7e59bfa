"""Small shared helpers for files: atomic writes (the one way reader publishes a file) and TOML reading.

Every file reader writes for a user (audio, subtitles, records, pages, feeds, caches) goes through
``atomic_output`` or ``write_atomic``: the data is written to a visible temporary file next to the target,
``<name>.<random>-<pid>.part``, and renamed over it only when complete, so a crash, a full disk or Ctrl-C never
leaves a half-written file under a real name. A file left by a killed process is easy to recognise by its
``.part`` suffix, and ``remove_leftovers`` deletes those of a target whose process is gone (the pid in the
name says whose it is). ``OutputGroup`` publishes several files together: all written first, then renamed.
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
import secrets
import stat
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from reader.errors import ConfigError, OutputError, UsageError
from reader.i18n import _


def reason(exc: OSError) -> str:
    """Why the system refused, as a message says it: the OS's own words ("No space left on device") without
    Python's ``[Errno 28] …: 'path'`` around them, or the whole error when it has no such words."""
    return str(exc.strerror or exc)


def output_error(path: Path, exc: OSError) -> OutputError:
    """``exc`` (a failed write of ``path``) as the one-line ``OutputError`` the user sees."""
    return OutputError(_("cannot write {path}: {strerror}").format(path=path, strerror=reason(exc)))


def create_sibling_temp(path: Path, suffix: str = ".part") -> Path:
    """Create an empty, new file next to ``path`` (same directory, so ``os.replace`` onto it is atomic).

    The name is ``<path.name>.<random>-<pid><suffix>``: visible, so that a file left by a killed process is
    easy to recognise (and ``remove_leftovers`` can tell whether its process is still running). It is created with mode 0666 minus the umask, like any new file, so the published file
    gets ordinary permissions (``tempfile`` would make it 0600). Raises ``OutputError`` with a one-line
    message naming the directory when it is missing, not a directory or not writable.
    """
    directory = path.parent
    if not directory.exists():
        raise OutputError(_("output directory does not exist: {directory}").format(directory=directory))
    if not directory.is_dir():
        raise OutputError(_("output directory is not a directory: {directory}").format(directory=directory))
    for _attempt in range(100):
        candidate = directory / f"{path.name}.{secrets.token_hex(4)}-{os.getpid()}{suffix}"
        try:
            fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        except OSError as exc:
            raise OutputError(_("cannot write to {directory}: {strerror}").format(directory=directory, strerror=reason(exc))) from exc
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


#: Temporary files of a target: ``<name>.<8 hex>-<pid>.part`` (or ``.pcm.part``…); ``<name>.<8 hex>.part``
#: from readers before the pid was added.
_LEFTOVER = re.compile(r"\.[0-9a-f]{8}(?:-(\d+))?(?:\.[a-z]+)?\.part$")
#: A temporary file without a pid is taken for a leftover once it is this old (seconds).
_OLD_LEFTOVER = 24 * 3600.0


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


def remove_leftovers(path: Path) -> list[Path]:
    """Delete the temporary files of ``path`` that a killed process left (its ``.part`` and ``.pcm.part``
    siblings whose process is gone); the deleted paths. Never raises: it is housekeeping."""
    removed: list[Path] = []
    try:
        candidates = list(path.parent.glob(glob.escape(path.name) + ".*.part"))
    except OSError:
        return removed
    for candidate in candidates:
        match = _LEFTOVER.search(candidate.name[len(path.name):])
        if match is None:
            continue
        try:
            if match.group(1) is not None:
                if _alive(int(match.group(1))):
                    continue
            elif time.time() - candidate.stat().st_mtime < _OLD_LEFTOVER:
                continue
            candidate.unlink()
            removed.append(candidate)
        except OSError:
            continue
    return removed


class OutputGroup:
    """Files that appear together or not at all (an audio file and its sidecars).

    ``temp(target)`` gives a temporary file next to each target to write into; when the ``with`` block ends
    normally they are renamed into place in the order they were asked for (put the main file last: readers
    look for it), and when it raises every temporary file is deleted and no target is touched. Everything is
    written before anything is renamed, so a full disk fails the whole group, never half of it.
    """

    def __init__(self) -> None:
        self._files: list[tuple[Path, Path]] = []

    def temp(self, target: Path, suffix: str = ".part") -> Path:
        temp = create_sibling_temp(target, suffix)
        self._files.append((target, temp))
        return temp

    def write(self, target: Path, data: bytes | str) -> Path:
        payload = data.encode("utf-8") if isinstance(data, str) else data
        temp = self.temp(target)
        try:
            temp.write_bytes(payload)
        except OSError as exc:
            raise output_error(target, exc) from exc
        return target

    def discard(self) -> None:
        for _final, temp in self._files:
            temp.unlink(missing_ok=True)
        self._files = []

    def commit(self) -> None:
        try:
            for target, temp in self._files:
                try:
                    os.replace(temp, target)
                except OSError as exc:
                    raise output_error(target, exc) from exc
        finally:
            self.discard()

    def __enter__(self) -> OutputGroup:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()


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
        raise ConfigError(_("{label}: cannot read ({strerror})").format(label=label, strerror=reason(exc))) from exc
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(_("{label}: not UTF-8 text ({exc})").format(label=label, exc=exc)) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_("{label}: not valid TOML ({exc})").format(label=label, exc=exc)) from exc
    except RecursionError:  # tomllib parses nested arrays and tables recursively: [[[[… 5000 deep
        raise ConfigError(_("{label}: not valid TOML (nested too deeply)").format(label=label)) from None


def check_regular(path: Path, what: str) -> None:
    """``UsageError`` when ``path`` exists and is not a regular file: a file reader reads whole (a picture) is
    refused as a named pipe, which would wait for a writer forever, or a device, which never ends. ``what``
    names the option (``--cover``). A missing file is left to the reader, which says so."""
    if (path.exists() or path.is_symlink()) and not is_regular_file(path):
        raise UsageError(_("{what} {path}: not a regular file (a folder, named pipe, device or socket)").format(
            what=what, path=path))


def is_regular_file(path: Path) -> bool:
    """Whether ``path`` is a regular file (not a pipe, a device, a socket or a folder); never blocks."""
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


def has_digest(path: Path, size: int, digest: str) -> bool:
    """Whether ``path`` is a regular file (not a link, FIFO or device: those are never opened, let alone read
    to the end) of ``size`` bytes whose SHA-256 is ``digest``."""
    fd = _open_regular(path)
    if fd is None:
        return False
    if os.fstat(fd).st_size != size:
        os.close(fd)
        return False
    with os.fdopen(fd, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest() == digest


def read_small_file(path: Path, limit: int) -> bytes | None:
    """The bytes of ``path`` if it is a regular file (not a link, FIFO or device: never opened to wait, or
    read without end) of at most ``limit`` bytes; else None."""
    fd = _open_regular(path)
    if fd is None:
        return None
    with os.fdopen(fd, "rb") as fh:
        data = fh.read(limit + 1)
    return data if len(data) <= limit else None


def _open_regular(path: Path) -> int | None:
    """A read-only descriptor of ``path`` when it is a regular file and not a link, else None (closed)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:  # missing, a link (ELOOP), unreadable
        return None
    if not stat.S_ISREG(os.fstat(fd).st_mode) or path.is_symlink():
        os.close(fd)
        return None
    return fd
