"""Spoken section headings laid out as written ones: "assessment colon …" → "ASSESSMENT: …".

A heading is a phrase from models/clinical/sections.toml said at the start of a sentence
and followed by a cue that it was a heading, not prose:
- a colon ("assessment colon", or Whisper's own ":"),
- a full stop that ends the sentence right after it ("Results."),
- a paragraph break,
- a comma ("Heart, regular rate and rhythm"): a dictated sentence that opens with a
  heading word and a pause is a heading.
The heading goes on a new paragraph, in capitals, with a colon. A measurement followed by
its value ("Pulse 88") gets its colon in the sentence ("Pulse: 88").
"""
from __future__ import annotations

import re
from dataclasses import replace

import jellyfish
from rapidfuzz import fuzz, process
from wordfreq import zipf_frequency

from ..files import once
from ..records import Token
from . import lexicons

MAX_WORDS = 6
MAX_NEAR_WORDS = 4
NEAR_SCORE = 80  # rapidfuzz ratio (letters only) for a heading Whisper mis-heard before a colon
NEAR_SCORE_NO_COLON = 90  # ... before a comma, full stop or paragraph break
NON_WORD_ZIPF = 2.0  # rarer than this in English: a misspelling, not a word ("Luns")
LONG_HEADING = 10  # letters a heading needs to be recognised near-miss without a colon


def _at_sentence_start(tokens: list[Token], i: int) -> bool:
    if i == 0 or tokens[i - 1].kind == "break":
        return True
    prev = tokens[i - 1]
    return prev.kind == "mark" and prev.text in ".?!:"


@once
def _heading_letters() -> dict[str, str]:
    """Each known heading by its letters alone, so "subject of" can meet "subjective"."""
    headings, _ = lexicons.sections()
    return {lexicons.letters_only(h): h for h in headings}


def _after_comma(tokens: list[Token], i: int) -> bool:
    """A heading after a comma: Whisper often hears a spoken "period" as a pause and writes ","."""
    return i > 0 and tokens[i - 1].kind == "mark" and tokens[i - 1].text == ","


def _cue(tokens: list[Token], k: int) -> tuple[str | None, int]:
    """The cue after a heading at tokens[k]: (":", 1) for a colon, or a spoken "colon" Whisper
    wrote as "column"; (",", 1) / (".", 1) for those marks; ("break", 1) for a paragraph break;
    ("list", 0) when a numbered list starts ("Assessment 1, lupus …"), the number kept."""
    cue = tokens[k] if k < len(tokens) else None
    if cue is None:
        return None, 0
    after = tokens[k + 1] if k + 1 < len(tokens) else None
    if cue.kind == "word" and cue.text.lower() in ("1", "one") and after is not None and after.text in (",", ".", ")"):
        return "list", 0
    if cue.kind == "break":
        return "break", 1
    if cue.kind == "mark" and cue.text in ":.,":
        return cue.text, 1
    if cue.kind == "word" and cue.text.lower().strip(".,") == "column":
        return ":", 1
    return None, 0


def _likeness(heard: str, heading: str, **_) -> float:
    """Letters or sound (Metaphone), whichever is closer: "subject of" sounds like "subjective"."""
    return max(fuzz.ratio(heard, heading), fuzz.ratio(jellyfish.metaphone(heard), jellyfish.metaphone(heading)))


def _near_heading(tokens: list[Token], i: int, colon_only: bool = False) -> tuple[int, str | None, int]:
    """A mis-heard heading ("plain colon" → PLAN, "subject of colon" → SUBJECTIVE, "pass medical
    history," → PAST MEDICAL HISTORY): up to 4 heard words close in letters to a heading.
    After a colon a near match will do; after a comma, full stop or break the heading must be
    long (a short word and a comma is too often prose: "Pulse, 88") and very close."""
    known = _heading_letters()
    for n in range(MAX_NEAR_WORDS, 0, -1):
        span = tokens[i:i + n]
        if len(span) < n or any(t.kind != "word" for t in span):
            continue
        cue, width = _cue(tokens, i + n)
        if cue is None or (colon_only and cue != ":"):
            continue
        if " ".join(t.text.lower() for t in span) in lexicons.not_headings():
            continue
        heard = lexicons.letters_only(" ".join(t.text for t in span))
        if cue == ":":  # the colon says heading: near in letters or in sound will do
            needed, shortest, scorer = NEAR_SCORE, 4, _likeness
        else:
            needed, shortest, scorer = NEAR_SCORE_NO_COLON, LONG_HEADING, fuzz.ratio
        if len(heard) < shortest:
            continue
        match = process.extractOne(heard, list(known), scorer=scorer, score_cutoff=needed)
        if match and len(match[0]) >= shortest:
            return n, known[match[0]], width
    return 0, None, 0


def _plural(word: str) -> str:
    """Whisper's possessive of a heading word is its plural said aloud: "Allergy's" → "Allergies"."""
    return re.sub(r"y['’]s$", "ies", re.sub(r"(?<=[^y])['’]s$", "s", word))


def _finding_heading(tokens: list[Token], i: int, n: int) -> bool:
    """A body part opening a sentence with its colon unspoken, followed by what was found there:
    "Neck supple without adenopathy", "Abdomen soft" (not "Neck pain began …")."""
    if n != 1 or i + 1 >= len(tokens) or tokens[i + 1].kind != "word":
        return False
    headings, _ = lexicons.sections()
    return (headings.get(tokens[i].text.lower()) == "body_system"
            and tokens[i + 1].text.lower() in lexicons.findings_after_heading())


def _misheard_finding_heading(tokens: list[Token], i: int) -> str | None:
    """A body part Whisper misspelt as no English word, followed by a finding: "Luns clear" →
    LUNGS. The finding after it is the context that makes a one-letter slip safe to read."""
    word = tokens[i].text.lower()
    if (tokens[i].kind != "word" or len(word) < 4 or i + 1 >= len(tokens) or tokens[i + 1].kind != "word"
            or tokens[i + 1].text.lower() not in lexicons.findings_after_heading()
            or zipf_frequency(word, "en") >= NON_WORD_ZIPF):
        return None
    headings, _ = lexicons.sections()
    parts = [h for h, kind in headings.items() if kind == "body_system" and " " not in h and len(h) >= 4]
    match = process.extractOne(word, parts, scorer=fuzz.ratio, score_cutoff=NEAR_SCORE + 5)
    return match[0] if match and match[0][0] == word[0] else None


def _capital_heading(tokens: list[Token], i: int, n: int) -> bool:
    """A heading's abbreviation that Whisper wrote in capitals opening a sentence ("PMH stroke
    and memory difficulty", "CN unremarkable"): the capitals say it is a label, unless the next
    word carries a sentence on ("EKG showed …")."""
    word = tokens[i].text.strip(".,")
    if n != 1 or len(word) < 2 or not word.isupper() or i + 1 >= len(tokens) or tokens[i + 1].kind != "word":
        return False
    return tokens[i + 1].text.lower() not in lexicons.prose_after_heading()


def _bare_heading(tokens: list[Token], i: int, n: int) -> bool:
    """A long heading with its spoken colon lost ("Current medications metformin 500 mg …"):
    two or more words opening a sentence, and the next word not one that carries prose on
    ("Physical examination revealed …", "Review of systems is negative")."""
    if n < 2 or i + n >= len(tokens) or tokens[i + n].kind != "word":
        return False
    return tokens[i + n].text.lower() not in lexicons.prose_after_heading()


SPELLED = re.compile(r"(?:[A-Za-z][-.]){1,4}[A-Za-z]\.?")  # "F-H-X", "C.C.", "H.X"


def _spelled_heading(token: Token) -> str | None:
    """A heading abbreviation Whisper wrote as its spelled letters ("F-H-X" → FHX), if it is one."""
    if token.kind != "word" or not SPELLED.fullmatch(token.text):
        return None
    letters = lexicons.letters_only(token.text)
    headings, _ = lexicons.sections()
    return letters if letters in headings else None


def _list_goes_on(tokens: list[Token], k: int) -> bool:
    """A heading's words inside a list of prose ("her diet, family history, and exercise")."""
    return k >= len(tokens) or tokens[k].kind != "word" or tokens[k].text.lower() in ("and", "or", "etc")


def _heading_at(tokens: list[Token], i: int, after_heading: bool = False) -> tuple[int, str | None, int]:
    """(number of words of a heading starting at tokens[i], corrected heading or None, tokens
    the cue takes after it); (0, None, 0) if none. ``after_heading``: a heading ends right
    before tokens[i], so its first word opens a line whatever mark Whisper heard between."""
    # after a comma only with a colon cue: "…bilaterally, hospital course: the patient …"
    colon_only = not (after_heading or _at_sentence_start(tokens, i))
    if colon_only and not _after_comma(tokens, i):
        return 0, None, 0
    headings, _ = lexicons.sections()
    spelled = _spelled_heading(tokens[i]) or lexicons.misheard_headings().get(tokens[i].text.lower())
    if spelled:
        cue, width = _cue(tokens, i + 1)
        if cue and not (colon_only and cue != ":"):
            return 1, spelled, width
    for n in range(MAX_WORDS, 0, -1):
        span = tokens[i:i + n]
        if len(span) < n or any(t.kind != "word" for t in span):
            continue
        # "Allergy's colon": Whisper's possessive is the plain heading word
        if " ".join(re.sub(r"['’]s$", "", t.text.lower()) for t in span) not in headings:
            continue
        # "," too: "Heart, regular rate" — spoken headings rarely get a colon
        cue, width = _cue(tokens, i + n)
        if cue is None and not colon_only and (
                _bare_heading(tokens, i, n) or _finding_heading(tokens, i, n) or _capital_heading(tokens, i, n)):
            return n, None, 0
        if colon_only and cue == "," and n >= 2 and not _list_goes_on(tokens, i + n + 1):
            return n, None, width  # "…or drinking, physical examination, palpable pulses": "period" heard as a pause
        return (n, None, width) if cue and not (colon_only and cue != ":") else (0, None, 0)
    near = None if colon_only else _misheard_finding_heading(tokens, i)
    return (1, near, 0) if near else _near_heading(tokens, i, colon_only)


def _measurement_at(tokens: list[Token], i: int) -> tuple[int, int]:
    """(words of a measurement label opening a sentence at tokens[i] and followed by its value,
    marks between them to drop): "Weight. 201 pounds" → (1, 1); (0, 0) if none."""
    if not _at_sentence_start(tokens, i):
        return 0, 0
    for n in range(3, 0, -1):
        span = tokens[i:i + n]
        if len(span) < n or any(t.kind != "word" for t in span):
            continue
        if " ".join(t.text.lower() for t in span) not in lexicons.measurements():
            continue
        k = i + n
        if k < len(tokens) and tokens[k].kind == "mark" and tokens[k].text in ".,":
            k += 1
        value = tokens[k] if k < len(tokens) else None
        if value is not None and value.kind == "word" and value.text[:1].isdigit():
            return n, k - i - n
        return 0, 0
    return 0, 0


def layout(tokens: list[Token]) -> list[Token]:
    out: list[Token] = []
    i = 0
    headed = -1  # the index right after the last heading laid out
    while i < len(tokens):
        label, dropped = _measurement_at(tokens, i) if tokens[i].kind == "word" else (0, 0)
        if label:  # in the sentence, as heard, with its colon
            out += tokens[i:i + label] + [Token(":", "mark")]
            i += label + dropped
            continue
        n, corrected, width = _heading_at(tokens, i, headed == i) if tokens[i].kind == "word" else (0, None, 0)
        if not n:
            out.append(tokens[i])
            i += 1
            continue
        if out:
            while out and out[-1].kind == "break":
                out.pop()
            while out and out[-1].kind == "mark" and out[-1].text in ",;":
                out.pop()  # the pause Whisper wrote before a heading it did not hear as a sentence's end
            if out and out[-1].kind == "word":  # a letter may open with "new paragraph"
                out.append(Token(".", "mark"))
            out.append(Token("\n\n", "break"))
        span = tokens[i:i + n]
        heard = " ".join(t.text for t in span)
        if corrected and len(corrected.split()) == n:  # one token per heard word: each keeps its audio
            out += [replace(t, text=w.upper(), heard=heard) for t, w in zip(span, corrected.split())]
        elif corrected:  # "subject of" → SUBJECTIVE: one token spanning the words it replaces
            out.append(Token(corrected.upper(), "word", tuple(s for t in span for s in t.sources), span[0].start,
                             span[-1].end, min(t.probability for t in span), heard=heard))
        else:
            out += [replace(t, text=_plural(t.text).upper()) for t in span]
        cue = tokens[i + n] if width else None
        if cue is not None and cue.kind != "break":  # the colon keeps the audio of what was said
            out.append(replace(cue, text=":", kind="mark", heard=None if cue.kind == "mark" else cue.text))
        else:
            out.append(Token(":", "mark"))
        i += n + width
        headed = i
    return out
