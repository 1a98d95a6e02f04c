"""The practice's word trigram model, interpolated Kneser-Ney (Chen and Goodman 1998).

Learned from the practice's own letters (``pipeline/learning``), it says how well a word
fits the words before it in this practice's sentences: "started on Prilosec 20 mg" is a
sentence its letters hold, "started on Prylisic" is not. Kneser-Ney's lower orders count
in how many contexts a word appears, not how often, so a word frequent in one fixed phrase
("Francisco" after "San") does not look likely everywhere.

Built from trigram counts alone (sentences padded with <s> <s> and ended with </s>); the
bigram and unigram statistics Kneser-Ney needs are derived from them. Written by hand
because the libraries that do it are a C++ build away (KenLM) or give a word it has not
seen a probability of zero and are slow to query (NLTK's ``KneserNeyInterpolated``: nltk
issues #3211 and #3317); a prior must give every heard word some probability.
"""
from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from typing import Iterable

START, END = "<s>", "</s>"
DISCOUNT = 0.75  # the usual fixed discount (Ney et al. 1994); enough for a prior
WORD = re.compile(r"[a-z0-9]+(?:['’-][a-z0-9]+)*")


def words(text: str) -> list[str]:
    """A sentence's words as the model counts them: lower case, letters and digits."""
    return WORD.findall(text.lower())


def sentences(text: str) -> Iterable[list[str]]:
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
        found = words(sentence)
        if found:
            yield found


def trigrams(text: str) -> Counter:
    """The trigram counts of a text, sentence by sentence, padded."""
    counts: Counter = Counter()
    for found in sentences(text):
        padded = [START, START, *found, END]
        counts.update(zip(padded, padded[1:], padded[2:]))
    return counts


class KneserNey:
    def __init__(self, counts: dict[tuple[str, str, str], int]):
        self.tri = counts
        self.context = Counter()  # c(a b ·)
        self.follow = Counter()  # N1+(a b ·)
        self.bi_cont = Counter()  # N1+(· b c)
        for (a, b, c), n in counts.items():
            self.context[a, b] += n
            self.follow[a, b] += 1
            self.bi_cont[b, c] += 1
        self.mid = Counter()  # N1+(· b ·) = sum over c of N1+(· b c)
        self.mid_follow = Counter()  # distinct c with N1+(· b c) > 0
        self.uni_cont = Counter()  # N1+(· c): distinct b before c
        for (b, c), n in self.bi_cont.items():
            self.mid[b] += n
            self.mid_follow[b] += 1
            self.uni_cont[c] += 1
        self.uni_total = sum(self.uni_cont.values())
        self.vocabulary = len(self.uni_cont)

    def _p1(self, c: str) -> float:
        if not self.uni_total:
            return 1.0 / (self.vocabulary + 1)
        seen = max(self.uni_cont.get(c, 0) - DISCOUNT, 0.0) / self.uni_total
        return seen + DISCOUNT * self.vocabulary / self.uni_total / (self.vocabulary + 1)

    def _p2(self, b: str, c: str) -> float:
        total = self.mid.get(b, 0)
        if not total:
            return self._p1(c)
        return (max(self.bi_cont.get((b, c), 0) - DISCOUNT, 0.0) / total
                + DISCOUNT * self.mid_follow[b] / total * self._p1(c))

    def probability(self, c: str, a: str = START, b: str = START) -> float:
        total = self.context.get((a, b), 0)
        if not total:
            return self._p2(b, c)
        return (max(self.tri.get((a, b, c), 0) - DISCOUNT, 0.0) / total
                + DISCOUNT * self.follow[a, b] / total * self._p2(b, c))

    def log_prob(self, following: list[str], before: list[str] = ()) -> float:
        """Natural log probability of the words ``following`` after the words ``before``."""
        history = [START, START, *before][-2:]
        total = 0.0
        for word in following:
            total += math.log(self.probability(word, *history))
            history = [history[-1], word]
        return total


def merge(*counts: dict) -> dict:
    out: dict = defaultdict(int)
    for c in counts:
        for key, n in c.items():
            out[key] += n
    return dict(out)
