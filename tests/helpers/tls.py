"""A throwaway certificate authority for tests of ``tls://`` Dask schedulers on 127.0.0.1, made with the
system's ``openssl`` (the ``cryptography`` package is not among reader's dependencies).

``make_ca(folder)`` writes a CA, a certificate for the scheduler and the workers (``server``), one for the
client (``client``), and a ``stranger``: a certificate and key signed by another CA, which the scheduler must
refuse, and that CA (which a client must not trust the scheduler by)."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Pair:
    cert: Path
    key: Path


@dataclass(frozen=True)
class Authority:
    ca: Path
    server: Pair
    client: Pair
    stranger: Pair
    other_ca: Path  # the CA that signed ``stranger``, which did not sign the scheduler's certificate


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)


def _issue(folder: Path, name: str, ca: Pair, *, usage: str) -> Pair:
    pair = Pair(folder / f"{name}.pem", folder / f"{name}.key")
    extensions = folder / f"{name}.ext"
    extensions.write_text(f"subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage={usage}\n", encoding="utf-8")
    _openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", str(pair.key), "-out", str(folder / f"{name}.csr"), "-subj", f"/CN=reader-test-{name}")
    _openssl("x509", "-req", "-in", str(folder / f"{name}.csr"), "-CA", str(ca.cert), "-CAkey", str(ca.key),
             "-CAcreateserial", "-days", "2", "-out", str(pair.cert), "-extfile", str(extensions))
    return pair


def _authority(folder: Path, name: str) -> Pair:
    pair = Pair(folder / f"{name}.pem", folder / f"{name}.key")
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", str(pair.key), "-out", str(pair.cert), "-days", "2", "-subj", f"/CN=reader-test-{name}")
    return pair


def make_ca(folder: Path) -> Authority:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder.mkdir(parents=True, exist_ok=True)
    ca = _authority(folder, "ca")
    other = _authority(folder, "other-ca")
    return Authority(ca=ca.cert,
                     server=_issue(folder, "server", ca, usage="serverAuth,clientAuth"),
                     client=_issue(folder, "client", ca, usage="clientAuth"),
                     stranger=_issue(folder, "stranger", other, usage="clientAuth"), other_ca=other.cert)
