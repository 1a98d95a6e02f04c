"""Correct mis-heard drug names: low-confidence words matched to the drug lexicon by spelling and sound.

"met for him in" → "metformin", "Levithoid" → "Levothroid". A correction is never silent:
the token keeps what Whisper heard (``Token.heard``) and the draft flags it for the
secretary. Only words Whisper itself was unsure of are candidates, so a clearly heard
English word is never turned into a drug.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

import jellyfish
from rapidfuzz import fuzz, process
from wordfreq import zipf_frequency

from . import lexicons
from .records import Token


@dataclass(frozen=True)
class CorrectionRules:
    low_probability: float = 0.6  # a window must hold a word Whisper gave less than this
    common_score: float = 0.78  # match needed for a name on the common list
    any_score: float = 0.88  # match needed for any other name in the lexicon
    max_words: int = 4  # "met for him in" → "metformin"
    min_letters: int = 5
    # An everyday English word (wordfreq Zipf frequency at or above this: "plain", "motor",
    # "comment") is what Whisper heard, not a drug it mangled; on its own it is never
    # corrected, and a phrase made only of such words needs `plain_words_score`.
    english_zipf: float = 3.0
    plain_words_score: float = 0.9


COMMON_BONUS = 0.04
STOP = {"the", "a", "an", "and", "or", "of", "to", "in", "on", "at", "with", "for", "is", "was", "he", "she", "his",
        "her", "they", "it", "no", "not", "be", "by", "as", "are", "were", "has", "had", "have", "this", "that"}


def _letters(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


@lru_cache(maxsize=1)
def _index() -> tuple[list[str], list[str], list[str], list[lexicons.Drug]]:
    """Parallel lists over matchable names: letters only, sound key, lower name, drug."""
    letters, keys, names, drugs = [], [], [], []
    for name, drug in lexicons.drugs().items():
        if "," in name or any(ch.isdigit() for ch in name) or len(name.split()) > 3:
            continue
        flat = _letters(name)
        if len(flat) < 4:
            continue
        letters.append(flat)
        keys.append(jellyfish.metaphone(flat))
        names.append(name)
        drugs.append(drug)
    return letters, keys, names, drugs


def best_match(heard: str) -> tuple[lexicons.Drug, float] | None:
    """The drug that sounds and is spelled most like ``heard`` (0–1 score), if any is close."""
    letters, keys, _, drugs = _index()
    flat = _letters(heard)
    key = jellyfish.metaphone(flat)
    shortlist = {i for _, _, i in process.extract(flat, letters, scorer=fuzz.ratio, limit=8, score_cutoff=60)}
    shortlist |= {i for _, _, i in process.extract(key, keys, scorer=fuzz.ratio, limit=8, score_cutoff=75)}
    best = None
    for i in shortlist:
        score = (fuzz.ratio(flat, letters[i]) + fuzz.ratio(key, keys[i])) / 200
        score += COMMON_BONUS if drugs[i].common else 0.0  # the name a letter is likelier to hold
        if best is None or score > best[1] or (score == best[1] and drugs[i].common and not best[0].common):
            best = (drugs[i], score)
    return best


def correct(tokens: list[Token], rules: CorrectionRules = CorrectionRules()) -> list[Token]:
    known = lexicons.drugs()
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        replaced = False
        if token.kind == "word" and token.text.lower() not in known and token.text.lower() not in STOP:
            for n in range(rules.max_words, 0, -1):
                span = tokens[i:i + n]
                if len(span) < n or any(t.kind != "word" or any(c.isdigit() for c in t.text) for t in span):
                    continue
                if min(t.probability for t in span) >= rules.low_probability:
                    continue
                heard = " ".join(t.text for t in span)
                if len(_letters(heard)) < rules.min_letters:
                    continue
                match = best_match(heard)
                if not match:
                    continue
                drug, score = match
                if _letters(heard) == _letters(drug.name):
                    break  # already the name, in its own capitals ("ACE inhibitor")
                everyday = [zipf_frequency(t.text, "en") >= rules.english_zipf for t in span]
                # a clearly heard everyday word at either edge belongs to the sentence, not the name
                if n > 1 and any(everyday[k] and span[k].probability >= rules.low_probability for k in (0, -1)):
                    continue
                if all(everyday) and (n == 1 or score < rules.plain_words_score):
                    continue
                if score < (rules.common_score if drug.common else rules.any_score):
                    continue
                merged = Token(drug.name, "word", tuple(s for t in span for s in t.sources),
                               span[0].start, span[-1].end, min(t.probability for t in span), heard=heard)
                out.append(merged)
                i += n
                replaced = True
                break
        if not replaced:
            out.append(token)
            i += 1
    return out
