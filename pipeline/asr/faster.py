"""The default engine: faster-whisper (CTranslate2), int8 on CPU (see ``precision``).

Two modes. Batched (the default, ``batch_size`` > 1): recordings are cut into speech chunks
and decoded in batches across recordings (``batched``), with ``workers`` CTranslate2
replicas of ``threads`` threads each. Sequential (``batch_size`` 1): faster-whisper's own
window-by-window decoding, the mode that matches openai-whisper's output at equal settings.
"""
from __future__ import annotations

import threading

import numpy as np

from ..errors import ModelError
from ..records import DecodeOptions, Segment, Transcript, Word
from . import Progress
from . import chunks, scorer
from .audio import SAMPLE_RATE
from .batched import Batcher, Request
from .guards import flag_segments
from .precision import DEFAULT, choose


class FasterWhisperEngine:
    name = "faster-whisper"

    def __init__(self, resolved, compute_type: str = DEFAULT, threads: int = 0, workers: int = 1,
                 batch_size: int = 1):
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
        self.batch_size = batch_size
        self._batcher = Batcher(self._whisper, workers, batch_size) if batch_size > 1 else None
        self._last = threading.local()  # this thread's latest recording's chunks, for ``scorer``

    @property
    def stats(self):
        """Seconds per recognition stage and chunk counts so far (batched mode; the bench prints them)."""
        return self._batcher.stats if self._batcher else None

    def transcribe(
        self, audio: np.ndarray, options: DecodeOptions, *, source: str = "", progress: Progress | None = None
    ) -> Transcript:
        self._last.pieces = None
        if self._batcher is not None:
            segments, language = self._batched(audio, options)
        else:
            segments, info = self._whisper.transcribe(audio, **decode_kwargs(options))
            language = info.language
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
            language=language,
            duration=len(audio) / SAMPLE_RATE,
            engine=self.name,
            model=self.model,
            settings=options.to_dict() | {"compute_type": self.compute_type, "batch_size": self.batch_size},
            segments=flag_segments(collected, options),
        )

    def _batched(self, audio: np.ndarray, options: DecodeOptions):
        """faster-whisper Segments of the recording, its chunks decoded in shared batches."""
        stretches = (self._batcher.timed("voice detection", chunks.speech, audio, options.vad_threshold)
                     if options.vad_filter else chunks.windows(audio))
        pieces = self._batcher.timed("features", chunks.cut, audio, stretches, self._whisper.feature_extractor)
        language = options.language
        if language is None and pieces:
            language = self._whisper.detect_language(features=pieces[0].features)[0]
        self._batcher.recognise(Request(pieces, options, language or "en"))
        segments, placed = chunks.restore(pieces, stretches)
        self._last.pieces = (id(audio), placed, [scorer.Piece(c.encoded, int(round(c.duration * scorer.FRAMES_PER_S)))
                                                 for c in pieces])
        return segments, language or "en"

    def scorer(self, audio: np.ndarray, transcript: Transcript) -> scorer.FasterScorer:
        """How well readings fit this recording's audio (``scorer``). Right after this thread
        transcribed ``audio`` in batched mode, it reuses the recognition's encoder output;
        otherwise it encodes 30 s windows as stretches in them are scored."""
        last, self._last.pieces = getattr(self._last, "pieces", None), None  # the chunks are held once, not for the day
        words = transcript.words
        if last is not None and last[0] == id(audio) and len(last[1]) == len(words):
            return scorer.FasterScorer(self._whisper, transcript.language, words, last[1], last[2])
        return scorer.windowed(self._whisper, transcript.language, audio, words)


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
        vad_parameters={"threshold": options.vad_threshold},
        initial_prompt=options.initial_prompt,
        hotwords=options.hotwords,
    )
