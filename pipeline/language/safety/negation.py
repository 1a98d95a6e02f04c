"""Negation: a "no" the audio has and the text lost, or one the text has and the audio lacks.

"No chest pain" written as "chest pain" turns a normal finding into a symptom, and short
function words are what a recogniser drops most. Each finding the letter states as present
is put to the recording with a cue before it ("no", "not", "denies", "without"); each
negated finding without its cue. A reading that fits the audio within ``margin`` nats of
the written one (or better) is flagged. Text alone cannot see a lost word: this runs only
with the recording's scorer.
"""
from __future__ import annotations

from ...records import Analysis, Dictated, SafetyFlag, Token
from .common import at, flag, rules, words_between


def _readings(before: Token, words: list[Token], cues: list[str]) -> list[str]:
    finding = " ".join(t.text for t in words)
    return [f"{before.text} {finding}"] + [f"{before.text} {cue} {finding}" for cue in cues]


def check(dictated: Dictated, analysis: Analysis, scorer) -> list[SafetyFlag]:
    r = rules()["negation"]
    cues, margin = [c.lower() for c in r["cues"]], r["margin"]
    tokens = dictated.tokens
    found = []
    for term in analysis.terms:
        if term.type not in r["types"]:
            continue
        inside = words_between(dictated, term.start, term.end)
        if not inside or tokens[inside[0]].start is None or inside[0] == 0:
            continue
        words = [tokens[i] for i in inside]
        before = tokens[inside[0] - 1]
        if before.kind != "word" or before.start is None:
            continue  # the finding starts a sentence or follows a mark: the cue is tried only between words
        if before.text.lower() in cues:  # negated by the word before it: is that word in the audio?
            earlier = tokens[inside[0] - 2] if inside[0] >= 2 else None
            if earlier is None or earlier.kind != "word" or earlier.start is None:
                continue
            written, without = scorer.compare(earlier.start, words[-1].end,
                                              [f"{earlier.text} {before.text} {' '.join(t.text for t in words)}",
                                               f"{earlier.text} {' '.join(t.text for t in words)}"])
            if without >= written - margin:
                found.append(flag("negation", f"Negation check: the recording fits \u201c{term.text}\u201d without "
                                              f"\u201c{before.text}\u201d almost as well; listen whether it is absent or "
                                              f"present{at([before])}.", [before, *words]))
            continue
        if term.negated:
            continue  # negated further back ("denies fever, chills or ..."): nothing was dropped just here
        scores = scorer.compare(before.start, words[-1].end, _readings(before, words, cues))
        best = max(range(1, len(scores)), key=lambda k: scores[k])
        if scores[best] >= scores[0] - margin:
            found.append(flag("negation", f"Negation check: the recording may say \u201c{cues[best - 1]} "
                                          f"{term.text}\u201d; listen whether it is absent or present{at(words)}.",
                              words))
    return found
