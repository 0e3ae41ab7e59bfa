"""`reader batch` on one machine vs on a Dask cluster, over the same 8 corpus pages, measured in one run.

    .venv/bin/python benchmarks/cluster.py [--pages 002,008,...] [--machines 1,2,4,...]

Three runs of the same batch, each with a fresh library and a cold chunk cache (offline voice):

1. local: `reader batch PAGES -j 2` (one process, two articles at a time, one engine pool);
2. `--cluster local -j 2`: a LocalCluster of two single-threaded worker processes, started by the batch
   (its start-up is inside the wall time);
3. `--cluster tcp://…`: a `dask scheduler` and two `dask worker --nthreads 1` processes (with their nannies,
   as a user starts them) started by this benchmark beforehand.

Prints: wall time of each and its ratio to the local run (goal <= 1.15); the peak resident memory of each
worker process (VmHWM) and of the batch process; the batch process's CPU per narrated article (what one
owner can feed); what moving the files as bytes costs (a 15-minute MP3 returned by a worker and written by
the owner, vs returning only its path as a shared file system would); what a cluster-wide
`distributed.Semaphore` would cost per fetch; and "how long would 50,000 articles take on N machines",
from the measured per-article cost, with what it assumes.

Needs ../shared/corpus (see its INDEX.md); without it, says so and exits 0.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

#: Chinese news and government pages with ground truth, 700-2,200 characters each (about 40 minutes of audio).
PAGES = ("002", "008", "012", "018", "022", "026", "030", "034")
ARTICLES = 50_000
MACHINES = (1, 2, 4, 8, 16, 32, 64, 128)
CORES = 2  # per machine, as this one


def vm_hwm_mb(pid: int) -> float | None:
    """The kernel's peak resident set of ``pid`` (VmHWM), MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def descendants(pid: int) -> list[int]:
    import psutil

    try:
        return [p.pid for p in psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return []


class PeakWatcher:
    """Samples the VmHWM of Dask worker processes (multiprocessing children running `spawn_main`) under the
    given roots every half second; keeps the last value seen per process (VmHWM only grows)."""

    def __init__(self, roots: Callable[[], list[int]]) -> None:
        self.roots = roots
        self.peaks: dict[int, float] = {}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._done.wait(0.5):
            for root in self.roots():
                for pid in descendants(root):
                    if "spawn_main" in cmdline(pid):
                        value = vm_hwm_mb(pid)
                        if value is not None:
                            self.peaks[pid] = max(self.peaks.get(pid, 0.0), value)

    def __enter__(self) -> PeakWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()


def tree_cpu(pids: list[int]) -> float:
    """CPU seconds of these processes and their reaped children (ffmpeg), now."""
    import psutil

    total = 0.0
    for pid in pids:
        try:
            t = psutil.Process(pid).cpu_times()
        except psutil.Error:
            continue
        total += t.user + t.system + t.children_user + t.children_system
    return total


def run_batch(inputs: Path, library: Path, cache: Path, extra: list[str],
              watch: Callable[[], list[int]] | None = None, workers: list[int] | None = None) -> dict[str, Any]:
    """One `reader batch` as a child process: wall s, its own peak MB and CPU s (with its reaped children's:
    a LocalCluster's workers, ffmpeg), the peaks of worker processes, and the CPU of `workers` (external
    worker processes) meanwhile."""
    load = os.getloadavg()[0]
    outside = tree_cpu(workers or [])
    command = [sys.executable, "-m", "reader", "batch", str(inputs), "-o", str(library), "--cache-dir", str(cache),
               "-q", *extra]
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    own_peak = 0.0
    roots = watch or (lambda: [proc.pid])
    with PeakWatcher(roots) as watcher:
        assert proc.stderr is not None
        sampler_done = threading.Event()

        def sample_own() -> None:
            nonlocal own_peak
            while not sampler_done.wait(0.5):
                own_peak = max(own_peak, vm_hwm_mb(proc.pid) or 0.0)

        sampler = threading.Thread(target=sample_own, daemon=True)
        sampler.start()
        errors = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        sampler_done.set()
        sampler.join()
    outside = tree_cpu(workers or []) - outside
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        sys.exit(f"the batch failed ({code}):\n{errors}")
    # (Not wait4's ru_maxrss: it is the largest of the process and its descendants, here the workers.)
    cpu = usage.ru_utime + usage.ru_stime
    return {"wall": wall, "peak": own_peak, "cpu": cpu, "total_cpu": cpu + outside,
            "load": (load + os.getloadavg()[0]) / 2,
            "workers": sorted(watcher.peaks.values(), reverse=True), "errors": errors}


def narrated(library: Path) -> tuple[int, float, list[str]]:
    import sqlite3

    db = sqlite3.connect(library / "catalog.sqlite")
    count, audio = db.execute("SELECT count(*), coalesce(sum(duration), 0) FROM articles WHERE status = 'done'"
                              ).fetchone()
    failed = [f"{Path(s).name}: {e}" for s, e in db.execute("SELECT source, error FROM articles WHERE status = 'failed'")]
    db.close()
    return count, audio, failed


# -- file travel ------------------------------------------------------------------------------------------------


def make_mp3(path: Path, seconds: int) -> None:
    """A `seconds`-long MP3 encoded as reader encodes (64 kbit/s, 24 kHz mono): the size is what matters."""
    from reader.audio.ffmpeg import ffmpeg_path
    from reader.settings import BITRATE

    subprocess.run([ffmpeg_path(), "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                    f"anoisesrc=d={seconds}:c=pink:r=24000:a=0.1", "-ac", "1", "-c:a", "libmp3lame", "-b:a", BITRATE,
                    "-y", str(path)], check=True)


def read_file(path: str) -> bytes:  # runs on a worker (pickled by value: this is __main__)
    return Path(path).read_bytes()


def stat_file(path: str) -> int:  # the shared-file-system alternative: only the name travels
    return Path(path).stat().st_size


def file_travel(client: Any, mp3: Path, out: Path, rounds: int = 7) -> tuple[float, float]:
    """Median seconds for a worker to hand back `mp3` as bytes (written by the owner to `out`), and for a
    task that returns only a name (the same round trip without the bytes)."""
    from reader._files import write_atomic

    as_bytes, as_name = [], []
    for i in range(rounds):
        t = time.perf_counter()
        data = client.submit(read_file, str(mp3), pure=False, key=f"bytes-{i}").result()
        write_atomic(out, data)
        as_bytes.append(time.perf_counter() - t)
        t = time.perf_counter()
        client.submit(stat_file, str(mp3), pure=False, key=f"name-{i}").result()
        as_name.append(time.perf_counter() - t)
    return statistics.median(as_bytes), statistics.median(as_name)


def semaphore_cost(client: Any, rounds: int = 50) -> float:
    """Median seconds of one acquire + release of a cluster-wide semaphore (a scheduler round trip each)."""
    from distributed import Semaphore

    semaphore = Semaphore(max_leases=2, name="host:example.gov.cn")  # uses the default client
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        semaphore.acquire()
        semaphore.release()
        times.append(time.perf_counter() - t)
    semaphore.close()
    return statistics.median(times)


# -- the report ---------------------------------------------------------------------------------------------------


def human(seconds: float) -> str:
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", default=",".join(PAGES), help="corpus ids, comma-separated")
    parser.add_argument("--machines", default=",".join(map(str, MACHINES)), help="rows of the scaling table")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"{CORPUS}: no corpus (this benchmark needs ../shared/corpus); skipped")
        return 0
    try:
        import distributed
    except ImportError:
        print("distributed is not installed (pip install 'zh-news-reader[cluster]'); skipped")
        return 0
    from helpers.dask_cluster import dask_cluster

    ids = [p.strip() for p in args.pages.split(",") if p.strip()]
    pages = [CORPUS / i / "page.html" for i in ids]
    missing = [str(p) for p in pages if not p.is_file()]
    if missing:
        sys.exit(f"missing corpus pages: {', '.join(missing)}")

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        inputs = base / "pages"
        inputs.mkdir()
        for page in pages:
            (inputs / f"{page.parent.name}.html").symlink_to(page)

        print(f"{len(pages)} corpus pages ({', '.join(ids)}), offline voice, cold cache each run; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        local = run_batch(inputs, base / "lib-local", base / "cache-local", ["-j", "2"])
        count, audio, failed = narrated(base / "lib-local")
        print(f"  local -j 2: {local['wall']:.1f} s, {count} narrated ({audio / 60:.1f} min of audio)"
              + (f", failed: {failed}" if failed else ""))

        in_process = run_batch(inputs, base / "lib-lc", base / "cache-lc", ["-j", "2", "--cluster", "local"])
        print(f"  --cluster local -j 2: {in_process['wall']:.1f} s (cluster start-up included)")

        with dask_cluster(base / "dask", workers=2, nanny=True) as cluster:
            nannies = lambda: [w.pid for w in cluster.workers]  # noqa: E731
            processes = [pid for n in nannies() for pid in descendants(n) if "spawn_main" in cmdline(pid)]
            remote = run_batch(inputs, base / "lib-tcp", base / "cache-tcp", ["--cluster", cluster.address],
                               watch=nannies, workers=processes)
            print(f"  --cluster {cluster.address} (2 dask workers): {remote['wall']:.1f} s")
            rerun = run_batch(inputs, base / "lib-tcp", base / "cache-tcp", ["--cluster", cluster.address])
            with distributed.Client(cluster.address) as client:
                mp3 = base / "15min.mp3"
                make_mp3(mp3, 15 * 60)
                bytes_s, name_s = file_travel(client, mp3, base / "copy.mp3")
                lease_s = semaphore_cost(client)
        counts = [narrated(base / name)[0] for name in ("lib-lc", "lib-tcp")]
        if counts != [count, count]:
            sys.exit(f"the runs narrated different numbers of articles: {count}, {counts}")
        mp3_size = mp3.stat().st_size

    mb = mp3_size / 1e6
    # Per article, from CPU time (wall time on a shared machine measures the other tenants too): the
    # workers' CPU (with their ffmpeg), and the batch process's own beyond what a re-run costs.
    per_article = (remote["total_cpu"] - remote["cpu"]) / count  # worker-core seconds per article
    owner = max(remote["cpu"] - rerun["cpu"], 0.0) / count  # the batch process's CPU per narrated article
    audio_per_article = audio / count
    print()
    print("÷ local -j 2        wall time (goal <= 1.15)   CPU time, all processes (steadier on a shared machine)")
    for name, run in (("--cluster local -j 2", in_process), ("--cluster tcp://", remote)):
        print(f"  {name:<20} {run['wall'] / local['wall']:>6.2f}{'':21}{run['total_cpu'] / local['total_cpu']:>6.2f}")
    print("  CPU seconds (local, --cluster local, tcp): "
          + ", ".join(f"{r['total_cpu']:.0f}" for r in (local, in_process, remote)))
    print("  load average during the runs (local, --cluster local, tcp): "
          + ", ".join(f"{r['load']:.1f}" for r in (local, in_process, remote)))
    print("peak resident memory (VmHWM):")
    print(f"  local -j 2, the one process: {local['peak']:.0f} MB")
    print("  --cluster local, per worker: " + ", ".join(f"{m:.0f}" for m in in_process["workers"])
          + f" MB; the batch process (owner + scheduler): {in_process['peak']:.0f} MB")
    print("  --cluster tcp://, per worker: " + ", ".join(f"{m:.0f}" for m in remote["workers"])
          + f" MB; the batch process (owner): {remote['peak']:.0f} MB")
    print(f"per article: {audio_per_article / 60:.1f} min of audio, {per_article:.1f} worker CPU seconds, "
          f"{owner * 1000:.0f} ms of the batch process's CPU (extract, claim, write, page, catalog)")
    print(f"file travel, a 15-minute MP3 ({mb:.1f} MB): returned as bytes and written by the owner "
          f"{bytes_s * 1000:.0f} ms, vs {name_s * 1000:.0f} ms for a task returning only a name "
          f"(shared file system): +{(bytes_s - name_s) * 1000:.0f} ms, "
          f"{(bytes_s - name_s) / (per_article / audio_per_article * 900) * 100:.2f}% of narrating 15 minutes "
          f"on one core; on a 1 Gbit/s network add ~{mp3_size * 8 / 1e9 * 1000:.0f} ms")
    print(f"a cluster-wide distributed.Semaphore: {lease_s * 1000:.1f} ms per acquire+release (loopback), for "
          f"concurrency only (no delay, no robots.txt); fetching in the owner: 0 round trips")

    print()
    print(f"{ARTICLES:,} articles on N machines like this one ({CORES} cores, one single-threaded worker per core):")
    print("  N machines   narration bound   owner bound   estimate")
    owner_bound = ARTICLES * owner
    for n in (int(x) for x in args.machines.split(",")):
        compute = ARTICLES * per_article / (n * CORES)
        total = max(compute, owner_bound)
        print(f"  {n:>10}   {human(compute):>15}   {human(owner_bound):>11}   {human(total)}"
              + ("  (the owner is the limit)" if owner_bound > compute else ""))
    mb_per_article = audio_per_article * 64_000 / 8 / 1e6
    print(f"assumes: articles like these pages (mean {audio_per_article / 60:.1f} min of audio), the offline "
          "voice, a cold cache, each worker core busy narrating (the workers' CPU per article, measured, is "
          "its wall time on an idle core), independent articles scaling linearly over worker cores (measured here: 2 "
          "workers on one machine), the batch process's CPU per article as measured (one owner, its work "
          f"Python-bound: about one core), ~{mb_per_article:.1f} MB per article over the network negligible "
          "beside synthesis, and fetching not the limit (politeness to one site can be: 2 requests in flight, "
          "--delay apart).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
