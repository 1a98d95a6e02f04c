"""Opening the cluster: ``local:N`` starts a LocalCluster of N worker processes here; an
address joins a running scheduler. Patient audio crosses the network only over TLS: a plain
``tcp://`` address that is not on this machine is refused unless certificates are given, and
with certificates every connection is ``tls://``."""
from __future__ import annotations

import ipaddress
import logging
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import ConfigError

DEFAULT_PORT = 8786
WAIT_FOR_WORKERS_SECONDS = 120.0


@dataclass(frozen=True)
class Certificates:
    """The practice's own CA and this machine's certificate and key (PEM files)."""

    ca: Path
    cert: Path
    key: Path

    def check(self) -> None:
        for what, path in (("CA certificate", self.ca), ("certificate", self.cert), ("key", self.key)):
            if not Path(path).is_file():
                raise ConfigError(f"the cluster's {what} does not exist", "give the PEM file made as the README's "
                                  "“Running on a cluster” says", str(path))

    def security(self, role: str):
        """Dask's ``Security`` for a ``client`` (the desk) or a ``worker``; encryption required."""
        from distributed.security import Security

        self.check()
        return Security(tls_ca_file=str(self.ca), require_encryption=True,
                        **{f"tls_{role}_cert": str(self.cert), f"tls_{role}_key": str(self.key)})


def certificates(ca: Path | None, cert: Path | None, key: Path | None) -> Certificates | None:
    given = [p for p in (ca, cert, key) if p is not None]
    if not given:
        return None
    if len(given) != 3:
        raise ConfigError("TLS needs three files: --tls-ca, --tls-cert and --tls-key",
                          "give all three, or none for a cluster on this machine")
    return Certificates(Path(ca), Path(cert), Path(key))


def local_size(address: str) -> int | None:
    """N for ``local:N``, else None."""
    if not address.startswith("local:"):
        return None
    try:
        n = int(address.removeprefix("local:"))
    except ValueError:
        n = 0
    if n < 1:
        raise ConfigError(f"{address!r} is not a local cluster size", "give --cluster local:N with N ≥ 1, e.g. local:2")
    return n


def is_this_machine(host: str) -> bool:
    """Whether ``host`` names this machine: loopback, its name, or one of its addresses."""
    import psutil

    if host in ("localhost", socket.gethostname(), socket.getfqdn()):
        return True
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except socket.gaierror:
        return False
    mine = {a.address.split("%")[0] for nics in psutil.net_if_addrs().values() for a in nics}
    return all(ipaddress.ip_address(a.split("%")[0]).is_loopback or a.split("%")[0] in mine for a in addresses)


def scheduler_address(address: str, certs: Certificates | None) -> str:
    """The address to dial: ``tls://`` with certificates, ``tcp://`` only to this machine."""
    if "://" not in address:
        address = f"tcp://{address}"
    parts = urlsplit(address)
    if parts.scheme not in ("tcp", "tls") or not parts.hostname:
        raise ConfigError(f"{address!r} is not a scheduler address",
                          "give --cluster tls://HOST:8786 (or local:N to start workers on this machine)")
    port = parts.port or DEFAULT_PORT
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    if certs is not None:
        return f"tls://{host}:{port}"
    if parts.scheme == "tls":
        raise ConfigError(f"{address} needs the practice's certificates", "give --tls-ca, --tls-cert and --tls-key")
    if not is_this_machine(parts.hostname):
        raise ConfigError(f"{parts.hostname} is another machine and {address} is not encrypted: patient audio "
                          "would cross the network in the clear",
                          "give --tls-ca, --tls-cert and --tls-key (the README's “Running on a cluster” says how "
                          "to make them), or run the scheduler on this machine")
    return f"tcp://{host}:{port}"


def open_client(address: str, certs: Certificates | None = None, dashboard: bool = False,
                threads_per_worker: int = 1, timeout: float = 30.0):
    """A connected ``distributed.Client`` and the LocalCluster it started (None when joining a
    scheduler). Close the client, then the cluster."""
    from distributed import Client, LocalCluster

    # Dask sets its loggers to INFO on import: connection chatter, not the desk's business
    logging.getLogger("distributed").setLevel(logging.WARNING)
    worker_settings()
    n = local_size(address)
    if n is not None:
        # Bokeh's dashboard only when asked for; workers live as long as this process.
        cluster = LocalCluster(n_workers=n, threads_per_worker=threads_per_worker, processes=True,
                               host="127.0.0.1", dashboard_address=":8787" if dashboard else None,
                               silence_logs=logging.ERROR)
        return Client(cluster), cluster
    target = scheduler_address(address, certs)
    security = certs.security("client") if certs else None
    try:
        client = Client(target, security=security, timeout=f"{timeout}s")
    except (OSError, TimeoutError) as err:
        raise ConfigError(f"cannot reach the cluster's scheduler at {target} ({type(err).__name__})",
                          "start it (`dask scheduler`, see the README) or check the address and the certificates")
    return client, None


def wait_for_workers(client, timeout: float = WAIT_FOR_WORKERS_SECONDS) -> None:
    try:
        client.wait_for_workers(1, timeout=timeout)
    except TimeoutError:
        raise ConfigError(f"no worker joined the scheduler within {timeout:.0f} s",
                          f"start one on each worker machine: dictation worker {client.scheduler.address}")


def default_task_slots() -> int:
    """Tasks a worker runs at once: one per core (up to 8), each with one recognition thread,
    as on one workstation (``desk.worker.default_workers``)."""
    return max(1, min(os.cpu_count() or 1, 8))


# A worker spills task data to its disk when memory runs short; our tasks' data is patient
# audio, so spilling is off (pausing and the nanny's restart still guard memory).
NO_SPILL = {"distributed.worker.memory.target": False, "distributed.worker.memory.spill": False}
# What the nanny sets before it starts a worker process: Dask's own, less MALLOC_TRIM_THRESHOLD_.
# Setting that turns off glibc's adaptive mmap threshold, so every large buffer of the
# recogniser is mapped and zeroed afresh: a worker took 1.7x the CPU seconds of the same
# jobs run here (70.6 s against 42.1 s on 3 dev dictations, measured).
WORKER_ENVIRON = {"OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1}


def worker_settings() -> None:
    """NO_SPILL and WORKER_ENVIRON, for the workers this process starts (local:N, `dictation worker`)."""
    import dask

    dask.config.set({**NO_SPILL, "distributed.nanny.pre-spawn-environ": WORKER_ENVIRON})


def run_worker(address: str, certs: Certificates | None, slots: int, name: str | None = None) -> int:
    """``dask worker`` (with its nanny) for this scheduler, preloading our task module so a
    broken install fails here, at start, not at the first job."""
    from distributed.cli.dask_worker import main

    target = scheduler_address(address, certs)
    args = [target, "--nthreads", str(slots), "--nworkers", "1", "--no-dashboard", "--preload", "pipeline.cluster.task"]
    if certs is not None:
        certs.check()
        args += ["--tls-ca-file", str(certs.ca), "--tls-cert", str(certs.cert), "--tls-key", str(certs.key)]
    if name:
        args += ["--name", name]
    worker_settings()
    try:
        main(args, standalone_mode=False)
    except KeyboardInterrupt:
        pass
    return 0
