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
