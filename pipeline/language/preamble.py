"""Author, letter type, patient, date of birth and MRN from the dictation's spoken preamble.

The rules are regular expressions in models/preamble.toml. The preamble is not part of
the letter: ``split`` says where the body begins.
"""
from __future__ import annotations

import datetime as dt
import re
import tomllib

from ..files import models_dir, once

MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), 1)}
MONTHS |= {m[:3]: i for m, i in list(MONTHS.items())}


@once
def _rules() -> tuple[int, tuple[re.Pattern, ...], dict[str, str]]:
    data = tomllib.loads((models_dir() / "preamble.toml").read_text(encoding="utf-8"))
    patterns = tuple(re.compile(p, re.IGNORECASE) for p in data["patterns"])
    return int(data.get("search_chars", 400)), patterns, {k.lower(): v for k, v in data["letter_types"].items()}


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


def split(text: str) -> tuple[dict[str, str], int]:
    """The preamble's facts and the offset where the letter body begins (0: no preamble)."""
    limit, patterns, types = _rules()
    head = text[:limit]
    for pattern in patterns:
        match = pattern.search(head)
        if not match:
            continue
        found = {k: v.strip() for k, v in match.groupdict().items() if v and v.strip()}
        if "letter_type" in found:
            kind = found.pop("letter_type").lower()
            if kind in types:
                found["letter_type"] = types[kind]
        for key in ("author", "patient"):
            if key in found:
                found[key] = _name(found[key])
        if "dob" in found:
            found["dob"] = parse_date(found["dob"]) or found["dob"]
        return found, match.end()
    return {}, 0


def extract(text: str) -> dict[str, str]:
    """Whichever of author, patient and letter_type the preamble states (the letter header's fields)."""
    found, _ = split(text)
    return {k: v for k, v in found.items() if k in ("author", "patient", "letter_type")}
