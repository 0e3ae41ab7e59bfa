"""``reader batch --cluster``: the articles of a batch narrated by the workers of a Dask cluster.

``--cluster local`` starts a ``distributed.LocalCluster`` of worker *processes* on this machine;
``--cluster tcp://host:8786`` joins the workers of a running ``dask scheduler`` (started by hand, over SSH, or
by dask-jobqueue or dask-kubernetes). ``distributed`` is the optional extra ``zh-news-reader[cluster]``.

**Who may use it.** A Dask scheduler runs whatever any client that reaches its port submits, on every worker:
a plain ``tcp://`` scheduler belongs on a private network. ``tls://host:8786`` with ``ClusterSecurity`` (a CA
file, this client's certificate and key) is Dask's own mutual TLS (``distributed.security.Security``): the
scheduler started with ``--tls-ca-file``, ``--tls-cert`` and ``--tls-key`` takes only clients whose
certificate its CA signed, and this client only a scheduler whose certificate the given CA signed.
``require_encryption`` refuses a plain ``tcp://`` address outright. Before the Dask client is made, one
handshake with the scheduler (``_reach``), bounded by Dask's connect timeout and interruptible by Ctrl-C, says
in one line what is wrong: a refused certificate, a port that is not a Dask scheduler (an HTTP server, a
silent socket: Dask's own handshake waits for ever), or nothing listening.

**Who does what.** The batch process stays the owner of everything shared: discovery, polite fetching,
extraction and the skip decision, the file-name claims, the catalog and the library's lock, the listen pages,
the feed and the index (``reader.library.batch``, unchanged). Only narrating moves: ``ClusterNarrator`` has
the signature of ``Narrator.narrate_article``, and the batch calls it instead, from the same thread that
fetched the article. It submits ``narrate_on_worker`` as one Dask task per article; the worker segments,
synthesizes, assembles and tags the audio and writes the VTT and the record in a scratch folder of its own,
then returns the files as bytes; the owner writes them into its staging folder, and the batch moves them into
the library and records the row exactly as for a local narration. Why (measured by ``benchmarks/cluster.py``,
written up in ``docs/scaling.md``):

- **Files travel as bytes** in the task's result, not through a shared library folder: it works with no
  shared file system, the owner stays the only writer of the library (so its lock and the "files by rename,
  then the row" rule mean what they meant), and it is cheap: a 15-minute MP3 is 7 MB at 64 kbit/s, a few
  tens of milliseconds on this machine's loopback and well under a second on a LAN, against minutes of
  synthesis for the same article.
- **Fetching stays in the owner**, so ``PoliteFetcher``'s per-host concurrency, delay and robots.txt hold for
  the whole batch with no new code; a cluster-wide ``distributed.Semaphore`` would give the concurrency
  only (not the start-to-start delay, not one robots.txt per host) at a scheduler round trip per request.
  Workers receive the extracted ``Article``, never a URL.
- **Engines load once per worker process**: ``_narrator`` keeps one ``Narrator`` per set of options per
  process, and the speech registry one engine per process, for every task the worker runs. The chunk cache
  and the narration store are the worker's (its ``--cache-dir``, or its user cache directory): shared when
  the workers share a file system, per machine otherwise; both are content-addressed and written by renames,
  so any number of processes can fill them.

**Failures.** A ``ReaderError`` in a task comes back as that article's error, so a bad article fails alone,
with the message a local batch would give. A worker that dies mid-article (killed, out of memory) loses
only its scratch folder: the scheduler runs the task again on another worker
(``distributed.scheduler.allowed-failures``, 3 by default) and the owner simply waits longer; an article that
kills every worker it lands on fails as ``KilledWorker``, in one line. Every result carries the worker's
settings fingerprint, and one that differs from the batch's (another reader version, voice or lexicon on
that machine) fails the article rather than mislabel its audio in the catalog.

**Stopping.** Ctrl-C (or the batch's stop flag) makes each waiting owner thread cancel its task; the workers
are told to drop the batch (``_stop_batch``), so a running task stops at its next chunk and removes its
scratch folder; the batch then marks those articles interrupted as it does locally. A ``LocalCluster``'s
worker processes ignore SIGINT (they are started with it ignored), so a Ctrl-C in the terminal reaches the
batch only and the owner shuts the workers down in order. A lost scheduler stops the batch the same way, and
``run_batch`` reports it as ``ClusterError``.

**Progress.** Workers report stages and chunk counts with ``Worker.log_event`` on a topic of the batch; the
owner routes each report to the thread waiting for that article, which calls the batch's callbacks there, as
``Narrator.narrate_article`` does locally, so the progress view and the summary are the same.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import shutil
import signal
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import CancelledError, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from reader import errors
from reader._files import check_regular, reason, write_atomic
from reader._system import usable_cores
from reader.errors import ClusterError, OutputError, ReaderError, UsageError
from reader.i18n import _
from reader.models import Article
from reader.narration.pipeline import NarrateOptions, Narration, Narrator, StageCallback
from reader.narration.record import NarrationRecord
from reader.source.address import check_scheduler
from reader.source.polite import Stopped
from reader.speech.synthesize import Progress, ProgressCallback

if TYPE_CHECKING:
    from distributed import Client, Future, LocalCluster

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'zh-news-reader[cluster]'"
LOCAL = "local"
#: A worker reports chunk progress at most this often (and always the last chunk).
CHUNK_REPORTS_EVERY = 0.25
#: Articles in flight per worker thread: one narrating, one fetched and waiting on the scheduler, so a
#: worker never idles while the owner fetches; and a ceiling on the owner's threads.
PER_THREAD = 2
MAX_IN_FLIGHT = 512


@dataclass(frozen=True)
class ClusterSecurity:
    """What a ``tls://`` scheduler asks of its clients (``--cluster-ca``, ``--cluster-cert``, ``--cluster-key``,
    ``--cluster-require-encryption``, or the ``[cluster]`` table of config.toml): the CA that signed the
    scheduler's certificate (and this client's), this client's certificate, and its key when it is not in the
    certificate's file. ``require_encryption``: refuse a plain ``tcp://`` address. With ``--cluster local``
    none of it is used (the local cluster listens on 127.0.0.1 only)."""

    ca_file: Path | None = None
    cert: Path | None = None
    key: Path | None = None
    require_encryption: bool = False

    @property
    def certificates(self) -> bool:
        return any(p is not None for p in (self.ca_file, self.cert, self.key))

    def files(self) -> list[tuple[str, Path]]:
        return [(option, path) for option, path in (("--cluster-ca", self.ca_file), ("--cluster-cert", self.cert),
                                                    ("--cluster-key", self.key)) if path is not None]


def check_cluster(spec: str, security: ClusterSecurity | None = None) -> str:
    """``spec`` as ``--cluster`` takes it: ``local``, or a scheduler address (``tcp://host:8786``, or
    ``tls://host:8786`` with ``security``'s certificates; a bare ``host:port`` means tls with certificates, tcp
    without). ``UsageError`` otherwise, and for certificate files that cannot be read. Needs no
    ``distributed``."""
    spec = spec.strip()
    if spec == LOCAL:
        return spec
    security = security or ClusterSecurity()
    if "://" not in spec:
        spec = ("tls://" if security.certificates else "tcp://") + spec
    check_scheduler(spec)  # no password, no malformed host (issue 23 B8)
    scheme, _sep, rest = spec.partition("://")
    host, _sep2, port = rest.rpartition(":")
    if scheme not in ("tcp", "tls") or not host or not port.isdigit():
        raise UsageError(_("--cluster {spec!r}: give 'local' or a Dask scheduler's address, like tcp://head:8786").format(spec=spec))
    if scheme == "tls" and (security.ca_file is None or security.cert is None):
        raise UsageError(_("--cluster {spec}: a tls:// scheduler needs --cluster-ca and --cluster-cert (and "
                           "--cluster-key unless the key is in the certificate's file)").format(spec=spec))
    if scheme == "tcp" and security.require_encryption:
        raise UsageError(_("--cluster {spec}: a plain tcp:// scheduler, but encryption is required "
                           "(--cluster-require-encryption); use tls://").format(spec=spec))
    if scheme == "tcp" and security.certificates:
        raise UsageError(_("--cluster {spec}: certificates are given but the address is plain tcp://; use "
                           "tls://").format(spec=spec))
    for option, path in security.files():
        _check_readable(option, path)
    return spec


def _check_readable(option: str, path: Path) -> None:
    """A certificate or key file: a regular file this process can read (never a FIFO, which would hang)."""
    check_regular(path, option)
    try:
        with path.open("rb") as handle:
            handle.read(1)
    except OSError as exc:
        raise UsageError(_("{option} {path}: cannot read it ({error})").format(option=option, path=path,
                                                                              error=reason(exc))) from None


def _distributed() -> ModuleType:
    try:
        import distributed
    except ImportError:
        raise ClusterError(
            _("--cluster needs Dask's distributed scheduler, which is not installed; install it with: {INSTALL_HINT}").format(INSTALL_HINT=INSTALL_HINT)
        ) from None
    return distributed


def local_workers() -> int:
    """How many worker processes ``--cluster local`` starts when not told: one per core."""
    return usable_cores()


@contextmanager
def open_cluster(spec: str, narrator: Narrator, *, stop: threading.Event, workers: int | None = None,
                 security: ClusterSecurity | None = None) -> Iterator[ClusterNarrator]:
    """Connect to the cluster ``spec`` (``check_cluster``; ``security``: the certificates of a ``tls://``
    scheduler), or start a local one of ``workers`` processes (default: ``local_workers()``) with one thread
    each, and yield the ``ClusterNarrator`` a batch narrates with. Everything started here is stopped on the
    way out (tasks first, then the client, then a local cluster)."""
    spec = check_cluster(spec, security)
    distributed = _distributed()
    dask_security = _dask_security(security) if spec.startswith("tls://") else None
    with ExitStack() as stack:
        # Dask's own log lines (a lost worker, reconnection attempts) would break the one-line rule: what
        # matters comes back as a ReaderError. Only Dask's own stderr handler is quietened, for the batch.
        silence = getattr(distributed.utils, "silence_logging_cmgr", None)
        if silence is not None:
            stack.enter_context(silence(logging.CRITICAL))
        target: str | LocalCluster = spec
        if spec == LOCAL:
            target = stack.enter_context(_local_cluster(distributed, workers or local_workers()))
        else:
            _reach(spec, dask_security)
        try:
            # Dask's own connect timeout (distributed.comm.timeouts.connect, 30 s): a scheduler still starting
            # is waited for.
            client = distributed.Client(target, set_as_default=False, security=dask_security)
        except (OSError, TimeoutError) as exc:
            raise ClusterError(_("cannot reach the Dask scheduler at {spec}: {exc}").format(spec=spec, exc=exc)) from exc
        stack.callback(client.close)
        remote = ClusterNarrator(client, narrator, stop, spec)
        stack.callback(remote.close)
        remote.check_workers()
        yield remote


def _dask_security(security: ClusterSecurity | None) -> Any:
    """Dask's ``Security`` for ``security``'s files, its client TLS context made at once: a file that is not
    a PEM certificate or key (or a key that does not match) is one line here, not a failure per connection."""
    from distributed.security import Security

    security = security or ClusterSecurity()
    made = Security(tls_ca_file=str(security.ca_file), tls_client_cert=str(security.cert),
                    tls_client_key=str(security.key) if security.key else None, require_encryption=True)
    try:
        made.get_connection_args("client")
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        error = reason(exc) if isinstance(exc, OSError) else str(exc)
        raise UsageError(_("--cluster-ca, --cluster-cert, --cluster-key: cannot use these files ({error})").format(
            error=error)) from None
    return made


def _connect_timeout() -> float:
    import dask
    from dask.utils import parse_timedelta

    seconds: float = parse_timedelta(dask.config.get("distributed.comm.timeouts.connect"), default="seconds")
    return seconds


def _reach(spec: str, security: Any) -> None:
    """One handshake with the scheduler at ``spec`` before the Dask client is made, within Dask's connect
    timeout (a scheduler still starting is waited for, as the client would), as a ``ClusterError`` in one
    line. Dask's client does not bound its handshake (a port that accepts and says nothing, or an HTTP server,
    held it for ever), and a client interrupted while connecting spent another minute closing itself and
    printed a traceback; here Ctrl-C ends the event loop at once (``asyncio.run``)."""
    from distributed.comm import CommClosedError, connect

    timeout = _connect_timeout()
    args = security.get_connection_args("client") if security is not None else {}

    async def handshake() -> None:
        comm = await connect(spec, timeout=timeout, **args)
        await comm.close()

    def failed(why: str) -> ClusterError:
        return ClusterError(_("cannot reach the Dask scheduler at {spec}: {why}").format(spec=spec, why=why))

    def run() -> None:
        asyncio.run(asyncio.wait_for(handshake(), timeout))

    try:
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # the usual case: no event loop in this thread
            run()
        else:  # called from a coroutine (an ASGI app's start-up): the handshake gets a loop of its own
            with ThreadPoolExecutor(1) as pool:
                pool.submit(run).result()
    except TimeoutError:
        raise failed(_("no answer as a Dask scheduler within {seconds:g} s (is it one?)").format(
            seconds=timeout)) from None
    except CommClosedError as exc:  # connected, then closed: TLS refused, or not a Dask scheduler
        cause = exc.__cause__
        if spec.startswith("tls://") and "certificate" in str(exc).lower():
            raise failed(_("its TLS certificate is not signed by --cluster-ca")) from None
        if spec.startswith("tls://"):
            raise failed(_("it closed the TLS connection (does it trust the CA that signed --cluster-cert?)")) from None
        raise failed(_("it closed the connection before answering as a Dask scheduler (a tls:// scheduler, or "
                       "not a Dask scheduler?)") + (f" ({type(cause).__name__})" if cause else "")) from None
    except OSError as exc:  # nothing listening until the timeout
        raise failed(str(exc)) from None


@contextmanager
def _local_cluster(distributed: ModuleType, workers: int) -> Iterator[LocalCluster]:
    # The cluster's threads and worker processes are started with SIGINT blocked (a signal mask is inherited
    # by new threads and processes, and kept across exec): Ctrl-C in a terminal goes to the whole process
    # group, and workers that died of it on their own would turn a clean interruption into lost tasks and
    # tracebacks. The batch process alone takes the signal, once unblocked (a Ctrl-C meanwhile is delivered
    # then, not lost), and closes the cluster in order.
    main = threading.current_thread() is threading.main_thread()
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) if main and os.name == "posix" else None
    try:
        cluster = distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
            # The scheduler serves HTTP anyway; on a port of its own (8787 may be another cluster's).
            dashboard_address="127.0.0.1:0", silence_logs=logging.CRITICAL,
            # Several worker processes share the cores: one ONNX Runtime thread per Kokoro call in each
            # (two each lost 7 % to oversubscription; see speech/engines/kokoro.py).
            env={"READER_KOKORO_THREADS": "1"} if workers > 1 else {},
        )
    except BaseException as exc:
        if blocked is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        if not isinstance(exc, OSError | TimeoutError | RuntimeError):
            raise
        # RuntimeError: a worker process failed to start; with Python's "spawn", most often a script that
        # calls run_batch without the ``if __name__ == "__main__":`` guard multiprocessing asks for.
        raise ClusterError(_('cannot start a local Dask cluster: {exc} (a script that starts one needs the `if __name__ == "__main__":` guard)').format(exc=exc)) from exc
    with cluster:
        if blocked is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)  # a Ctrl-C meanwhile arrives here
        yield cluster


class ClusterNarrator:
    """Narrates articles on a cluster's workers with the options of ``narrator`` (see the module docstring).

    ``narrate_article`` blocks its calling thread until the article's files are in ``output``'s folder, like
    ``Narrator.narrate_article``; ``in_flight`` is how many articles the batch should keep going."""

    def __init__(self, client: Client, narrator: Narrator, stop: threading.Event, spec: str) -> None:
        self.client = client
        self.narrator = narrator
        self.settings = narrator.settings_fingerprint
        self.stop = stop
        self.spec = spec
        self.batch = uuid.uuid4().hex[:16]
        self.topic = f"reader-batch-{self.batch}"
        self.lost: str | None = None  # why the batch lost its scheduler, if it did
        self._lock = threading.Lock()
        self._queues: dict[str, queue.SimpleQueue[dict[str, Any]]] = {}
        self._futures: dict[str, Future] = {}
        self._halted = False
        self._slots = (float("-inf"), 1)
        client.subscribe_topic(self.topic, self._route)

    # -- the cluster --------------------------------------------------------------------------------------

    def check_workers(self) -> None:
        """Refuse workers that cannot run this reader (not installed there, or another version of the code
        that makes the audio), before any article is sent. Workers that join later are checked per article."""
        mine = _identity()
        try:
            found = self.client.run(_identity, on_error="return")
        except Exception as exc:  # the scheduler went away while asked
            raise ClusterError(_("cannot ask the workers of {spec}: {exc}").format(spec=self.spec, exc=exc)) from exc
        for address, theirs in sorted(found.items()):
            if isinstance(theirs, BaseException):
                raise ClusterError(_("worker {address} cannot run reader ({name}: {theirs}); install the same reader on every worker machine").format(address=address, name=type(theirs).__name__, theirs=theirs))
            if theirs != mine:
                raise ClusterError(_("worker {address} runs reader {theirs} (code {theirs2}), this batch {mine} (code {mine2}); install the same reader on every worker machine").format(address=address, theirs=theirs['version'], theirs2=theirs['code'], mine=mine['version'], mine2=mine['code']))

    def in_flight(self) -> int:
        """Articles to keep in flight: ``PER_THREAD`` per worker thread of the cluster as it is now (workers
        may join or leave; asked of the scheduler at most every two seconds)."""
        asked, slots = self._slots
        now = time.monotonic()
        if now - asked >= 2.0:
            try:
                threads = sum(self.client.nthreads().values())
            except Exception:  # the scheduler is unreachable: narrate_article will say so
                threads = 0
            slots = max(1, min(MAX_IN_FLIGHT, PER_THREAD * threads))
            self._slots = (now, slots)
        return slots

    def close(self) -> None:
        if self.stop.is_set():
            self._halt()
        try:
            self.client.unsubscribe_topic(self.topic)
        except Exception:  # closing anyway
            log.debug("unsubscribe %s failed", self.topic, exc_info=True)

    def _route(self, event: tuple[float, dict[str, Any]]) -> None:
        """A worker's report (on the client's event loop): to the queue of the thread waiting for it."""
        _when, message = event
        with self._lock:
            waiting = self._queues.get(str(message.get("token")))
        if waiting is not None:
            waiting.put(message)

    def _halt(self) -> None:
        """Stop the batch: tell the workers to stop its running tasks (at their next report), cancel the
        others, and set the batch's stop flag (the threads waiting for the rest give up)."""
        with self._lock:
            if self._halted:
                return
            self._halted = True
            futures = list(self._futures.values())
        self.stop.set()
        try:
            self.client.run(_stop_batch, self.batch, on_error="ignore")
            if futures:
                self.client.cancel(futures)
        except Exception:  # the scheduler is gone: so are its tasks
            log.debug("halting batch %s failed", self.batch, exc_info=True)

    # -- one article ----------------------------------------------------------------------------------

    def narrate_article(self, article: Article, *, output: Path, progress: ProgressCallback | None = None,
                        stage: StageCallback | None = None, source: str | None = None) -> Narration:
        """Narrate ``article`` on a worker into ``output`` (and its sidecars beside it)."""
        token = uuid.uuid4().hex
        reports: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        job = Job(self.batch, self.topic, token, self.narrator.options, article, output.name, source)
        with self._lock:
            self._queues[token] = reports
        try:
            future = self.client.submit(narrate_on_worker, job, key=f"reader-narrate-{token}", pure=False)
        except Exception as exc:
            with self._lock:
                self._queues.pop(token, None)
            raise self._lost_scheduler(exc) from exc
        with self._lock:
            self._futures[token] = future
        future.add_done_callback(lambda _done: reports.put({"kind": "done"}))  # wakes the waiting thread
        try:
            if stage:
                stage("queued")
            result = self._wait(future, reports, progress, stage)
        except Exception:
            future.cancel()
            raise
        except BaseException:  # Ctrl-C, or the batch stopping: all of its tasks go
            self._halt()
            raise
        finally:
            with self._lock:
                self._queues.pop(token, None)
                self._futures.pop(token, None)
            future.release()
        return self._unpack(result, article, output)

    def _wait(self, future: Future, reports: queue.SimpleQueue[dict[str, Any]], progress: ProgressCallback | None,
              stage: StageCallback | None) -> dict[str, Any]:
        distributed = _distributed()
        while True:
            if self.stop.is_set():
                self._halt()
                raise Stopped("the batch is stopping")
            try:
                report = reports.get(timeout=0.5)  # a report, the task's end, or a look at the stop flag
            except queue.Empty:
                continue
            if report.get("kind") == "done" or future.done():
                break
            if report.get("kind") == "stage" and stage:
                stage(str(report["stage"]))
            elif report.get("kind") == "chunks" and progress:
                progress(Progress(*(int(report[k]) for k in ("done", "total", "chars_done", "chars_total",
                                                             "cached"))))
        try:
            result: dict[str, Any] = future.result()
        except distributed.KilledWorker as exc:
            raise ClusterError(_("lost {value} workers while narrating this article (killed, or out of memory?)").format(value=exc.allowed_failures + 1)) from exc
        except CancelledError as exc:
            if self.stop.is_set() or self._halted:  # cancelled by us
                raise Stopped("the batch is stopping") from exc
            raise self._lost_scheduler(exc) from exc
        if result.get("cancelled"):
            raise Stopped("the batch is stopping")
        return result

    def _lost_scheduler(self, exc: BaseException) -> Stopped:
        """The scheduler is gone: stop the batch (what is done is kept; ``run_batch`` reports it)."""
        self.lost = self.lost or f"lost the Dask scheduler at {self.spec}"
        log.info("%s: %s", self.lost, exc)
        self.stop.set()
        return Stopped(self.lost)

    def _unpack(self, result: dict[str, Any], article: Article, output: Path) -> Narration:
        """Write a worker's files into ``output``'s (staging) folder and read its record back."""
        worker = result.get("worker", "?")
        if "error" in result:
            kind = getattr(errors, str(result.get("kind")), ReaderError)
            error = kind if isinstance(kind, type) and issubclass(kind, ReaderError) else ReaderError
            raise error(str(result["error"]))
        if result["settings"] != self.settings:
            raise ClusterError(_("worker {worker} narrates with other settings than this batch (another reader, voice or lexicon there); install the same on every worker machine").format(worker=worker))
        folder = output.parent
        files: dict[str, bytes] = result["files"]
        for name, data in files.items():
            if Path(name).name != name or not name.startswith(output.stem):
                raise ClusterError(_("worker {worker} returned an unexpected file {name!r}").format(worker=worker, name=name))
            write_atomic(folder / name, data)
        if result["audio"] != output.name or not result.get("manifest"):
            raise ClusterError(_("worker {worker} returned {result!r} without its record, not {name!r}").format(worker=worker, result=result['audio'], name=output.name))
        manifest = folder / result["manifest"]
        return Narration(
            article=article,
            record=NarrationRecord.read(manifest),
            audio=output,
            vtt=folder / result["vtt"] if result.get("vtt") else None,
            manifest=manifest,
            preset=self.narrator.preset,
            seconds=float(result["seconds"]),
            from_store=bool(result["from_store"]),
        )


# -- the worker side: runs in the worker processes ------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """One article to narrate on a worker. ``name`` is the audio file's name the owner claimed for it."""

    batch: str
    topic: str
    token: str
    options: NarrateOptions
    article: Article
    name: str
    source: str | None = None  # what the record says the article was read from


class _Cancelled(BaseException):
    """The batch this task belongs to was stopped (a BaseException, so that no handler swallows it)."""


_STATE = threading.Lock()
_NARRATORS: dict[str, Narrator] = {}
_STOPPED: set[str] = set()
_STATS = {"narrators": 0, "articles": 0, "failed": 0, "cancelled": 0}


def _narrator(options: NarrateOptions) -> Narrator:
    """This process's ``Narrator`` for ``options``, made on its first article and kept for the others."""
    key = repr(options)
    with _STATE:
        narrator = _NARRATORS.get(key)
        if narrator is None:
            narrator = _NARRATORS[key] = Narrator(options)
            _STATS["narrators"] += 1
    return narrator


def _count(what: str) -> None:
    with _STATE:
        _STATS[what] += 1


def narrate_on_worker(job: Job) -> dict[str, Any]:
    """The task: narrate ``job.article`` in a scratch folder of this worker, return the files as bytes.

    A ``ReaderError`` is returned as ``{"error", "kind"}``: the article's failure, not the worker's (Dask
    would otherwise count it against the task and the worker)."""
    from distributed import get_worker

    worker = get_worker()
    started = time.perf_counter()
    last_report = 0.0

    def report(message: dict[str, Any]) -> None:
        worker.log_event(job.topic, {"token": job.token, **message})

    def check() -> None:
        if job.batch in _STOPPED:
            raise _Cancelled

    def on_stage(stage: str) -> None:
        check()
        report({"kind": "stage", "stage": stage})

    def on_chunks(p: Progress) -> None:
        nonlocal last_report
        check()
        now = time.monotonic()
        if p.done < p.total and now - last_report < CHUNK_REPORTS_EVERY:
            return
        last_report = now
        report({"kind": "chunks", "done": p.done, "total": p.total, "chars_done": p.chars_done,
                "chars_total": p.chars_total, "cached": p.cached})

    scratch = Path(tempfile.mkdtemp(prefix="reader-", dir=worker.local_directory))
    try:
        check()
        narrator = _narrator(job.options)
        narration = narrator.narrate_article(job.article, output=scratch / job.name, source=job.source,
                                             progress=on_chunks, stage=on_stage)
        check()
        paths = [p for p in (narration.audio, narration.vtt, narration.manifest) if p is not None]
        files = {p.name: p.read_bytes() for p in paths}
        _count("articles")
        return {
            "files": files,
            "audio": narration.audio.name,
            "vtt": narration.vtt.name if narration.vtt else None,
            "manifest": narration.manifest.name if narration.manifest else None,
            "settings": narrator.settings_fingerprint,
            "seconds": time.perf_counter() - started,
            "from_store": narration.from_store,
            "worker": worker.address,
        }
    except _Cancelled:
        _count("cancelled")
        return {"cancelled": True, "worker": worker.address}
    except ReaderError as exc:
        _count("failed")
        return {"error": str(exc), "kind": type(exc).__name__, "worker": worker.address}
    except OSError as exc:  # the scratch folder (disk full): the article's failure on this worker
        _count("failed")
        error = OutputError(_("worker {address}: {strerror}").format(address=worker.address, strerror=reason(exc)))
        return {"error": str(error), "kind": "OutputError", "worker": worker.address}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _stop_batch(batch: str) -> None:
    """Run on every worker when a batch stops: its running tasks end at their next report."""
    with _STATE:
        _STOPPED.add(batch)


def _identity() -> dict[str, str]:
    """What must match between the batch and its workers: reader's version and its audio code."""
    from reader import __version__
    from reader.narration.fingerprint import code_fingerprint

    return {"version": __version__, "code": code_fingerprint()}


def worker_stats() -> dict[str, int]:
    """This worker process's counts (``client.run(worker_stats)``): narrators made (one per set of options
    means one engine load), articles narrated, failed and cancelled, and its pid."""
    with _STATE:
        return {**_STATS, "pid": os.getpid()}

