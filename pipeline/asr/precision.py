"""The faster engine's precision: int8 by default, and only a precision this CPU really runs.

CTranslate2 multiplies through Intel MKL on Intel CPUs and through oneDNN elsewhere (AMD);
only MKL has 16-bit integer kernels. Measured (``python bench/asr.py --wer``; README,
"Measured figures"), WER of base on the 12 dev dictations:

- oneDNN on AVX2 (an AMD CPU's path): int8 13.92 %, float32 13.47 % at 1.42× int8's time.
- MKL: int8 14.32-14.44 %, int16 13.54-13.73 % at 1.05-1.09× int8's time, float32 13.47 %.
- MKL, 48 more dictations (138 min): int8 16.81 %, int16 16.90 %.

int16's lead on 30 minutes vanished on 138 more, and float32's half point costs 40 % more
time, so int8 stays the default on every CPU. A type the CPU lacks is refused: CTranslate2
would quietly run another one, and a transcript must record what really ran.
"""
from __future__ import annotations

from ..errors import ModelError

COMPUTE_TYPES = ("int8", "int16", "float32")
DEFAULT = "int8"


def supported() -> tuple[str, ...]:
    """Our compute types that CTranslate2 runs on this CPU."""
    import ctranslate2

    here = set(ctranslate2.get_supported_compute_types("cpu"))
    return tuple(t for t in COMPUTE_TYPES if t in here)


def choose(requested: str) -> str:
    """``requested``, if it is one of ours and runs on this CPU; else a clear error."""
    if requested not in COMPUTE_TYPES:
        raise ModelError(f"unknown compute type {requested!r}", f"use one of: {', '.join(COMPUTE_TYPES)}")
    here = supported()
    if requested not in here:
        raise ModelError(f"this CPU has no {requested} kernels in CTranslate2",
                         f"set compute_type to one of: {', '.join(here)}")
    return requested
