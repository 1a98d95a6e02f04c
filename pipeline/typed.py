"""Typed text read from a scan → the letter body. The stage a scan takes instead of
dictation.py: print has no spoken commands, numbers are already digits, and OCR's errors
are not Whisper's, so neither commands nor spoken-drug correction apply.

Lines of a paragraph are joined (a word broken at the line's end with a hyphen is joined
again); a gap on the page starts a paragraph; a line that opens with a capitals heading
("PLAN:"), a list item or a labelled field starts a line of its own, so the clinical stage
finds the headings the note was written with. Labelled fields at the top ("Patient:",
"DOB:") fill the letter header, as a dictation's preamble does (models/clinical/note_fields.toml).
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import replace
from functools import lru_cache

from .dictation import render, split_words
from .preamble import parse_date
from .records import Dictated, Segment, Token, Transcript
from .weights import models_dir

HEADING = re.compile(r"^[A-Z][A-Z /&,()-]{1,60}:")  # "HISTORY OF PRESENT ILLNESS:"
LIST_ITEM = re.compile(r"^(?:\d{1,2}[.)]|[-•*·])\s")


@lru_cache(maxsize=1)
def _fields() -> tuple[int, list[tuple[str, re.Pattern]]]:
    data = tomllib.loads((models_dir() / "clinical" / "note_fields.toml").read_text(encoding="utf-8"))
    labels = sorted(((field, label) for field, names in data["labels"].items() for label in names),
                    key=lambda pair: -len(pair[1]))
    every = "|".join(re.escape(label) for _, label in labels)
    patterns = [(field, re.compile(rf"(?:^|\s{{2,}}|\|\s*)(?:{re.escape(label)})\s*[:#]\s*(.+?)\s*(?=(?:{every})\s*[:#]|$)",
                                   re.IGNORECASE)) for field, label in labels]
    return int(data.get("search_lines", 20)), patterns


def note_fields(transcript: Transcript) -> dict[str, str]:
    """Patient, date of birth, MRN and author from the labelled fields at the top of page 1."""
    limit, patterns = _fields()
    found: dict[str, str] = {}
    for segment in [s for s in transcript.segments if (s.page or 1) == 1][:limit]:
        for field, pattern in patterns:
            match = pattern.search(segment.text)
            if match and field not in found:
                value = match[1].strip(" .,;")
                found[field] = (parse_date(value) or value) if field == "dob" else value
    return found


def _starts_line(segment: Segment) -> bool:
    text = segment.text.strip()
    return bool(HEADING.match(text) or LIST_ITEM.match(text))


def typed(transcript: Transcript) -> Dictated:
    """The scan's text as letter tokens; every token still points at its words (and boxes)."""
    tokens: list[Token] = []
    base = 0
    for segment in transcript.segments:
        pieces = [replace(t, sources=tuple(base + s for s in t.sources), start=None, end=None)
                  for t in split_words(segment.words)]
        base += len(segment.words)
        if not pieces:
            continue
        if tokens:
            if segment.new_paragraph:
                tokens.append(Token("\n\n", "break"))
            elif _starts_line(segment) or tokens[-1].text == ":":
                tokens.append(Token("\n", "break"))
            elif (tokens[-1].kind == "word" and len(tokens[-1].text) > 2 and tokens[-1].text.endswith("-")
                  and pieces[0].kind == "word" and pieces[0].text[:1].islower()):
                # "ex-" / "plain" across a line end: one word again.
                last = tokens.pop()
                pieces[0] = replace(pieces[0], text=last.text[:-1] + pieces[0].text,
                                    sources=last.sources + pieces[0].sources,
                                    probability=min(last.probability, pieces[0].probability))
        tokens += pieces
    text, placed = render(tokens)
    return Dictated(text, tuple(placed), note_fields(transcript), ())
