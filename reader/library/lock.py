"""One batch at a time per library.

``LibraryLock`` holds an exclusive lock (``portalocker``: ``flock`` on POSIX, ``msvcrt.locking`` on Windows) on
``library/.lock`` for the whole run and writes its pid
there; a second batch is refused with that pid. The kernel drops the lock when the process dies, so a crash
never leaves the library locked. (SQLite's own locking would keep the catalog intact, but two batches would
still race for the same output names and redo each other's work.)
"""

from __future__ import annotations

import os
from pathlib import Path

import portalocker

from reader._files import reason
from reader.errors import LibraryError
from reader.i18n import _
from reader.library.own import open_own

LOCK_NAME = ".lock"


class LibraryLock:
    """An exclusive, non-blocking lock on a library for the life of a batch (a context manager)."""

    def __init__(self, library: Path) -> None:
        self.path = library / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            fd = open_own(self.path, os.O_RDWR | os.O_CREAT)  # never through a link (reader.library.own)
        except OSError as exc:
            raise LibraryError(_("{parent}: cannot lock the library ({strerror})").format(parent=self.path.parent, strerror=reason(exc))) from exc
        try:
            portalocker.lock(fd, portalocker.LOCK_EX | portalocker.LOCK_NB)
        except portalocker.AlreadyLocked:
            holder = _read_pid(fd)
            os.close(fd)
            raise LibraryError(
                _("{parent}: library is in use by another batch (pid {holder})").format(parent=self.path.parent, holder=holder)
            ) from None
        except (OSError, portalocker.LockException) as exc:
            os.close(fd)
            raise LibraryError(_("{parent}: cannot lock the library ({strerror})").format(parent=self.path.parent, strerror=getattr(exc, "strerror", None) or exc)) from exc
        try:  # the pid is for the message a second batch gets: a full disk must not fail the batch here
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        except OSError:
            pass
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            try:
                os.ftruncate(self._fd, 0)
            except OSError:
                pass
            os.close(self._fd)  # closing drops the lock
            self._fd = None

    def __enter__(self) -> LibraryLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read_pid(fd: int) -> str:
    """The holder's pid written in the lock file, or "?" (Windows keeps a locked file's bytes from others)."""
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        return os.read(fd, 32).decode("ascii", "replace").strip() or "?"
    except OSError:
        return "?"
