"""glibc's allocator, set for recognition (elsewhere: nothing). Measured with `dictation
batch` on 36 dictations (bench/day.py).

- ``cap_arenas``, by the command before any thread starts: at most two heap arenas. glibc
  gives each thread that allocates its own arena and keeps freed memory in it; with job
  and recogniser threads the batch peaked 280 MB higher (1.71 GB against 1.42 GB capped),
  and two arenas cost no measurable speed.
- ``keep_large_blocks``, by the faster engine once its model is loaded: large blocks come
  from the heap and are kept for reuse, not mapped afresh. CTranslate2 allocates with plain
  posix_memalign when MKL is off (always on AMD), and an encoder layer's attention scores
  are 72 MB for one 30 s chunk: above glibc's largest mmap threshold (32 MB), so every layer
  of every chunk mapped new pages, faulted and zeroed them (a third of a one-thread encoder
  pass was kernel time, `perf record`). With mmap off and up to 128 MB of free heap kept,
  the batch used 450 CPU s instead of 490, with the same text. Set after the model is
  loaded, so the 145 MB file buffer of the load is unmapped, not kept in the heap.
"""
from __future__ import annotations

import ctypes
import ctypes.util

M_TRIM_THRESHOLD, M_MMAP_MAX, M_ARENA_MAX = -1, -4, -8  # glibc's malloc.h
ARENAS = 2
KEEP_FREE_BYTES = 128 << 20


def _mallopt(*settings: tuple[int, int]) -> None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        for param, value in settings:
            libc.mallopt(param, value)
    except (OSError, AttributeError):  # not glibc: its own allocator's defaults
        pass


def cap_arenas() -> None:
    _mallopt((M_ARENA_MAX, ARENAS))


def keep_large_blocks() -> None:
    _mallopt((M_MMAP_MAX, 0), (M_TRIM_THRESHOLD, KEEP_FREE_BYTES))
