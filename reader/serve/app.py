"""The ASGI application of ``reader serve`` (Starlette): the routes over a ``Narrations``.

Every handler that reads the catalog or the disk does it in a worker thread (``run_in_threadpool``); narrating
runs in the queue's threads and processes: the event loop only parses, answers and streams. Errors are JSON
``{"error": "one line"}`` with the status the API promises (400 malformed, 403 off the sites, 404, 429 with
``Retry-After``, 401 without the admin token).
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from reader.errors import OffSite, QueueFull, ReaderError, UsageError
from reader.i18n import _
from reader.library.catalog import Entry
from reader.narration.record import NarrationRecord
from reader.publish.page import storage_key
from reader.serve import media
from reader.serve.jobs import Finished, Job, Narrations, Shelf, narration_id
from reader.settings import load_presets
from reader.speech import registry

log = logging.getLogger(__name__)

API = "/api/v1"
MAX_BODY = 16 * 1024  # bytes of a POST's JSON


def error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


class Metrics:
    """What ``/metrics`` shows (a registry of its own: two apps in one process do not mix)."""

    def __init__(self, narrations: Narrations) -> None:
        self.registry = CollectorRegistry()
        self.queue = Gauge("reader_queue_length", "Narrations queued or running.", registry=self.registry)
        self.queue.set_function(narrations.pending)
        self.finished = Counter("reader_narrations", "Narrations finished, by outcome.", ["status"],
                                registry=self.registry)
        self.seconds = Histogram("reader_synthesis_seconds", "Seconds to narrate one article.",
                                 buckets=(1, 2, 5, 10, 30, 60, 120, 300, 600, 1800), registry=self.registry)

    def on_finished(self, finished: Finished) -> None:
        self.finished.labels(status=finished.job.status).inc()
        outcome = finished.outcome
        if finished.job.status == "done" and outcome is not None and outcome.status == "done":
            self.seconds.observe(outcome.seconds)


def create_app(narrations: Narrations, *, token: str | None = None, widget: bool = True) -> Starlette:
    """The application over a started ``narrations``. ``token``: the admin calls' bearer token (None: they
    are refused)."""
    library = narrations.library
    metrics = Metrics(narrations)
    narrations.on_finished = metrics.on_finished
    voice = narrations.voice
    root = narrations.library

    def describe(job: Job | None, entry: Entry | None, record: NarrationRecord | None,
                 shelf: Shelf) -> dict[str, Any]:
        key = job.id if job is not None else narration_id(entry.source if entry else "", shelf.voice, voice)
        published = entry is not None and entry.audio is not None
        status = job.status if job is not None else ("done" if published else "failed")
        prefix = shelf.prefix(root)

        def media_url(name: str | None) -> str | None:
            return f"/media/{prefix}{name}" if name else None

        body: dict[str, Any] = {
            "id": key,
            "url": job.source if job is not None else (entry.source if entry else None),
            "voice": shelf.voice,
            "status": status,
            "progress": 1.0 if status == "done" else (job.progress if job is not None else 0.0),
            "title": (entry.title if entry else None) or (job.title if job else None),
        }
        if job is not None and job.stage and status == "running":
            body["stage"] = job.stage
        if job is not None and status == "running":
            # The chunks heard ahead, in order, each file whole (reader.serve.stream).
            body["stream"] = [{"audio": f"{API}/narrations/{key}/stream/{c.index}.wav", "text": c.text,
                               "duration": c.duration} for c in list(job.chunks)]
        if published and entry is not None:
            body.update(duration=entry.duration, audio=media_url(entry.audio), subtitles=media_url(entry.vtt),
                        page=media_url(entry.page), record=media_url(entry.manifest))
            body["chapters"] = ([{"title": c.title, "start": c.start} for c in record.chapters]
                                if record is not None else [])
            # For the widget: where the pages remember the position, the sentences it highlights, and where
            # each chunk of the track starts (to move from the chunks heard ahead to the file at the same one).
            body["key"] = storage_key(prefix + (entry.audio or ""), entry.duration or 0.0)
            body["sentences"] = ([{"text": s.text, "start": s.start, "end": s.end, "kind": s.kind}
                                  for s in record.sentences()] if record is not None else [])
            body["chunk_starts"] = [c.start for c in record.chunks] if record is not None else []
        if status == "failed":
            body["error"] = (job.error if job is not None else None) or (entry.error if entry else None)
        return body

    def look_up(key: str) -> dict[str, Any] | None:
        job, entry, shelf = narrations.find(key)
        if shelf is None or (job is None and entry is None):
            return None
        if job is not None and job.status in ("queued", "running"):
            return describe(job, None, None, shelf)
        record = narrations.record(shelf, entry) if entry is not None else None
        return describe(job, entry, record, shelf)

    async def create(request: Request) -> Response:
        raw = b""
        async for part in request.stream():  # read no more than MAX_BODY, whatever Content-Length says
            raw += part
            if len(raw) > MAX_BODY:
                return error(400, _("the request is too large"))
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return error(400, _("the request is not JSON"))
        if not isinstance(data, dict) or not isinstance(data.get("url"), str):
            return error(400, _('the request needs a JSON object with a "url"'))
        asked = data.get("voice")
        if asked is not None and not isinstance(asked, str):
            return error(400, _('"voice" must be the name of a voice'))
        try:
            job = await run_in_threadpool(lambda: narrations.submit(data["url"], voice=asked))
        except OffSite as exc:
            # The one answer any page may read (the widget on a site not served says why); CORS lets only the
            # configured sites read the others.
            origin = request.headers.get("origin")
            return error(403, str(exc), {"Access-Control-Allow-Origin": origin, "Vary": "Origin"} if origin else None)
        except QueueFull as exc:
            return error(429, str(exc), {"Retry-After": str(exc.retry_after)})
        except UsageError as exc:
            return error(400, str(exc))
        if job.status == "done":
            body = await run_in_threadpool(look_up, job.id)
            return JSONResponse(body or {"id": job.id, "status": "done"}, status_code=200)
        return JSONResponse({"id": job.id, "status": job.status}, status_code=202,
                            headers={"Location": f"{API}/narrations/{job.id}"})

    async def show(request: Request) -> Response:
        body = await run_in_threadpool(look_up, request.path_params["id"])
        if body is None:
            return error(404, _("no such narration"))
        return JSONResponse(body)

    def authorized(request: Request) -> bool:
        given = request.headers.get("authorization", "")
        return token is not None and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())

    async def delete(request: Request) -> Response:
        if not authorized(request):
            return error(401, _("this call needs the admin token"), {"WWW-Authenticate": "Bearer"})
        key = request.path_params["id"]
        job, _entry, _shelf = await run_in_threadpool(narrations.find, key)
        if job is not None and job.status in ("queued", "running"):
            return error(409, _("the narration is in progress"))
        if not await run_in_threadpool(narrations.delete, key):
            return error(404, _("no such narration"))
        return Response(status_code=204)

    async def renarrate(request: Request) -> Response:
        if not authorized(request):
            return error(401, _("this call needs the admin token"), {"WWW-Authenticate": "Bearer"})
        key = request.path_params["id"]
        job, entry, shelf = await run_in_threadpool(narrations.find, key)
        source = job.url if job is not None else (entry.source if entry is not None else None)
        if source is None or shelf is None:
            return error(404, _("no such narration"))
        try:
            job = await run_in_threadpool(lambda: narrations.submit(source, voice=shelf.voice, force=True))
        except OffSite as exc:
            return error(403, str(exc))
        except QueueFull as exc:
            return error(429, str(exc), {"Retry-After": str(exc.retry_after)})
        return JSONResponse({"id": job.id, "status": job.status}, status_code=202)

    async def voices(request: Request) -> Response:
        def listing() -> list[dict[str, Any]]:
            found = []
            presets = load_presets()
            for name in narrations.shelves:  # the voices this server offers, the default first
                preset = presets[name]
                try:
                    info = registry.info(preset.backend)
                except ReaderError:
                    continue
                found.append({"name": name, "label": preset.label, "engine": preset.backend,
                              "online": info.online, "current": name == voice})
            return found

        return JSONResponse({"voice": voice, "voices": await run_in_threadpool(listing)})

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok", "queue": narrations.pending(), "warm": narrations.warm()})

    async def prometheus(request: Request) -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    async def files(request: Request) -> Response:
        found = await run_in_threadpool(media.resolve, library, request.path_params["path"])
        if found is None:
            return error(404, _("not found"))
        path, st = found
        response = FileResponse(path, stat_result=st, media_type=media.media_type(path),
                                headers={"Cache-Control": media.CACHE_CONTROL})
        etag = response.headers["etag"]
        if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
            return Response(status_code=304, headers={"ETag": etag, "Cache-Control": media.CACHE_CONTROL})
        return response

    async def stream(request: Request) -> Response:
        """A chunk heard ahead of job ``id`` (only a whole file of a job's stream folder)."""
        path = await run_in_threadpool(narrations.streams.file, request.path_params["id"], request.path_params["name"])
        if path is None:
            return error(404, _("not found"))
        return FileResponse(path, media_type="audio/wav", headers={"Cache-Control": "no-cache"})

    async def home(request: Request) -> Response:
        return RedirectResponse("/media/index.html")

    routes = [
        Route(f"{API}/narrations", create, methods=["POST"]),
        Route(f"{API}/narrations/{{id:str}}", show, methods=["GET"]),
        Route(f"{API}/narrations/{{id:str}}", delete, methods=["DELETE"]),
        Route(f"{API}/narrations/{{id:str}}/renarrate", renarrate, methods=["POST"]),
        Route(f"{API}/narrations/{{id:str}}/stream/{{name:str}}", stream, methods=["GET", "HEAD"]),
        Route(f"{API}/voices", voices, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", prometheus, methods=["GET"]),
        Route("/media/{path:path}", files, methods=["GET", "HEAD"]),
        Route("/", home, methods=["GET"]),
    ]
    if widget:
        from reader.serve.widget import widget_route

        routes.append(widget_route())
    middleware = [Middleware(CORSMiddleware, allow_origins=narrations.sites.origins,
                             allow_methods=["GET", "POST"], allow_headers=["Content-Type", "Range"],
                             expose_headers=["Content-Range", "Content-Length", "ETag", "Retry-After", "Location"])]
    return Starlette(routes=routes, middleware=middleware)
