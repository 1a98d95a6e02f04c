"""A voicemail's transcript → one ``Message``: the facts, the reason, the red flags."""
from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, replace
from typing import Any

from ..files import models_dir, once
from ..records import DecodeOptions
from . import facts, numbers, reason, urgency


@dataclass(frozen=True)
class Message:
    """A phone message as the callback list shows it (``pipeline/phone``). ``marks`` are the
    facts' places in ``transcript`` (start, end, kind), for the review page's highlights."""

    reason: str
    urgent: bool
    red_flags: tuple[str, ...]  # the banners of the red flags heard, not negated
    heard: tuple[str, ...]  # what was said for each of them
    negated: tuple[str, ...]  # red flags mentioned only as denied ("no chest pain")
    caller: str | None
    patient: str | None  # the caller when they speak for themselves
    relation: str | None  # "husband": the caller speaks for someone else
    dob: str | None  # ISO date
    callback: str | None  # digits
    medication: str | None
    strength: str | None
    pharmacy: str | None
    times: tuple[str, ...]
    transcript: str
    marks: tuple[tuple[int, int, str], ...] = ()
    # No one spoke: every stretch of the recording is one Whisper doubts holds speech (a
    # hang-up, line noise); what it wrote there is likely invented, so no fact is read from it.
    silent: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Message":
        values = dict(data)
        for key in ("red_flags", "heard", "negated", "times"):
            values[key] = tuple(values.get(key, ()))
        values["marks"] = tuple(tuple(m) for m in values.get("marks", ()))
        return cls(**values)


@once
def recognition() -> dict:
    return tomllib.loads((models_dir() / "phone" / "recognition.toml").read_text(encoding="utf-8"))


def decode_options(options: DecodeOptions) -> DecodeOptions:
    """The practice's decoding options, with the voice detector set for telephone audio."""
    rules = recognition()
    return replace(options, vad_filter=bool(rules["vad_filter"]), vad_threshold=float(rules["vad_threshold"]),
                   beam_size=int(rules.get("beam_size", options.beam_size)),
                   initial_prompt=rules.get("initial_prompt") or options.initial_prompt)


def read(text: str, by_ear: tuple[urgency.SoundAlike, ...] = ()) -> Message:
    """The message's facts, reason and red flags, from its transcript. ``by_ear``: stretches
    the audio confirmed as a misheard red flag (``listen.py``); their places are in the
    whitespace-normalised transcript that ``Message.transcript`` holds."""
    text = " ".join(text.split())
    marks: list[tuple[int, int, str]] = []
    heard = urgency.red_flags(text, by_ear)
    live = [h for h in heard if not h.negated]
    banners = tuple(dict.fromkeys(h.banner for h in live))
    negated = tuple(dict.fromkeys(h.banner for h in heard if h.negated and h.banner not in banners))
    marks += [(h.start, h.end, "negated" if h.negated else "red_flag") for h in heard]

    who = facts.caller(text)
    about, relation = facts.patient(text)
    patient = about.value if about else (None if relation else who.value if who else None)
    dob = numbers.date_of_birth(text)
    callback = numbers.callback_number(text)
    drug, strength = facts.medication(text)
    store = facts.pharmacy(text)
    times = facts.preferred_times(text)
    for found, kind in ((who, "caller"), (about, "patient"), (drug, "medication"), (strength, "strength"),
                        (store, "pharmacy")):
        if found:
            marks.append((found.start, found.end, kind))
    if dob:
        marks.append((dob[1], dob[2], "dob"))
    if callback:
        marks.append((callback[1], callback[2], "callback"))
    marks += [(t.start, t.end, "time") for t in times]
    why, _ = reason.reason(text, len(live))
    return Message(reason=why, urgent=bool(live), red_flags=banners, heard=tuple(h.phrase for h in live),
                   negated=negated, caller=who.value if who else None, patient=patient, relation=relation,
                   dob=dob[0] if dob else None, callback=callback[0] if callback else None,
                   medication=drug.value if drug else None, strength=strength.value if strength else None,
                   pharmacy=store.value if store else None, times=tuple(t.value for t in times), transcript=text,
                   marks=tuple(sorted(marks)))
