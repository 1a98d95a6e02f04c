"""Where the project's own folders are, file fingerprints, and loading data once: shared by every part.

The rule data under ``models/`` (lexicons, sections, preamble, letter kinds) and the
Whisper weights' registry both live there, so finding it is the core's job, not the
recogniser's. ``DICTATION_MODELS_DIR`` points elsewhere (an installed copy, a test).
"""
from __future__ import annotations

import functools
import hashlib
import io
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path, PurePath

REPO = Path(__file__).resolve().parent.parent
REPO_MODELS_DIR = REPO / "models"
_CHUNK = 1 << 22


def models_dir() -> Path:
    return Path(os.environ.get("DICTATION_MODELS_DIR", REPO_MODELS_DIR))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def once(load):
    """``load()`` run once, by one thread; every other caller waits for it and shares the result.
    The rule files and lexicons are loaded this way: with ``functools.cache`` the batch's job
    threads, reaching the language stage together, would each build the drug and English
    indexes (seconds and a hundred MB apiece)."""
    lock = threading.Lock()
    loaded: list = []

    @functools.wraps(load)
    def get():
        if not loaded:
            with lock:
                if not loaded:
                    loaded.append(load())
        return loaded[0]

    return get


@dataclass(frozen=True)
class Blob:
    """An input file's bytes and its name, read from nothing but memory: what a cluster worker
    is given instead of a path, so no patient data is written to the worker's disk. The
    decoders take a ``Path`` or a ``Blob`` (``opened``)."""

    name: str
    data: bytes = field(repr=False)

    @property
    def suffix(self) -> str:
        return PurePath(self.name).suffix


def opened(source: "Path | Blob"):
    """What a decoder opens: the path as text, or the bytes as a file in memory."""
    return io.BytesIO(source.data) if isinstance(source, Blob) else str(source)


def head_of(source: "Path | Blob", size: int) -> bytes:
    if isinstance(source, Blob):
        return source.data[:size]
    with open(source, "rb") as fh:
        return fh.read(size)
