"""A real Dask cluster on 127.0.0.1 for tests and benchmarks: a ``dask scheduler`` process and ``dask worker``
processes, started the way a user starts them (``python -m dask …``), each in a session of its own (so a
Ctrl-C sent to a batch's process group never reaches them), and killed at the end.

Workers run without a nanny by default (``nanny=False``): killing one then kills the worker itself, not a
process its nanny would restart, which is what the tests of a lost worker need. With ``tls=(ca, cert, key)``
the scheduler listens on ``tls://`` and takes only peers whose certificate that CA signed (Dask's own
mutual TLS); the workers join with the same certificate."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO


@dataclass
class DaskCluster:
    base: Path
    env: dict[str, str]
    scheduler: subprocess.Popen[bytes]
    address: str = ""
    tls: tuple[Path, Path, Path] | None = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _logs: list[IO[bytes]] = field(default_factory=list)

    def log(self, name: str) -> IO[bytes]:
        handle = (self.base / f"{name}.log").open("wb")
        self._logs.append(handle)
        return handle

    def add_worker(self, *, nthreads: int = 1, nanny: bool = False) -> subprocess.Popen[bytes]:
        """Start one more worker process (``nthreads`` threads) and return it (it joins asynchronously)."""
        n = len(self.workers)
        command = [sys.executable, "-m", "dask", "worker", self.address, "--nthreads", str(nthreads),
                   "--host", "127.0.0.1", "--no-dashboard", "--name", f"w{n}",
                   "--local-directory", str(self.base / f"w{n}"), "--nanny" if nanny else "--no-nanny",
                   *_tls_args(self.tls)]
        worker = subprocess.Popen(command, env=self.env, stdout=subprocess.DEVNULL, stderr=self.log(f"worker{n}"),
                                  start_new_session=True)
        self.workers.append(worker)
        return worker

    def stop(self) -> None:
        for proc in [*self.workers, self.scheduler]:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        for handle in self._logs:
            handle.close()


@contextmanager
def dask_cluster(base: Path, workers: int = 2, *, env: dict[str, str] | None = None, nanny: bool = False,
                 timeout: float = 120, tls: tuple[Path, Path, Path] | None = None) -> Iterator[DaskCluster]:
    """A scheduler on 127.0.0.1 (a free port) and ``workers`` single-threaded workers, all connected."""
    base.mkdir(parents=True, exist_ok=True)
    environment = {**os.environ, **(env or {})}
    info = base / "scheduler.json"
    info.unlink(missing_ok=True)
    log = (base / "scheduler.log").open("wb")
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
         "--scheduler-file", str(info), *(["--protocol", "tls", *_tls_args(tls)] if tls else [])],
        env=environment, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True,
    )
    cluster = DaskCluster(base, environment, scheduler, tls=tls)
    cluster._logs.append(log)
    try:
        deadline = time.monotonic() + timeout
        while not info.is_file() or not info.read_text(encoding="utf-8").strip():
            if scheduler.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the scheduler did not start: {(base / 'scheduler.log').read_text()}")
            time.sleep(0.1)
        cluster.address = json.loads(info.read_text(encoding="utf-8"))["address"]
        for _ in range(workers):
            cluster.add_worker(nanny=nanny)
        wait_for_workers(cluster, workers, timeout=max(1.0, deadline - time.monotonic()))
        yield cluster
    finally:
        cluster.stop()


def _tls_args(tls: tuple[Path, Path, Path] | None) -> list[str]:
    if tls is None:
        return []
    ca, cert, key = tls
    return ["--tls-ca-file", str(ca), "--tls-cert", str(cert), "--tls-key", str(key)]


def security(tls: tuple[Path, Path, Path] | None) -> object:
    """The ``distributed.security.Security`` a test's own client needs for ``tls`` (None: none)."""
    from distributed.security import Security

    if tls is None:
        return None
    ca, cert, key = tls
    return Security(tls_ca_file=str(ca), tls_client_cert=str(cert), tls_client_key=str(key), require_encryption=True)


def wait_for_workers(cluster: DaskCluster, n: int, timeout: float = 120) -> None:
    from distributed import Client

    with Client(cluster.address, timeout=30, set_as_default=False, security=security(cluster.tls)) as client:
        client.wait_for_workers(n, timeout=timeout)
