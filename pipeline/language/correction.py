"""Correct mis-heard drug names: low-confidence words matched to the drug lexicon by spelling and sound.

"met for him in" → "metformin", "Levithoid" → "Levothroid". A correction is never silent:
the token keeps what Whisper heard (``Token.heard``) and the draft flags it for the
secretary. Only words Whisper was unsure of, or spelled as no English word, are candidates,
so a clearly heard English word is never turned into a drug; and a garbled word becomes a
medicine only if no ordinary or medical word is clearly closer.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import jellyfish
import wordfreq
from rapidfuzz import fuzz, process
from wordfreq import zipf_frequency

from ..files import once
from ..records import Token
from . import lexicons


@dataclass(frozen=True)
class CorrectionRules:
    low_probability: float = 0.6  # a window must hold a word Whisper gave less than this
    common_score: float = 0.78  # match needed for a familiar name (common list, or seen in English text)
    any_score: float = 0.92  # match needed for any other name in the lexicon: nearly exact
    max_words: int = 4  # "met for him in" → "metformin"
    min_letters: int = 5
    # An everyday English word (wordfreq Zipf frequency at or above this: "plain", "motor",
    # "comment") is what Whisper heard, not a drug it mangled; on its own it is never
    # corrected, and a phrase made only of such words needs `plain_words_score`.
    english_zipf: float = 3.0
    plain_words_score: float = 0.9
    # An ordinary or medical word this much closer than the best drug vetoes the correction.
    rival_margin: float = 0.05
    length_ratio: float = 1.5  # a name's letters against the heard phrase's, either way
    # Whisper spells a name it does not know as a non-word ("Pepsid", "Comodin"), often with
    # confidence; a word rarer than this in English is a candidate whatever its probability.
    non_word_zipf: float = 1.0
    # How much a name's own frequency in English text (wordfreq Zipf, 0–3 for drug names)
    # counts beside its likeness: "metaprol" is as close to Metaprel as to metoprolol, and
    # metoprolol is the one letters hold.
    popularity_weight: float = 0.05


COMMON_BONUS = 0.04
FAMILIAR_ZIPF = 1.0
EVERYDAY_ZIPF = 3.5  # "calcium", "insulin", "oxygen": words Whisper already spells
CODE = re.compile(r"(?:^|-)[A-Za-z]{1,2}(?:-|$)")  # "Hla-Pl", "Tak-N": codes, not names said aloud
VOWELS = re.compile(r"[aeiouy]")
STOP = {"the", "a", "an", "and", "or", "of", "to", "in", "on", "at", "with", "for", "is", "was", "he", "she", "his",
        "her", "they", "it", "no", "not", "be", "by", "as", "are", "were", "has", "had", "have", "this", "that"}


def _skeleton(flat: str) -> str:
    """Consonants only, doubles merged: Whisper's misspellings of a name mostly change its vowels
    ("metaprol"/"metoprolol" → mtprl/mtprl, "fisal"/"feosol" → fsl/fsl)."""
    return re.sub(r"(.)\1+", r"\1", flat[:1] + VOWELS.sub("", flat[1:]))


class Vocabulary:
    """Words to match heard text against: letters, Metaphone key and consonant skeleton of each."""

    def __init__(self, words: list[str]):
        self.words = words
        self.letters = [lexicons.letters_only(w) for w in words]
        self.keys = [jellyfish.metaphone(f) for f in self.letters]
        self.skeletons = [_skeleton(f) for f in self.letters]

    def nearest(self, heard: str, limit: int = 15) -> list[tuple[int, float]]:
        """Indexes of the closest words, shortlisted by each of the three views, with their likeness."""
        flat = lexicons.letters_only(heard)
        key, skeleton = jellyfish.metaphone(flat), _skeleton(flat)
        shortlist = set()
        for query, choices, cutoff in ((flat, self.letters, 55), (key, self.keys, 70), (skeleton, self.skeletons, 70)):
            shortlist |= {i for _, _, i in process.extract(query, choices, scorer=fuzz.ratio, limit=limit,
                                                           score_cutoff=cutoff)}
        scored = [(i, (fuzz.ratio(flat, self.letters[i]) + fuzz.ratio(key, self.keys[i])
                       + fuzz.ratio(skeleton, self.skeletons[i])) / 300) for i in shortlist]
        return sorted(scored, key=lambda pair: -pair[1])


@once
def _drugs() -> tuple[Vocabulary, list[lexicons.Drug], list[float], Vocabulary, list[int]]:
    """The medicine names a mis-heard word may be corrected to, with each name's frequency in English text
    (wordfreq Zipf). Everyday words that are also in the drug lexicon ("calcium", "vitamin a",
    "poppy seed") are left out: Whisper spells those right, and they are poor guesses for a
    garbled name."""
    names, drugs, popularity = [], [], []
    for name, drug in lexicons.drugs().items():
        if "," in name or any(ch.isdigit() for ch in name) or len(name.split()) > 3 or len(lexicons.letters_only(name)) < 4:
            continue
        # Only medicines: a DrugBank entry or our common list. The lexicon also names proteins,
        # enzymes and drug classes (MeSH: "Beta-Lactamase", "Meks"), which no garbled word should become.
        if not (drug.drugbank_id or drug.common):
            continue
        # A name whose generic is chemical nomenclature ("Paps": 3'-phospho-5'-adenylyl sulfate)
        # is a research compound DrugBank lists, not a medicine a letter names.
        if not drug.common and re.search(r"[0-9']", drug.generic):
            continue
        zipf = zipf_frequency(name, "en")
        if zipf >= EVERYDAY_ZIPF or CODE.search(name):
            continue
        names.append(name)
        drugs.append(drug)
        popularity.append(0.0 if " " in name else min(3.0, zipf))
    # The names letters mostly hold, searched on their own as well, so that a far-off
    # spelling of Bactrim is not crowded out of the shortlist by 100,000 rarer names.
    known = [i for i, drug in enumerate(drugs) if drug.common or popularity[i] >= FAMILIAR_ZIPF]
    return Vocabulary(names), drugs, popularity, Vocabulary([names[i] for i in known]), known


@once
def _english() -> Vocabulary:
    """The rivals of a drug name: the 30,000 commonest English words and our medical word
    lists, less the drug names. "Kolen" is colon before it is Kyleena; "Mikosa" is mucosa."""
    drug_names = set(lexicons.drugs())
    words = wordfreq.top_n_list("en", 30_000) + lexicons.medical_words()
    return Vocabulary([w for w in dict.fromkeys(words) if w not in drug_names and len(lexicons.letters_only(w)) >= 3])


def load() -> None:
    """Build the drug and English indexes now: they take seconds, and are otherwise built at
    the first unsure word of the day."""
    _drugs()
    _english()


def _practice_names(practice) -> tuple[Vocabulary, list[lexicons.Drug]]:
    """The practice's own names (``Practice.names``) as candidates: a lexicon drug where the
    name is one, else the name itself (a medicine the lexicon lacks, a colleague, a hospital).
    Built once per practice record."""
    def build():
        known = lexicons.drugs()
        names = practice.names()
        return Vocabulary(list(names)), [known.get(n) or known.get(n.lower()) or lexicons.Drug(n, n, None, False)
                                         for n in names]
    return practice._cached("candidates", build)


def ranked(heard: str, rules: CorrectionRules | None = None, practice=None) -> list[tuple[lexicons.Drug, float, float]]:
    """Drugs that sound and are spelled like ``heard``, best first: (drug, likeness, score), where
    the score adds the name's popularity. Empty if an ordinary or medical word is clearly closer.
    With the ``practice`` (``language.practice``), its own names are candidates too, and a
    name its letters hold counts as one a letter is likelier to hold."""
    rules = rules or CorrectionRules()
    vocabulary, drugs, popularity, familiar, familiar_index = _drugs()
    shortlist = dict(vocabulary.nearest(heard))
    shortlist.update((familiar_index[i], like) for i, like in familiar.nearest(heard, 5))
    found = []
    for i, like in shortlist.items():
        score = like + rules.popularity_weight * popularity[i]
        likelier = drugs[i].common or (practice is not None and practice.knows(drugs[i].name))
        score += COMMON_BONUS if likelier else 0.0  # the name a letter is likelier to hold
        found.append((drugs[i], like, score))
    if practice is not None and practice.vocabulary:
        own, own_drugs = _practice_names(practice)
        listed = {d.name.lower() for d, _, _ in found}
        for i, like in own.nearest(heard, 5):
            if own_drugs[i].name.lower() not in listed:
                found.append((own_drugs[i], like, like + COMMON_BONUS))
    found.sort(key=lambda m: (-m[2], not m[0].common))
    rival = _english().nearest(heard, 5)
    if found and rival and rival[0][1] > found[0][1] + rules.rival_margin:
        return []
    return found


def best_match(heard: str, rules: CorrectionRules | None = None, practice=None) -> tuple[lexicons.Drug, float] | None:
    """The drug most like ``heard`` and its score (about 0–1), if any is close."""
    found = ranked(heard, rules, practice)
    return (found[0][0], found[0][2]) if found else None


def _windows(tokens: list[Token], i: int, rules: CorrectionRules):
    """The phrases starting at token i, longest first, that may be a mis-heard name: words only,
    at least one of them doubtful, long enough, and not edged by a clearly heard everyday word.
    Yields (n, heard, everyday) with everyday saying, per word, whether it is ordinary English."""
    if tokens[i].kind != "word" or tokens[i].text.lower() in lexicons.drugs() or tokens[i].text.lower() in STOP:
        return
    for n in range(rules.max_words, 0, -1):
        span = tokens[i:i + n]
        if len(span) < n or any(t.kind != "word" or any(c.isdigit() for c in t.text) for t in span):
            continue
        zipf = [zipf_frequency(t.text, "en") for t in span]
        if not any(t.probability < rules.low_probability or z < rules.non_word_zipf for t, z in zip(span, zipf)):
            continue
        heard = " ".join(t.text for t in span)
        if len(lexicons.letters_only(heard)) < rules.min_letters:
            continue
        everyday = [z >= rules.english_zipf for z in zipf]
        # a clearly heard everyday word at either edge belongs to the sentence, not the name
        if n > 1 and any(everyday[k] and span[k].probability >= rules.low_probability for k in (0, -1)):
            continue
        yield n, heard, everyday


def _acceptable(drug: lexicons.Drug, score: float, heard: str, everyday: list[bool], rules: CorrectionRules,
                floor: float | None = None, known=None) -> bool:
    """Whether the name may replace the phrase: by text alone, or (``floor``) as a proposal
    for the audio to decide on."""
    if all(everyday) and (len(everyday) == 1 or score < rules.plain_words_score):
        return False
    # a name is about as long as what was heard: "Kamala Sinix" is not Lasix
    if not 1 / rules.length_ratio <= len(lexicons.letters_only(drug.name)) / len(lexicons.letters_only(heard)) <= rules.length_ratio:
        return False
    if floor is not None:
        return score >= floor
    return score >= (rules.common_score if (known or familiar)(drug) else rules.any_score)


@lru_cache(maxsize=4096)
def familiar(drug: lexicons.Drug) -> bool:
    """A name letters often hold: on our common list, or frequent enough to be in English text.
    Among 100,000 names, most are ones no letter has ever held (research codes, foreign brands);
    a garbled word is matched to one of those only when the match is nearly exact."""
    return drug.common or zipf_frequency(drug.name, "en") >= FAMILIAR_ZIPF


def _correction(tokens: list[Token], i: int, rules: CorrectionRules, practice=None) -> tuple[list[Token], int] | None:
    """The corrected name for the longest doubtful phrase starting at tokens[i] (as the tokens
    replacing it, the shape ``verify.verified`` returns), and the phrase's length."""
    for n, heard, everyday in _windows(tokens, i, rules):
        match = best_match(heard, rules, practice)
        if not match:
            continue
        drug, score = match
        if n == 1 and lexicons.letters_only(heard) == lexicons.letters_only(drug.name):
            return None  # already the name, in its own capitals ("ACE inhibitor")
        if not _acceptable(drug, score, heard, everyday, rules, known=known_to(practice)):
            continue
        span = tokens[i:i + n]  # "met for min" → one token, metformin, over the three words' audio
        return [Token.replacing(span, drug.name, heard)], n
    return None


def known_to(practice):
    """``familiar``, widened to the names the practice's letters hold."""
    if practice is None:
        return familiar
    return lambda drug: familiar(drug) or practice.knows(drug.name)


def proposals(tokens: list[Token], i: int, rules: CorrectionRules, practice=None):
    """The doubtful phrases starting at tokens[i], longest first, each with the names the
    audio is asked about; stops at a phrase that already is a name."""
    from .verify import Proposal, rules as verify_rules

    limits = verify_rules()
    for n, heard, everyday in _windows(tokens, i, rules):
        found = ranked(heard, rules, practice)
        if not found:
            continue
        if n == 1 and lexicons.letters_only(heard) == lexicons.letters_only(found[0][0].name):
            return
        names = tuple(m for m in found if _acceptable(m[0], m[2], heard, everyday, rules, limits.floor))
        names = tuple(sorted(names, key=lambda m: -m[2]))
        if names:
            span = tokens[i:i + n]
            yield Proposal(n, heard, span[0].start, span[-1].end, names[:limits.candidates])


def correct(tokens: list[Token], rules: CorrectionRules = CorrectionRules(), scorer=None, practice=None) -> list[Token]:
    """The tokens with mis-heard drug names corrected. With a ``scorer`` (the recording's
    audio, ``pipeline/asr/scorer.py``) every correction is put to the audio first
    (``verify``); without one (a transcript alone) the text decides, as before. With the
    ``practice`` (``language.practice``) its names are candidates too, its trigram model the
    audio check's prior, and its accepted rules are applied first."""
    from .practice import apply_rules
    from .verify import verified

    if practice is not None:
        tokens = apply_rules(tokens, practice.rules)
    prior = practice.prior if practice is not None and practice.model is not None else None
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        if tokens[i].heard is not None:  # a practice rule's word: not corrected again
            out.append(tokens[i])
            i += 1
            continue
        fixed = (verified(tokens, i, proposals(tokens, i, rules, practice), scorer, known_to(practice), prior)
                 if scorer is not None else _correction(tokens, i, rules, practice))
        if fixed is None:
            out.append(tokens[i])
            i += 1
        else:
            out.extend(fixed[0])
            i += fixed[1]
    return out
