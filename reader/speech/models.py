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

from reader._files import has_digest
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
    folders = [write_folder(cache_dir)]
    default = user_cache_dir() / MODELS
    if cache_dir is None and default not in folders:
        folders.append(default)
    for folder in folders:
        if has_digest(folder / name, size, digest):
            return folder / name
    return None
