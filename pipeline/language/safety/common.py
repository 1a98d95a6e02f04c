"""What the safety checks share: their rules, and a flag over tokens of the letter."""
from __future__ import annotations

import tomllib

from ...files import models_dir, once
from ...records import Dictated, SafetyFlag, Token


@once
def rules() -> dict:
    return tomllib.loads((models_dir() / "clinical" / "safety" / "rules.toml").read_text(encoding="utf-8"))


def clock(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return f"{int(seconds // 60)}:{int(seconds % 60):02d}"


def at(tokens: list[Token]) -> str:
    """Where the secretary checks these words: " at 1:23" in the recording, or nothing for typed text."""
    timed = [t for t in tokens if t.start is not None]
    return f" at {clock(timed[0].start)}" if timed else ""


def fitted(lead: float) -> str:
    """How the rival reading fitted, for the reason's words: a lead of -2.8 means it fitted better."""
    return "better than" if lead < 0 else "almost as well as"


def flag(kind: str, reason: str, tokens: list[Token], lead: float | None = None) -> SafetyFlag:
    """A flag over these tokens (their characters and their audio); ``lead``: by how many
    nats the written reading beat its rival on the recording, for an audio check."""
    timed = [t for t in tokens if t.start is not None]
    return SafetyFlag(kind, reason, tokens[0].char_start, tokens[-1].char_end,
                      timed[0].start if timed else None, max(t.end for t in timed) if timed else None,
                      None if lead is None else round(lead, 2))


def words_between(dictated: Dictated, start: int, end: int) -> list[int]:
    """Indexes of the word tokens inside characters [start, end) of the letter."""
    return [i for i, t in enumerate(dictated.tokens) if t.kind == "word" and start <= t.char_start < end]
