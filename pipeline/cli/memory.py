"""glibc's allocator, set for this workload before any thread starts (elsewhere: nothing).

Two settings, both measured with `dictation batch` on 36 dictations (bench/day.py):

- At most two heap arenas. glibc gives each thread that allocates its own arena and keeps
  freed memory in it; with job and recogniser threads the batch peaked 280 MB higher
  (1.71 GB against 1.42 GB capped). Two arenas cost no measurable speed.
- Large blocks from the heap, kept for reuse, not mapped afresh. CTranslate2 allocates
  with plain posix_memalign when MKL is off (always on AMD), and an encoder layer's
  attention scores are 72 MB for one 30 s chunk: above glibc's largest mmap threshold
  (32 MB), so every layer of every chunk mapped new pages, faulted and zeroed them (a
  third of a one-thread encoder pass was in the kernel, `perf record`). With mmap off and
  up to 128 MB of free heap kept, the batch used 451 CPU s instead of 490 (8 % less work,
  the same text), with no higher peak.
"""
from __future__ import annotations

import ctypes
import ctypes.util

M_TRIM_THRESHOLD, M_MMAP_MAX, M_ARENA_MAX = -1, -4, -8  # glibc's malloc.h
ARENAS = 2
KEEP_FREE_BYTES = 128 << 20


def tune_malloc() -> None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(M_ARENA_MAX, ARENAS)
        libc.mallopt(M_MMAP_MAX, 0)
        libc.mallopt(M_TRIM_THRESHOLD, KEEP_FREE_BYTES)
    except (OSError, AttributeError):  # not glibc: its own allocator's defaults
        pass
