"""The facts a secretary acts on, read from an analysed letter (patterns in models/clinical/facts.toml).

Medications with dose, route and frequency; allergies; vital signs; follow-up intervals
as due dates; the letter's recipient; patient, date of birth and MRN from the preamble.
"""
from __future__ import annotations

import datetime as dt
import re
import tomllib
from typing import Any

from spacy.tokens import Doc

from ..files import models_dir, once

NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
           "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}
DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}


@once
def _rules() -> dict[str, Any]:
    data = tomllib.loads((models_dir() / "clinical" / "facts.toml").read_text(encoding="utf-8"))
    compile_ = lambda p: re.compile(p, re.IGNORECASE)  # noqa: E731
    return {group: {k: compile_(v) for k, v in items.items()} for group, items in data.items()}


def _add_interval(when: dt.date, count: int, unit: str) -> dt.date:
    if unit == "month":
        month = when.month - 1 + count
        year, month = when.year + month // 12, month % 12 + 1
        return dt.date(year, month, min(when.day, 28))
    if unit == "year":
        return dt.date(when.year + count, when.month, min(when.day, 28))
    return when + dt.timedelta(days=count * DAYS[unit])


def medications(doc: Doc) -> list[dict[str, Any]]:
    rules = _rules()["medication"]
    drugs = [t for t in doc.spans["terms"] if t.label_ == "medication"]
    found = []
    for k, drug in enumerate(drugs):
        # the words after the name, to the end of its sentence or the next drug
        stop = drug.sent.end_char
        if k + 1 < len(drugs):
            stop = min(stop, drugs[k + 1].start_char)
        tail = doc.text[drug.end_char:stop]
        entry = {"name": drug.text, "generic": drug._.normalised, "start": drug.start_char, "end": drug.end_char}
        for part in ("dose", "route", "frequency"):
            match = rules[part].search(tail)
            entry[part] = match.group(1) if match else None
        entry["negated"] = bool(drug._.negated)
        found.append(entry)
    return found


def allergies(doc: Doc) -> dict[str, Any]:
    rules = _rules()["allergies"]
    if rules["none"].search(doc.text):
        return {"none_known": True, "substances": []}
    substances = []
    for section in doc.spans["sections"]:
        if section.label_ == "allergies":
            substances += [t.text for t in doc.spans["terms"]
                           if section.start <= t.start < section.end and t.label_ == "medication" and not t._.negated]
    for match in rules["trigger"].finditer(doc.text):
        sentence_end = doc.text.find(".", match.end())
        window = (match.end(), sentence_end if sentence_end > 0 else len(doc.text))
        substances += [t.text for t in doc.spans["terms"]
                       if window[0] <= t.start_char < window[1] and t.label_ == "medication"]
    return {"none_known": False, "substances": list(dict.fromkeys(substances))}


def vitals(text: str) -> dict[str, str]:
    return {name: m.group(1) for name, rule in _rules()["vitals"].items() if (m := rule.search(text))}


def follow_up(text: str, dictated_on: dt.date) -> list[dict[str, Any]]:
    found = []
    for match in _rules()["follow_up"]["pattern"].finditer(text):
        amount, unit = match.group(1).lower(), match.group(2).lower()
        count = int(amount) if amount.isdigit() else NUMBERS[amount]
        found.append({"text": match.group(0), "interval": f"{count} {unit}{'s' if count > 1 else ''}",
                      "due": _add_interval(dictated_on, count, unit).isoformat(),
                      "start": match.start(), "end": match.end()})
    return found


def recipient(text: str) -> str | None:
    match = _rules()["recipient"]["pattern"].search(text)
    return f"Dr. {match.group('a') or match.group('b')}" if match else None


def extract(doc: Doc, preamble: dict[str, str], dictated_on: dt.date) -> dict[str, Any]:
    return {
        "author": preamble.get("author"),
        "letter_type": preamble.get("letter_type"),
        "patient": {"name": preamble.get("patient"), "dob": preamble.get("dob"), "mrn": preamble.get("mrn")},
        "recipient": recipient(doc.text),
        "medications": medications(doc),
        "allergies": allergies(doc),
        "vitals": vitals(doc.text),
        "follow_up": follow_up(doc.text, dictated_on),
    }
