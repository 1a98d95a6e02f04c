"""Omissions: speech the voice detector heard that no word of the transcript covers.

A recogniser that skips a sentence leaves no trace in the text; the voice detector
(Silero VAD, as faster-whisper runs it) still hears speech there. A stretch of detected
speech of ``min_gap_s`` or more with no recognised word in it is flagged as "possibly
missing words", at the word that follows it.
"""
from __future__ import annotations

from ...records import Dictated, SafetyFlag
from .common import clock, rules


def gaps(speech: list[tuple[float, float]], spans: list[tuple[float, float]], min_gap: float) -> list[tuple[float, float]]:
    """The parts of the speech stretches, min_gap long or more, that no span overlaps."""
    out = []
    spans = sorted(spans)
    for start, end in speech:
        cursor = start
        for a, b in (s for s in spans if s[1] > start and s[0] < end):
            if a - cursor >= min_gap:
                out.append((cursor, a))
            cursor = max(cursor, b)
        if end - cursor >= min_gap:
            out.append((cursor, end))
    return out


def check(dictated: Dictated, speech: list[tuple[float, float]], heard: list[tuple[float, float]]) -> list[SafetyFlag]:
    """``heard``: the (start, end) of every word the recogniser wrote, the preamble's and the
    spoken commands' included (they are not words of the letter, but they were not lost)."""
    r = rules()["omission"]
    timed = [t for t in dictated.tokens if t.start is not None and t.kind == "word"]
    if not timed:
        return []
    spans = [(a - r["pad_s"], b + r["pad_s"]) for a, b in heard]
    found = []
    for start, end in gaps(speech, spans, r["min_gap_s"]):
        after = next((t for t in timed if t.start >= end - 0.01), timed[-1])
        found.append(SafetyFlag("omission", f"Possibly missing words: the recording has {end - start:.0f} s of speech "
                                            f"at {clock(start)}\u2013{clock(end)} that no word of the draft covers; listen.",
                                after.char_start, after.char_end, round(start, 2), round(end, 2)))
    return found
