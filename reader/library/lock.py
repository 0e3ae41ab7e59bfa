"""One batch at a time per library.

``LibraryLock`` holds an exclusive ``fcntl.flock`` on ``library/.lock`` for the whole run and writes its pid
there; a second batch is refused with that pid. The kernel drops the lock when the process dies, so a crash
never leaves the library locked. (SQLite's own locking would keep the catalog intact, but two batches would
still race for the same output names and redo each other's work.)
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

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
            raise LibraryError(_("{parent}: cannot lock the library ({strerror})").format(parent=self.path.parent, strerror=exc.strerror or exc)) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
            os.close(fd)
            raise LibraryError(
                _("{parent}: library is in use by another batch (pid {holder})").format(parent=self.path.parent, holder=holder)
            ) from None
        except OSError as exc:
            os.close(fd)
            raise LibraryError(_("{parent}: cannot lock the library ({strerror})").format(parent=self.path.parent, strerror=exc.strerror or exc)) from exc
        try:  # the pid is for the message a second batch gets: a full disk must not fail the batch here
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        except OSError:
            pass
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            try:
                os.ftruncate(self._fd, 0)
            except OSError:
                pass
            os.close(self._fd)  # closing drops the flock
            self._fd = None

    def __enter__(self) -> LibraryLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
