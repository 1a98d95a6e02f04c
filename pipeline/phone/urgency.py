"""Red flags in a phone message (``models/phone/red_flags.toml``): any one heard makes the
message urgent. Only a mention that is itself negated does not count ("I haven't had any
chest pain"), with the negation triggers the clinical notes use (``models/clinical/
context.toml``) plus the spoken contractions (``models/phone/urgency.toml``). The scope of a
negation is short and stops at a comma or a "but": when in doubt, the message is urgent."""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass

from ..files import models_dir, once


@dataclass(frozen=True)
class Flag:
    name: str
    banner: str
    patterns: tuple[re.Pattern, ...]
    sounds_like: tuple[str, ...] = ()  # the flag said plainly, to find it misheard


@dataclass(frozen=True)
class SoundAlike:
    """A stretch of the transcript (``start``, ``end``: characters) that sounds like a red
    flag said plainly (``said``); the audio decides whether it was."""

    flag: str
    banner: str
    said: str
    start: int
    end: int


@dataclass(frozen=True)
class Heard:
    flag: str
    banner: str
    phrase: str
    start: int
    end: int
    negated: bool


@once
def _rules():
    flags = tomllib.loads((models_dir() / "phone" / "red_flags.toml").read_text(encoding="utf-8"))["flag"]
    context = tomllib.loads((models_dir() / "clinical" / "context.toml").read_text(encoding="utf-8"))
    phone = tomllib.loads((models_dir() / "phone" / "urgency.toml").read_text(encoding="utf-8"))
    triggers = set(context["negated"]["forward"]) | set(phone["negation"])
    return (tuple(Flag(f["name"], f["banner"], tuple(re.compile(p) for p in f["patterns"]), tuple(f.get("sounds_like", ())))
                  for f in flags),
            sorted(triggers, key=len, reverse=True), set(context["terminators"]) | set(phone["terminators"]),
            tuple(phone["not_negations"]), int(phone["reach"]), phone)


def _flat(text: str) -> str:
    """Lower case, curly quotes straightened: the patterns' form (offsets kept)."""
    return text.lower().replace("’", "'")


def _negated(flat: str, start: int, end: int) -> bool:
    """Whether a negation trigger stands shortly before the mention, in the same clause."""
    _, triggers, terminators, not_negations, reach, _ = _rules()
    clause_start = max(flat.rfind(c, 0, start) for c in ".,;:!?\n")
    before = flat[clause_start + 1 : start]
    words = re.findall(r"[a-z]+(?:'[a-z]+)?", before)
    if any(w in terminators for w in words):
        cut = max(i for i, w in enumerate(words) if w in terminators)
        words = words[cut + 1 :]
    window = " ".join(words[-reach:])
    if any(p in window for p in not_negations):  # "I don't know if", "not sure whether"
        return False
    return any(re.search(rf"(?:^|\s){re.escape(t)}(?:\s|$)", window) or (t == "n't" and "n't" in window)
               for t in triggers)


def red_flags(text: str, by_ear: tuple[SoundAlike, ...] = ()) -> list[Heard]:
    """Every red-flag mention, negated or not, in the order said; ``by_ear``: sound-alikes the
    audio confirmed (``pipeline/phone/listen.py``), heard as their flag."""
    flags = _rules()[0]
    flat = _flat(text)
    found: list[Heard] = []
    for flag in flags:
        for pattern in flag.patterns:
            for m in pattern.finditer(flat):
                if any(h.start < m.end() and m.start() < h.end and h.flag == flag.name for h in found):
                    continue
                found.append(Heard(flag.name, flag.banner, text[m.start() : m.end()], m.start(), m.end(),
                                   _negated(flat, m.start(), m.end())))
    for alike in by_ear:
        found.append(Heard(alike.flag, alike.banner, f'{text[alike.start : alike.end]} (sounds like "{alike.said}")',
                           alike.start, alike.end, _negated(flat, alike.start, alike.end)))
    return sorted(found, key=lambda h: h.start)


def sound_alike_settings() -> tuple[float, float]:
    """(the Metaphone similarity a sound-alike needs, the audio's margin for it)."""
    phone = _rules()[5]
    return float(phone["sound_alike"]), float(phone["sound_alike_margin"])


def sound_alikes(text: str) -> list[SoundAlike]:
    """Stretches that sound like a red flag (Metaphone keys, ``sound_alike`` in urgency.toml)
    where the flag's own patterns found nothing: the best-sounding flag for each stretch."""
    import jellyfish
    from rapidfuzz import fuzz

    flags = _rules()[0]
    threshold, _ = sound_alike_settings()
    shortest = int(_rules()[5]["sound_alike_min_key"])
    found = red_flags(text)
    tokens = list(re.finditer(r"[A-Za-z]+(?:'[A-Za-z]+)?", text))
    best: dict[tuple[int, int], tuple[float, SoundAlike]] = {}
    for flag in flags:
        for said in flag.sounds_like:
            key, n = jellyfish.metaphone(said), len(said.split())
            for size in {max(1, n - 1), n, n + 1}:
                for a in range(len(tokens) - size + 1):
                    start, end = tokens[a].start(), tokens[a + size - 1].end()
                    if any(h.flag == flag.name and h.start < end and start < h.end for h in found):
                        continue  # already heard as this flag: its negation is decided
                    heard = jellyfish.metaphone(text[start:end].lower())
                    if len(heard) < shortest:
                        continue
                    similar = fuzz.ratio(heard, key)
                    if similar >= threshold and similar > best.get((start, end), (0.0, None))[0]:
                        best[(start, end)] = (similar, SoundAlike(flag.name, flag.banner, said, start, end))
    return [alike for _, alike in best.values()]
