"""Sound-alike medicines: a name on the ISMP list of confused drug names is flagged with its twin.

The list (``models/clinical/safety/confused_drugs.tsv``) holds the pairs pharmacists and
transcriptionists confuse ("Celebrex"/"Celexa"/"Cerebyx", "hydroxyzine"/"hydralazine").
Either name in a letter is flagged once, at its first mention, whatever the recogniser's
confidence: a clearly heard wrong twin is exactly the error a secretary would not catch.
With the recording's scorer the flag also says which name the audio fits better.
"""
from __future__ import annotations

import re
from collections import defaultdict

from ...files import models_dir, once
from ...records import Analysis, Dictated, SafetyFlag
from .common import at, flag, rules, words_between


@once
def twins() -> dict[str, tuple[str, ...]]:
    """Each listed name (lower case) → the names it is confused with, as the list writes them."""
    pairs: dict[str, list[str]] = defaultdict(list)
    for line in (models_dir() / "clinical" / "safety" / "confused_drugs.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        a, b = (part.strip() for part in line.split("\t")[:2])
        pairs[a.lower()].append(b)
        pairs[b.lower()].append(a)
    return {name: tuple(dict.fromkeys(others)) for name, others in pairs.items()}


@once
def _pattern() -> re.Pattern:
    names = sorted(twins(), key=len, reverse=True)
    return re.compile(r"(?<![\w-])(" + "|".join(re.escape(n) for n in names) + r")(?![\w-])", re.IGNORECASE)


def check(dictated: Dictated, analysis: Analysis, scorer=None) -> list[SafetyFlag]:
    found, seen = [], set()
    for match in _pattern().finditer(analysis.text):
        name = match.group(1)
        if rules()["soundalike"]["once_per_letter"] and name.lower() in seen:
            continue
        seen.add(name.lower())
        inside = words_between(dictated, match.start(), match.end())
        if not inside:
            continue
        tokens = [dictated.tokens[i] for i in inside]
        others = twins()[name.lower()]
        reason = (f"Sound-alike medicine: \u201c{name}\u201d is often confused with {' and '.join(others)} "
                  f"(ISMP list); check the name{at(tokens)}")
        if scorer is not None and tokens[0].start is not None:
            scores = scorer.compare(tokens[0].start, tokens[-1].end, [name, *others], prompt=[name, *others])
            best = max(range(len(scores)), key=lambda k: scores[k])
            if best > 0:
                reason += f"; the recording fits {others[best - 1]} better"
        found.append(flag("sound-alike", reason + ".", tokens))
    return found
