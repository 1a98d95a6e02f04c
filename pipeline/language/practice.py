"""What the language stage knows of this practice: its words, its sentences, its accepted rules.

Learned by ``pipeline/learning`` from past letters and from the secretary's corrections, and
handed to the language stage as one record. Everything here only proposes:
- the vocabulary adds the practice's own names (a medicine, a colleague, a hospital) to what
  a doubtful word may be corrected to, and makes the ones its letters hold familiar;
- the n-gram model is the prior of the audio check (``verify``): between two names the
  audio finds close, the one that fits this practice's sentences wins;
- an accepted rule ("Prylisic" → "Prilosec", seen twice and accepted by a secretary) is
  applied, and the word is still flagged as a correction.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from wordfreq import zipf_frequency

from ..records import Token
from .ngram import KneserNey, words

RARE_ZIPF = 2.5  # a practice word rarer than this in English is a name worth proposing
MIN_LETTERS = 5


@dataclass(frozen=True)
class Rule:
    """A substitution a secretary accepted: what the machine wrote, what she typed."""

    id: int
    heard: str  # lower case words as the draft had them
    typed: str  # as the secretary wrote it


@dataclass(frozen=True)
class Practice:
    vocabulary: dict[str, int] = field(default_factory=dict)  # word as letters write it → count
    model: KneserNey | None = None
    rules: tuple[Rule, ...] = ()

    def names(self) -> tuple[str, ...]:
        """The practice's own names and terms a doubtful word may be corrected to: seen in its
        letters, long enough, and rare in everyday English (so never "patient" or "daily")."""
        return self._cached("names", lambda: tuple(
            w for w in self.vocabulary if len(w) >= MIN_LETTERS and w.isalpha() and zipf_frequency(w, "en") < RARE_ZIPF))

    def knows(self, name: str) -> bool:
        return name.lower() in self._cached("lower", lambda: {w.lower() for w in self.vocabulary})

    def _cached(self, name: str, make):
        """Worked out once per record (the record is frozen; its words do not change)."""
        key = f"_cache_{name}"
        if key not in self.__dict__:
            object.__setattr__(self, key, make())
        return self.__dict__[key]

    def prior(self, before: list[str], reading: str, after: list[str]) -> float:
        """Natural log probability of the reading, and of the next word after it, in this
        practice's sentences; 0 without a model."""
        if self.model is None:
            return 0.0
        said = words(reading)
        return self.model.log_prob(said + words(" ".join(after))[:1], words(" ".join(before))[-2:])


def apply_rules(tokens: list[Token], rules: tuple[Rule, ...]) -> list[Token]:
    """The tokens with each accepted rule applied where its heard words stand; the new word
    keeps what was heard, so the draft flags it as a correction."""
    if not rules:
        return tokens
    by_first: dict[str, list[tuple[list[str], Rule]]] = {}
    for rule in rules:
        heard = rule.heard.lower().split()
        by_first.setdefault(heard[0], []).append((heard, rule))
    out, i = [], 0
    while i < len(tokens):
        token = tokens[i]
        done = False
        for heard, rule in sorted(by_first.get(token.text.lower(), ()), key=lambda x: -len(x[0])) if token.kind == "word" else ():
            span = tokens[i:i + len(heard)]
            if len(span) == len(heard) and all(t.kind == "word" and t.text.lower() == h for t, h in zip(span, heard)):
                out.append(Token.replacing(span, rule.typed, " ".join(t.text for t in span)))
                i += len(heard)
                done = True
                break
        if not done:
            out.append(token)
            i += 1
    return out
