"""The faster engine's precision on this CPU: ``auto`` takes the most accurate of the fast ones
that CTranslate2 offers here.

CTranslate2 runs its matrix products through Intel MKL on Intel CPUs and through oneDNN on
others (AMD), and only MKL has 16-bit integer kernels. Measured on the 12 dev dictations
(``python bench/asr.py --wer --compute-types int8,float32,int16``; README, "Measured figures"):

- MKL: int16 is as accurate as float32 (WER 13.54 % against 13.47 %) at 1.09× int8's time;
  int8 is 0.86 points behind; float32 takes 1.50× int8's time.
- oneDNN on AVX2 (an AMD CPU's path): no int16; int8 is 0.45 points behind float32, which
  takes 1.42× its time.

So ``auto`` is int16 where there are int16 kernels and int8 elsewhere.
"""
from __future__ import annotations

from ..errors import ModelError

AUTO = "auto"
COMPUTE_TYPES = (AUTO, "int8", "int16", "float32")
FAST_AND_ACCURATE = ("int16", "int8")  # the first one this CPU has wins


def supported() -> set[str]:
    import ctranslate2

    return set(ctranslate2.get_supported_compute_types("cpu"))


def choose(requested: str) -> str:
    """The compute type to load: ``auto`` resolved for this CPU, or the one asked for if it runs here."""
    here = supported()
    if requested == AUTO:
        return next((t for t in FAST_AND_ACCURATE if t in here), "float32")
    if requested not in COMPUTE_TYPES:
        raise ModelError(f"unknown compute type {requested!r}", f"use one of: {', '.join(COMPUTE_TYPES)}")
    if requested not in here:
        # CTranslate2 would quietly run something else; the transcript must say what ran.
        raise ModelError(f"this CPU has no {requested} kernels in CTranslate2",
                         f"set compute_type to auto, or one of: {', '.join(t for t in COMPUTE_TYPES[1:] if t in here)}")
    return requested
