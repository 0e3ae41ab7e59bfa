"""``reader serve``: the 语音播报 service for the articles of a site, self-hosted.

An ASGI application (Starlette, on uvicorn) over a library as ``reader batch`` makes it (the same catalog,
files and index: a library made by batch is served as it is):

- ``jobs.py``: the narration queue. A bounded queue of URLs under the configured sites; each job goes through
  the batch's own per-article code (``reader.library.batch.article_runner``: fetch, skip or adopt, claim a
  name, narrate into the staging folder, move into place, record the row), with the narrating itself in a pool
  of worker processes (``PoolNarrator``); the event loop never waits for it.
- ``stream.py``: the first chunks of a narration heard before it is done: each chunk of the track written to
  the job's stream folder (``.streams/ID/N.wav``, whole files only) as it is laid out, listed in the job's
  status and served by ``/api/v1/narrations/ID/stream/N.wav``; the widget moves on to the final file.
- ``media.py``: the library's files over HTTP: ``Range`` (206), ``ETag`` (304), caching headers; nothing
  outside the library, no symlink, no hidden file.
- ``app.py``: the routes (``/api/v1/…``, ``/media/…``, ``/healthz``, ``/metrics``, ``/widget.js``).
- ``widget/``: the embeddable 语音播报 button; it is built from the one player module of
  ``reader.publish`` (``templates/player.js``) and a script of its own.

Starlette, uvicorn and prometheus-client are the optional extra ``zh-news-reader[serve]``: ``require()``
says so in one line when they are missing, and nothing else of reader imports them.
"""

from __future__ import annotations

import importlib

from reader.errors import InstallError
from reader.i18n import _

INSTALL_HINT = "pip install 'zh-news-reader[serve]'"
_MODULES = ("starlette", "uvicorn", "prometheus_client")


def require() -> None:
    """``InstallError`` (one line, naming the extra) unless the serve extra's packages are importable."""
    missing = []
    for name in _MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise InstallError(_("reader serve needs {missing}: {hint}").format(missing=", ".join(missing),
                                                                           hint=INSTALL_HINT))
