"""A voicemail's transcript and audio → its ``Message``, with the callback number heard
three times, and a misheard month of birth or red flag asked of the audio.

Over a telephone line Whisper loses or changes digits: "five hundred fifty five, five hundred
twelve" comes out as "five hundred fifty five hundred twelve". The few seconds around the
number, decoded again on their own (``again`` in models/phone/recognition.toml), err in other
places, so the number two of the three listens agree on wins (bench/phone.py measures each
listen and the vote). A date of birth whose month was misheard ("all the second, 1940") is
completed with the month whose name fits the audio best (``asr.scorer``). A stretch that
sounds like a red flag ("handing his wife": "ending his life") counts as one when the audio
fits the flag's words nearly as well as the words written (within a margin measured in
models/phone/urgency.toml): a missed red flag is the one error the callback list must not make.
"""
from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import replace

import numpy as np

from ..asr import Engine
from ..asr.audio import SAMPLE_RATE
from ..asr.guards import little_speech
from ..records import DecodeOptions, Transcript
from . import numbers, urgency
from .message import Message, read, recognition


def message(transcript: Transcript, audio: np.ndarray | None, engine: Engine | None,
            options: DecodeOptions) -> Message:
    """The message read from ``transcript``; given the audio and the engine (``options``: the
    phone's decoding options), the callback number voted on and the month of birth mended."""
    found = read(transcript.text)
    if transcript.segments and all(_no_speech(s, options) for s in transcript.segments):
        return silent(found)
    if audio is None or engine is None:
        return found
    text = found.transcript
    places = _word_places(text, transcript)
    scorer = functools.cache(lambda: engine.scorer(audio, transcript))  # encoded only when asked
    if by_ear := _red_flags_by_ear(text, places, scorer):
        found = read(text, by_ear)
    callback, dob = found.callback, found.dob
    if span := _number_span(text, found):
        callback = vote([callback] + [_heard_number(audio, places, span, again, engine, options)
                                      for again in recognition()["again"]])
    if dob is None and (gap := numbers.missing_month(text)):
        dob = _month_by_ear(gap, places, scorer())
    return replace(found, callback=callback, dob=dob)


def _red_flags_by_ear(text: str, places, scorer) -> tuple[urgency.SoundAlike, ...]:
    """Stretches that sound like a red flag (``urgency.sound_alikes``) that the audio fits read as
    the flag nearly as well as read as Whisper wrote them (``sound_alike_margin``): a misheard red flag."""
    _, margin = urgency.sound_alike_settings()
    confirmed = []
    for alike in urgency.sound_alikes(text):
        times = [(s, e) for a, b, s, e in places if a < alike.end and b > alike.start]
        if not times:
            continue
        written, flag = scorer().compare(times[0][0], times[-1][1], [text[alike.start : alike.end], alike.said])
        if flag >= written - margin:
            confirmed.append(alike)
    return tuple(confirmed)


def silent(found: Message) -> Message:
    """A recording with no speech in it (bench/phone.py --open-line: 3-60 s of line noise came
    out as ". . ." or "If there is a problem, there's a problem."): listed, so that the call
    is not lost, as no message, with no facts. Red flags stay: urgency is recall first."""
    return replace(found, reason="other", caller=None, patient=None, relation=None, dob=None, callback=None,
                   medication=None, strength=None, pharmacy=None, times=(), silent=True,
                   marks=tuple(m for m in found.marks if m[2] in ("red_flag", "negated")))


def _no_speech(segment, options: DecodeOptions) -> bool:
    """Whisper doubts anyone spoke here (the guards' test), or it wrote only punctuation
    (on line noise it writes ". . ." with confidence), or it doubts it and every decoding
    temperature failed its checks: the last one's sample is noise whose log-probability
    falls either side of the guards' threshold from run to run."""
    gave_up = segment.temperature >= max(options.temperatures) and segment.no_speech_prob > options.flag_no_speech_prob
    return gave_up or little_speech(segment, options) or not re.search(r"\w", segment.text)


def vote(heard: list[str | None]) -> str | None:
    """The reading most listens agree on; on a tie, the earliest listen's (the whole message)."""
    counts = Counter(h for h in heard if h)
    if not counts:
        return None
    most = max(counts.values())
    return next(h for h in heard if h and counts[h] == most)


def _heard_number(audio: np.ndarray, places, span: tuple[int, int], again: dict, engine: Engine,
                  options: DecodeOptions) -> str | None:
    prompt = recognition()[again["prompt"]]
    heard = _again(audio, places, span, *again["pad"], engine, replace(options, initial_prompt=prompt))
    number = numbers.callback_number(heard) if heard else None
    return number[0] if number else None


def _month_by_ear(gap: tuple[int, int, list[tuple[str, str]]], places, scorer) -> str | None:
    start, end, options = gap
    times = [(s, e) for a, b, s, e in places if a < end and b > start]
    if not times:
        return None
    scores = scorer.compare(times[0][0], times[-1][1], [said for said, _ in options])
    return max(zip(scores, options))[1][1]


def _word_places(text: str, transcript: Transcript) -> list[tuple[int, int, float, float]]:
    """Each word's characters in ``text`` and its time in the audio."""
    out, at = [], 0
    for word in transcript.words:
        said = word.text.strip()
        k = text.find(said, at) if said else -1
        if k < 0:
            continue
        out.append((k, k + len(said), word.start, word.end))
        at = k + len(said)
    return out


def _number_span(text: str, found: Message) -> tuple[int, int] | None:
    """Where the callback number was said; with none read, what follows the last cue."""
    for start, end, kind in found.marks:
        if kind == "callback":
            return start, end
    cues = list(re.finditer(numbers.rules()["cue"], text, re.IGNORECASE))
    return (cues[-1].start(), min(len(text), cues[-1].end() + 60)) if cues else None


def _again(audio: np.ndarray, places, span: tuple[int, int], pad_before: float, pad_after: float,
           engine: Engine, options: DecodeOptions) -> str | None:
    """The stretch of audio under ``span`` (characters of the transcript) decoded on its own,
    from the first whole word ``pad_before`` seconds ahead of it (a cut word confuses Whisper)
    to ``pad_after`` seconds past it."""
    inside = [i for i, (a, b, _, _) in enumerate(places) if a < span[1] and b > span[0]]
    if not inside:
        return None
    first = inside[0]
    while first > 0 and places[first - 1][2] >= places[inside[0]][2] - pad_before:
        first -= 1
    start = max(0.0, places[first][2] - 0.1)
    end = min(len(audio) / SAMPLE_RATE, places[inside[-1]][3] + pad_after)
    stretch = audio[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)]
    if len(stretch) < SAMPLE_RATE // 2:
        return None
    return engine.transcribe(stretch, options, source="voicemail").text
