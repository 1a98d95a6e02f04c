"""The default engine: faster-whisper (CTranslate2), int8 on CPU (see ``precision``)."""
from __future__ import annotations

import numpy as np

from ..errors import ModelError
from ..records import DecodeOptions, Segment, Transcript, Word
from . import Progress
from .audio import SAMPLE_RATE
from .guards import flag_segments
from .precision import DEFAULT, choose


class FasterWhisperEngine:
    name = "faster-whisper"

    def __init__(self, resolved, compute_type: str = DEFAULT, threads: int = 0, workers: int = 1):
        if resolved.kind != "ct2":
            raise ModelError(
                "faster-whisper needs a CTranslate2 model folder, not an openai-whisper .pt file",
                "use --engine openai for a .pt checkpoint, or give a registry model name",
                resolved.name,
            )
        from faster_whisper import WhisperModel

        self.model = resolved.name
        self.compute_type = choose(compute_type)  # refused if this CPU lacks it: transcripts say what ran
        self._whisper = WhisperModel(
            str(resolved.path), device="cpu", compute_type=self.compute_type, cpu_threads=threads, num_workers=workers,
            local_files_only=True
        )

    def transcribe(
        self, audio: np.ndarray, options: DecodeOptions, *, source: str = "", progress: Progress | None = None
    ) -> Transcript:
        segments, info = self._whisper.transcribe(audio, **decode_kwargs(options))
        collected = []
        for s in segments:  # a lazy generator: progress follows decoding
            collected.append(
                Segment(
                    id=len(collected),
                    start=float(s.start),
                    end=float(s.end),
                    text=s.text,
                    words=tuple(Word(w.word, float(w.start), float(w.end), float(w.probability)) for w in s.words or ()),
                    avg_logprob=float(s.avg_logprob),
                    compression_ratio=float(s.compression_ratio),
                    no_speech_prob=float(s.no_speech_prob),
                    temperature=float(s.temperature or 0.0),
                )
            )
            if progress:
                progress(float(s.end))
        return Transcript(
            source=source,
            language=info.language,
            duration=len(audio) / SAMPLE_RATE,
            engine=self.name,
            model=self.model,
            settings=options.to_dict() | {"compute_type": self.compute_type},
            segments=flag_segments(collected, options),
        )


def decode_kwargs(options: DecodeOptions) -> dict:
    """The faster-whisper keyword arguments for our options (shared with bench/asr.py)."""
    return dict(
        language=options.language,
        beam_size=options.beam_size,
        temperature=list(options.temperatures),
        compression_ratio_threshold=options.compression_ratio_threshold,
        log_prob_threshold=options.log_prob_threshold,
        no_speech_threshold=options.no_speech_threshold,
        condition_on_previous_text=options.condition_on_previous_text,
        word_timestamps=options.word_timestamps,
        vad_filter=options.vad_filter,
        initial_prompt=options.initial_prompt,
        hotwords=options.hotwords,
    )
