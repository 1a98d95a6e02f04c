"""Spoken section headings laid out as written ones: "assessment colon …" → "ASSESSMENT: …".

A heading is a phrase from models/clinical/sections.toml said at the start of a sentence
and followed by a cue that it was a heading, not prose:
- a colon ("assessment colon", or Whisper's own ":"),
- a full stop that ends the sentence right after it ("Results."),
- a paragraph break,
- a comma ("Heart, regular rate and rhythm"): a dictated sentence that opens with a
  heading word and a pause is a heading.
The heading goes on a new paragraph, in capitals, with a colon.
"""
from __future__ import annotations

import re
from dataclasses import replace

from rapidfuzz import fuzz, process

from . import lexicons
from .records import Token

MAX_WORDS = 6
NEAR_SCORE = 85  # rapidfuzz ratio for a heading Whisper mis-heard before a colon


def _at_sentence_start(tokens: list[Token], i: int) -> bool:
    if i == 0 or tokens[i - 1].kind == "break":
        return True
    prev = tokens[i - 1]
    return prev.kind == "mark" and prev.text in ".?!:"


def _near_heading(tokens: list[Token], i: int) -> tuple[int, str | None]:
    """A mis-heard heading said with a colon ("plain colon" → PLAN): up to 3 words, close in spelling."""
    headings, _ = lexicons.sections()
    for n in range(3, 0, -1):
        span = tokens[i:i + n]
        cue = tokens[i + n] if i + n < len(tokens) else None
        if len(span) < n or any(t.kind != "word" for t in span) or cue is None or cue.text != ":":
            continue
        heard = " ".join(t.text.lower() for t in span)
        match = process.extractOne(heard, list(headings), scorer=fuzz.ratio, score_cutoff=NEAR_SCORE)
        if match and len(match[0].split()) == n:
            return n, match[0]
    return 0, None


def _heading_at(tokens: list[Token], i: int) -> tuple[int, str | None]:
    """(number of words of a heading starting at tokens[i], corrected heading or None); (0, None) if none."""
    if not _at_sentence_start(tokens, i):
        return 0, None
    headings, _ = lexicons.sections()
    for n in range(MAX_WORDS, 0, -1):
        span = tokens[i:i + n]
        if len(span) < n or any(t.kind != "word" for t in span):
            continue
        # "Allergy's colon": Whisper's possessive is the plain heading word
        if " ".join(re.sub(r"['’]s$", "", t.text.lower()) for t in span) not in headings:
            continue
        cue = tokens[i + n] if i + n < len(tokens) else None
        if cue is None:
            return 0, None
        if cue.kind == "break" or (cue.kind == "mark" and cue.text in ":.,"):
            # "," too: "Heart, regular rate" — spoken headings rarely get a colon
            return n, None
        return 0, None
    return _near_heading(tokens, i)


def layout(tokens: list[Token]) -> list[Token]:
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        n, corrected = _heading_at(tokens, i) if tokens[i].kind == "word" else (0, None)
        if not n:
            out.append(tokens[i])
            i += 1
            continue
        if out:
            while out and out[-1].kind == "break":
                out.pop()
            if out[-1].kind == "word":
                out.append(Token(".", "mark"))
            out.append(Token("\n\n", "break"))
        span = tokens[i:i + n]
        if corrected:  # one token per heard word, so each keeps its audio; the change is flagged
            heard = " ".join(t.text for t in span)
            out += [replace(t, text=w.upper(), heard=heard) for t, w in zip(span, corrected.split())]
        else:
            out += [replace(t, text=t.text.upper()) for t in span]
        cue = tokens[i + n]
        out.append(replace(cue, text=":", kind="mark") if cue.kind == "mark" else Token(":", "mark"))
        i += n + (1 if cue.kind in ("mark", "break") else 0)
    return out
