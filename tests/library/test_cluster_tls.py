"""``--cluster tls://`` (issue 23 B12): a real ``dask scheduler`` and worker on 127.0.0.1 with Dask's mutual TLS,
certificates from a throwaway CA made here (``helpers.tls``). A client with a certificate the CA signed
narrates (the certificates from config.toml's ``[cluster]`` table, or from the options); one with another
CA's certificate, or none, or a plain tcp:// client, is refused in one line at once; certificate files that
are missing, not files, or not PEM are one line before anything is fetched."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from helpers.catalog import rows
from helpers.dask_cluster import DaskCluster, dask_cluster
from helpers.tls import Authority, make_ca

from reader.cli import cli
from reader.errors import ClusterError
from reader.library.cluster import ClusterSecurity
from reader.narration.pipeline import NarrateOptions

pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> Authority:
    return make_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def cluster(authority: Authority, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaskCluster]:
    env = {"READER_CACHE_DIR": str(tmp_path_factory.getbasetemp() / "cache"),
           "READER_CONFIG_DIR": str(tmp_path_factory.getbasetemp() / "config")}
    tls = (authority.ca, authority.server.cert, authority.server.key)
    with dask_cluster(tmp_path_factory.mktemp("dask-tls"), workers=1, env=env, tls=tls) as running:
        yield running


def article(folder: Path) -> Path:
    path = folder / "in" / "a.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("加密集群测试\n日期:2024-09-03 来源:测试日报\n\n只有持有证书的客户端才能使用这个集群。\n", encoding="utf-8")
    return path.parent


def batch(folder: Path, *args: str) -> tuple[Result, float]:
    started = time.monotonic()
    result = CliRunner().invoke(cli, ["batch", str(article(folder)), "-o", str(folder / "lib"), *args])
    return result, time.monotonic() - started


def one_line(result: Result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    return lines[0]


@pytest.mark.timeout(240)
def test_a_client_with_the_certificate_narrates(cluster: DaskCluster, authority: Authority, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    assert cluster.address.startswith("tls://127.0.0.1:")
    config = tmp_path / "config"
    config.mkdir()
    (config / "config.toml").write_text(
        f'[cluster]\naddress = "{cluster.address}"\nca = "{authority.ca}"\ncert = "{authority.client.cert}"\n'
        f'key = "{authority.client.key}"\nrequire_encryption = true\n', encoding="utf-8")
    monkeypatch.setenv("READER_CONFIG_DIR", str(config))
    result, _seconds = batch(tmp_path)  # everything from config.toml's [cluster]
    assert result.exit_code == 0, result.output
    assert "1 narrated, 0 unchanged, 0 failed" in result.output
    (row,) = rows(tmp_path / "lib").values()
    assert (tmp_path / "lib" / row["audio"]).stat().st_size > 0


@pytest.mark.timeout(120)
@pytest.mark.parametrize("who", ["stranger", "plain tcp", "wrong CA"])
def test_a_client_without_the_certificate_is_refused_in_one_line(who: str, cluster: DaskCluster,
                                                                  authority: Authority, tmp_path: Path) -> None:
    if who == "stranger":  # a certificate, but signed by another CA
        args = ["--cluster", cluster.address, "--cluster-ca", str(authority.ca), "--cluster-cert",
                str(authority.stranger.cert), "--cluster-key", str(authority.stranger.key)]
    elif who == "wrong CA":  # our certificate is good, but we check the scheduler's against another CA
        args = ["--cluster", cluster.address, "--cluster-ca", str(authority.other_ca), "--cluster-cert",
                str(authority.client.cert), "--cluster-key", str(authority.client.key)]
    else:
        args = ["--cluster", cluster.address.replace("tls://", "tcp://")]
    result, seconds = batch(tmp_path, *args)
    line = one_line(result)
    assert result.exit_code == 1, result.output
    why = "its TLS certificate is not signed by --cluster-ca" if who == "wrong CA" else "it closed the "
    assert line.startswith(f"reader: error: cannot reach the Dask scheduler at {args[1]}: {why}"), line
    assert seconds < 20, seconds  # a hang guard: Dask's own client tried again until its 30 s timeout, twice
    assert not (tmp_path / "lib").exists()


def test_options_override_the_config_and_name_what_is_missing(tmp_path: Path, authority: Authority) -> None:
    # tls:// without certificates
    result, _seconds = batch(tmp_path, "--cluster", "tls://127.0.0.1:1")
    assert result.exit_code == 2 and "needs --cluster-ca and --cluster-cert" in one_line(result)
    # a missing file, a folder, a FIFO (which would block the reading for ever)
    fifo = tmp_path / "fifo.pem"
    os.mkfifo(fifo)
    for bad, why in ((tmp_path / "missing.pem", "cannot read it (No such file or directory)"),
                     (fifo, "not a regular file (a folder, named pipe, device or socket)")):
        result, _seconds = batch(tmp_path, "--cluster", "tls://127.0.0.1:1", "--cluster-ca", str(authority.ca),
                                 "--cluster-cert", str(bad))
        assert result.exit_code == 2, result.output
        assert one_line(result) == f"reader: error: --cluster-cert {bad}: {why}", result.output
    result, _seconds = batch(tmp_path, "--cluster", "tls://127.0.0.1:1", "--cluster-ca", str(tmp_path))
    assert result.exit_code == 2 and "--cluster-ca" in one_line(result), result.output  # click's: a directory
    unreadable = tmp_path / "key.pem"
    unreadable.write_text("secret", encoding="utf-8")
    unreadable.chmod(0)
    if not os.access(unreadable, os.R_OK):  # (root reads anything)
        result, _seconds = batch(tmp_path, "--cluster", "tls://127.0.0.1:1", "--cluster-ca", str(authority.ca),
                                 "--cluster-cert", str(authority.client.cert), "--cluster-key", str(unreadable))
        assert result.exit_code == 2 and "--cluster-key" in one_line(result), result.output
    # not PEM: refused when the TLS context is made, before any connection
    junk = tmp_path / "junk.pem"
    junk.write_bytes(b"not a certificate")
    result, _seconds = batch(tmp_path, "--cluster", "tls://127.0.0.1:1", "--cluster-ca", str(authority.ca),
                             "--cluster-cert", str(junk))
    assert result.exit_code == 2 and "cannot use these files" in one_line(result), result.output
    # certificates with a plain tcp:// address, or encryption required: refused, never sent in clear
    result, _seconds = batch(tmp_path, "--cluster", "tcp://127.0.0.1:1", "--cluster-ca", str(authority.ca),
                             "--cluster-cert", str(authority.client.cert))
    assert result.exit_code == 2 and "use tls://" in one_line(result), result.output
    result, _seconds = batch(tmp_path, "--cluster", "tcp://127.0.0.1:1", "--cluster-require-encryption")
    assert result.exit_code == 2 and "encryption is required" in one_line(result), result.output
    assert not (tmp_path / "lib").exists()


@pytest.mark.timeout(120)
def test_reader_serve_takes_the_certificates(cluster: DaskCluster, authority: Authority, tmp_path: Path) -> None:
    pytest.importorskip("uvicorn")
    from reader.serve.jobs import Narrations, Sites

    missing = CliRunner().invoke(cli, ["serve", "--site", "http://127.0.0.1:1/", "--library", str(tmp_path / "lib"),
                                       "--cluster", cluster.address, "--cluster-ca", str(authority.ca),
                                       "--cluster-cert", str(tmp_path / "none.pem")])
    assert missing.exit_code == 2 and "--cluster-cert" in one_line(missing), missing.output
    stranger = ClusterSecurity(authority.ca, authority.stranger.cert, authority.stranger.key)
    with pytest.raises(ClusterError, match="it closed the TLS connection"), \
            Narrations(tmp_path / "lib", NarrateOptions(), Sites(["http://127.0.0.1:1/"]), processes=False,
                       cluster=cluster.address, cluster_security=stranger):
        pass
    trusted = ClusterSecurity(authority.ca, authority.client.cert, authority.client.key, require_encryption=True)
    with Narrations(tmp_path / "lib2", NarrateOptions(), Sites(["http://127.0.0.1:1/"]), processes=False,
                    cluster=cluster.address, cluster_security=trusted) as narrations:
        assert narrations is not None
