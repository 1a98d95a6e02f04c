"""Author, letter type, patient, date of birth and MRN from the dictation's spoken preamble.

The preamble is found by its shape, whatever Whisper made of its verb (rules and why in
models/preamble.toml): "this is doctor", the author zone, a letter type spelled like one of
models/letters.toml's names, "for patient", the name, then the date of birth and MRN. The
preamble is not part of the letter: ``split`` says where the body begins.
"""
from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass

from rapidfuzz import fuzz

from ..files import models_dir, once

MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), 1)}
MONTHS |= {m[:3]: i for m, i in list(MONTHS.items())}


@dataclass(frozen=True)
class Rules:
    limit: int
    intro: re.Pattern
    patient_anchor: re.Pattern
    loose_anchor: re.Pattern
    patient: re.Pattern
    dob: re.Pattern
    mrn: re.Pattern
    likeness: int
    fillers: frozenset[str]
    verb: re.Pattern
    glued: re.Pattern
    types: dict[str, str]  # a spoken letter type's name → the title the draft carries


@once
def _rules() -> Rules:
    data = tomllib.loads((models_dir() / "preamble.toml").read_text(encoding="utf-8"))
    letters = tomllib.loads((models_dir() / "letters.toml").read_text(encoding="utf-8"))
    types = {name: kind["title"] for kind in letters["kinds"].values() for name in kind["names"]}
    types |= {name: "Letter" for name in letters["letter"]["names"] if name}
    compiled = {k: re.compile(data[k], re.IGNORECASE) for k in
                ("intro", "patient_anchor", "loose_anchor", "patient", "dob", "mrn", "glued")}
    return Rules(limit=int(data.get("search_chars", 400)), likeness=int(data["type_likeness"]),
                 fillers=frozenset(data["fillers"]), verb=re.compile(data["verb"] + "$", re.IGNORECASE),
                 types=types, **compiled)


def _name(text: str) -> str:
    return " ".join(w[:1].upper() + w[1:] for w in text.split())


def parse_date(text: str) -> str | None:
    """"March 3rd, 1970", "3/3/1970" or "1970-03-03" → "1970-03-03"; None if it is not a date."""
    text = text.strip().rstrip(".,")
    try:
        if m := re.fullmatch(r"([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})", text, re.IGNORECASE):
            month = MONTHS.get(m[1].lower()) or MONTHS.get(m[1].lower()[:3])
            return dt.date(int(m[3]), month, int(m[2])).isoformat() if month else None
        if m := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{2,4})", text):
            year = int(m[3]) + (1900 if len(m[3]) == 2 else 0)
            return dt.date(year, int(m[1]), int(m[2])).isoformat()  # US order: month/day
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        return None


def _letter_type(words: list[str], rules: Rules) -> tuple[str | None, int]:
    """The letter type the zone ends with ("a discharged summary" → "discharge summary") and
    how many of its words it took; (None, 0) when no ending is spelled like a type."""
    best: tuple[float, str | None, int] = (0.0, None, 0)
    for n in range(min(4, len(words)), 0, -1):
        phrase = " ".join(words[-n:]).lower().strip(",.")
        for name in rules.types:
            score = fuzz.ratio(phrase, name)
            if score >= rules.likeness and score > best[0]:
                best = (score, name, n)
    return best[1], best[2]


def _author(words: list[str], rules: Rules) -> str | None:
    """The author's name from the zone before the letter type: the heard verb, hesitations,
    articles and a glued fragment of "dictating" taken off."""
    for i, word in enumerate(words):  # "Dr. Helen Marstic, today in the": the name ends at the comma
        if word.endswith(","):
            words = words[: i + 1]
            break
    words = [w.strip(",.") for w in words if w.strip(",.")]

    def drop_fillers():
        while words and words[-1].lower() in rules.fillers:
            words.pop()

    drop_fillers()
    verb = ""
    if len(words) > 1 and rules.verb.match(words[-1]):
        verb = words.pop().lower()
    elif words and (glued := re.search(r"dictat\w*$", words[-1], re.IGNORECASE)) and glued.start() > 1:
        verb, words[-1] = glued[0].lower(), words[-1][: glued.start()]  # "Omdictating": "Om" + the verb
    drop_fillers()
    if words and not verb.startswith("dictat"):
        stem = rules.glued.sub("", words[-1])
        if len(stem) >= 3:
            words[-1] = stem
    return _name(" ".join(words[:4])) if words else None


def split(text: str) -> tuple[dict[str, str], int]:
    """The preamble's facts and the offset where the letter body begins (0: no preamble)."""
    rules = _rules()
    head = text[: rules.limit]
    intro = rules.intro.search(head)
    if not intro:
        return {}, 0
    for anchor in (rules.patient_anchor, rules.loose_anchor):
        for found_anchor in anchor.finditer(head, intro.end()):
            words = head[intro.end(): found_anchor.start()].split()
            kind, taken = _letter_type(words, rules)
            if kind is None and anchor is rules.loose_anchor:
                continue  # without "patient", only a letter type marks the end of the zone
            name = rules.patient.match(head, found_anchor.end())
            if not name:
                continue
            zone = words[: len(words) - taken] if kind else words
            found = {"author": _author(zone, rules), "patient": _name(name["patient"])}
            if kind:
                found["letter_type"] = rules.types[kind]
            end = name.end()
            for field, pattern in (("dob", rules.dob), ("mrn", rules.mrn)):
                if more := pattern.match(head, end):
                    found[field] = more[field]
                    end = more.end()
            if "dob" in found:
                found["dob"] = parse_date(found["dob"]) or found["dob"]
            end = re.compile(r"[\s,.]*").match(head, end).end()
            return {k: v for k, v in found.items() if v}, end
    return {}, 0


def extract(text: str) -> dict[str, str]:
    """Whichever of author, patient and letter_type the preamble states (the letter header's fields)."""
    found, _ = split(text)
    return {k: v for k, v in found.items() if k in ("author", "patient", "letter_type")}
