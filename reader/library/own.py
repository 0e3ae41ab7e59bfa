"""A library's own files are the library's: reader never follows a link for them.

A library is a folder other people's files can reach (a shared disk, a synced folder, an archive unpacked into
it), and reader writes, truncates and deletes its own files there without asking: ``.lock`` is truncated and
rewritten, the catalog and its journals are created and rewritten by SQLite, ``.catalog-reserve`` is created
and deleted, ``.staging`` is emptied and filled. Through a symbolic link each of these would land outside the
library (``ln -s ~/thesis.tex lib/.lock`` emptied the thesis), so none of them is opened through one: a link
in their place is refused with a one-line ``LibraryError`` that says to remove it, and the files reader
creates are created with ``O_EXCL | O_NOFOLLOW``. ``.lock`` is also refused when it has a second hard link
(the same damage without a symbolic link). The library folder itself may be a link: the user chose it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from reader.errors import LibraryError
from reader.i18n import _

#: What reader keeps in a library besides the narrations (``lock.LOCK_NAME``, ``catalog.CATALOG_NAME`` and its
#: SQLite journals, ``catalog.RESERVE_NAME``, ``batch.STAGING``; a test holds the list to those names).
OWN_NAMES = (".lock", "catalog.sqlite", "catalog.sqlite-wal", "catalog.sqlite-shm", "catalog.sqlite-journal",
             ".catalog-reserve", ".staging")
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def linked(path: Path) -> LibraryError:
    return LibraryError(_("{path}: is a symbolic link; reader never follows a link for a library's own files "
                          "(remove it)").format(path=path))


def refuse_links(library: Path) -> None:
    """``LibraryError`` if any of the library's own files is a symbolic link (a dangling one too)."""
    for name in OWN_NAMES:
        if (library / name).is_symlink():
            raise linked(library / name)


def open_own(path: Path, flags: int, mode: int = 0o666) -> int:
    """``os.open(path, flags)`` for a library's own file, never through a link: a symbolic link, a second
    hard link or anything but a regular file in its place is a ``LibraryError``; ``OSError`` otherwise."""
    if path.is_symlink():  # where O_NOFOLLOW does not exist
        raise linked(path)
    try:
        fd = os.open(path, flags | NOFOLLOW | getattr(os, "O_CLOEXEC", 0), mode)
    except OSError:
        if path.is_symlink():  # ELOOP, or EMLINK on some systems
            raise linked(path) from None
        raise
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink > 1:
        os.close(fd)
        raise LibraryError(_("{path}: not a file of reader's own (another kind of file, or a second link to "
                             "one); remove it").format(path=path))
    return fd
