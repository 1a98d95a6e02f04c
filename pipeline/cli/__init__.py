"""The ``dictation`` command: one module per command group, each registering its commands.

``transcribe`` (transcribe, analyse, models: files given by hand), ``desk`` (watch, batch,
status, report, approve, return; ``--cluster`` runs them on Dask workers), ``cluster``
(worker), ``worklist`` (tasks, task: what the approved letters ask to book), ``phone`` (message, messages, mark), ``review`` (the review page) and ``learning`` (learn,
vocabulary). The commands parse options and call the parts; they never open the job
database themselves.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys

from ..errors import DictationError
from . import cluster, desk, learning, phone, review, transcribe, worklist


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dictation", description="Offline dictation to draft letters.")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in (transcribe, desk, worklist, cluster, phone, review, learning):
        group.register(sub)
    return parser


def cap_malloc_arenas(arenas: int = 2) -> None:
    """glibc gives each thread that allocates its own heap arena and keeps freed memory in it;
    with job and recogniser threads, `dictation batch` peaked 280 MB higher (1.71 GB, 1.42 GB capped).
    Two arenas cost no measurable speed. glibc only: elsewhere this does nothing.

    Left alone on purpose: glibc maps blocks over 32 MB (an encoder layer's 72 MB of attention
    scores) afresh and zeroed each time. Taking them from the heap (mmap off) cut the batch's
    work by 8-13 % but garbled a clean letter decoded in a batch of six (tests/test_batched.py):
    something below us reads memory it expects zeroed."""
    import ctypes
    import ctypes.util

    try:
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt(-8, arenas)  # -8: M_ARENA_MAX
    except (OSError, AttributeError):
        pass


def main(argv: list[str] | None = None) -> int:
    os.umask(0o077)  # every file we create is readable by its owner only
    cap_malloc_arenas()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("faster_whisper").setLevel(logging.WARNING)
    logging.getLogger("distributed").setLevel(logging.WARNING)  # Dask's own chatter (addresses, no patient data)
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except DictationError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
