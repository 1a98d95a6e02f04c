"""How the language stage is scored against the dev dictations' manifests (used by bench/clinical.py and the tests).

Imported with tests/ on sys.path: word WER is conftest's, as for bench/asr.py.
"""
from __future__ import annotations

import difflib
import re
from collections import Counter

import jiwer

from conftest import wer  # noqa: F401  (the one word normalisation of every WER here; needs tests/ on the path)

# Words and marks, for the scores that count punctuation and paragraph breaks.
WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
TOKEN = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?|[.,:;?!]|\n\s*\n")


def wer_marks(reference: str, hypothesis: str) -> float:
    """WER that also counts punctuation marks and paragraph breaks as tokens."""
    def toks(text: str) -> str:
        return " ".join("¶" if t.startswith("\n") else t for t in TOKEN.findall(text.lower()))
    return jiwer.wer(toks(reference), toks(hypothesis))


def mentions_found(expected: list[str], text: str) -> int:
    """How many of the expected drug mentions appear, spelled right, in the text.

    Counted per name: a name the reference uses three times must appear three times.
    Case is ignored; the name must stand as whole words.
    """
    found = 0
    lowered = text.lower()
    for name, count in Counter(m.lower() for m in expected).items():
        hits = len(re.findall(r"(?<![a-z0-9])" + re.escape(name) + r"(?![a-z0-9])", lowered))
        found += min(count, hits)
    return found


def commands_executed(entry: dict, text: str) -> tuple[int, int]:
    """(correct, spoken): each spoken period, comma, colon and new paragraph of the manifest,
    and whether the letter has that mark or break after the aligned reference word."""
    reference = entry["reference_text"]
    ref_tokens = [(m.group(), m.start()) for m in TOKEN.finditer(reference.lower())]
    out_tokens = [m.group() for m in TOKEN.finditer(text.lower())]
    ref_words = [i for i, (t, _) in enumerate(ref_tokens) if WORD.fullmatch(t)]
    out_words = [i for i, t in enumerate(out_tokens) if WORD.fullmatch(t)]
    matcher = difflib.SequenceMatcher(None, [ref_tokens[i][0] for i in ref_words],
                                      [out_tokens[i] for i in out_words], autojunk=False)
    ref_to_out = {}
    for a, b, n in matcher.get_matching_blocks():
        for k in range(n):
            ref_to_out[a + k] = b + k
    spoken = [c for c in entry["choices"] if c["spoken"]]
    correct = 0
    for choice in spoken:
        mark = {"period": ".", "comma": ",", "colon": ":"}.get(choice["type"])
        if mark:
            # the reference word just before the mark
            k = max((j for j, i in enumerate(ref_words) if ref_tokens[i][1] < choice["ref_char"]), default=None)
            if k is None or k not in ref_to_out:
                continue
            after = out_words[ref_to_out[k]] + 1
            correct += after < len(out_tokens) and out_tokens[after] == mark
        else:
            k = min((j for j, i in enumerate(ref_words) if ref_tokens[i][1] >= choice["ref_char"]), default=None)
            if k is None or k not in ref_to_out:
                continue
            before = out_words[ref_to_out[k]] - 1
            # a break before the word, possibly after a heading's colon
            while before >= 0 and out_tokens[before] in ".,:;":
                before -= 1
            correct += before >= 0 and out_tokens[before].startswith("\n") or before < 0
    return correct, len(spoken)


# --- sections ---------------------------------------------------------------------------

# A written report's header: two or more capitals ("CC", "HEENT", "PAST MEDICAL HISTORY"),
# then a colon, at the start of a line or of a sentence ("… no distress. HEENT: Normal.").
HEADER = re.compile(r"(?:^|(?<=[.?!] ))([A-Z][A-Z0-9 ,/&()'\-]*[A-Z0-9)]):", re.MULTILINE)


def f1(tp: int, predicted: int, gold: int) -> tuple[float, float, float]:
    p = tp / predicted if predicted else 0.0
    r = tp / gold if gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def section_type(title: str) -> str:
    from pipeline.language import lexicons

    headings, _ = lexicons.sections()
    return headings.get(title.lower().strip(), title.lower().strip())


def sections_in_order(gold: list[str], found: list[str]) -> int:
    """Matched headings: longest common subsequence of the two type sequences."""
    table = [[0] * (len(found) + 1) for _ in range(len(gold) + 1)]
    for i, g in enumerate(gold):
        for j, f in enumerate(found):
            table[i + 1][j + 1] = table[i][j] + 1 if g == f else max(table[i][j + 1], table[i + 1][j])
    return table[-1][-1]


def dictation_sections(entry: dict, text: str) -> tuple[int, int, int]:
    """(matched, found, manifest) headings of a dictated letter against the manifest's sections."""
    from pipeline.language.clinical import nlp

    gold = [section_type(s["title"]) for s in entry["sections"]]
    doc = nlp()(text)
    found = [s.label_ for s in doc.spans["headings"]]
    return sections_in_order(gold, found), len(found), len(gold)


# The fair truth (issue 13, item 6): every label the written reference opens a line or a
# sentence with, capitals or title case ("General:", "Neck:", "Vital Signs:"), and the
# capitals-only lines that stand alone ("RESULTS"); a salutation ("Dear Dr. XYZ:") is not one.
LABEL = re.compile(r"(?m)(?:^|(?<=[.?!] ))([A-Z][A-Za-z0-9/&,()' -]{0,40}?[A-Za-z0-9)]):")
CAPS_LINE = re.compile(r"(?m)^([A-Z][A-Z0-9 /&,()'-]{2,40}[A-Z0-9)])$")


def fair_headings(reference: str) -> list[str]:
    """The reference's headings in order, lower case: the fair truth."""
    found = [(m.start(1), m[1]) for m in LABEL.finditer(reference)]
    found += [(m.start(1), m[1]) for m in CAPS_LINE.finditer(reference)]
    return [t.lower().strip() for _, t in sorted(found) if not re.match(r"(?i)dear\b|xyz$|abc$", t)]


def _alike(a: str, b: str) -> bool:
    from rapidfuzz import fuzz

    return section_type(a) == section_type(b) or fuzz.ratio(a, b) >= 80


def dictation_headings_fair(entry: dict, text: str) -> tuple[int, int, int]:
    """(matched, found, true) headings of a dictated letter against the fair truth. The letter's
    headings are read the same way as the reference's (``fair_headings``: what the secretary
    sees as a label, "Pulse: 80." included), and matched in order by title, alike in
    spelling or of one canonical type."""
    gold, found = fair_headings(entry["reference_text"]), fair_headings(text)
    table = [[0] * (len(found) + 1) for _ in range(len(gold) + 1)]
    for i, g in enumerate(gold):
        for j, f in enumerate(found):
            table[i + 1][j + 1] = table[i][j] + 1 if _alike(g, f) else max(table[i][j + 1], table[i + 1][j])
    return table[-1][-1], len(found), len(gold)


def mtsamples_headers(text: str, doc) -> tuple[int, int, int]:
    """(matched, found, true) headers of a written report. The truth is the report's capitalised
    headers, so it judges the headings we find in capitals; a "Neck:" we also find is a heading,
    but this truth cannot say so either way."""
    truth = {m.start(1) for m in HEADER.finditer(text)}
    mine = {h.start_char for h in doc.spans["headings"] if h.text.rstrip(":").strip().isupper()}
    return len(truth & mine), len(mine), len(truth)


def header_table(path) -> list[tuple[str, int]]:
    rows = path.read_text().splitlines()[1:]
    return [(line.split("\t")[0], int(line.split("\t")[1])) for line in rows if line.strip()]


# --- drug corrections -------------------------------------------------------------------

def corrections_right(tokens, reference: str) -> tuple[int, int]:
    """(right, made): drug corrections whose name the written reference holds."""
    from pipeline.language import lexicons

    known = lexicons.drugs()
    made = [t.text.lower() for t in tokens if t.heard and t.text.lower() in known]
    lowered = reference.lower()
    right = sum(bool(re.search(r"(?<![a-z0-9])" + re.escape(name) + r"(?![a-z0-9])", lowered)) for name in made)
    return right, len(made)


# --- flags (issue 13, item 4) -----------------------------------------------------------

def letter_words(tokens) -> tuple[list[str], list[int]]:
    """The letter's words as every WER here normalises them, and the token each came from."""
    from conftest import words

    hyp, owner = [], []
    for k, t in enumerate(tokens):
        for w in words(t.text) if t.kind == "word" else ():
            hyp.append(w)
            owner.append(k)
    return hyp, owner


def mention_places(ref: list[str], names) -> list[tuple[str, int]]:
    """Where each drug mention stands among the reference's words, (name, index): the first
    place of that name not taken by an earlier mention; a name the words do not hold is left out."""
    from conftest import words

    placed = []
    for name in names:
        parts = words(name)
        at = next((j for j in range(len(ref)) if all(j != k for _, k in placed) and ref[j:j + len(parts)] == parts),
                  None)
        if at is not None:
            placed.append((name, at))
    return placed


def flag_scores(tokens, reference: str, flagged, drugs: list[str] = ()) -> dict[str, int]:
    """How the letter's flags fall on its wrong words. A word token is wrong when any of its
    words is not matched, in order, to the written reference (the words' normalisation of
    every WER here); ``flagged(token)`` says whether the draft marks it. For each drug
    mention of the reference (``drugs``, the names in order of the manifest) not found
    there in the letter spelled right: whether a flag lies on the letter's words in its place."""
    from conftest import words

    ref = words(reference)
    hyp, owner = letter_words(tokens)
    matcher = difflib.SequenceMatcher(None, ref, hyp, autojunk=False)
    right_words = set()
    for a, b, n in matcher.get_matching_blocks():
        right_words.update(range(b, b + n))
    wrong_tokens = {owner[j] for j in range(len(hyp)) if j not in right_words}
    word_tokens = sorted(set(owner))
    marked = {k for k in word_tokens if flagged(tokens[k])}
    out = dict(words=len(word_tokens), flagged=len(marked), wrong=len(wrong_tokens),
               flagged_wrong=len(marked & wrong_tokens), drugs_wrong=0, drugs_wrong_flagged=0)
    # each reference word's place in the letter: its opcode's range of letter words
    places = {}
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        for j in range(a1, max(a2, a1 + 1)):
            places[j] = (op, b1, b2)
    for _, at in mention_places(ref, drugs):
        op, b1, b2 = places.get(at, ("delete", 0, 0))
        if op == "equal":
            continue
        out["drugs_wrong"] += 1
        # replaced: the letter's words in its place; dropped: the words either side of the gap
        span = range(b1, b2) if b2 > b1 else range(max(0, b1 - 1), min(len(hyp), b1 + 1))
        out["drugs_wrong_flagged"] += bool({owner[j] for j in span} & marked)
    return out
