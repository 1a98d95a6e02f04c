"""Doses: a dose outside the medicine's usual range, or in a unit that does not fit it.

"Levothyroxine 50 mg" is the mg-for-mcg slip (50 mcg meant); "warfarin 50 mg" a dropped
decimal point or a misheard "five". Two checks:
- the table: the usual single adult doses of common medicines are in
  ``models/clinical/safety/doses.toml``; a written dose is converted between g, mg and mcg
  before it is judged ("levothyroxine 0.1 mg" is 100 mcg, and fine). A medicine the table
  does not list is not judged: no table, no guess;
- the audio, for every unit after a number whatever the medicine (often the name itself is
  what was misheard): the written unit against its sound-alike ("milligrams" against
  "micrograms") on the same stretch of the recording; a unit that does not win by
  ``margin`` nats is flagged.
"""
from __future__ import annotations

import re
import tomllib

from ...files import models_dir, once
from ...records import Analysis, Dictated, SafetyFlag
from .common import at, fitted, flag, rules, words_between

MASS = {"g": 1000.0, "mg": 1.0, "mcg": 0.001}  # in mg
UNIT_NAMES = {"gm": "g", "grams": "g", "gram": "g", "milligrams": "mg", "micrograms": "mcg", "ug": "mcg",
              "unit": "units", "iu": "units", "international units": "units", "ml": "ml", "meq": "meq"}
DOSE = re.compile(r"(\d+(?:\.\d+)?)\s*([A-Za-z]+)")
UNIT_WORD = re.compile(r"([A-Za-z]+)(-.*)?")  # "mcg", or "mcg-COMA" glued to what followed it
NUMBER_END = re.compile(r"\d(?:\.\d+)?$")  # a token ending in a number: "500", "D500", "N0.25"


@once
def table() -> dict[str, dict[str, tuple[float, float]]]:
    """Medicine (lower case, with its other generics) → unit → (lowest, highest) usual single dose."""
    data = tomllib.loads((models_dir() / "clinical" / "safety" / "doses.toml").read_text(encoding="utf-8"))
    out = {}
    for name, entry in data.items():
        ranges = {unit: (float(span[0]), float(span[-1])) for unit, span in entry.items() if unit != "also"}
        for key in (name, *entry.get("also", ())):
            out[key.lower()] = ranges
    return out


def unit_of(text: str) -> str:
    text = text.lower()
    return UNIT_NAMES.get(text, text)


def fits(amount: float, unit: str, ranges: dict[str, tuple[float, float]]) -> bool:
    """Whether the dose lies in a usual range, in its own unit or converted to another mass unit."""
    for usual, (lo, hi) in ranges.items():
        if usual == unit and lo <= amount <= hi:
            return True
        if usual in MASS and unit in MASS and lo <= amount * MASS[unit] / MASS[usual] <= hi:
            return True
    return False


def usual(ranges: dict[str, tuple[float, float]]) -> str:
    return " or ".join(f"{lo:g}\u2013{hi:g} {unit}" if lo != hi else f"{lo:g} {unit}" for unit, (lo, hi) in ranges.items())


def heard_units(dictated: Dictated, scorer) -> list[SafetyFlag]:
    """Units after a number whose sound-alike fits the recording almost as well. A dose is
    one token ("25 mg") or a number and a unit, the number possibly glued to the word before
    it ("D500 mcg", "N0.25 mcg"); either way the stretch is the number's and the unit's audio,
    read with each unit in every way it is said (the word, or its letters: "mcg")."""
    spoken, twin, margin = rules()["dose"]["spoken"], rules()["dose"]["twin"], rules()["dose"]["margin"]
    tokens = dictated.tokens
    found = []
    for i, token in enumerate(tokens):
        whole = DOSE.fullmatch(token.text)
        unit_word = UNIT_WORD.fullmatch(token.text)
        if whole:
            said, unit, tail, span = whole.group(1), unit_of(whole.group(2)), "", [token]
        elif unit_word and i and NUMBER_END.search(tokens[i - 1].text):
            said, unit, tail, span = tokens[i - 1].text, unit_of(unit_word.group(1)), unit_word.group(2) or "", [
                tokens[i - 1], token]
        else:
            continue
        if unit not in twin or any(t.start is None or not t.sources for t in span):
            continue
        ours, theirs = spoken[unit], spoken[twin[unit]]
        scores = scorer.compare(span[0].start, span[-1].end, [f"{said} {form}{tail}" for form in (*ours, *theirs)])
        written, other = max(scores[:len(ours)]), max(scores[len(ours):])
        if other >= written - margin:
            lead = written - other
            found.append(flag("dose", f"Unit check: the recording fits \u201c{theirs[0]}\u201d {fitted(lead)} "
                                      f"\u201c{ours[0]}\u201d ({lead:+.1f}); listen{at(span)}.", span, lead))
    return found


def check(dictated: Dictated, analysis: Analysis, scorer=None) -> list[SafetyFlag]:
    found = heard_units(dictated, scorer) if scorer is not None else []
    for medicine in analysis.facts.get("medications", ()):
        dose = medicine.get("dose")
        ranges = table().get((medicine.get("generic") or "").lower()) or table().get(medicine["name"].lower())
        match = DOSE.match(dose or "")
        if not ranges or not match or "/" in dose:  # combinations ("5/325 mg") are not judged
            continue
        amount, unit = float(match.group(1)), unit_of(match.group(2))
        if unit not in MASS and unit not in ranges:  # tablets, puffs, drops: a count, not a dose
            continue
        if fits(amount, unit, ranges):
            continue
        where = analysis.text.find(dose, medicine["end"])
        inside = words_between(dictated, medicine["start"], where + len(dose) if where >= 0 else medicine["end"])
        if not inside:
            continue
        tokens = [dictated.tokens[i] for i in inside]
        if any(f.char_start <= t.char_start < f.char_end for f in found for t in tokens):
            continue  # the unit is flagged already, from the audio
        kind = "outside its usual single dose" if unit in ranges else f"in {unit}, a unit it is not usually given in"
        found.append(flag("dose", f"Dose check: {medicine['name']} {dose} is {kind} ({usual(ranges)}); "
                                  f"check the dose and the unit{at(tokens)}.", tokens))
    return found
