"""The cluster's commands and options: ``--cluster`` on ``watch`` and ``batch``, and
``dictation worker ADDRESS`` to start a worker on another machine."""
from __future__ import annotations

import argparse
import contextlib
import os
from pathlib import Path


def tls_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tls-ca", type=Path, help="the practice's CA certificate (PEM) for a cluster over the network")
    p.add_argument("--tls-cert", type=Path, help="this machine's certificate (PEM), signed by that CA")
    p.add_argument("--tls-key", type=Path, help="this machine's private key (PEM)")


def cluster_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cluster", metavar="ADDRESS",
                   help="run the recognition on Dask workers: local:N starts N worker processes here, "
                        "tls://HOST:8786 joins the practice's scheduler")
    tls_options(p)
    p.add_argument("--dashboard", action="store_true", help="local:N only: serve Dask's dashboard on :8787")


@contextlib.contextmanager
def cluster_service(settings, args):
    """The desk's Service: on a cluster when ``--cluster`` is given, else with a local engine."""
    from ..desk.watch import Service

    if not getattr(args, "cluster", None):
        from .common import engine_for

        yield Service(settings, engine_for(settings))
        return
    from ..cluster import connect

    certs = connect.certificates(args.tls_ca, args.tls_cert, args.tls_key)
    n = connect.local_size(args.cluster)
    # local:N shares this machine's cores among its N workers; elsewhere each worker decides
    threads = settings.threads or (max(1, (os.cpu_count() or 1) // n) if n else 0)
    client, cluster = connect.open_client(args.cluster, certs, args.dashboard)
    try:
        connect.wait_for_workers(client)
        yield Service(settings, None, cluster=client, cluster_threads=threads)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def cmd_worker(args) -> int:
    from ..cluster import connect

    slots = args.nthreads or connect.default_task_slots()
    return connect.run_worker(args.address, connect.certificates(args.tls_ca, args.tls_cert, args.tls_key), slots,
                              args.name)


def register(sub) -> None:
    p = sub.add_parser("worker", help="run the recognition for a cluster's desk: a Dask worker for this scheduler")
    p.add_argument("address", metavar="ADDRESS", help="the scheduler, e.g. tls://desk.example.org:8786")
    p.add_argument("--nthreads", type=int, help="jobs at once (default: one per core, up to 8)")
    p.add_argument("--name", help="this worker's name on the dashboard (default: its address)")
    tls_options(p)
    p.set_defaults(func=cmd_worker)
