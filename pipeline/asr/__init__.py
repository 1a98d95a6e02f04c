"""Speech recognition: a recording → a ``Transcript`` with word timings.

``audio`` decodes any container to 16 kHz mono; ``weights`` finds the offline Whisper
weights. One protocol, two engines: ``faster`` (faster-whisper on CTranslate2, the
default) and ``openai`` (openai-whisper on torch, an optional extra), the reference it is
checked against. Both return the same Transcript record, flagged by ``guards``.
"""
from __future__ import annotations

from typing import Callable, Protocol

import numpy as np

from ..errors import ModelError
from ..records import DecodeOptions, Transcript
from .precision import COMPUTE_TYPES, DEFAULT  # noqa: F401  (COMPUTE_TYPES: the CLI's choices)
from .scorer import Scorer

ENGINES = ("faster", "openai")

Progress = Callable[[float], None]  # called with seconds of audio done


class Engine(Protocol):
    name: str  # "faster-whisper" or "openai-whisper"
    model: str  # registry name or path

    def transcribe(
        self, audio: np.ndarray, options: DecodeOptions, *, source: str = "", progress: Progress | None = None
    ) -> Transcript: ...

    def scorer(self, audio: np.ndarray, transcript: Transcript) -> "Scorer":
        """How well readings fit stretches of this recording (``asr.scorer``), for the language
        stage to check its corrections against the audio."""
        ...


def load_engine(engine: str = "faster", model: str | None = None, compute_type: str = DEFAULT, threads: int = 0,
                workers: int = 1, batch_size: int = 1) -> Engine:
    """Load a model once; the engine then transcribes any number of files, from any number of
    threads. The faster engine runs ``workers`` recognitions at a time; with ``batch_size`` > 1
    it decodes the speech chunks of all the recordings waiting in shared batches."""
    from .weights import resolve

    resolved = resolve(model)
    if engine == "faster":
        from .faster import FasterWhisperEngine

        return FasterWhisperEngine(resolved, compute_type=compute_type, threads=threads, workers=workers,
                                  batch_size=batch_size)
    if engine == "openai":
        from .reference import OpenAIWhisperEngine

        return OpenAIWhisperEngine(resolved, threads=threads)
    raise ModelError(f"unknown engine {engine!r}", f"use one of: {', '.join(ENGINES)}")
