"""Bias recognition toward medical words, and never lose speech doing it.

Whisper reads a prompt as text that came before the audio, so one that lists drug names
makes it likelier to spell them right. The list is built from the common-drug list
(models/clinical/common_drugs.txt) and the author's own word list, and goes to Whisper as
``hotwords``: faster-whisper puts them before every 30 s window, where an ``initial_prompt``
reaches only the first window once windows are decoded on their own (our default).

A prompt can also make Whisper skip speech (measured: tiny.en dropped 15 s of a 68 s
clip). So every prompted transcript is checked against the voice detector: if a stretch
of detected speech has no recognised word in it, the recording is transcribed again
without the prompt, and that transcript is kept.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from ..asr import Engine
from ..asr.audio import SAMPLE_RATE
from ..records import DecodeOptions, Transcript
from . import lexicons

PROMPT_CHARS = 520  # about 210 tokens: Whisper keeps only the last 223 prompt tokens
LOST_SPEECH_S = 2.0  # a stretch of speech this long with no word in it is lost audio
PAD_S = 0.5


def author_words(path: Path | None) -> list[str]:
    """One word or phrase a line; lines starting with # are comments."""
    return lexicons.read_list(path) if path and path.exists() else []


def prompt(extra: list[str] = ()) -> str:
    names = list(dict.fromkeys([*extra, *lexicons.common_drugs()]))
    text = "Medical dictation. Medications:"
    for name in names:
        if len(text) + len(name) + 2 > PROMPT_CHARS:
            break
        text += (" " if text.endswith(":") else ", ") + name
    return text + "."


def speech(audio: np.ndarray) -> list[tuple[float, float]]:
    """(start, end) seconds of each stretch the voice detector takes for speech."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    chunks = get_speech_timestamps(audio, VadOptions(min_silence_duration_ms=500))
    return [(c["start"] / SAMPLE_RATE, c["end"] / SAMPLE_RATE) for c in chunks]


def lost_speech(chunks: list[tuple[float, float]], transcript: Transcript) -> float:
    """Seconds of detected speech, in stretches of LOST_SPEECH_S or more, with no recognised word."""
    spans = [(w.start - PAD_S, w.end + PAD_S) for w in transcript.words]
    lost = 0.0
    for start, end in chunks:
        # the longest part of this speech chunk that no word overlaps
        cursor, gap = start, 0.0
        for a, b in sorted(s for s in spans if s[1] > start and s[0] < end):
            gap = max(gap, a - cursor)
            cursor = max(cursor, b)
        gap = max(gap, end - cursor)
        if gap >= LOST_SPEECH_S:
            lost += gap
    return lost


def transcribe(engine: Engine, audio: np.ndarray, options: DecodeOptions, *, source: str = "",
               progress=None) -> Transcript:
    """Transcribe with ``options.hotwords``; if that lost speech, transcribe again without them
    and keep whichever transcript lost less. The choice is recorded in the transcript's settings."""
    prompted = engine.transcribe(audio, options, source=source, progress=progress)
    chunks = speech(audio)
    lost = lost_speech(chunks, prompted)
    if lost == 0.0:
        return replace(prompted, settings=prompted.settings | {"vocabulary": "hotwords"})
    plain = engine.transcribe(audio, replace(options, hotwords=None), source=source)
    plain_lost = lost_speech(chunks, plain)
    if plain_lost < lost:
        return replace(plain, settings=plain.settings | {
            "vocabulary": f"hotwords dropped: {lost:.1f} s of speech lost with them, {plain_lost:.1f} s without"})
    return replace(prompted, settings=prompted.settings | {
        "vocabulary": f"hotwords kept: {lost:.1f} s of speech unmatched with them, {plain_lost:.1f} s without"})
