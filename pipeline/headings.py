"""Spoken section headings laid out as written ones: "assessment colon …" → "ASSESSMENT: …".

A heading is a phrase from models/clinical/sections.toml said at the start of a sentence
and followed by a cue that it was a heading, not prose:
- a colon ("assessment colon", or Whisper's own ":"),
- a full stop that ends the sentence right after it ("Results."),
- a paragraph break,
- a comma, only at the start of a paragraph or for a phrase of two or more words.
The heading goes on a new paragraph, in capitals, with a colon.
"""
from __future__ import annotations

from dataclasses import replace

from . import lexicons
from .records import Token

MAX_WORDS = 6


def _at_sentence_start(tokens: list[Token], i: int) -> tuple[bool, bool]:
    """(sentence start, paragraph start) for tokens[i]."""
    if i == 0 or tokens[i - 1].kind == "break":
        return True, True
    prev = tokens[i - 1]
    return prev.kind == "mark" and prev.text in ".?!:", False


def _heading_at(tokens: list[Token], i: int) -> int:
    """Number of words of a heading starting at tokens[i], or 0."""
    sentence, paragraph = _at_sentence_start(tokens, i)
    if not sentence:
        return 0
    headings, _ = lexicons.sections()
    for n in range(MAX_WORDS, 0, -1):
        span = tokens[i:i + n]
        if len(span) < n or any(t.kind != "word" for t in span):
            continue
        if " ".join(t.text.lower() for t in span) not in headings:
            continue
        cue = tokens[i + n] if i + n < len(tokens) else None
        if cue is None:
            return 0
        if cue.kind == "break" or (cue.kind == "mark" and cue.text == ":"):
            return n
        if cue.kind == "mark" and cue.text == ".":
            return n
        if cue.kind == "mark" and cue.text == "," and (paragraph or n >= 2):
            return n
        return 0
    return 0


def layout(tokens: list[Token]) -> list[Token]:
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        n = _heading_at(tokens, i) if tokens[i].kind == "word" else 0
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
        out += [replace(t, text=t.text.upper()) for t in tokens[i:i + n]]
        cue = tokens[i + n]
        out.append(replace(cue, text=":", kind="mark") if cue.kind == "mark" else Token(":", "mark"))
        i += n + (1 if cue.kind in ("mark", "break") else 0)
    return out
