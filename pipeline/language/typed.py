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

from ..files import models_dir, once
from ..ocr import UNREAD
from ..records import Dictated, Segment, Token, Transcript
from .dictation import render, split_words
from .preamble import parse_date

HEADING = re.compile(r"^[A-Z][A-Z /&,()-]{1,60}:")  # "HISTORY OF PRESENT ILLNESS:"
MAX_FIELD = 60  # a longer "value" is a sentence that happens to open with a label word
LIST_ITEM = re.compile(r"^(?:\d{1,2}[.)]|[-•*·])\s")


@once
def _fields() -> tuple[int, list[tuple[str, re.Pattern]]]:
    data = tomllib.loads((models_dir() / "clinical" / "note_fields.toml").read_text(encoding="utf-8"))
    labels = sorted(((field, label) for field, names in data["labels"].items() for label in names),
                    key=lambda pair: -len(pair[1]))
    every = "|".join(re.escape(label) for _, label in labels)
    # A label opens the line, or (3 letters or more: not "re") follows a space on it.
    patterns = [(field, re.compile((r"(?:^|(?<=\s))" if len(label) >= 3 else "^") + re.escape(label)
                                   + rf"\s*[:#]\s*(.+?)\s*(?=(?:{every})\s*[:#]|$)", re.IGNORECASE))
                for field, label in labels]
    return int(data.get("search_lines", 20)), patterns


def note_fields(transcript: Transcript) -> tuple[dict[str, str], set[int]]:
    """Patient, date of birth, MRN and author from the labelled fields at the top of page 1, and
    the segments that held only such fields (they go to the header, not the letter body)."""
    limit, patterns = _fields()
    found: dict[str, str] = {}
    used: set[int] = set()
    for segment in [s for s in transcript.segments if (s.page or 1) == 1][:limit]:
        text = segment.text.strip()
        for field, pattern in patterns:
            match = pattern.search(text)
            if match and field not in found and len(match[1]) <= MAX_FIELD:
                value = match[1].strip(" .,;")
                found[field] = (parse_date(value) or value) if field == "dob" else value
                if match.start() == 0:
                    used.add(segment.id)
    return found, used


def _starts_line(segment: Segment, previous: Token) -> bool:
    """A heading or list item opens a line, unless the line before ends in capitals: then the
    heading was wrapped ("PAST MEDICAL" / "HISTORY:") and goes on the same line."""
    text = segment.text.strip()
    if LIST_ITEM.match(text):
        return True
    wrapped = previous.kind == "word" and previous.text.isupper() and len(previous.text) > 1
    return bool(HEADING.match(text)) and not wrapped


def typed(transcript: Transcript) -> Dictated:
    """The scan's text as letter tokens; every token still points at its words (and boxes)."""
    fields, header = note_fields(transcript)
    tokens: list[Token] = []
    base = 0
    for segment in transcript.segments:
        if segment.text == UNREAD:  # a region not read: one placeholder, whole
            pieces = [Token(UNREAD, "word", tuple(range(base, base + len(segment.words))), probability=0.0)]
        else:
            pieces = [replace(t, sources=tuple(base + s for s in t.sources), start=None, end=None)
                      for t in split_words(segment.words)]
        base += len(segment.words)
        if not pieces or segment.id in header:
            continue
        if tokens:
            if segment.new_paragraph:
                tokens.append(Token("\n\n", "break"))
            elif _starts_line(segment, tokens[-1]) or tokens[-1].text == ":":
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
    return Dictated(text, tuple(placed), fields, ())
