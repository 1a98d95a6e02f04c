"""glibc's allocator, set by the command before any thread starts (elsewhere: nothing).

At most two heap arenas. glibc gives each thread that allocates its own arena and keeps
freed memory in it; with job and recogniser threads `dictation batch` peaked 280 MB higher
(1.71 GB against 1.42 GB capped), and two arenas cost no measurable speed.

Left alone on purpose: glibc maps blocks over 32 MB afresh, zeroed, each time (an encoder
layer's 72 MB attention scores, a third of a one-thread encoder pass in the kernel). Taking
them from the heap instead (mmap off, free heap kept) cut the batch's work by 8-13 %, but it
changed the text: a clean synthetic letter decoded in a batch of six came out garbled
("Esma's childhood" for "asthma since childhood", tests/test_batched.py), so something
below us reads memory it expects zeroed. Fresh pages keep the text right.
"""
from __future__ import annotations

import ctypes
import ctypes.util

M_ARENA_MAX = -8  # glibc's malloc.h
ARENAS = 2


def cap_arenas() -> None:
    try:
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt(M_ARENA_MAX, ARENAS)
    except (OSError, AttributeError):  # not glibc: its own allocator's defaults
        pass
