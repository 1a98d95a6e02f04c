"""``dictation learn FOLDER``: past letters into the practice's vocabulary and trigram counts."""
from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from ..language.ngram import trigrams
from .letters import PastLetter, read_folder
from .store import PracticeStore

WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:['’-][A-Za-z0-9]+)*")
MIN_LETTERS = 2  # a word or trigram must be in this many letters to be kept


@dataclass(frozen=True)
class Learned:
    letters: int
    already: int  # letters learned before (same text), not counted again
    by_author: dict[str, int]
    skipped: tuple[str, ...]
    words: int  # distinct words kept for the practice
    grams: int  # distinct trigrams kept for the practice


def counts(letters: list[PastLetter]) -> tuple[Counter, Counter]:
    """Word and trigram counts over the letters, keeping those found in MIN_LETTERS or more."""
    words, grams = Counter(), Counter()
    in_words, in_grams = Counter(), Counter()
    for letter in letters:
        said = Counter(WORD.findall(letter.text))
        heard = trigrams(letter.text)
        words.update(said)
        grams.update(heard)
        in_words.update(said.keys())
        in_grams.update(heard.keys())
    keep = lambda c, seen: Counter({k: n for k, n in c.items() if seen[k] >= MIN_LETTERS})  # noqa: E731
    return keep(words, in_words), keep(grams, in_grams)


def digest(letter: PastLetter) -> str:
    return hashlib.sha256(letter.text.encode("utf-8")).hexdigest()


def learn(folder: Path, db: Path, authors: tuple[str, ...] = ()) -> Learned:
    letters, skipped = read_folder(folder, authors)
    with PracticeStore(db) as store:
        new = [letter for letter in letters if not store.is_learned(digest(letter))]
        scopes: dict[str, list[PastLetter]] = defaultdict(list)
        for letter in new:
            scopes[""].append(letter)
            if letter.author:
                scopes[letter.author].append(letter)
        kept = (Counter(), Counter())
        for scope, group in scopes.items():
            words, grams = counts(group)
            store.add(scope, words, grams, [digest(x) for x in group] if scope == "" else [])
            if scope == "":
                kept = (words, grams)
    return Learned(len(new), len(letters) - len(new), {a: len(g) for a, g in scopes.items() if a},
                   tuple(skipped), len(kept[0]), len(kept[1]))
