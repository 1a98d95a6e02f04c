"""Numbers as callers say them and Whisper writes them: "five five five, one two three,
four five six seven", "area code 617", "oh" for zero, "double five", "555-123-4567";
dates of birth as "March 3rd, 1970", "3/3/1970" or "the third of March, nineteen seventy"."""
from __future__ import annotations

import datetime as dt
import re
import tomllib

from ..files import models_dir, once

DIGITS = {"zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
          "six": "6", "seven": "7", "eight": "8", "nine": "9"}
TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
         "seventeen": 17, "eighteen": 18, "nineteen": 19}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
REPEAT = {"double": 2, "triple": 3}
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
            "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
            "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
            "twentieth": 20, "thirtieth": 30}
MONTHS = {m: i for i, m in enumerate("january february march april may june july august september october "
                                     "november december".split(), 1)}
MONTHS |= {m[:3]: i for m, i in list(MONTHS.items())} | {"sept": 9}
TOKEN = re.compile(r"\d+(?:st|nd|rd|th)?|[a-z]+(?:'[a-z]+)?")


@once
def _rules() -> dict:
    return tomllib.loads((models_dir() / "phone" / "numbers.toml").read_text(encoding="utf-8"))


def tokens(text: str) -> list[re.Match]:
    return list(TOKEN.finditer(text.lower()))


def _digits_at(words: list[str], i: int) -> tuple[str, int]:
    """The digits spoken or written at ``words[i]`` and how many words they took ("", 0: none)."""
    w = words[i]
    if w.isdigit():
        return w, 1
    if w in DIGITS:
        return DIGITS[w], 1
    if w in REPEAT and i + 1 < len(words) and words[i + 1] in DIGITS:
        return DIGITS[words[i + 1]] * REPEAT[w], 2
    if w in TEENS:
        return str(TEENS[w]), 1
    if w in TENS:
        if i + 1 < len(words) and words[i + 1] in DIGITS and DIGITS[words[i + 1]] != "0" and words[i + 1] != "o":
            return str(TENS[w] + int(DIGITS[words[i + 1]])), 2
        return str(TENS[w]), 1
    if w == "hundred" and i > 0:
        return "00", 1
    return "", 0


def digit_runs(text: str) -> list[tuple[str, int, int]]:
    """Every run of spoken or written digits: (digits, start char, end char). Fillers such as
    "area code", "dash" or "uh" may sit inside a run; any other word ends it."""
    fillers = set(_rules()["fillers"])
    found = tokens(text)
    words = [m[0] for m in found]
    runs, i = [], 0
    while i < len(words):
        digits, used = _digits_at(words, i)
        if not used:
            i += 1
            continue
        start, parts, j, end = found[i].start(), [], i, found[i].end()
        while j < len(words):
            digits, used = _digits_at(words, j)
            if used:
                parts.append(digits)
                end = found[j + used - 1].end()
                j += used
            elif words[j] in fillers and j + 1 < len(words) and (_digits_at(words, j + 1)[1] or words[j + 1] in fillers):
                j += 1
            else:
                break
        runs.append(("".join(parts), start, end))
        i = j
    return runs


def callback_number(text: str) -> tuple[str, int, int] | None:
    """The number to call back, as digits (10 for a US number with its area code, 7 without),
    with where it was said; the one after a cue ("call me back at", "my number is") first."""
    rules = _rules()
    cue = re.compile(rules["cue"], re.IGNORECASE)
    best = None
    for digits, start, end in digit_runs(text):
        if len(digits) == 11 and digits.startswith("1"):
            digits = digits[1:]
        if len(digits) not in (7, 10):
            continue
        cued = cue.search(text[max(0, start - rules["cue_reach"]) : start]) is not None
        rank = (cued, len(digits) == 10)
        if best is None or rank > best[0]:
            best = (rank, (digits, start, end))
    return best[1] if best else None


def _year(words: list[str], i: int) -> tuple[int | None, int]:
    """A year written (1970) or said ("nineteen seventy", "nineteen oh five", "two thousand three")."""
    w = words[i]
    if w.isdigit() and len(w) == 4 and 1890 <= int(w) <= 2100:
        return int(w), 1
    if w in TEENS and TEENS[w] in (18, 19) and i + 1 < len(words):
        rest, used = _digits_at(words, i + 1)
        if used and len(rest) == 2:
            return TEENS[w] * 100 + int(rest), 1 + used
        if used and words[i + 1] in ("oh", "o") and i + 2 < len(words) and words[i + 2] in DIGITS:
            return TEENS[w] * 100 + int(DIGITS[words[i + 2]]), 3
    if w == "two" and i + 2 < len(words) and words[i + 1] == "thousand":
        rest, used = _digits_at(words, i + 2) if i + 2 < len(words) else ("", 0)
        return (2000 + int(rest), 2 + used) if used and len(rest) <= 2 else (2000, 2)
    return None, 0


def _day(word: str) -> int | None:
    if m := re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?", word):
        return int(m[1])
    return ORDINALS.get(word)


def date_after(text: str, start: int) -> tuple[str, int, int] | None:
    """The first date in ``text[start:]`` within a few words: ISO date, and where it was said."""
    window = text[start : start + 80]
    if m := re.search(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})\b", window):  # US order: month/day/year
        year = int(m[3]) + (1900 if len(m[3]) == 2 and int(m[3]) > 25 else 2000 if len(m[3]) == 2 else 0)
        try:
            return dt.date(year, int(m[1]), int(m[2])).isoformat(), start + m.start(), start + m.end()
        except ValueError:
            pass
    found = tokens(window)
    words = [t[0] for t in found]
    for i in range(min(len(words), 8)):
        month = day = year = None
        j = i
        if words[i] in MONTHS:  # March 3rd 1970, March the third 1970
            month, j = MONTHS[words[i]], i + 1
            if j < len(words) and words[j] == "the":
                j += 1
            if j < len(words) and _day(words[j]):
                day, j = _day(words[j]), j + 1
            elif j + 1 < len(words) and words[j] in TENS and _day(words[j + 1]):  # twenty third
                day, j = TENS[words[j]] + _day(words[j + 1]), j + 2
        elif _day(words[i]) and not (words[i].isdigit() and len(words[i]) > 2):  # the 3rd of March 1970
            k = i + 1
            if k < len(words) and words[k] == "of":
                k += 1
            if k < len(words) and words[k] in MONTHS:
                day, month, j = _day(words[i]), MONTHS[words[k]], k + 1
        if month is None or day is None:
            continue
        while j < len(words) and words[j] in ("of", "in"):
            j += 1
        if j < len(words):
            year, used = _year(words, j)
            if year:
                try:
                    return (dt.date(year, month, day).isoformat(), start + found[i].start(),
                            start + found[j + used - 1].end())
                except ValueError:
                    return None
    return None


def date_of_birth(text: str) -> tuple[str, int, int] | None:
    """The date of birth after its cue ("date of birth", "born on", "DOB", "birthday")."""
    for m in re.finditer(_rules()["dob_cue"], text, re.IGNORECASE):
        if found := date_after(text, m.end()):
            return found
    return None
