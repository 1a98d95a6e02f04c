"""An approved letter against the machine's draft: what the secretary changed, and what it teaches.

The draft's words and the approved letter's are aligned (difflib, as the review page aligns
edits). A replaced stretch of one to three words on either side ("Prylisic" → "Prilosec",
"met for men" → "metformin"), holding a word that is not everyday English, is a
substitution, counted per author; seen twice, it becomes a suggested rule for a secretary to accept or reject (``dictation vocabulary``). Words the
secretary typed in join the author's vocabulary. The share of the draft's words changed is
the author's correction rate for the day report.
"""
from __future__ import annotations

import difflib
import re
from collections import Counter

from wordfreq import zipf_frequency

from .store import PracticeStore

WORD = re.compile(r"[A-Za-z0-9]+(?:['’.-][A-Za-z0-9]+)*")
MAX_WORDS = 3
# A replacement is a mishearing worth a rule only when what the draft had holds a word that
# is not everyday English ("Prylisic", "amgus"): an edit of ordinary words ("as" → "is",
# "place" → "placed", "3" → "three") depends on its sentence, and as a rule it would
# rewrite every letter's correct uses (replayed on the dev dictations, such rules made the
# other half's WER worse, bench/learning.py).
EVERYDAY_ZIPF = 3.0


def mishearing(heard: list[str], written: frozenset[str] = frozenset()) -> bool:
    """Whether the draft's words hold one no letter would write: not everyday English and not
    a word of the practice's own letters (``written``, lower case: "dilated" is a word its
    letters use, so "dilated" → "Dilaudid" depends on its sentence), or a glued unit ("g3")."""
    return any(w.isalpha() and zipf_frequency(w, "en") < EVERYDAY_ZIPF and w.lower() not in written for w in heard) or any(
        any(c.isalpha() for c in w) and any(c.isdigit() for c in w) for w in heard)


def compare(draft: str, final: str, written: frozenset[str] = frozenset()) -> tuple[list[tuple[str, str]], Counter, int, int]:
    """(substitutions as (heard lower case, typed), words typed in, draft words, words changed);
    ``written``: the words of the practice's letters, lower case."""
    old, new = WORD.findall(draft), WORD.findall(final)
    matcher = difflib.SequenceMatcher(None, [w.lower() for w in old], [w.lower() for w in new], autojunk=False)
    subs, typed, changed = [], Counter(), 0
    for tag, a, b, c, d in matcher.get_opcodes():
        if tag == "equal":
            continue
        changed += max(b - a, d - c)
        typed.update(w for w in new[c:d] if w.isalpha())
        if tag == "replace" and b - a <= MAX_WORDS and d - c <= MAX_WORDS and mishearing(old[a:b], written):
            subs.append((" ".join(old[a:b]).lower(), " ".join(new[c:d])))
    return subs, typed, len(old), changed


def learn_approval(db, job_id: str, author: str | None, day: str, draft: str, final: str) -> int:
    """Record one approval; returns how many words the secretary changed."""
    author = author or ""
    with PracticeStore(db) as store:
        subs, typed, total, changed = compare(draft, final, store.written_words())
        for heard, written in subs:
            store.record_substitution(author, heard, written)
        store.add_typed_words(author, typed)
        store.record_approval(job_id, author, day, total, changed)
    return changed
