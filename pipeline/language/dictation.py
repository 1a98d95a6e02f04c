"""Spoken commands and numbers: Whisper's words become the words of a letter.

"anesthesia comma the right femoral artery" → "anesthesia, the right femoral artery";
"new paragraph" → a paragraph break; "five hundred milligrams" → "500 mg";
"assessment colon" → an ASSESSMENT: heading on a new paragraph. The rules are data
(models/clinical/commands.toml, units.toml, sections.toml).

Every output token keeps the indices of the transcript words it came from, so the
secretary can still play the audio behind any word of the draft.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Callable, Iterable, Sequence

from text_to_num import alpha2digit, text2num

from ..records import Dictated, Token, Word
from . import headings, lexicons, preamble, style

LEAD = "\"'“‘(["
TRAIL = ".,;:?!\"'”’)]"
SENTENCE_END = {".", "?", "!"}
# Abbreviations whose full stop is part of the word.
ABBREVIATIONS = {"dr.", "mr.", "mrs.", "ms.", "st.", "vs.", "etc.", "e.g.", "i.e.", "no.", "approx.", "jr.", "sr."}
NUMBER_WORDS = set(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand "
    "million point half".split()
)
SMALL = {"zero", "one", "two", "three"}  # the numbers text_to_num leaves as words
NUMERIC = re.compile(r"^\d+(?:[.,]\d+)*$")


def core(token: Token) -> str:
    return token.text.lower()


def split_words(words: Sequence[Word]) -> list[Token]:
    """Whisper words → word and mark tokens ("period." → "period" + ".")."""
    # Whisper marks a new word with a leading space; a piece without one ("-French" after
    # " 6", "%" after " 2") belongs to the word before it.
    pieces: list[tuple[str, tuple[int, ...], Word]] = []
    for i, w in enumerate(words):
        if pieces and not w.text.startswith(" ") and w.text.strip():
            text, sources, first = pieces[-1]
            pieces[-1] = (text + w.text.strip(), sources + (i,),
                          Word(first.text, first.start, w.end, min(first.probability, w.probability)))
        else:
            pieces.append((w.text.strip(), (i,), w))
    tokens: list[Token] = []
    for text, sources, w in pieces:
        if not text:
            continue
        info = dict(sources=sources, start=w.start, end=w.end, probability=w.probability)
        lead = ""
        while text and text[0] in LEAD and len(text) > 1:
            lead, text = lead + text[0], text[1:]
        trail = ""
        if text.lower() not in ABBREVIATIONS and not re.fullmatch(r"\d+\.", text):
            while text and text[-1] in TRAIL and len(text) > 1:
                text, trail = text[:-1], text[-1] + trail
        elif re.fullmatch(r"\d+\.", text):  # "1." numbering a list item: keep the mark apart
            text, trail = text[:-1], "."
        tokens += [Token(c, "mark", **info) for c in lead]
        tokens.append(Token(text, "word", **info))
        tokens += [Token(c, "mark", **info) for c in trail]
    return tokens


def words_from_text(text: str) -> list[Word]:
    """Typed text (no audio) as words without timings, for `dictation analyse`."""
    return [Word(" " + piece, 0.0, 0.0, 1.0) for piece in text.split()]


def _merge(tokens: Sequence[Token], text: str, kind: str = "word") -> Token:
    starts = [t.start for t in tokens if t.start is not None]
    ends = [t.end for t in tokens if t.end is not None]
    return Token(text, kind, tuple(s for t in tokens for s in t.sources), min(starts, default=None),
                 max(ends, default=None), min(t.probability for t in tokens))


def _match_command(tokens: list[Token], i: int):
    """The command spoken at tokens[i], with the index after it, or None."""
    for command in lexicons.commands():
        n = len(command.phrase)
        span = tokens[i:i + n]
        if len(span) < n or any(t.kind != "word" for t in span):
            continue
        if tuple(core(t) for t in span) != command.phrase:
            continue
        before = tokens[i - 1] if i > 0 else None
        after = tokens[i + n] if i + n < len(tokens) else None
        if command.needs_pause and (after is None or after.kind != "mark"):
            continue
        # Whisper's own mark on either side means a pause: then it is a command.
        if before is not None and before.kind == "word" and core(before) in command.keep_after:
            if command.strict or after is None or after.kind == "word":
                continue
        if (command.only_before and after is not None and after.kind == "word" and core(after) not in command.only_before
                and not (before is not None and core(before) in command.always_after)):
            continue
        if after is not None and after.kind == "word" and core(after) in command.keep_before:
            continue
        return command, i + n
    return None


def _drop_trailing(out: list[Token], marks: str = ",;:.") -> None:
    while out and out[-1].kind == "mark" and out[-1].text in marks:
        out.pop()


def apply_commands(tokens: list[Token]) -> tuple[list[Token], list[str]]:
    """Execute spoken commands; returns the tokens and a note for each scratched phrase."""
    out: list[Token] = []
    notes: list[str] = []
    i = 0
    while i < len(tokens):
        found = _match_command(tokens, i) if tokens[i].kind == "word" else None
        if not found:
            out.append(tokens[i])
            i += 1
            continue
        command, after = found
        said = tokens[i:after]
        while after < len(tokens) and tokens[after].kind == "mark" and tokens[after].text in ",;:.!?":
            after += 1  # Whisper's punctuation after the spoken command
        i = after
        if command.action == "scratch":
            cut = len(out)
            while cut > 0 and out[cut - 1].kind == "mark" and out[cut - 1].text in ",;:.!?":
                cut -= 1  # the mark that ended the phrase being scratched
            while cut > 0 and not (out[cut - 1].kind == "break" or out[cut - 1].text in ",;:.!?"):
                cut -= 1
            notes.append("scratched: " + " ".join(t.text for t in out[cut:] if t.kind == "word"))
            del out[cut:]
            continue
        if command.attach in ("left", "both") or command.kind == "break":
            _drop_trailing(out, ",;:" if command.insert in ("(", "“") else ",;:.!?")
        if command.kind == "break" and out and out[-1].kind == "word":
            out.append(_merge(said, ".", "mark"))  # a paragraph ends its sentence
        if out and out[-1].kind == command.kind and out[-1].text == command.insert:
            continue  # "period. period." heard twice: one mark
        out.append(_merge(said, command.insert, command.kind))
    return out, notes


def _number_run(tokens: list[Token], i: int) -> int:
    j = i
    while j < len(tokens) and tokens[j].kind == "word":
        parts = core(tokens[j]).split("-")
        if all(p in NUMBER_WORDS for p in parts) or (j > i and core(tokens[j]) == "and" and j + 1 < len(tokens)
                                                      and core(tokens[j + 1]) in NUMBER_WORDS):
            j += 1
        else:
            break
    return j


def format_numbers(tokens: list[Token]) -> list[Token]:
    """Number words to digits, units after numbers, "148 over 92" → "148/92"."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        j = _number_run(tokens, i)
        if j > i:
            run = tokens[i:j]
            spoken = " ".join(t.text for t in run)
            written = alpha2digit(spoken, "en")
            if written != spoken and any(c.isdigit() for c in written):
                out.append(_merge(run, written))
                i = j
                continue
        token = tokens[i]
        if token.kind == "word" and "-slash-" in token.text.lower():  # Whisper's "1-slash-19-slash-96"
            token = replace(token, text=re.sub("-slash-", "/", token.text, flags=re.IGNORECASE))
        near_slash = any(0 <= k < len(tokens) and tokens[k].text == "/" for k in (i - 1, i + 1))
        if token.kind == "word" and near_slash and core(token) in NUMBER_WORDS:
            try:  # "one/16/96": a date or fraction, whatever the number's size
                token = replace(token, text=str(text2num(core(token), "en")))
            except ValueError:
                pass
        head, dash, rest = token.text.partition("-")
        if token.kind == "word" and dash and rest and head.lower() in NUMBER_WORDS:
            try:  # "six-French" → "6-French", "two-week" → "2-week"
                token = replace(token, text=f"{text2num(head.lower(), 'en')}-{rest}")
            except ValueError:
                pass
        out.append(token)
        i += 1
    unit_names, between = lexicons.units()
    result: list[Token] = []
    i = 0
    while i < len(out):
        token = out[i]
        if token.kind == "word" and core(token) in SMALL and _unit_at(out, i + 1, unit_names):
            token = replace(token, text=str(text2num(core(token), "en")))  # "two mg": text_to_num keeps 0-3 as words
        if token.kind == "word" and NUMERIC.match(token.text):
            # "148 over 92", "3 by 4"
            if (i + 2 < len(out) and out[i + 1].kind == "word" and core(out[i + 1]) in between
                    and NUMERIC.match(out[i + 2].text)):
                token = _merge(out[i:i + 3], token.text + between[core(out[i + 1])] + out[i + 2].text)
                i += 2
            found = _unit_at(out, i + 1, unit_names)
            if found:
                phrase, unit = found
                sep = "" if unit in ("%", "°F", "°C", "+") else " "
                token = _merge([token, *out[i + 1:i + 1 + len(phrase)]], token.text + sep + unit)
                i += len(phrase)
        result.append(token)
        i += 1
    return result


def _unit_at(tokens: list[Token], i: int, unit_names) -> tuple[tuple[str, ...], str] | None:
    """The unit spoken at tokens[i] (its words, how a letter writes it), if one is."""
    for phrase, unit in unit_names:
        span = tokens[i:i + len(phrase)]
        if len(span) == len(phrase) and all(t.kind == "word" for t in span) and tuple(core(t) for t in span) == phrase:
            return phrase, unit
    return None


def capitalise(tokens: list[Token]) -> list[Token]:
    out = []
    upper = True
    for token in tokens:
        if token.kind == "word":
            if upper and token.text[:1].islower():
                token = replace(token, text=token.text[:1].upper() + token.text[1:])
            upper = False
        elif token.kind == "break" or token.text in SENTENCE_END or token.text == ":":
            upper = True
        out.append(token)
    return out


def render(tokens: Iterable[Token]) -> tuple[str, list[Token]]:
    """Join tokens with the spacing a letter uses; each token learns its character offsets."""
    text = ""
    placed: list[Token] = []
    glue = True  # no space before the next token
    for token in tokens:
        left = token.kind == "break" or (token.kind == "mark" and token.text in ".,;:?!)”-/%")
        if text and not glue and not left:
            text += " "
        start = len(text)
        text += token.text
        placed.append(replace(token, char_start=start, char_end=len(text)))
        glue = token.kind == "break" or (token.kind == "mark" and token.text in "(“-/")
    return text, placed


def prepare(words: Sequence[Word]) -> tuple[list[Token], dict, list[str]]:
    """Commands, numbers and the preamble split: the tokens correction works on, the preamble's
    facts and the command notes."""
    tokens, notes = apply_commands(style.unglue(split_words(words)))
    tokens = format_numbers(tokens)
    text, placed = render(tokens)
    facts, end = preamble.split(text)
    if end:
        tokens = [t for t in placed if t.char_start >= end]
        while tokens and tokens[0].kind != "word":
            tokens.pop(0)
    return tokens, facts, notes


def dictate(words: Sequence[Word], correct: Callable[[list[Token]], list[Token]] | None = None) -> Dictated:
    """The whole rewrite: commands, numbers, preamble split, corrections, house style, headings, capitals."""
    tokens, facts, notes = prepare(words)
    if correct:
        tokens = correct(tokens)
    tokens = capitalise(headings.layout(style.house_style(tokens)))
    text, placed = render(tokens)
    return Dictated(text, tuple(placed), facts, tuple(notes))
