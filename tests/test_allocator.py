"""The allocator settings the faster engine makes once its model is loaded (pipeline/asr/allocator.py), checked in glibc's own counters."""
import ctypes
import ctypes.util
import platform

import pytest

from pipeline.asr.allocator import keep_large_blocks


class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


def glibc():
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        pytest.skip("the allocator settings are glibc's; elsewhere the allocator module does nothing")
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    if not hasattr(libc, "mallinfo2"):
        pytest.skip("glibc older than 2.33 has no mallinfo2 to check with")
    libc.mallinfo2.restype = MallInfo2
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    return libc


def test_a_large_block_comes_from_the_heap_and_stays_for_reuse():
    libc = glibc()
    size = 72 << 20  # one encoder layer's attention scores for a 30 s chunk of Whisper base
    keep_large_blocks()
    mapped_before = libc.mallinfo2().hblks
    block = libc.malloc(size)
    assert block
    try:
        assert libc.mallinfo2().hblks == mapped_before, "a 72 MB block was mapped afresh instead of taken from the heap"
    finally:
        libc.free(block)
    # freed, it is kept (up to 128 MB of free heap), so the next layer's scores need no new pages
    info = libc.mallinfo2()
    assert info.fordblks >= size
