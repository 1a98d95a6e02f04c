"""Negation: a "no" the audio has and the text lost, or one the text has and the audio lacks.

"No chest pain" written as "chest pain" turns a normal finding into a symptom, and short
function words are what a recogniser drops most. Each finding the letter states as present
is put to the recording with a cue before it ("no", "not", "denies", "without"); each
negated finding without its cue. A reading that fits the audio within ``margin`` nats of
the written one (or better) is flagged. Text alone cannot see a lost word: this runs only
with the recording's scorer.
"""
from __future__ import annotations

from ...records import Analysis, Dictated, SafetyFlag
from .common import at, fitted, flag, rules, words_between


def check(dictated: Dictated, analysis: Analysis, scorer) -> list[SafetyFlag]:
    r = rules()["negation"]
    cues, margin = [c.lower() for c in r["cues"]], r["margin"]
    tokens = dictated.tokens
    found = []
    for term in analysis.terms:
        if term.type not in r["types"]:
            continue
        inside = words_between(dictated, term.start, term.end)
        if not inside or any(tokens[i].start is None for i in inside):
            continue
        words = [tokens[i] for i in inside]
        finding = " ".join(t.text for t in words)
        before = tokens[inside[0] - 1] if inside[0] else None
        if before is not None and before.kind == "word" and before.text.lower() in cues and before.start is not None:
            # negated by the word before it: is that word in the audio?
            written, without = scorer.compare(before.start, words[-1].end, [f"{before.text} {finding}", finding])
            if without >= written - margin:
                lead = written - without
                found.append(flag("negation", f"Negation check: the recording fits \u201c{term.text}\u201d without "
                                              f"\u201c{before.text}\u201d {fitted(lead)} with it ({lead:+.1f}); listen "
                                              f"whether it is absent or present{at([before])}.", [before, *words], lead))
            continue
        if term.negated:
            continue  # negated further back ("denies fever, chills or ..."): nothing was dropped just here
        # the finding's own stretch, read with a cue in front: the passage around it holds the
        # audio before the finding, where a dropped "no" was said
        scores = scorer.compare(words[0].start, words[-1].end, [finding] + [f"{cue} {finding}" for cue in cues])
        best = max(range(1, len(scores)), key=lambda k: scores[k])
        if scores[best] >= scores[0] - margin:
            found.append(flag("negation", f"Negation check: the recording may say \u201c{cues[best - 1]} "
                                          f"{term.text}\u201d ({scores[0] - scores[best]:+.1f}); listen whether it is "
                                          f"absent or present{at(words)}.", words, scores[0] - scores[best]))
    return found
