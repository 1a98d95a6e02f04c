"""A recording cut into speech chunks of up to 30 s, the unit batched recognition decodes.

The voice detector (Silero, shipped inside faster-whisper) finds the speech; its stretches
are packed, silence left out, into chunks of at most one Whisper window; each chunk's
features are padded to the full window. Recognised times are in the packed timeline and
are mapped back to the recording's own once all its chunks are back (``restore``).
These are faster-whisper's own pieces (``collect_chunks``, ``restore_speech_timestamps``),
the ones its BatchedInferencePipeline uses, so times mean the same in both engines' modes.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from .audio import SAMPLE_RATE

WINDOW_S = 30  # Whisper's window: a chunk is at most this much speech
# The batched pipeline's split: a chunk ends at a 160 ms pause, so chunks break between
# phrases, not inside words. Measured against 500 and 2000 ms in bench/asr.py --day.
MIN_SILENCE_MS = 160
SPEECH_PAD_MS = 400
# One voice detection at a time: Silero runs a recording's whole length as one ONNX batch,
# about 70 MB of activations for 3 minutes and 300 MB for 10 (measured); four job threads
# detecting at once were most of the batch's peak memory. It is 0.3 % of the work.
_VAD_LOCK = threading.Lock()


@dataclass
class Chunk:
    """One chunk of one recording, queued for a batch."""

    features: np.ndarray  # (mels, frames of one window)
    audio: np.ndarray  # the chunk's packed speech, for a re-decode on its own
    offset: float  # seconds into the packed timeline
    duration: float  # seconds of speech in it
    segments: list[dict] = field(default_factory=list)  # recognised, packed-timeline seconds
    encoded: np.ndarray | None = None  # the encoder's output, kept for the scorer (see scorer.py)


def speech(audio: np.ndarray, threshold: float = 0.5) -> list[dict]:
    """The detected speech as sample ranges, no stretch longer than a window."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    with _VAD_LOCK:
        return get_speech_timestamps(audio, VadOptions(threshold=threshold, max_speech_duration_s=WINDOW_S,
                                                       min_silence_duration_ms=MIN_SILENCE_MS,
                                                       speech_pad_ms=SPEECH_PAD_MS))


def windows(audio: np.ndarray) -> list[dict]:
    """The whole recording as stretches of a window each: no voice detection (``vad_filter`` off)."""
    step = int(WINDOW_S * SAMPLE_RATE)
    return [{"start": i, "end": min(i + step, len(audio))} for i in range(0, len(audio), step)]


def cut(audio: np.ndarray, stretches: list[dict], feature_extractor) -> list[Chunk]:
    """The recording's speech packed into chunks of up to a window, with their features."""
    from faster_whisper.audio import pad_or_trim
    from faster_whisper.vad import collect_chunks

    if not stretches:
        return []
    pieces, metadata = collect_chunks(audio, stretches, max_duration=WINDOW_S)
    return [Chunk(features=pad_or_trim(feature_extractor(piece)[..., :-1]), audio=piece, offset=meta["offset"],
                  duration=meta["duration"]) for piece, meta in zip(pieces, metadata) if len(piece)]


def restore(chunks: list[Chunk], stretches: list[dict]):
    """faster-whisper Segments in the recording's own time, in order, and where each of their
    words lies in its chunk (for the scorer)."""
    from faster_whisper.transcribe import Segment, Word, restore_speech_timestamps

    from .scorer import Placed

    packed, placed = [], []
    for k, chunk in enumerate(chunks):
        for s in chunk.segments:
            words = [Word(**w) for w in s.get("words", ())] or None
            placed += [Placed(k, w.start - chunk.offset, w.end - chunk.offset, w.word) for w in words or ()]
            packed.append(Segment(id=len(packed), seek=0, start=s["start"], end=s["end"], text=s["text"],
                                  tokens=s["tokens"], avg_logprob=s["avg_logprob"],
                                  compression_ratio=s["compression_ratio"], no_speech_prob=s["no_speech_prob"],
                                  words=words, temperature=s.get("temperature", 0.0)))
    return list(restore_speech_timestamps(packed, stretches, SAMPLE_RATE)), placed
