"""Flag segments that may not be real speech. Flags travel to the draft; text is never dropped.

Whisper's known failure modes on dictation: looping on one phrase (high compression
ratio, repeated n-grams), inventing words in silence or noise (high no-speech
probability with low confidence), and confident-sounding garbage (low mean log-prob).
"""
from __future__ import annotations

import re
from dataclasses import replace

from ..records import DecodeOptions, Segment

_WORD = re.compile(r"[\w']+")


def longest_repeat(text: str, max_n: int = 4) -> tuple[str, int]:
    """The phrase of 1..max_n words repeated most often back to back, and its count."""
    words = [w.lower() for w in _WORD.findall(text)]
    best, best_count = "", 1
    for n in range(1, max_n + 1):
        for start in range(len(words) - n + 1):
            phrase = words[start : start + n]
            count, pos = 1, start + n
            while words[pos : pos + n] == phrase:
                count += 1
                pos += n
            if count > best_count:
                best, best_count = " ".join(phrase), count
    return best, best_count


def little_speech(seg: Segment, opts: DecodeOptions) -> bool:
    """Whisper itself doubts there was speech here, and what it wrote is unlikely."""
    return seg.no_speech_prob > opts.flag_no_speech_prob and (
        opts.log_prob_threshold is None or seg.avg_logprob < opts.log_prob_threshold)


def segment_flags(seg: Segment, opts: DecodeOptions) -> tuple[str, ...]:
    flags = []
    if opts.compression_ratio_threshold and seg.compression_ratio > opts.compression_ratio_threshold:
        flags.append(f"possible hallucination: repetitive text (compression ratio {seg.compression_ratio:.2f})")
    if little_speech(seg, opts):
        flags.append(f"possible hallucination: little speech heard here (no-speech probability {seg.no_speech_prob:.2f})")
    elif opts.log_prob_threshold is not None and seg.avg_logprob < opts.log_prob_threshold:
        flags.append(f"low confidence in this passage (mean log-probability {seg.avg_logprob:.2f})")
    phrase, count = longest_repeat(seg.text)
    if count >= opts.flag_repeats:
        flags.append(f'possible hallucination: "{phrase}" repeated {count} times')
    return tuple(flags)


def flag_segments(segments: list[Segment], opts: DecodeOptions) -> tuple[Segment, ...]:
    return tuple(replace(s, flags=s.flags + segment_flags(s, opts)) for s in segments)
