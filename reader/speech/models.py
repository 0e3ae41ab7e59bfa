"""Where the engines keep the model files they derive (the Kokoro float model, the Baker model patched for
LiteRT): the ``models/`` folder of the cache directory (issue 23 B11: ``--cache-dir`` is where models go).

A derived model is *written* under the cache directory in force: the one a ``Narrator`` was given
(``NarrateOptions.cache_dir``, i.e. ``--cache-dir``; ``use_cache_dir`` records it for the process, since
engines are shared by every narrator of a process), else the user cache directory (``READER_CACHE_DIR``).
It is *read* from there, or from the user cache directory's ``models/`` when a copy there is what the
package records (each engine checks size and SHA-256 against its own trusted record, never the name): a user
who moves the cache does not pay for the 256 MB Kokoro model twice, and the tests, which use many temporary
cache directories, do not derive it per test."""

from __future__ import annotations

import threading
from pathlib import Path

from reader._files import has_digest, read_small_file, write_atomic
from reader.errors import ReaderError
from reader.settings import user_cache_dir

MODELS = "models"

_lock = threading.Lock()
_chosen: Path | None = None


def use_cache_dir(folder: Path | None) -> None:
    """The cache directory this process's engines write derived models under (None: the user cache
    directory). Set by each ``Narrator``: engines are loaded once per process, on first use."""
    global _chosen
    with _lock:
        _chosen = folder


def write_folder(cache_dir: Path | None = None) -> Path:
    """Where a derived model is written: ``cache_dir`` (an engine's own, tests), else the cache directory in
    force (``use_cache_dir``), else the user cache directory; its ``models/`` folder."""
    with _lock:
        chosen = _chosen
    return (cache_dir or chosen or user_cache_dir()) / MODELS


def find(name: str, size: int, digest: str, cache_dir: Path | None = None) -> Path | None:
    """The file ``name`` of ``size`` bytes and SHA-256 ``digest`` (the engine's trusted record): under
    ``write_folder(cache_dir)``, else under the user cache directory's ``models/``; None when neither holds
    it (a link, FIFO or device is never read: ``has_digest``). An engine given a ``cache_dir`` of its own
    (tests, ``reader doctor``) looks there only."""
    for folder in _read_folders(cache_dir):
        if has_digest(folder / name, size, digest):
            return folder / name
    return None


def _read_folders(cache_dir: Path | None) -> list[Path]:
    """Where a model is looked for: ``write_folder(cache_dir)``, then (unless the engine has a ``cache_dir`` of
    its own) the user cache directory's ``models/``."""
    folders = [write_folder(cache_dir)]
    default = user_cache_dir() / MODELS
    if cache_dir is None and default not in folders:
        folders.append(default)
    return folders


# -- models made for this machine ----------------------------------------------------------------------------
# A model derived for this machine alone (ONNX Runtime's optimized graph for this CPU) has no record in the
# package: its size and SHA-256 are written beside it, in ``NAME.sha256``, after it; the pair is what is
# checked (a file that was cut short or changed since is made again, like one that fails the package's
# record). It guards against a damaged file, not against someone who can write the cache directory.


def _record_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def find_made_here(name: str, cache_dir: Path | None = None) -> Path | None:
    """``name`` where ``find`` looks (the cache directory in force, then the user's), the first whose own
    record (``keep_made_here``) still holds."""
    for folder in _read_folders(cache_dir):
        path = folder / name
        record = read_small_file(_record_path(path), 200)
        try:
            size_text, _sep, digest = (record or b"").decode("ascii").strip().partition(" ")
            size = int(size_text)
        except ValueError:  # no record, or not one
            continue
        if has_digest(path, size, digest):
            return path
    return None


def keep_made_here(made: Path, name: str, cache_dir: Path | None = None) -> Path | None:
    """Move the file ``made`` (written next to its place) to ``name`` under ``write_folder(cache_dir)`` with its
    record; None (``made`` deleted) when the cache cannot be written: it is made again next time."""
    import hashlib

    path = write_folder(cache_dir) / name
    try:
        with made.open("rb") as fh:
            digest = hashlib.file_digest(fh, "sha256").hexdigest()
        write_atomic(_record_path(path), f"{made.stat().st_size} {digest}\n")
        made.replace(path)
    except (OSError, ReaderError):
        made.unlink(missing_ok=True)
        return None
    return path


def forget_made_here(path: Path) -> None:
    """Delete a model ``keep_made_here`` kept, and its record."""
    path.unlink(missing_ok=True)
    _record_path(path).unlink(missing_ok=True)

