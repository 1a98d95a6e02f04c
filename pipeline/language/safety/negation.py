"""Negation: a "no" the audio has and the text lost, or one the text has and the audio lacks.

"No chest pain" written as "chest pain" turns a normal finding into a symptom, and short
function words are what a recogniser drops most. Each finding the letter states as present
is put to the recording with a cue ("no", "not", "denies", "without") before it or before
one of the few words ahead of it in its clause; each finding negated by the word before it
is put to the recording without that word. A reading that fits the audio within ``margin`` nats of
the written one (or better) is flagged. Text alone cannot see a lost word: this runs only
with the recording's scorer.
"""
from __future__ import annotations

from ...records import Analysis, Dictated, SafetyFlag, Token
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
        # a dropped cue stood before the finding, or a few words earlier in its clause ("He
        # [denies] any more diarrhea", "X-ray did [not] show any CHF"): each place is put to the
        # recording with the cues English puts there, over the stretch from the clause's first word read here
        lead_in, from_start = clause_before(tokens, inside[0], r["reach"], cues)
        span = [tokens[i] for i in lead_in] + words
        if any(t.start is None for t in span):
            continue
        said = [t.text for t in span]
        readings = [" ".join(said)] + [with_cue(said, k, cue) for k, cue in places(said, len(lead_in), from_start, cues, r)]
        scores = scorer.compare(span[0].start, span[-1].end, readings)
        best = max(range(1, len(scores)), key=lambda k: scores[k])
        if scores[best] >= scores[0] - margin:
            lead = scores[0] - scores[best]
            found.append(flag("negation", f"Negation check: the recording may say \u201c{readings[best]}\u201d "
                                          f"({lead:+.1f}); listen whether {term.text} is absent or present"
                                          f"{at(span)}.", span, lead))
    return found


def places(said: list[str], finding_at: int, from_start: bool, cues: list[str], r: dict) -> list[tuple[int, str]]:
    """(place, cue) to try: every cue just before the finding (word ``finding_at``); before an
    earlier word, the cues English puts there (rules.toml's ``after`` and ``before``, and
    ``start`` when the words read begin their clause: "[No] fevers or chills")."""
    bare = [w.strip(".,;:!?\"'").lower() for w in said]
    out = []
    for k in range(finding_at + 1):
        for cue in cues:
            if (k == finding_at or (k and bare[k - 1] in r["after"].get(cue, ())) or bare[k] in r["before"].get(cue, ())
                    or (k == 0 and from_start and cue in r["start"])):
                out.append((k, cue))
    return out


def with_cue(said: list[str], k: int, cue: str) -> str:
    """The words with the cue put before word k; a sentence's capital moves to the cue."""
    if k == 0 and said[0][:1].isupper() and not said[0].isupper():
        return " ".join([cue.capitalize(), said[0][0].lower() + said[0][1:], *said[1:]])
    return " ".join(said[:k] + [cue] + said[k:])


def clause_before(tokens: list[Token], first: int, reach: int, cues: list[str]) -> tuple[list[int], bool]:
    """Up to ``reach`` word tokens just before token ``first``, within its clause: a mark, a
    line break or a cue already written ends the search (a cue there is not missing). And
    whether they begin the clause (the search ended at a mark, a break or the letter's start)."""
    out: list[int] = []
    i = first - 1
    while i >= 0 and len(out) < reach and tokens[i].kind == "word" and tokens[i].text.lower() not in cues:
        out.insert(0, i)
        i -= 1
    return out, i < 0 or tokens[i].kind != "word"
