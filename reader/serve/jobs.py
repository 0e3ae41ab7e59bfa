"""The narration queue of ``reader serve``: URLs under the configured sites → the library.

**Which URLs.** ``Sites`` holds the ``--site`` prefixes; a URL is taken only when it is under one of them (the
same site as ``reader.source.address.site_of`` compares them, and the prefix's path). It is then fetched as
``reader batch`` fetches a URL it was given (``reader.source.polite``, ``reader.source.fetch``): size caps, one
deadline, and every redirect checked against the URL's site, so the server is never an open fetcher.

**One article.** ``Narrations`` owns the library for the life of the server: its lock (no batch writes it
meanwhile), its catalog, its staging folder. Each job runs the batch's own code for one article
(``reader.library.batch.article_runner``) in one of ``workers`` threads: fetch, skip (the library's narration is
current) or adopt, claim a name, narrate into the staging folder, move the files in, record the row; then the
index and feed are rewritten (one job at a time). Only the narrating leaves this process: ``PoolNarrator`` has
the signature of ``Narrator.narrate_article`` and runs it in a pool of worker *processes* (spawned, each
keeping one ``Narrator`` per set of options, so an engine loads once per process), which write straight
into the staging folder. Progress comes back on a queue and reaches the job's status.

**Voices.** The default voice (``--voice``) narrates into the library itself, so that a library made by batch is
served as it is; each other voice a request may name (``--voices``) has a ``Shelf`` of its own: a library of the
same kind in ``voices/NAME``. A narration's id is ``job_id(source)``, with ``-NAME`` for another voice; each
shelf maps its rows' ids to their sources (kept in step by this server, which holds the library's lock), so
a lookup by id reads one row, not the catalog.

**Streaming.** A job's narrator writes each chunk, as it is laid out, to the job's stream folder
(``reader.serve.stream``), in the worker process or here; the job lists them (``Job.chunks``).

**Restarts.** Files reach the library by renames only, so a killed server leaves no partial file there; the
next start clears the staging folder, marks the attempts it left running as interrupted, and queues them again.

**Bounds.** At most ``workers`` jobs run and ``queue`` wait; ``submit`` raises ``QueueFull`` beyond that (the
API answers 429). A job for a URL already queued or running is that job.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import logging
import multiprocessing
import queue as queues
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urldefrag

from reader._clean import clean_article, url_for_display
from reader.errors import LibraryError, OffSite, QueueFull, ReaderError, RecordError, UsageError
from reader.i18n import _
from reader.library.batch import STAGING, BatchEvent, BatchOptions, Outcome, article_runner, prepare_library
from reader.library.catalog import CATALOG_NAME, Entry, SQLiteCatalog
from reader.library.cluster import ClusterSecurity, open_cluster
from reader.library.episodes import episodes
from reader.library.lock import LibraryLock
from reader.library.rebuild import rebuild
from reader.models import Article, Chapter
from reader.narration.pipeline import NarrateOptions, Narration, Narrator, StageCallback, spoken_form
from reader.narration.record import NarrationRecord
from reader.publish.feed import write_feed
from reader.publish.index import write_index
from reader.serve.stream import StreamChunk, Streams
from reader.serve.stream import writer as stream_writer
from reader.source.address import Site, parse_url, site_of
from reader.source.polite import PoliteFetcher, Stopped
from reader.speech.synthesize import Progress, ProgressCallback
from reader.text.segment import segment

log = logging.getLogger(__name__)

Status = Literal["queued", "running", "done", "failed"]
MAX_JOBS = 10_000  # jobs remembered in memory (finished ones are forgotten first)
VOICES = "voices"  # the folder of the other voices' libraries, in the server's library


def job_id(source: str) -> str:
    """A narration's id in the API: of its source URL (as recorded: without credentials)."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


class Sites:
    """The ``--site`` prefixes: ``https://www.example.gov.cn/news/``; a URL is allowed under one of them."""

    def __init__(self, prefixes: Iterable[str]) -> None:
        self.prefixes: list[tuple[Site | None, str]] = []
        self.origins: list[str] = []
        for prefix in prefixes:
            parts = parse_url(prefix)  # UsageError for a malformed one
            if parts.username or parts.password or parts.query or parts.fragment:
                raise UsageError(_("--site {prefix}: a site is a URL prefix, without credentials, query or fragment").format(prefix=url_for_display(prefix)))
            self.prefixes.append((site_of(prefix), parts.path or "/"))
            scheme, netloc = parts.scheme.lower(), parts.netloc.lower()
            self.origins.append(f"{scheme}://{netloc}")
            if "." in netloc and not _is_address(parts.hostname or ""):  # www.example.cn is example.cn's site
                other = netloc[4:] if netloc.startswith("www.") else "www." + netloc
                self.origins.append(f"{scheme}://{other}")
        if not self.prefixes:
            raise UsageError(_("give at least one --site: the URL prefix of the articles to narrate"))
        self.origins = list(dict.fromkeys(self.origins))

    def check(self, url: str) -> None:
        """``OffSite`` (one line) unless ``url`` is under one of the prefixes; ``UsageError`` if malformed."""
        parts = parse_url(url)
        if parts.username or parts.password:
            raise OffSite(_("{url}: refused: a URL with credentials").format(url=url_for_display(url)))
        site = site_of(url)
        path = parts.path or "/"
        for allowed, prefix in self.prefixes:
            base = prefix.rstrip("/")
            if site == allowed and (path == base or path.startswith(base + "/")):
                return
        raise OffSite(_("{url}: refused: not under one of this server's sites").format(url=url_for_display(url)))


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def narration_id(source: str, voice: str, default: str) -> str:
    """A narration's id in the API: ``job_id(source)`` for the server's default voice (the library's root, as
    a batch made it), ``job_id(source)-VOICE`` for another voice (its own library under ``voices/``)."""
    key = job_id(source)
    return key if voice == default else f"{key}-{voice}"


@dataclass
class Job:
    """A narration asked for: its state as the API shows it."""

    id: str
    source: str  # the URL as recorded (no credentials)
    url: str
    status: Status = "queued"
    progress: float = 0.0
    stage: str | None = None
    title: str | None = None
    error: str | None = None
    seconds: float = 0.0
    voice: str = ""
    #: The chunks of the track heard ahead (``reader.serve.stream``), in order, as their files are whole.
    chunks: list[StreamChunk] = field(default_factory=list, repr=False)
    done: threading.Event = field(default_factory=threading.Event, repr=False)


@dataclass(frozen=True)
class Finished:
    """What a finished job reports to ``on_finished`` (the metrics)."""

    job: Job
    outcome: Outcome | None


@dataclass
class Shelf:
    """The narrations of one voice: a library as batch makes it (the default voice's is the server's library
    itself; another voice's is ``voices/NAME`` in it), its catalog, the batch's runner over it, and the ids of
    its rows (``job_id(source)`` → source: the API's lookups by id read no catalog scan)."""

    voice: str
    library: Path
    options: BatchOptions
    narrator: Narrator
    catalog: SQLiteCatalog = field(init=False, repr=False)
    runner: Any = field(init=False, repr=False)
    keys: dict[str, str] = field(default_factory=dict, repr=False)

    def prefix(self, root: Path) -> str:
        """Its files' path under ``/media/`` (``""`` for the root library)."""
        relative = self.library.relative_to(root).as_posix()
        return "" if relative == "." else relative + "/"


class Narrations:
    """The library and its queue (a context manager: ``start`` and ``close``). ``processes``: narrate in a
    pool of worker processes (the default); ``False``: in the job threads themselves, with this process's
    engines (tests pass theirs with ``reader.speech.registry.using``). ``cluster``: narrate on a Dask cluster
    instead, as ``reader batch --cluster`` does (``reader.library.cluster``; ``cluster_security``: the
    certificates of a ``tls://`` scheduler). ``voices``: the voices a request
    may ask for besides ``narration.voice`` (the default), each narrated into its own library ``voices/NAME``."""

    def __init__(self, library: Path, narration: NarrateOptions, sites: Sites, *, workers: int = 1,
                 queue: int = 16, processes: bool = True, title: str | None = None, cluster: str | None = None,
                 cluster_security: ClusterSecurity | None = None, voices: Iterable[str] = (),
                 on_finished: Callable[[Finished], None] | None = None) -> None:
        if workers < 1:
            raise UsageError(_("workers must be at least 1, not {workers}").format(workers=workers))
        if queue < 0:
            raise UsageError(_("queue must be 0 or more, not {queue}").format(queue=queue))
        self.library = library
        self.options = BatchOptions(library, narration=narration, title=title, cluster=cluster,
                                    cluster_security=cluster_security)
        self.sites = sites
        self.workers = workers
        self.queue = queue
        self.processes = processes
        self.on_finished = on_finished
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._publish_lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._stack = ExitStack()
        self.narrator = Narrator(narration)  # a bad voice fails here, before the server starts
        self.settings = self.narrator.settings_fingerprint
        self.voice = self.narrator.preset.name
        self.streams = Streams(library)
        self._pool: PoolNarrator | None = None
        self.shelves: dict[str, Shelf] = {self.voice: Shelf(self.voice, library, self.options, self.narrator)}
        for name in dict.fromkeys(voices):
            if name in self.shelves:
                continue
            if cluster is not None:
                raise UsageError(_("--voices and --cluster together are not supported yet: one voice per cluster"))
            other = replace(narration, voice=name)
            sub = library / VOICES / name
            self.shelves[name] = Shelf(name, sub, BatchOptions(sub, narration=other, title=title), Narrator(other))

    # -- life --------------------------------------------------------------------------------------------

    def start(self) -> Narrations:
        stack = self._stack
        try:
            prepare_library(self.library)
            self.streams.clear()
            stack.callback(self.streams.clear)
            fetcher = stack.enter_context(PoliteFetcher(timeout=self.options.narration.timeout, stop=self.stop))
            if self.options.cluster is None and self.processes:
                self._pool = PoolNarrator(self.narrator, self.workers, self.stop)
                stack.callback(self._pool.close)
            for shelf in self.shelves.values():
                self._open(shelf, fetcher)
            self.catalog = self.shelves[self.voice].catalog
            self.runner = self.shelves[self.voice].runner
            self.threads = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="serve-job")
            stack.callback(self.threads.shutdown, wait=True, cancel_futures=True)
            stack.callback(self.stop.set)  # runs first: jobs in flight stop at their next report
            for shelf in self.shelves.values():
                self._publish(shelf)  # the index page, also of a library that holds nothing yet (GET /)
            for shelf in self.shelves.values():
                self._resume(shelf)
        except BaseException:
            stack.close()
            raise
        return self

    def _open(self, shelf: Shelf, fetcher: PoliteFetcher) -> None:
        library = prepare_library(shelf.library)
        stack = self._stack
        stack.enter_context(LibraryLock(library))
        lost = not (library / CATALOG_NAME).exists()
        shelf.catalog = stack.enter_context(SQLiteCatalog(library))
        shelf.catalog.recover()
        if lost:
            rebuild(library, shelf.catalog)
        stack.callback(shutil.rmtree, library / STAGING, ignore_errors=True)
        shutil.rmtree(library / STAGING, ignore_errors=True)
        shelf.runner = article_runner(shelf.options, shelf.catalog, fetcher, shelf.narrator, stop=self.stop,
                                      progress=functools.partial(self._on_event, shelf))
        if self.options.cluster is not None:  # as batch --cluster: only the narrating moves to the workers
            remote = stack.enter_context(open_cluster(self.options.cluster, shelf.narrator, stop=self.stop,
                                                      workers=self.workers, security=self.options.cluster_security))
            shelf.runner.narrate = remote.narrate_article
        else:
            shelf.runner.narrate = functools.partial(self._narrate, shelf)
        # The ids of the rows, kept in step by this server (it holds the library's lock: no batch writes it).
        shelf.keys = {job_id(e.source): e.source for e in shelf.catalog.published()}
        shelf.keys.update((job_id(s), s) for s in shelf.catalog.interrupted_sources())

    def _resume(self, shelf: Shelf) -> None:
        """Queue again the articles whose narration a stopped or killed server left unfinished (their staging
        folder is gone: no partial file was ever in the library)."""
        for source in shelf.catalog.interrupted_sources():
            try:
                self.submit(source, voice=shelf.voice)
            except QueueFull:
                return
            except ReaderError as exc:  # not a URL of these sites (a batch's file, a site no longer served)
                log.info("%s: not resumed: %s", source, exc)

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> Narrations:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the queue ---------------------------------------------------------------------------------------

    def warm(self) -> bool:
        """Whether the worker processes have loaded the default voice (always, without a pool)."""
        return self._pool is None or self._pool.warm()

    def pending(self) -> int:
        """Jobs queued or running."""
        with self._lock:
            return sum(j.status in ("queued", "running") for j in self._jobs.values())

    def shelf(self, voice: str | None) -> Shelf:
        """The narrations of ``voice`` (None: the default); ``UsageError`` (one line) for one not allowed."""
        if voice is None:
            return self.shelves[self.voice]
        found = self.shelves.get(voice)
        if found is None:
            allowed = ", ".join(self.shelves)
            raise UsageError(_("voice {voice!r} is not offered by this server (it offers: {allowed})").format(
                voice=str(voice)[:40], allowed=allowed))
        return found

    def submit(self, url: str, *, voice: str | None = None, force: bool = False) -> Job:
        """The job for ``url`` in ``voice`` (default: the server's): an existing one, a done one when the
        library's narration is current (unless ``force``), or a new one queued. ``OffSite``, ``UsageError``
        (also for a voice not offered), ``QueueFull``. Reads the catalog: call it from a thread, not the event
        loop."""
        shelf = self.shelf(voice)
        url = urldefrag(url).url  # the same page, whatever its #fragment
        self.sites.check(url)
        source = url_for_display(url)
        key = narration_id(source, shelf.voice, self.voice)
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and job.status in ("queued", "running"):
                return job
        entry = shelf.catalog.get(source)
        if not force and shelf.runner.current(entry) and entry is not None:
            return Job(key, source, url, "done", 1.0, title=entry.title, voice=shelf.voice)
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and job.status in ("queued", "running"):
                return job
            busy = sum(j.status in ("queued", "running") for j in self._jobs.values())
            if busy >= self.workers + self.queue:
                raise QueueFull(_("the narration queue is full ({busy} articles); try again later").format(busy=busy),
                                retry_after=30)
            if len(self._jobs) >= MAX_JOBS:  # forget the oldest finished ones (the catalog keeps their outcome)
                for old in [k for k, j in self._jobs.items() if j.done.is_set()][: MAX_JOBS // 2]:
                    del self._jobs[old]
            job = self._jobs[key] = Job(key, source, url, voice=shelf.voice)
        self.threads.submit(self._run, shelf, job)
        return job

    def _run(self, shelf: Shelf, job: Job) -> None:
        started = time.perf_counter()
        outcome: Outcome | None = None
        try:
            job.status = "running"
            shelf.keys[job_id(job.source)] = job.source
            outcome = shelf.runner.article(job.url)
            job.title = outcome.title or job.title
            if outcome.status == "failed":
                job.status, job.error = "failed", outcome.error
            else:
                job.progress = 1.0
                self._publish(shelf)
                job.status = "done"
        except BaseException as exc:  # the library itself (its catalog): this job fails, the server goes on
            if self.stop.is_set() or isinstance(exc, (Stopped, KeyboardInterrupt)):  # the batch's _Stop too
                job.status, job.error = "failed", _("the server is stopping")
                return
            log.exception("%s: narration failed", job.source)
            job.status, job.error = "failed", str(exc) if isinstance(exc, ReaderError) else f"{type(exc).__name__}: {exc}"
        finally:
            job.seconds = time.perf_counter() - started
            with self._lock:
                self.streams.finished(job.id)
            job.done.set()
            if self.on_finished is not None:
                self.on_finished(Finished(job, outcome))

    def _narrate(self, shelf: Shelf, article: Article, *, output: Path, progress: ProgressCallback | None = None,
                 stage: StageCallback | None = None, source: str | None = None) -> Narration:
        """The runner's seam: narrate in the pool (or here), the chunks heard ahead written to the job's
        stream folder as they are laid out."""
        key = narration_id(source, shelf.voice, self.voice) if source is not None else None
        with self._lock:
            job = self._jobs.get(key) if key is not None else None
        folder = None
        if job is not None:
            job.chunks = []
            folder = self.streams.folder(job.id)
        report = job.chunks.append if job is not None else None
        if self._pool is not None:
            return self._pool.narrate_article(article, output=output, progress=progress, stage=stage, source=source,
                                              narrator=shelf.narrator, stream=folder, on_chunk=report)
        listen = stream_writer(folder, report) if folder is not None and report is not None else None
        return shelf.narrator.narrate_article(article, output=output, progress=progress, stage=stage,
                                              source=source, listen=listen)

    def _publish(self, shelf: Shelf) -> None:
        """The index and the feed, from the catalog (one job at a time: the last writer saw every row)."""
        with self._publish_lock:
            try:
                published = episodes(shelf.catalog.published(), shelf.library)
                write_index(published, shelf.library, title=shelf.options.title)
                write_feed(published, shelf.library, info=shelf.options.feed_info())
            except (ReaderError, OSError) as exc:
                log.warning("%s", exc)

    def _on_event(self, shelf: Shelf, event: BatchEvent) -> None:
        with self._lock:
            job = self._jobs.get(narration_id(event.source, shelf.voice, self.voice))
        if job is None:
            return
        if event.title:
            job.title = event.title
        if event.kind == "stage" and event.stage:
            job.stage = event.stage
        elif event.kind == "chunks" and event.chunks is not None and event.chunks.total:
            # Per chunk, never backwards (cached chunks are counted first); 1.0 only once the file is in place.
            job.progress = max(job.progress, min(0.99, event.chunks.done / event.chunks.total))

    # -- what the API shows ------------------------------------------------------------------------------

    def job(self, key: str) -> Job | None:
        """This run's job ``key`` (its ``done`` event is set when it ends), if there is one."""
        with self._lock:
            return self._jobs.get(key)

    def split(self, key: str) -> tuple[Shelf, str] | None:
        """The shelf and the catalog key of the narration id ``key`` (None: not an id of this server)."""
        base, _sep, voice = key.partition("-")
        shelf = self.shelves.get(voice or self.voice)
        if shelf is None or (voice and voice == self.voice):
            return None
        return shelf, base

    def find(self, key: str) -> tuple[Job | None, Entry | None, Shelf | None]:
        """The job (this run's), the catalog row and the shelf of the narration ``key``: a lookup by id
        (``Shelf.keys``), then one row. Reads the catalog."""
        with self._lock:
            job = self._jobs.get(key)
        found = self.split(key)
        if found is None:
            return job, None, None
        shelf, base = found
        source = job.source if job is not None else shelf.keys.get(base)
        entry = shelf.catalog.get(source) if source is not None else None
        return job, entry, shelf

    def record(self, shelf: Shelf, entry: Entry) -> NarrationRecord | None:
        if not entry.manifest:
            return None
        try:
            return NarrationRecord.read(shelf.library / entry.manifest)
        except RecordError:
            return None

    def delete(self, key: str) -> bool:
        """Remove the narration ``key`` (its files, then its row); False if there is none or it is in flight."""
        job, entry, shelf = self.find(key)
        if job is not None and job.status in ("queued", "running"):
            return False
        if entry is None or shelf is None:
            return False
        for name in entry.outputs():
            (shelf.library / name).unlink(missing_ok=True)
        shelf.catalog.forget(entry.source)
        shelf.keys.pop(job_id(entry.source), None)
        with self._lock:
            self._jobs.pop(key, None)
        self._publish(shelf)
        return True


# -- narrating in worker processes ----------------------------------------------------------------------------


class PoolNarrator:
    """``Narrator.narrate_article`` in a pool of ``workers`` spawned processes (see the module docstring)."""

    def __init__(self, narrator: Narrator, workers: int, stop: threading.Event) -> None:
        self.narrator = narrator
        self.stop = stop
        self.workers = workers
        self.context = multiprocessing.get_context("spawn")  # fork would copy the server's threads and locks
        self.reports: Any = self.context.Queue()
        self.halt: Any = self.context.Event()  # set on close: the workers drop their articles at the next chunk
        self._lock = threading.Lock()
        self.pool = self._new_pool()
        # Start the processes and load the voice now, not on the first click.
        self.warming = [self.pool.submit(_warm_worker, narrator.options) for _n in range(workers)]
        self._waiting: dict[str, queues.SimpleQueue[tuple[str, Any]]] = {}
        self._router = threading.Thread(target=self._route, name="serve-reports", daemon=True)
        self._router.start()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=self.context, initializer=_init_worker,
                                   initargs=(self.reports, self.halt))

    def warm(self) -> bool:
        """Whether the workers' warm-up (started with the pool) is over."""
        return all(f.done() for f in self.warming)

    def close(self) -> None:
        self.halt.set()
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.reports.put(None)
        self._router.join(timeout=5)
        self.reports.close()

    def _route(self) -> None:
        while True:
            try:
                report = self.reports.get()
            except (EOFError, OSError):
                return
            if report is None:
                return
            token, kind, value = report
            with self._lock:
                waiting = self._waiting.get(token)
            if waiting is not None:
                waiting.put((kind, value))

    def narrate_article(self, article: Article, *, output: Path, progress: ProgressCallback | None = None,
                        stage: StageCallback | None = None, source: str | None = None,
                        narrator: Narrator | None = None, stream: Path | None = None,
                        on_chunk: Callable[[StreamChunk], None] | None = None) -> Narration:
        """As ``Narrator.narrate_article`` of ``narrator`` (default: the pool's), in a worker process; with a
        ``stream`` folder, the worker writes each chunk there as it is laid out and ``on_chunk`` is told."""
        narrator = narrator or self.narrator
        token = hashlib.sha256(f"{output}{time.monotonic_ns()}".encode()).hexdigest()[:16]
        inbox: queues.SimpleQueue[tuple[str, Any]] = queues.SimpleQueue()
        with self._lock:
            self._waiting[token] = inbox
        pool = self.pool
        try:
            future: Future[Narration] = pool.submit(_narrate_in_worker, narrator.options, article,
                                                    str(output), source, token,
                                                    str(stream) if stream is not None else None)
            future.add_done_callback(lambda _f: inbox.put(("done", None)))
            if stage:
                stage("queued")
            while True:
                if self.stop.is_set():
                    future.cancel()
                    raise Stopped("the server is stopping")
                try:
                    kind, value = inbox.get(timeout=0.5)
                except queues.Empty:
                    continue
                if kind == "done":
                    break
                if kind == "stage" and stage:
                    stage(str(value))
                elif kind == "chunks" and progress:
                    progress(Progress(*value))
                elif kind == "chunk" and on_chunk:
                    on_chunk(StreamChunk(*value))
            narration = future.result()
        except BrokenProcessPool as exc:  # a worker died (killed, out of memory): this article fails, not the next
            with self._lock:
                if self.pool is pool:
                    self.pool = self._new_pool()
            pool.shutdown(wait=False, cancel_futures=True)
            raise ReaderError(_("the worker process narrating this article died (killed, or out of memory?)")) from exc
        finally:
            with self._lock:
                self._waiting.pop(token, None)
        if narration.record.fingerprint and narrator.fingerprint(article) != narration.record.fingerprint:
            raise LibraryError(_("a worker process narrated with other settings than the server's"))
        return replace(narration, preset=narrator.preset)


_REPORTS: Any = None
_HALT: Any = None
_NARRATORS: dict[str, Narrator] = {}


class _Halted(BaseException):
    """The server is stopping: the article in this worker is dropped (its staging folder is cleared)."""


def _init_worker(reports: Any, halt: Any) -> None:
    global _REPORTS, _HALT
    _REPORTS, _HALT = reports, halt
    # A Ctrl-C in the terminal reaches the whole process group: the server stops its workers in order.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _narrator(options: NarrateOptions) -> Narrator:
    key = repr(options)
    narrator = _NARRATORS.get(key)
    if narrator is None:
        narrator = _NARRATORS[key] = Narrator(options)
    return narrator


def _warm_worker(options: NarrateOptions) -> None:
    """In a worker process, at the server's start: its narrator, its text front end (lexicon, normalizer,
    segmenter) and the voice's model loaded by one short sentence, so that the first click waits for none."""
    narrator = _narrator(options)
    article = clean_article(Article("你好", [Chapter(None, ["今天是2024年3月1日，天气很好。"])]))
    try:
        backend = narrator.backend
        chunks = segment(article, backend.max_chunk_chars, spoken_form(narrator.lexicon, narrator.abilities))
        backend.synthesize(chunks[-1].spoken, narrator.preset.voice, narrator.rate)
    except ReaderError as exc:  # the first article will say why, in its own words
        log.info("warming the voice up: %s", exc)


def _narrate_in_worker(options: NarrateOptions, article: Article, output: str, source: str | None,
                       token: str, stream: str | None = None) -> Narration:
    """In a worker process: narrate ``article`` into ``output`` (the server's staging folder); each chunk laid
    out into ``stream`` too, if given (``reader.serve.stream``). Progress is reported per chunk."""
    narrator = _narrator(options)

    def on_stage(name: str) -> None:
        if _HALT.is_set():
            raise _Halted
        _REPORTS.put((token, "stage", name))

    def on_chunks(p: Progress) -> None:
        if _HALT.is_set():
            raise _Halted
        _REPORTS.put((token, "chunks", (p.done, p.total, p.chars_done, p.chars_total, p.cached)))

    def on_chunk(c: StreamChunk) -> None:
        _REPORTS.put((token, "chunk", (c.index, c.text, c.duration)))

    listen = stream_writer(Path(stream), on_chunk) if stream is not None else None
    return narrator.narrate_article(article, output=Path(output), source=source, progress=on_chunks,
                                    stage=on_stage, listen=listen)
