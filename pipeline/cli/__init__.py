"""The ``dictation`` command: one module per command group, each registering its commands.

``transcribe`` (transcribe, analyse, models: files given by hand), ``desk`` (watch, batch,
status, report, approve, return) and ``review`` (the review page). The commands parse
options and call the parts; they never open the job database themselves.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys

from ..errors import DictationError
from ..asr.allocator import cap_arenas
from . import desk, review, transcribe


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dictation", description="Offline dictation to draft letters.")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in (transcribe, desk, review):
        group.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.umask(0o077)  # every file we create is readable by its owner only
    cap_arenas()  # before any thread starts (pipeline/asr/allocator.py)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("faster_whisper").setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except DictationError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
