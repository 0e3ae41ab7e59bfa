"""``reader batch``: narrate many articles into a library (MP3, or another format, + VTT + JSON each), with a
catalog, a podcast feed and an index page.

How a run goes (``run_batch``):

1. **Inputs** are discovered first (``reader.source.discover``): only their names, so the list is small however
   large the archive. The voice, rate and engine are resolved once, and their fingerprint (the settings
   hash) decides with the article's hashes whether an article must be narrated again.
2. **The library** is created if needed and locked for the run (``catalog.LibraryLock``: a second batch is
   refused). Leftovers of a killed run are cleared: its staging folder, and catalog rows still marked running
   (also at the end of this run, however it ends). A library whose catalog is missing is first rebuilt from
   its own files (``reader.library.rebuild``): its narrations are adopted, not made again.
3. **Articles** go through a thread pool, ``jobs`` at a time, fed from the list as earlier ones finish, so
   that no more than ``jobs`` articles (and their audio) are ever held. Each one: fetch (URLs politely, see
   ``reader.source.polite``; links found with ``--follow`` only where ``Discovery.scope`` allows) → skip if its
   bytes, or else its extracted article, and the settings are those of the narration the library already holds,
   or adopt the narration beside it when its record has the fingerprint this run would make → claim a file
   name → narrate (``reader.narration.pipeline.narrate_article``,
   sharing the process's backend and the chunk cache) into a staging folder inside the library → write its
   listen page there (``reader.publish.page``, when installed) → move the files into place → record the row. A
   failing article is recorded with its error and the batch goes on.
4. **Feed and index** are rewritten from the catalog at the end (also after Ctrl-C).

With ``cluster`` (``--cluster local`` or a Dask scheduler's address) everything above stays in this process;
only the narration of each article runs on a worker of the cluster (``reader.library.cluster``), which hands
the files back to the same thread, and the pool keeps as many articles in flight as the cluster has worker
threads, two each.

Ctrl-C (or SIGTERM, or a progress callback raising ``KeyboardInterrupt``) sets a stop flag; fetches in flight
are aborted at once, the engine is told to give up its requests (``cancel``, when it has one: the Edge
voices), articles in flight stop at their next progress report, their staging folders are removed, and
``BatchInterrupted`` is raised once the feed and index are written. An error of the library itself (its
catalog cannot be written: a full disk) stops the batch the same way and is raised as it is.

Sources are recorded and shown without credentials (``reader._clean.url_for_display``); a URL's
``user:password@`` is used only to fetch it. Files reach the library only by renames out of the staging folder, in the
worker, with no callback in between, so the library never holds half an article; the next run resumes.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from reader._clean import url_for_display
from reader._files import reason
from reader.errors import (
    BatchInterrupted,
    ClusterError,
    LibraryError,
    OutputError,
    ReaderError,
    RecordError,
    UsageError,
)
from reader.extraction import extract
from reader.i18n import _
from reader.library.catalog import CATALOG_NAME, Catalog, Entry, Published, SQLiteCatalog
from reader.library.cluster import MAX_IN_FLIGHT, ClusterSecurity, check_cluster, open_cluster
from reader.library.episodes import episodes
from reader.library.lock import LibraryLock
from reader.library.rebuild import adoptable, rebuild
from reader.models import Article, Source
from reader.narration.fingerprint import content_hash
from reader.narration.pipeline import NarrateOptions, Narration, Narrator
from reader.narration.record import NarrationRecord
from reader.publish.feed import SUMMARY_CHARS, FeedInfo, check_base_url, write_feed
from reader.publish.index import write_index
from reader.publish.page import write_page
from reader.source.address import Scope
from reader.source.discover import Discovery, discover
from reader.source.fetch import is_url, read_file
from reader.source.polite import PoliteFetcher, Stopped
from reader.speech.synthesize import Progress

log = logging.getLogger(__name__)

STAGING = ".staging"


@dataclass(frozen=True)
class BatchOptions:
    """Everything ``run_batch`` can be told; validated on construction.

    How each article is narrated (voice, rate, format, cover, loudness, names, cache, fallback, the fetch
    timeout) is ``narration``, the ``NarrateOptions`` the narrator takes as they are; its ``output`` and
    ``output_dir`` are not used (the library names the files)."""

    library: Path
    narration: NarrateOptions = field(default_factory=NarrateOptions)
    jobs: int = 1  # articles in flight (with cluster="local": the cluster's worker processes)
    follow: bool = False  # INPUT is a list page: narrate the articles it links to
    limit: int | None = None  # at most this many articles
    delay: float = 0.0  # seconds between two requests to one host
    base_url: str | None = None  # where the library will be served (feed URLs)
    title: str | None = None  # of the feed and the index (default: from the library folder's name)
    author: str | None = None  # of the feed (default: reader's name)
    image: str | None = None  # the feed's artwork: a PNG/JPEG file or an http(s) URL (default: reader's cover)
    email: str | None = None  # the feed owner's
    pages: bool = True  # write each article's listen page
    # Narrate on a Dask cluster: "local" (``jobs`` worker processes on this machine) or a scheduler's address
    # ("tcp://host:8786", "tls://host:8786"); None: threads of this process. See reader.library.cluster.
    cluster: str | None = None
    cluster_security: ClusterSecurity | None = None  # the certificates of a tls:// scheduler

    def __post_init__(self) -> None:
        if self.jobs < 1:
            raise UsageError(_("jobs must be at least 1, not {jobs}").format(jobs=self.jobs))
        if self.limit is not None and self.limit < 1:
            raise UsageError(_("limit must be at least 1, not {limit}").format(limit=self.limit))
        if self.delay < 0:
            raise UsageError(_("delay must be 0 or more seconds, not {delay}").format(delay=self.delay))
        if self.base_url is not None:
            check_base_url(self.base_url)
        if self.cluster is not None:
            object.__setattr__(self, "cluster", check_cluster(self.cluster, self.cluster_security))
        self.feed_info()  # validates the feed's settings (the artwork is a PNG or JPEG)

    def feed_info(self) -> FeedInfo:
        return FeedInfo(title=self.title, author=self.author, image=self.image, email=self.email)


Status = Literal["done", "skipped", "failed"]


@dataclass(frozen=True)
class Outcome:
    """What happened to one article in this run."""

    source: str
    status: Status
    title: str | None = None
    audio: Path | None = None
    duration: float | None = None
    error: str | None = None
    seconds: float = 0.0


@dataclass
class BatchResult:
    library: Path
    total: int
    done: list[Outcome] = field(default_factory=list)
    skipped: list[Outcome] = field(default_factory=list)
    failed: list[Outcome] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # input lines that were not articles
    duplicates: int = 0
    feed: Path | None = None
    index: Path | None = None
    seconds: float = 0.0

    def add(self, outcome: Outcome) -> None:
        {"done": self.done, "skipped": self.skipped, "failed": self.failed}[outcome.status].append(outcome)

    @property
    def finished(self) -> int:
        return len(self.done) + len(self.skipped) + len(self.failed)


@dataclass(frozen=True)
class BatchEvent:
    """A progress report. ``planned``: ``total`` articles found. ``started``/``stage``/``chunks``: an article
    is being worked on (reported from its worker thread). ``finished``: its ``outcome``."""

    kind: Literal["planned", "started", "stage", "chunks", "finished"]
    source: str = ""
    total: int = 0
    title: str | None = None
    stage: str | None = None
    chunks: Progress | None = None
    outcome: Outcome | None = None


BatchCallback = Callable[[BatchEvent], None]


class _Stop(BaseException):
    """Raised inside a worker when the batch is stopping (a BaseException, so that no handler swallows it)."""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def prepare_library(path: Path) -> Path:
    """The library folder, created if missing; ``OutputError`` if it is a file or not writable."""
    if path.exists() and not path.is_dir():
        raise OutputError(_("{path}: is a file, not a library folder").format(path=path))
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(_("{path}: cannot create the library folder ({strerror})").format(path=path, strerror=reason(exc))) from exc
    if not os.access(path, os.W_OK | os.X_OK):
        raise OutputError(_("{path}: library folder is not writable").format(path=path))
    return path


def run_batch(input_spec: str, options: BatchOptions, *, progress: BatchCallback | None = None) -> BatchResult:
    """Narrate every article of ``input_spec`` into ``options.library``; see the module docstring."""
    started = time.perf_counter()
    library = options.library
    if library.exists() and not library.is_dir():
        raise OutputError(_("{library}: is a file, not a library folder").format(library=library))
    # The voice, the engine and the lexicon are resolved once, before any article is touched; their
    # fingerprint decides, with each article's hashes, whether the library's narration of it is current.
    narrator = Narrator(options.narration)
    stop = threading.Event()
    remote = None
    with PoliteFetcher(delay=options.delay, timeout=options.narration.timeout, stop=stop) as fetcher, ExitStack() as stack:
        found = discover(input_spec, follow=options.follow, limit=options.limit, exclude=library,
                         fetch_page=fetcher.fetch)
        if options.cluster is not None:  # after discovery (a bad INPUT fails at once), before the library
            remote = stack.enter_context(open_cluster(options.cluster, narrator, stop=stop, workers=options.jobs,
                                                      security=options.cluster_security))
        prepare_library(library)
        with LibraryLock(library):
            lost = not (library / CATALOG_NAME).exists()
            with SQLiteCatalog(library) as catalog:
                try:
                    catalog.recover()
                    if lost:  # a new library, or one whose catalog was deleted: its files say what it holds
                        rebuild(library, catalog)
                    shutil.rmtree(library / STAGING, ignore_errors=True)
                    runner = _Runner(options, catalog, fetcher, narrator, stop, progress, found.scope)
                    if remote is not None:
                        runner.narrate, runner.slots = remote.narrate_article, remote.in_flight
                    result = runner.run(found)
                    published = episodes(catalog.published(), library)
                    result.feed = write_feed(published, library, base_url=options.base_url,
                                             info=options.feed_info())
                    result.index = write_index(published, library, title=options.title)
                finally:
                    shutil.rmtree(library / STAGING, ignore_errors=True)
                    _end_attempts(catalog)
    result.seconds = time.perf_counter() - started
    if runner.interrupted:
        left = result.total - result.finished
        summary = _("{done_count} narrated, {skipped_count} unchanged, {failed_count} failed, {left} not done; run "
                    "the same command again to resume").format(done_count=len(result.done),
                                                                 skipped_count=len(result.skipped),
                                                                 failed_count=len(result.failed), left=left)
        if remote is not None and remote.lost:
            raise ClusterError(_("{lost}: {summary}").format(lost=remote.lost, summary=summary))
        raise BatchInterrupted(_("interrupted: {summary}").format(summary=summary))
    return result


def article_runner(options: BatchOptions, catalog: Catalog, fetcher: PoliteFetcher, narrator: Narrator, *,
                   stop: threading.Event, progress: BatchCallback | None = None,
                   scope: Scope | None = None) -> _Runner:
    """What ``run_batch`` narrates each article with, for a caller that has one article at a time (``reader
    serve``): ``.article(url)``; ``.narrate`` is the seam that moves narrating elsewhere (a process pool)."""
    return _Runner(options, catalog, fetcher, narrator, stop, progress, scope)


def _end_attempts(catalog: Catalog) -> None:
    """No row stays 'running' once the run is over (on a full disk ``recover`` uses the catalog's reserve)."""
    try:
        catalog.recover()
    except LibraryError as exc:
        log.warning("%s", exc)


class _Runner:
    def __init__(self, options: BatchOptions, catalog: Catalog, fetcher: PoliteFetcher, narrator: Narrator,
                 stop: threading.Event, progress: BatchCallback | None, scope: Scope | None = None) -> None:
        self.options = options
        self.scope = scope  # where the items may be fetched from (links found on a list page), or as typed
        self.library = options.library
        self.catalog = catalog
        self.fetcher = fetcher
        self.narrator = narrator
        self.settings = narrator.settings_fingerprint
        self.stop = stop
        self.progress = progress
        self.pages = options.pages
        self.interrupted = False
        # The seam for --cluster: who narrates an article, and how many articles to keep in flight.
        self.narrate: Callable[..., Narration] = narrator.narrate_article
        self.slots: Callable[[], int] = lambda: options.jobs

    def _emit(self, event: BatchEvent) -> None:
        if self.progress is not None:
            self.progress(event)

    def run(self, found: Discovery) -> BatchResult:
        result = BatchResult(self.library, len(found.items), ignored=list(found.ignored),
                             duplicates=found.duplicates)
        queue: Iterator[str] = iter(found.items)
        pending: dict[Future[Outcome], str] = {}
        # Threads are made as articles are submitted, so the bound is only a ceiling (slots() may grow).
        pool = ThreadPoolExecutor(max_workers=max(self.options.jobs, MAX_IN_FLIGHT), thread_name_prefix="batch")
        try:
            self._emit(BatchEvent("planned", total=len(found.items)))
            while True:
                while len(pending) < self.slots() and not self.stop.is_set():
                    spec = next(queue, None)
                    if spec is None:
                        break
                    pending[pool.submit(self._article, spec)] = spec
                if not pending:
                    break
                finished, _ = wait(pending, timeout=2.0, return_when=FIRST_COMPLETED)
                for future in finished:
                    pending.pop(future)
                    outcome = future.result()
                    result.add(outcome)
                    self._emit(BatchEvent("finished", outcome.source, title=outcome.title, outcome=outcome))
        except (KeyboardInterrupt, _Stop, Stopped):  # Stopped: a lost cluster scheduler stops the batch
            self.interrupted = True
            self._halt(pending, result)
        except BaseException:  # the library itself failed (its catalog): stop the others, then say why
            self._halt(pending, result)
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return result

    def _halt(self, pending: dict[Future[Outcome], str], result: BatchResult) -> None:
        """Stop every article in flight: their fetches abort, the engine gives up its requests, the rest stop
        at their next progress report."""
        self.stop.set()
        cancel = getattr(self.narrator.backend, "cancel", None)
        if callable(cancel):
            cancel()
        for future in pending:
            future.cancel()
        for future in pending:
            if future.cancelled():
                continue
            try:
                result.add(future.result())
            except (KeyboardInterrupt, _Stop, Stopped):
                pass
            except ReaderError as exc:
                log.warning("%s", exc)

    # -- one article, in a worker thread ----------------------------------------------------------------------

    # -- for ``reader serve``: one article at a time, with a batch's rules ----------------------------------

    def article(self, url: str) -> Outcome:
        """Fetch, skip, adopt or narrate ``url`` into the library and record its row, as a run does with each
        of its articles (``reader serve`` calls this from its job threads)."""
        return self._article(url)

    def current(self, entry: Entry | None) -> bool:
        """Whether the library holds a narration of ``entry`` made with these settings."""
        return self._current(entry)

    def _check(self) -> None:
        if self.stop.is_set():
            raise _Stop

    def _article(self, url: str) -> Outcome:
        spec = url_for_display(url)  # what is recorded and shown: no credentials
        started = time.perf_counter()
        timings: dict[str, float] = {}
        title: str | None = None
        try:
            self._check()
            self._emit(BatchEvent("started", spec))
            t = time.perf_counter()
            source = self._fetch(url, spec)
            timings["fetch"] = round(time.perf_counter() - t, 3)
            raw = _sha256(source.data)
            entry = self.catalog.get(spec)
            if self._current(entry) and entry is not None and entry.raw_hash == raw:
                return self._skip(spec, entry, raw, started)
            self._check()
            t = time.perf_counter()
            article = extract(source)
            timings["extract"] = round(time.perf_counter() - t, 3)
            title = article.title
            content = content_hash(article)
            if self._current(entry) and entry is not None and entry.content_hash == content:
                return self._skip(spec, entry, raw, started)
            adopted = self._adopt(spec, entry, article, raw, content, timings, started)
            if adopted is not None:
                return adopted
            self._check()
            audio_name = self.catalog.claim(spec, self.narrator.file_name(article), title=article.title)
            published = self._narrate(spec, article, audio_name, raw, content, timings)
            old = entry.outputs() if entry is not None else []
            for name in set(old) - {published.audio, published.vtt, published.manifest, published.page}:
                # the article's title (so its name) or the format changed
                (self.library / name).unlink(missing_ok=True)
            timings["total"] = round(time.perf_counter() - started, 3)
            self.catalog.done(spec, _with_timings(published, timings))
            return Outcome(spec, "done", article.title, self.library / published.audio, published.duration,
                           seconds=time.perf_counter() - started)
        except (KeyboardInterrupt, _Stop, Stopped):
            self.catalog.interrupted(spec)
            raise
        except LibraryError:
            raise  # the catalog itself: the batch cannot go on
        except ReaderError as exc:
            return self._failed(spec, title, str(exc), timings, started)
        except OSError as exc:  # a full disk, a vanished file: the article failed, in one line
            where = f"{exc.filename}: " if exc.filename else ""
            return self._failed(spec, title, f"{where}{reason(exc)}", timings, started)
        except Exception as exc:  # a bug, not the article: still recorded, and the batch goes on
            log.exception("%s: unexpected error", spec)
            return self._failed(spec, title, _("internal error: {error}").format(error=f"{type(exc).__name__}: {exc}"),
                                timings, started)

    def _failed(self, spec: str, title: str | None, error: str, timings: dict[str, float],
                started: float) -> Outcome:
        timings["total"] = round(time.perf_counter() - started, 3)
        self.catalog.failed(spec, error, timings)
        return Outcome(spec, "failed", title, error=error, seconds=time.perf_counter() - started)

    def _fetch(self, url: str, spec: str) -> Source:
        self._emit(BatchEvent("stage", spec, stage="fetch"))
        return self.fetcher.fetch(url, scope=self.scope) if is_url(url) else read_file(Path(url))

    def _orphan(self, audio: str, spec: str) -> bool:
        """Whether no other article's row lists ``audio`` (a row rebuilt from the files, with no hashes yet,
        does not count: it is a stand-in for whichever article the files turn out to be)."""
        return not any(e.audio == audio and e.source != spec and e.raw_hash for e in self.catalog.published())

    def _adopt(self, spec: str, entry: Entry | None, article: Article, raw: str, content: str,
               timings: dict[str, float], started: float) -> Outcome | None:
        """The library already holds exactly this narration (its record beside the audio has the fingerprint
        this run would make: a catalog rebuilt or lost, a killed run): record it as this article's."""
        key = self.narrator.fingerprint(article)
        candidates = [entry.manifest if entry is not None else None, Path(self.narrator.file_name(article)).stem + ".json"]
        for manifest in dict.fromkeys(c for c in candidates if c):
            found = adoptable(self.library, manifest, key)
            if found is None:
                continue
            audio, record = found
            if record.source not in (None, spec) or not self._orphan(audio.name, spec):
                continue  # another article's narration (a mirror of the same text keeps its own files)
            page = audio.with_suffix(".html")
            published = Published(
                raw_hash=raw, content_hash=content, settings_hash=self.settings, title=article.title,
                date=article.date, site=article.source, url=article.url, summary=_summary(article),
                duration=round(record.audio.duration, 3), chapters=len(record.chapters), audio=audio.name,
                format=record.audio.format,
                vtt=audio.with_suffix(".vtt").name if audio.with_suffix(".vtt").is_file() else None,
                manifest=manifest, page=page.name if page.is_file() else None, timings=dict(timings),
            )
            if self.pages and published.page is None:
                published = Published(**{**asdict(published), "page": self._page(audio)})
            self.catalog.done(spec, published)
            return Outcome(spec, "skipped", article.title, audio, published.duration,
                           seconds=time.perf_counter() - started)
        return None

    def _current(self, entry: Entry | None) -> bool:
        """Whether the library holds a narration of ``entry`` made with this run's settings."""
        if entry is None or entry.settings_hash != self.settings or not entry.audio:
            return False
        if not all((self.library / name).is_file() for name in (entry.audio, entry.vtt, entry.manifest) if name):
            return False
        if entry.manifest:  # a damaged record beside the audio is made again, not left for the user to delete
            try:
                NarrationRecord.read(self.library / entry.manifest)
            except RecordError:
                return False
        return True

    def _skip(self, spec: str, entry: Entry, raw: str, started: float) -> Outcome:
        page = entry.page
        if self.pages and entry.audio and not (page and (self.library / page).is_file()):
            page = self._page(self.library / entry.audio)  # pages came later than this narration: add one
        self.catalog.unchanged(spec, raw, page=page)
        return Outcome(spec, "skipped", entry.title, self.library / entry.audio if entry.audio else None,
                       entry.duration, seconds=time.perf_counter() - started)

    def _page(self, audio: Path) -> str | None:
        try:
            return write_page(audio).name
        except ReaderError as exc:
            log.warning(_("%s: no listen page: %s"), audio.name, exc)
            return None

    def _narrate(self, spec: str, article: Article, audio_name: str, raw: str, content: str,
                 timings: dict[str, float]) -> Published:
        """Narrate into a staging folder, then move the files into the library."""
        staging = self.library / STAGING / _sha256(spec.encode("utf-8"))[:16]
        shutil.rmtree(staging, ignore_errors=True)
        try:
            staging.mkdir(parents=True)
        except OSError as exc:
            raise OutputError(_("{staging}: cannot create ({strerror})").format(staging=staging, strerror=reason(exc))) from exc
        try:
            t = time.perf_counter()
            narration = self.narrate(
                article,
                source=spec,
                output=staging / audio_name,
                progress=lambda p: self._on_chunks(spec, article.title, p),
                stage=lambda s: self._on_stage(spec, article.title, s),
            )
            timings["narrate"] = round(time.perf_counter() - t, 3)
            self._check()
            page = self._page(narration.audio) if self.pages else None
            self._check()
            files = [p for p in (narration.vtt, narration.manifest) if p is not None]
            if page is not None:
                files.append(staging / page)
            return self._publish(narration, files, raw, content, page)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _publish(self, narration: Narration, sidecars: list[Path], raw: str, content: str,
                 page: str | None) -> Published:
        """Move the narration's files into the library: sidecars first, the audio last (renames only)."""
        for path in [*sidecars, narration.audio]:
            try:
                os.replace(path, self.library / path.name)
            except OSError as exc:
                raise OutputError(_("cannot move {name} into {library}: {strerror}").format(name=path.name, library=self.library, strerror=reason(exc))) from exc
        article = narration.article
        # An article a fallback engine helped with is recorded under other settings, so the next run (when
        # the voice's own service may answer again) makes it anew rather than skipping it.
        helped = narration.record.helped()
        return Published(
            raw_hash=raw,
            content_hash=content,
            settings_hash=self.settings + ("+fallback" if helped else ""),
            title=article.title,
            date=article.date,
            site=article.source,
            url=article.url,
            summary=_summary(article),
            duration=round(narration.duration, 3),
            chapters=len(narration.chapters),
            audio=narration.audio.name,
            format=narration.record.audio.format,
            vtt=narration.vtt.name if narration.vtt else None,
            manifest=narration.manifest.name if narration.manifest else None,
            page=page,
            timings={},
        )

    def _on_chunks(self, spec: str, title: str, progress: Progress) -> None:
        self._check()
        self._emit(BatchEvent("chunks", spec, title=title, chunks=progress))

    def _on_stage(self, spec: str, title: str, stage: str) -> None:
        self._check()
        self._emit(BatchEvent("stage", spec, title=title, stage=stage))


def _with_timings(published: Published, timings: dict[str, float]) -> Published:
    return Published(**{**asdict(published), "timings": dict(timings)})


def _summary(article: Article) -> str:
    text = " ".join(article.paragraphs())
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"
