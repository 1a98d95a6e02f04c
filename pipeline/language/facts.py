"""The facts a secretary acts on, read from an analysed letter (patterns in models/clinical/facts.toml).

Medications with dose, route and frequency; allergies; vital signs; the tasks the letter
asks the practice to book (tasks.py: follow-up visits, tests, procedures, referrals, with
due dates); the letter's recipient; patient, date of birth and MRN from the preamble.
"""
from __future__ import annotations

import datetime as dt
import re
import tomllib
from typing import Any

from spacy.tokens import Doc

from ..files import models_dir, once
from . import tasks



@once
def _rules() -> dict[str, Any]:
    data = tomllib.loads((models_dir() / "clinical" / "facts.toml").read_text(encoding="utf-8"))
    compile_ = lambda p: re.compile(p, re.IGNORECASE)  # noqa: E731
    return {group: {k: compile_(v) for k, v in items.items()} for group, items in data.items()}


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
        "tasks": tasks.extract(doc, dictated_on),
    }
