"""Numbers as callers say them and Whisper writes them: "five five five, one two three,
four five six seven", "area code 617", "oh" for zero, "double five", "555-123-4567";
dates of birth as "March 3rd, 1970", "3/3/1970" or "the third of March, nineteen seventy"."""
from __future__ import annotations

import datetime as dt
import re
import tomllib

from ..files import models_dir, once
from . import spoken

ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
            "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
            "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
            "twentieth": 20, "thirtieth": 30}
MONTHS = {m: i for i, m in enumerate("january february march april may june july august september october "
                                     "november december".split(), 1)}
MONTHS |= {m[:3]: i for m, i in list(MONTHS.items())} | {"sept": 9}
TOKEN = re.compile(r"\d+(?:st|nd|rd|th)?|[a-z]+(?:'[a-z]+)?")


@once
def rules() -> dict:
    return tomllib.loads((models_dir() / "phone" / "numbers.toml").read_text(encoding="utf-8"))


def tokens(text: str) -> list[re.Match]:
    return list(TOKEN.finditer(text.lower()))


def digit_runs(text: str) -> list[tuple[list[tuple[str, tuple[int, ...]]], int, int]]:
    """Every run of number words, spoken or written, with its readings (``spoken.readings``:
    digits, group sizes) and where it was said. Fillers such as "area code", "dash" or "uh"
    may sit inside a run; any other word ends it."""
    fillers = frozenset(rules()["fillers"])
    found = tokens(text)
    words = [m[0] for m in found]
    runs, i = [], 0
    while i < len(words):
        if not spoken.groups_at(words, i):
            i += 1
            continue
        j = i
        while j < len(words) and (spoken.is_number_word(words[j]) or words[j] in fillers and j + 1 < len(words)
                                  and (spoken.is_number_word(words[j + 1]) or words[j + 1] in fillers)):
            j += 1
        while words[j - 1] in fillers:
            j -= 1
        runs.append((spoken.readings(words[i:j], fillers), found[i].start(), found[j - 1].end()))
        i = j
    return runs


def _misfit(sizes: tuple[int, ...], breaks: tuple[int, ...]) -> int:
    """How many groups of two or more digits straddle a break of the number's written form
    (555|818|2020): a reading that cuts the words along the breaks is the likely one."""
    bad, at = 0, 0
    for size in sizes:
        bad += size > 1 and any(at < b < at + size for b in breaks)
        at += size
    return bad


def _as_phone(digits: str, sizes: tuple[int, ...]) -> tuple[str, int] | None:
    """A reading taken as a telephone number: its 10 or 7 digits and its misfit, or None."""
    if len(digits) == 11 and digits.startswith("1"):
        digits, sizes = digits[1:], ((sizes[0] - 1,) if sizes[0] > 1 else ()) + sizes[1:]
    breaks = {10: (3, 6), 7: (3,)}.get(len(digits))
    return (digits, _misfit(sizes, breaks)) if breaks else None


def callback_number(text: str) -> tuple[str, int, int] | None:
    """The number to call back, as digits (10 for a US number with its area code, 7 without),
    with where it was said; the one after a cue ("call me back at", "my number is") first, and
    of each run the reading whose groups fit a telephone number's."""
    said = rules()
    cue = re.compile(said["cue"], re.IGNORECASE)
    best = None
    for options, start, end in digit_runs(text):
        cued = cue.search(text[max(0, start - said["cue_reach"]) : start]) is not None
        for digits, sizes in options:
            if phone := _as_phone(digits, sizes):
                rank = (cued, len(phone[0]) == 10, -phone[1], -len(sizes))
                if best is None or rank > best[0]:
                    best = (rank, (phone[0], start, end))
    return best[1] if best else None


def _year(words: list[str], i: int) -> tuple[int | None, int]:
    """A year written (1970) or said ("nineteen seventy", "nineteen oh five", "nineteen hundred
    eighty", "two thousand three", "twenty twelve")."""
    years = [(used, int(d)) for d, used in spoken.groups_at(words, i) if len(d) == 4 and 1890 <= int(d) <= 2100]
    if years:  # the longest reading: "nineteen hundred forty eight", not "nineteen hundred"
        used, year = max(years)
        return year, used
    century = spoken.TEENS.get(words[i]) or (20 if words[i] == "twenty" else None)
    if century in (18, 19, 20) and i + 1 < len(words):
        nxt = words[i + 1]
        if nxt in ("oh", "o") and i + 2 < len(words) and words[i + 2] in spoken.UNITS:
            return century * 100 + spoken.UNITS[words[i + 2]], 3
        for digits, used in spoken.groups_at(words, i + 1):
            if len(digits) == 2 and nxt != "oh":
                return century * 100 + int(digits), 1 + used
    return None, 0


def _small(words: list[str], i: int, top: int) -> tuple[int | None, int]:
    """A month or day said as a number (1 to ``top``) at ``words[i]``."""
    for digits, used in spoken.groups_at(words, i):
        if len(digits) <= 2 and 1 <= int(digits) <= top:
            return int(digits), used
    return None, 0


def _numeric_date(words: list[str], i: int) -> tuple[int | None, int | None, int]:
    """ "two slash fourteen slash" → (2, 14, words used): a month/day said aloud. Between
    slashes Whisper may write a number as its sound-alike ("to slash 14"), and "slash" as
    "flash" over a telephone line (``slash`` and ``sound_alike`` in numbers.toml)."""
    said = rules()
    slash, alike = set(said["slash"]), said["sound_alike"]
    words = words[:i] + [alike.get(w, w) for w in words[i:]]
    month, used = _small(words, i, 12)
    j = i + used
    if month and j < len(words) and words[j] in slash:
        day, used = _small(words, j + 1, 31)
        j += 1 + used
        if day and j < len(words) and words[j] in slash:
            return month, day, j + 1
    return None, None, 0


def _day(word: str) -> int | None:
    if m := re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?", word):
        return int(m[1])
    return ORDINALS.get(word)


def date_after(text: str, start: int) -> tuple[str, int, int] | None:
    """The first date in ``text[start:]`` within a few words: ISO date, and where it was said."""
    window = text[start : start + 100]
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
            elif j + 1 < len(words) and words[j] in spoken.TENS and _day(words[j + 1]):  # twenty third
                day, j = spoken.TENS[words[j]] + _day(words[j + 1]), j + 2
        elif _day(words[i]) and not (words[i].isdigit() and len(words[i]) > 2):  # the 3rd of March 1970
            k = i + 1
            if k < len(words) and words[k] == "of":
                k += 1
            if k < len(words) and words[k] in MONTHS:
                day, month, j = _day(words[i]), MONTHS[words[k]], k + 1
        else:  # two slash fourteen slash nineteen eighty
            month, day, j = _numeric_date(words, i)
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
    for m in re.finditer(rules()["dob_cue"], text, re.IGNORECASE):
        if found := date_after(text, m.end()):
            return found
    return None


MONTH_WORDS = ("January February March April May June July August September October November December".split(),
               "one two three four five six seven eight nine ten eleven twelve".split())


def missing_month(text: str) -> tuple[int, int, list[tuple[str, str]]] | None:
    """A date of birth said but not read because its month was misheard ("date of birth all
    the second, 1940"; "by a slash nine slash 1975"): the words where the month was said
    (start, end characters) and each month that would complete the date there, as (what
    would have been said, the ISO date). The caller asks the audio which it was."""
    for cue in re.finditer(rules()["dob_cue"], text, re.IGNORECASE):
        if date_after(text, cue.end()):
            return None
        found = tokens(text[cue.end() : cue.end() + 100])
        first = next((i for i, t in enumerate(found) if t[0] not in ("is", "was", "it's", "its")), len(found))
        best = None
        for last in range(first, min(first + 3, len(found))):  # the gap: one to three misheard words
            start, end = cue.end() + found[first].start(), cue.end() + found[last].end()
            for forms in MONTH_WORDS:
                options = []
                for month, word in enumerate(forms, 1):
                    said = text[:start] + word + text[end:]
                    date = date_after(said, start)
                    if date and date[1] == start and int(date[0][5:7]) == month:
                        options.append((word, date[0]))
                if options:
                    best = (start, end, options)  # the longest gap that completes the date
        if best:
            return best
    return None
