"""A letter's spelling of what Whisper writes its own way (rules in models/clinical/style.toml).

Two passes. ``unglue``, before spoken commands: Whisper writes a quickly dictated
medication line as one word ("Norbesk-10-MG-Daily"), which no later stage can read; its
parts become words again, each still pointing at the audio of the whole. ``house_style``,
after corrections: dosing frequencies as letters write them ("BID" → "b.i.d.", "QD" →
"daily"), "doctor Kessler" → "Dr. Kessler", "non-tender" → "nontender".
"""
from __future__ import annotations

import re
from dataclasses import replace
from functools import cache

from ..records import Token
from . import lexicons

# letters/digit and camel-case boundaries: "Pravical20MGDaily" → Pravical 20 MG Daily
PART = re.compile(r"\d+(?:\.\d+)?|[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+")
EVERY_HOURS = re.compile(r"q\.?(\d+)\.?h\.?", re.IGNORECASE)  # "Q4H", "q.6h" → "q.4h."
HAS_DIGIT = re.compile(r"\d")


@cache
def _rules() -> dict:
    return lexicons._load("style.toml")


def _parts(text: str) -> list[str]:
    return [q for piece in text.split("-") for p in PART.findall(piece) for q in _unit_and_frequency(p)]


def _unit_and_frequency(part: str) -> list[str]:
    """ "MGQID" → MG, QID: a unit and a frequency Whisper wrote as one capital word."""
    rules = _rules()
    for unit in ("mcg", "meq", "mg", "ml", "g"):
        rest = part[len(unit):]
        if part.isupper() and part.lower().startswith(unit) and rest.lower() in rules["frequencies"]:
            return [part[:len(unit)], rest]
    return [part]


def _glued(token: Token) -> list[str] | None:
    """The words a glued token is made of, or None when it is one word."""
    if token.kind != "word" or len(token.text) < 3:
        return None
    parts = _parts(token.text)
    if len(parts) < 2 or "".join(parts) != re.sub(r"-", "", token.text):
        return None  # marks inside ("7.4-1-30/370", "Q.6"): not a glued line
    lower = [p.lower() for p in parts]
    rules = _rules()["glued"]
    if any(p in rules["commands"] for p in lower):
        return parts
    known = set(rules["parts"]) | set(_rules()["frequencies"])
    if all(p in known for p in lower) or (any(HAS_DIGIT.match(p) for p in parts) and any(p in known for p in lower)):
        return parts  # "250 MGQID", "Norbesk-10-MG-Daily"
    return None


def unglue(tokens: list[Token]) -> list[Token]:
    out = []
    for token in tokens:
        parts = _glued(token)
        out += [replace(token, text=p) for p in parts] if parts else [token]
    return out


def _after_dose(previous: Token | None) -> bool:
    return previous is not None and (bool(HAS_DIGIT.search(previous.text))
                                     or previous.text.lower() in _rules()["glued"]["parts"])


def _frequency(token: Token, previous: Token | None) -> str | None:
    table = _rules()["frequencies"]
    key = token.text.lower().replace(".", "")
    every = EVERY_HOURS.fullmatch(token.text)
    if every and (token.text[0] == "Q" or _after_dose(previous)):
        return f"q.{every.group(1)}h."
    if key in table and (token.text.isupper() or _after_dose(previous)):
        return table[key]
    return None


LIST_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}


def _item_number(tokens: list[Token], i: int) -> int | None:
    """The number opening a sentence at tokens[i] with Whisper's comma after it ("Two, atherosclerotic …")."""
    token, after = tokens[i], tokens[i + 1] if i + 1 < len(tokens) else None
    before = tokens[i - 1] if i > 0 else None
    if token.kind != "word" or after is None or after.kind != "mark" or after.text != ",":
        return None
    if before is not None and not (before.kind == "break" or (before.kind == "mark" and before.text in ".?!:")):
        return None
    word = token.text.lower()
    return LIST_WORDS.get(word) or (int(word) if word.isdigit() and len(word) < 3 else None)


def numbered_items(tokens: list[Token]) -> list[Token]:
    """A dictated list ("One, gastrointestinal bleed. Two, …") numbered as letters number it
    ("1. Gastrointestinal bleed. 2. …"): only numbers that follow each other from 1, so a
    lone "Two, however, …" stays prose."""
    starts = {i: n for i in range(len(tokens)) if (n := _item_number(tokens, i))}
    items, expected = set(), 1
    for i in sorted(starts):
        if starts[i] == expected:
            items.add(i)
            expected += 1
        elif starts[i] == 1:
            expected = 2
            items.add(i)
    # a run needs its 2 as well as its 1
    runs, run = [], []
    for i in sorted(items):
        if starts[i] == 1 and run:
            runs.append(run)
            run = []
        run.append(i)
    runs.append(run)
    keep = {i for r in runs if len(r) >= 2 for i in r}
    out = list(tokens)
    for i in keep:
        out[i] = replace(out[i], text=str(starts[i]))
        out[i + 1] = replace(out[i + 1], text=".")
    return out


def house_style(tokens: list[Token]) -> list[Token]:
    tokens = numbered_items(tokens)
    closed = set(_rules()["closed"]["words"])
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        after = tokens[i + 1] if i + 1 < len(tokens) else None
        if token.kind == "word":
            previous = out[-1] if out and out[-1].kind == "word" else None
            written = _frequency(token, previous)
            if written:
                token = replace(token, text=written)
            elif (token.text.lower() == "doctor" and after is not None and after.kind == "word"
                  and (after.text[:1].isupper() or len(after.text) == 1)):  # "doctor Kessler", "doctor x"
                token = replace(token, text="Dr.")
                tokens[i + 1] = after = replace(after, text=after.text[:1].upper() + after.text[1:])
            elif "-" in token.text and token.text.replace("-", "").lower() in closed:
                token = replace(token, text=token.text.replace("-", ""))
            elif (after is not None and after.kind == "word" and token.text.lower() in ("non", "pre", "post", "re")
                  and (token.text + after.text).lower() in closed):
                token = Token(token.text + after.text, "word", token.sources + after.sources, token.start, after.end,
                              min(token.probability, after.probability))
                i += 1
                after = tokens[i + 1] if i + 1 < len(tokens) else None
            elif after is not None and after.kind == "word" and f"{token.text} {after.text}".lower() in _rules()["joined"]:
                rule = _rules()["joined"][f"{token.text} {after.text}".lower()]
                following = tokens[i + 2] if i + 2 < len(tokens) else None
                if following is None or following.kind != "word" or following.text.lower() not in rule["unless_before"]:
                    token = Token(rule["written"], "word", token.sources + after.sources, token.start, after.end,
                                  min(token.probability, after.probability))
                    i += 1
                    after = following
            # "b.i.d." ending a sentence takes the sentence's full stop as its own
            if token.text.endswith(".") and after is not None and after.kind == "mark" and after.text == ".":
                token = replace(token, text=token.text[:-1])
        out.append(token)
        i += 1
    return out
