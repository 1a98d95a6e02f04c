"""Who called, about whom, and for a refill what and where: the facts of a phone message.

Whisper capitalises names, so a name is the capitalised words after a cue ("this is",
"my name is", "calling about my husband"). The cues, the relations, the pharmacies and the
time phrases are data (``models/phone/facts.toml``).
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass

from ..files import models_dir, once

NAME = r"(?P<name>[A-Z][a-zA-Z'’-]+(?:\s+(?:[A-Z]\.\s*)?[A-Z][a-zA-Z'’-]+){0,2})"


@dataclass(frozen=True)
class Found:
    value: str
    start: int
    end: int


@once
def _rules() -> dict:
    data = tomllib.loads((models_dir() / "phone" / "facts.toml").read_text(encoding="utf-8"))
    data["not_names"] = {w.lower() for w in data["not_names"]}
    return data


def _clean_name(name: str) -> str | None:
    """Drop the trailing words that are not part of a name ("Mary Johnson Calling")."""
    words = name.replace("’", "'").split()
    while words and (words[-1].lower().removesuffix("'s") in _rules()["not_names"]):
        words.pop()
    while words and words[0].lower() in _rules()["not_names"]:
        words.pop(0)
    words = [w.removesuffix("'s") for w in words]
    return " ".join(words) or None


def caller(text: str) -> Found | None:
    for cue in _rules()["caller_cues"]:
        for m in re.finditer(cue.replace("NAME", NAME), text):
            if name := _clean_name(m["name"]):
                return Found(name, m.start("name"), m.start("name") + len(name))
    return None


def patient(text: str) -> tuple[Found | None, str | None]:
    """The person the message is about when the caller speaks for someone else, and how
    they are related to the caller ("husband"); (None, None) when the caller is the patient."""
    relations = "|".join(_rules()["relations"])
    for cue in _rules()["patient_cues"]:
        pattern = cue.replace("RELATION", f"(?P<rel>{relations})").replace("NAME", NAME)
        for m in re.finditer(pattern, text, flags=0):
            rel = m.groupdict().get("rel")
            name = _clean_name(m["name"]) if m.groupdict().get("name") else None
            if name:
                return Found(name, m.start("name"), m.start("name") + len(name)), rel.lower() if rel else None
            if rel:
                return None, rel.lower()
    return None, None


def medication(text: str) -> tuple[Found | None, Found | None]:
    """A medicine named in the message (the drug lexicon, not everyday words) and its strength."""
    from wordfreq import zipf_frequency

    from ..language.lexicons import drugs

    names = drugs()
    drug = None
    for m in re.finditer(r"[A-Za-z][A-Za-z-]{3,}", text):
        word = m[0].lower()
        if word in names and (names[word].common or zipf_frequency(word, "en") < _rules()["drug_max_zipf"]):
            if word in _rules()["not_drugs"]:
                continue
            drug = Found(m[0], m.start(), m.end())
            break
    strength = None
    if m := re.search(_rules()["strength"], text, re.IGNORECASE):
        unit = _rules()["units"].get(m["unit"].lower().rstrip("s"), m["unit"].lower())
        strength = Found(f"{m['amount']} {unit}", m.start(), m.end())
    return drug, strength


def pharmacy(text: str) -> Found | None:
    """The pharmacy named: a chain ("the CVS on Main Street"), or "<Name> Pharmacy"."""
    chains = "|".join(re.escape(c) for c in _rules()["pharmacies"])
    where = r"(?:\s+(?:on|at|in)\s+(?:the\s+)?(?:[A-Z0-9][\w'-]*\s?){1,3})?"
    for pattern, flags in ((rf"\b(?P<p>(?:{chains})(?:\s+[Pp]harmacy)?{where})", re.IGNORECASE),
                           (rf"\b(?P<p>(?:[A-Z][\w'-]*\s+){{1,3}}[Pp]harmacy{where})", 0),
                           (r"\b(?P<p>[Pp]harmacy\s+(?:on|at|in)\s+(?:the\s+)?(?:[A-Z0-9][\w'-]*\s?){1,3})", 0)):
        if m := re.search(pattern, text, flags):
            value = m["p"].strip().rstrip(".,")
            return Found(value, m.start("p"), m.start("p") + len(value))
    return None


def preferred_times(text: str) -> list[Found]:
    """When the caller can be reached: "between 9 and 11", "after five p.m.", and a part of
    the day ("this afternoon") in a sentence that asks for the call."""
    rules = _rules()
    cue = re.compile(rules["time_cue"], re.IGNORECASE)
    out: list[Found] = []
    for pattern, needs_cue in [(p, False) for p in rules["times"]] + [(p, True) for p in rules["times_with_cue"]]:
        for m in re.finditer(pattern.replace("{hour}", rules["hour"]), text, re.IGNORECASE):
            if needs_cue and not cue.search(_sentence(text, m.start(), m.end())):
                continue
            if not any(f.start <= m.start() < f.end or m.start() <= f.start < m.end() for f in out):
                out.append(Found(m[0].strip().rstrip(".,"), m.start(), m.end()))
    return sorted(out, key=lambda f: f.start)


def _sentence(text: str, start: int, end: int) -> str:
    """The sentence around ``text[start:end]``."""
    first = max(text.rfind(c, 0, start) for c in ".!?") + 1
    ends = [i for i in (text.find(c, end) for c in ".!?") if i >= 0]
    return text[first : min(ends) if ends else len(text)]
