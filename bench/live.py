"""A live scorer for the benches: one recording's encoder windows computed once, shared by
every variant of its words (errors inserted, corrections tried), and each reading's score
kept, so a sweep over settings asks Whisper once per distinct question."""
from __future__ import annotations

from pipeline.records import Word


class SharedPieces:
    """One recording's encoder windows, encoded once, for scorers over any variant of its words."""

    def __init__(self, whisper, audio, words):
        from pipeline.asr import scorer

        self.whisper, self.audio = whisper, audio
        self.placed, self.pieces = scorer.windows(words, len(audio) / 16000, self._encode)
        self.piece_of = {(w.start, w.end): p.piece for w, p in zip(words, self.placed)}

    def _encode(self, a, b):
        import numpy as np
        from faster_whisper.audio import pad_or_trim

        cut = self.audio[int(a * 16000):int(b * 16000)]
        return np.asarray(self.whisper.encode(pad_or_trim(self.whisper.feature_extractor(cut)[..., :-1])))

    def scorer(self, language: str, words: list[Word]):
        from pipeline.asr import scorer

        placed = []
        for w in words:
            piece = self.piece_of[(w.start, w.end)]
            begin = self.pieces.bounds[piece][0]
            placed.append(scorer.Placed(piece, w.start - begin, w.end - begin, w.text))
        return scorer.FasterScorer(self.whisper, language, words, placed, self.pieces)


class Memo:
    """A scorer that remembers its answers (the same stretch and readings give the same scores)."""

    def __init__(self, scorer):
        self.scorer, self.seen = scorer, {}

    def compare(self, start, end, readings, prompt=()):
        key = (round(start, 3), round(end, 3), tuple(readings), tuple(prompt))
        if key not in self.seen:
            self.seen[key] = self.scorer.compare(start, end, readings, prompt)
        return self.seen[key]

    def lengths(self, readings):
        return self.scorer.lengths(readings)
