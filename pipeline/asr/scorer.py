"""How well a reading of a stretch of a recording fits its audio, asked of Whisper itself.

The language stage proposes spellings Whisper did not write ("Protonix" for the heard
"Prodynx"); text alone cannot tell a mis-heard name from a word that was said. The
recogniser can: teacher-forced, it gives the probability of every token of a given text
for the audio (CTranslate2's ``Whisper.align`` returns it as ``text_token_probs``; it is
what faster-whisper's word probabilities are). A reading is scored as the summed log
probability of a short passage around the stretch with that reading in place; readings of
one stretch are compared by their differences, the rest of the passage being common.

The audio side is the encoder's output for the piece of audio holding the stretch: in
batched recognition, the chunk it was recognised in (kept, so scoring runs no encoder
pass); otherwise a 30 s window encoded on first use. Only the frames of the passage
(a few words either side) are given to the decoder, and only the passage's words: the
cost of a reading is then a few percent of an encoder pass, not the tenth a whole window
costs (cross-attention over 1500 frames and 80 tokens per reading).

The candidates are given as a previous-text prompt (``<|startofprev|>``): without it the
model cannot know a rare name exists, and the right name scores below the garble it
produced ("Prodynx" 14.5 nats above Protonix without, 1.2 with; dev dict-d3-010).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence

import numpy as np

from ..records import Word
from .audio import SAMPLE_RATE

WINDOW_S = 30.0
CONTEXT_S = 4.0  # words either side of the stretch that the passage holds
EDGE_S = 0.2  # audio kept beyond the passage's first and last word
FRAMES_PER_S = 50  # encoder output frames per second of audio


class Scorer(Protocol):
    """The engine's answer to "how well does each reading fit the audio from start to end"."""

    def compare(self, start: float, end: float, readings: Sequence[str], prompt: Sequence[str] = ()) -> list[float]:
        """Summed log probability (nats) of the passage around [start, end] (recording seconds)
        with each reading in place of the words heard there; higher fits better."""
        ...

    def lengths(self, readings: Sequence[str]) -> list[int]:
        """Tokens each reading takes: a summed log probability charges every token, so a
        longer name starts behind (``verify`` gives each token a fitted allowance)."""
        ...


@dataclass
class Placed:
    """A recognised word, where it lies in the piece of audio that was encoded."""

    piece: int
    start: float  # seconds into the piece
    end: float
    text: str


@dataclass
class Piece:
    encoded: np.ndarray  # encoder output, (1, frames, width)
    frames: int  # frames holding audio (the rest is the window's padding)


class PassageScorer:
    """Scores readings on encoded pieces of audio: the words of the recording, each placed in
    a piece. Subclasses give the engine's teacher-forced log probabilities (``_log_probs``)."""

    def __init__(self, words: Sequence[Word], placed: Sequence[Placed], pieces: list[Piece]):
        self.words = list(words)
        self.placed = list(placed)
        self.pieces = pieces
        self.readings = 0  # readings scored, for the bench's cost figures

    def _stretch(self, start: float, end: float) -> list[int]:
        return [k for k, w in enumerate(self.words) if start - 0.01 <= (w.start + w.end) / 2 <= end + 0.01]

    def compare(self, start: float, end: float, readings: Sequence[str], prompt: Sequence[str] = ()) -> list[float]:
        inside = self._stretch(start, end)
        if not readings or not inside:
            return [0.0] * len(readings)
        piece = self.placed[inside[0]].piece
        inside = [k for k in inside if self.placed[k].piece == piece]  # a stretch across two pieces: the first's part
        lo, hi = self.placed[inside[0]].start - CONTEXT_S, self.placed[inside[-1]].end + CONTEXT_S
        around = [k for k, p in enumerate(self.placed) if p.piece == piece and p.start >= lo and p.end <= hi]
        before = "".join(self.placed[k].text for k in around if k < inside[0])
        after = "".join(self.placed[k].text for k in around if k > inside[-1])
        texts = [(before + " " + r.strip() + after).strip() for r in readings]
        first = int(max(0.0, self.placed[around[0]].start - EDGE_S) * FRAMES_PER_S)
        last = int(min(self.pieces[piece].frames, (self.placed[around[-1]].end + EDGE_S) * FRAMES_PER_S + 1))
        memory = self.pieces[piece].encoded[:, first:max(last, first + 1)]
        self.readings += len(texts)
        return self._log_probs(memory, list(prompt), texts)

    def lengths(self, readings: Sequence[str]) -> list[int]:
        return [len(self.tokenizer.encode(" " + r.strip())) for r in readings]

    def _log_probs(self, memory: np.ndarray, prompt: list[str], texts: list[str]) -> list[float]:
        raise NotImplementedError  # each engine's own (and its ``tokenizer``)


class FasterScorer(PassageScorer):
    """CTranslate2: one ``align`` call scores all the readings of a stretch."""

    def __init__(self, whisper, language: str, words: Sequence[Word], placed: Sequence[Placed], pieces: list[Piece]):
        super().__init__(words, placed, pieces)
        from faster_whisper.tokenizer import Tokenizer

        self.whisper = whisper
        self.tokenizer = Tokenizer(whisper.hf_tokenizer, whisper.model.is_multilingual, task="transcribe",
                                   language=language)

    def _log_probs(self, memory: np.ndarray, prompt: list[str], texts: list[str]) -> list[float]:
        import ctranslate2

        t = self.tokenizer
        start = list(t.sot_sequence) + [t.no_timestamps]
        if prompt:
            start = [t.sot_prev] + t.encode(" " + ", ".join(prompt))[-200:] + start
        tokens = [t.encode(" " + text) for text in texts]
        batch = ctranslate2.StorageView.from_array(np.ascontiguousarray(np.repeat(memory, len(texts), axis=0)))
        results = self.whisper.model.align(batch, start, tokens, [memory.shape[1]] * len(texts))
        return [float(np.sum(np.log(np.maximum(r.text_token_probs, 1e-12)))) for r in results]


class _Lazy(list):
    """Pieces encoded on first use: most windows of a letter hold no doubtful name."""

    def __init__(self, bounds, encode):
        super().__init__([None] * len(bounds))
        self.bounds, self.encode = bounds, encode

    def __getitem__(self, i):
        piece = super().__getitem__(i)
        if piece is None:
            a, b = self.bounds[i]
            piece = Piece(self.encode(a, b), int((b - a) * FRAMES_PER_S))
            self[i] = piece
        return piece


def windows(words: Sequence[Word], duration: float, encode) -> tuple[list[Placed], list[Piece]]:
    """The recording cut into windows of up to 30 s of whole words, each encoded by
    ``encode(start, end)`` the first time a stretch in it is scored."""
    bounds, placed, k = [], [], 0
    while k < len(words):
        begin = max(0.0, words[k].start - EDGE_S)
        j = k
        while j < len(words) and words[j].end + EDGE_S <= begin + WINDOW_S:
            j += 1
        j = max(j, k + 1)
        bounds.append((begin, min(duration, begin + WINDOW_S)))
        placed += [Placed(len(bounds) - 1, w.start - begin, w.end - begin, w.text) for w in words[k:j]]
        k = j
    return placed, _Lazy(bounds, encode)


def windowed(whisper, language: str, audio: np.ndarray, words: Sequence[Word]) -> FasterScorer:
    """A scorer for a transcript without its recognition's chunks (sequential mode, or read
    back after an interruption): 30 s windows encoded as stretches in them are scored."""
    from faster_whisper.audio import pad_or_trim

    def encode(a: float, b: float) -> np.ndarray:
        cut = audio[int(a * SAMPLE_RATE):int(b * SAMPLE_RATE)]
        return np.asarray(whisper.encode(pad_or_trim(whisper.feature_extractor(cut)[..., :-1])))

    words = list(words)
    return FasterScorer(whisper, language, words, *windows(words, len(audio) / SAMPLE_RATE, encode))
