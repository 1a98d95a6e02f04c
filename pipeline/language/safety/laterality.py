"""Left and right: a side the audio fits the other way almost as well, and a body part given both sides.

"Left" and "right" are short, clearly spoken words that a recogniser rarely doubts, so a
wrong side is not caught by confidence. The recording's scorer is asked directly: the
written side against the other one on the same audio, and a side that does not win by
``margin`` nats is flagged. Without the audio, the text still shows one kind of slip: the
same body part given both sides in different sentences ("right knee pain" in the history,
"left knee osteoarthritis" in the assessment), unless the letter says it is on both sides.
"""
from __future__ import annotations

from collections import defaultdict

from ...files import once
from ...records import Analysis, Dictated, SafetyFlag
from .. import lexicons
from .common import at, fitted, flag, rules


def _sides(dictated: Dictated) -> list[tuple[int, str]]:
    """(token, side) of each side in the letter: a word of its own, or the head of a word the
    recogniser glued with hyphens ("right-sided", "left-hand", "right-great-toe")."""
    sides = rules()["laterality"]["sides"]
    heads = ((i, t.text.lower().partition("-")[0]) for i, t in enumerate(dictated.tokens) if t.kind == "word")
    return [(i, head) for i, head in heads if head in sides]


def _other_side(text: str, side: str, other: str) -> str:
    """The token's text with its side turned the other way, its case and glued words kept."""
    return (other.capitalize() if text[:1].isupper() else other) + text[len(side):]


@once
def _anatomy() -> frozenset[str]:
    return frozenset(w.lower() for w in lexicons.read_list(lexicons.terms_dir() / "anatomy.txt"))


def _part(dictated: Dictated, i: int) -> str | None:
    """The body part the side at token i belongs to: an anatomy word within the next few
    words ("right lower extremity", "left upper quadrant"); plurals count as the part."""
    skip = set(rules()["laterality"]["skip"])
    tokens = dictated.tokens
    glued = tokens[i].text.lower().split("-")[1:]  # "right-great-toe": the part is in the token
    following = []
    for j in range(i + 1, min(i + 4, len(tokens))):
        if tokens[j].kind != "word":
            break
        following.append(tokens[j].text.lower())
    for word in (glued + following)[:3]:
        for form in (word, word.removesuffix("s"), word.removesuffix("es")):
            if form in _anatomy():
                return form
        if word not in skip:
            return None
    return None


def _sentence(analysis: Analysis, offset: int) -> int:
    """A sentence number for a character offset: the count of sentence ends before it."""
    return sum(analysis.text.count(mark, 0, offset) for mark in (". ", ".\n", "? ", "! ", ":\n"))


def check(dictated: Dictated, analysis: Analysis, scorer=None) -> list[SafetyFlag]:
    sides = rules()["laterality"]["sides"]
    margin = rules()["laterality"]["margin"]
    found = []
    heard_flagged = set()
    for i, side in _sides(dictated):
        token = dictated.tokens[i]
        if scorer is None or token.start is None:
            continue
        turned = _other_side(token.text, side, sides[side])
        written, other = scorer.compare(token.start, token.end, [token.text, turned])
        if other >= written - margin:
            heard_flagged.add(i)
            lead = written - other
            found.append(flag("laterality", f"Side check: the recording fits \u201c{turned}\u201d {fitted(lead)} "
                                            f"\u201c{token.text}\u201d ({lead:+.1f}); listen{at([token])}.", [token], lead))
    if "bilateral" in analysis.text.lower() or "both sides" in analysis.text.lower():
        return found
    by_part: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for i, side in _sides(dictated):
        part = _part(dictated, i)
        if part:
            by_part[part].append((i, side))
    for part, places in by_part.items():
        if len({s for _, s in places}) < 2:
            continue
        sentences = defaultdict(set)
        for i, side in places:
            sentences[_sentence(analysis, dictated.tokens[i].char_start)].add(side)
        if any(len(s) == 2 for s in sentences.values()):  # "right and left knee", an exam of both
            continue
        first = places[0][1]
        i = next(i for i, s in places if s != first)
        if i in heard_flagged:
            continue
        token = dictated.tokens[i]
        found.append(flag("laterality", f"Side check: the {part} is \u201c{first}\u201d earlier in the letter and "
                                        f"\u201c{token.text.lower()}\u201d here; check which side{at([token])}.", [token]))
    return found
