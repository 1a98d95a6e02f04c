"""The secretary's edits applied to the letter's tokens, keeping every word's audio.

The edited text is aligned with the tokens it came from (difflib on the words): an
unchanged word keeps its token, and so its time; an edited or inserted word takes the span
of the words it replaced (an insertion between two words gets the gap between them). So a
click on any word of an edited letter still plays the audio it came from.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import replace

from ..language.dictation import render
from ..records import Dictated, Token

PIECE = re.compile(r"\n\s*\n|\n|[^\s.,:;?!()]+(?:[.'’-][^\s.,:;?!()]+)*|[.,:;?!()]")


def _pieces(text: str) -> list[Token]:
    out = []
    for m in PIECE.finditer(text):
        piece = m.group()
        if piece.startswith("\n"):
            out.append(Token("\n\n" if piece.count("\n") > 1 else "\n", "break"))
        elif re.fullmatch(r"[.,:;?!()]", piece):
            out.append(Token(piece, "mark"))
        else:
            out.append(Token(piece, "word"))
    return out


def apply(dictated: Dictated, edited_text: str) -> Dictated:
    """The dictated letter with its text replaced by ``edited_text``, timings carried over."""
    old = list(dictated.tokens)
    new = _pieces(edited_text)
    matcher = difflib.SequenceMatcher(None, [t.text for t in old], [t.text for t in new], autojunk=False)
    result: list[Token] = []
    for tag, a, b, c, d in matcher.get_opcodes():
        if tag == "equal":
            result += old[a:b]
            continue
        replaced = [t for t in old[a:b] if t.start is not None]
        if replaced:
            start, end = replaced[0].start, max(t.end for t in replaced)
            sources = tuple(s for t in replaced for s in t.sources)
        else:  # a pure insertion: the gap between its neighbours
            before = next((t for t in reversed(result) if t.end is not None), None)
            after = next((t for t in old[b:] if t.start is not None), None)
            start = before.end if before else (after.start if after else None)
            end = after.start if after else start
            sources = ()
        for token in new[c:d]:
            if token.kind == "word":
                result.append(replace(token, start=start, end=end, sources=sources, probability=1.0,
                                      heard=" ".join(t.text for t in old[a:b] if t.kind == "word") or None))
            else:
                result.append(token)
    text, placed = render(result)
    return Dictated(text, tuple(placed), dictated.preamble, dictated.notes)
