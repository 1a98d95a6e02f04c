"""The reference engine: openai-whisper on torch (optional extra ``[reference]``).

openai-whisper loads only its own ``.pt`` checkpoints, so a CTranslate2 model is
converted once (convert.py) and cached under models/cache/.
"""
from __future__ import annotations

import os

import numpy as np

from ..errors import ModelError
from ..records import DecodeOptions, Segment, Transcript, Word
from . import Progress
from .audio import SAMPLE_RATE
from .guards import flag_segments
from .scorer import PassageScorer, windows


def _require_whisper():
    try:
        import torch  # noqa: F401
        import whisper  # noqa: F401
    except ImportError:
        raise ModelError(
            "the reference engine needs openai-whisper and torch, which are not installed",
            'install the extra: pip install torch==2.13.0 -e ".[reference]"  (or: make test)',
        )


class OpenAIWhisperEngine:
    name = "openai-whisper"

    def __init__(self, resolved, threads: int = 0):
        _require_whisper()
        import torch

        from .convert import checkpoint_for, load_checkpoint

        torch.set_num_threads(threads or os.cpu_count() or 1)
        self.model = resolved.name
        self._whisper = load_checkpoint(checkpoint_for(resolved))

    def transcribe(
        self, audio: np.ndarray, options: DecodeOptions, *, source: str = "", progress: Progress | None = None
    ) -> Transcript:
        import whisper

        result = whisper.transcribe(
            self._whisper,
            audio,
            verbose=False if progress else None,  # False: whisper draws its own progress bar
            fp16=False,
            **decode_kwargs(options),
        )
        segments = [
            Segment(
                id=i,
                start=float(s["start"]),
                end=float(s["end"]),
                text=s["text"],
                words=tuple(Word(w["word"], float(w["start"]), float(w["end"]), float(w["probability"])) for w in s.get("words", ())),
                avg_logprob=float(s["avg_logprob"]),
                compression_ratio=float(s["compression_ratio"]),
                no_speech_prob=float(s["no_speech_prob"]),
                temperature=float(s["temperature"]),
            )
            for i, s in enumerate(result["segments"])
        ]
        # openai-whisper has no voice activity detection: record what really ran.
        settings = options.to_dict() | {"vad_filter": False, "compute_type": "float32"}
        return Transcript(
            source=source,
            language=result.get("language") or options.language or "",
            duration=len(audio) / SAMPLE_RATE,
            engine=self.name,
            model=self.model,
            settings=settings,
            segments=flag_segments(segments, options),
        )


    def scorer(self, audio: np.ndarray, transcript: Transcript) -> "OpenAIScorer":
        """How well readings fit this recording's audio (``scorer``): 30 s windows, each
        encoded when a stretch in it is first scored, and a teacher-forced decoder pass."""
        import torch
        import whisper

        def encode(a: float, b: float) -> np.ndarray:
            cut = whisper.pad_or_trim(audio[int(a * SAMPLE_RATE):int(b * SAMPLE_RATE)].astype(np.float32))
            mel = whisper.log_mel_spectrogram(cut, self._whisper.dims.n_mels)
            with torch.no_grad():
                return self._whisper.embed_audio(mel[None]).numpy()

        words = transcript.words
        return OpenAIScorer(self._whisper, transcript.language or "en", words,
                            *windows(words, len(audio) / SAMPLE_RATE, encode))


class OpenAIScorer(PassageScorer):
    """openai-whisper: the readings' token sequences through the decoder in one batch."""

    def __init__(self, model, language: str, words, placed, pieces):
        super().__init__(words, placed, pieces)
        from whisper.tokenizer import get_tokenizer

        self.model = model
        self.tokenizer = get_tokenizer(model.is_multilingual, num_languages=model.num_languages, language=language,
                                       task="transcribe")

    def _log_probs(self, memory: np.ndarray, prompt: list[str], texts: list[str]) -> list[float]:
        import torch

        t = self.tokenizer
        start = list(t.sot_sequence) + [t.no_timestamps]
        if prompt:
            start = [t.sot_prev] + t.encode(" " + ", ".join(prompt))[-200:] + start
        sequences = [start + t.encode(" " + text) + [t.eot] for text in texts]
        width = max(map(len, sequences))
        tokens = torch.tensor([s + [t.eot] * (width - len(s)) for s in sequences])
        features = torch.from_numpy(np.repeat(memory, len(texts), axis=0))
        with torch.no_grad():
            logp = torch.log_softmax(self.model.decoder(tokens, features).float(), dim=-1)
        out = []
        for row, s in zip(logp, sequences):
            positions = torch.arange(len(start) - 1, len(s) - 1)
            out.append(float(row[positions, torch.tensor(s[len(start):])].sum()))
        return out


def decode_kwargs(options: DecodeOptions) -> dict:
    """The openai-whisper keyword arguments for our options (shared with bench/asr.py)."""
    return dict(
        language=options.language,
        beam_size=options.beam_size,
        temperature=tuple(options.temperatures),
        compression_ratio_threshold=options.compression_ratio_threshold,
        logprob_threshold=options.log_prob_threshold,
        no_speech_threshold=options.no_speech_threshold,
        condition_on_previous_text=options.condition_on_previous_text,
        word_timestamps=options.word_timestamps,
        # openai-whisper has no hotwords; a prompt carried into every window does the same work.
        initial_prompt=" ".join(p for p in (options.hotwords, options.initial_prompt) if p) or None,
        carry_initial_prompt=bool(options.hotwords),
    )
