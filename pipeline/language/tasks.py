"""What a letter asks the practice to book: follow-up visits, tests, procedures and
referrals, each with the date it is due (issue 17). Rules in models/clinical/tasks.toml.

A letter is read one clause at a time, outside the sections that tell the story so far
(history, examination, results). A clause asks for nothing when it is conditional or as
needed, already done or booked, only discussed, or somebody else's plan. The rest is read
for a visit, a test, a procedure or a referral; a clause may ask for a visit and a test at
once ("return in 3 months with an updated PSA").

One visit with the author per letter (a discharge summary says "follow up within a week"
twice and means one booking) and one per other clinician. The due date is the clause's
interval from the day of dictation, a range counting from its start ("in 4-5 days" is 4
days: the earliest the author asked for, so a booking is late rather than early).
"""
from __future__ import annotations

import datetime as dt
import re
import tomllib
from typing import Any

from dateutil.relativedelta import relativedelta
from spacy.tokens import Doc

from ..files import models_dir, once

KINDS = ("follow_up", "test", "procedure", "referral")
NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
           "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a couple of": 2, "a couple": 2, "a few": 3}
_PURPOSE = re.compile(r"\bfor\s+(?:(?:a|an|the|repeat|further|more|another|her|his)\s+)*$", re.IGNORECASE)
_AS_TIME = re.compile(r"\b(?:day of|after|following|before|prior to|since|post)\s+(?:the\s+|his\s+|her\s+)?$", re.IGNORECASE)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@once
def _rules() -> dict[str, Any]:
    data = tomllib.loads((models_dir() / "clinical" / "tasks.toml").read_text(encoding="utf-8"))
    compile_ = lambda p: re.compile(p, re.IGNORECASE)  # noqa: E731
    return {
        "narrative": set(data["narrative_sections"]),
        "plan": set(data["plan_sections"]),
        "clause_break": compile_(data["clause_break"]),
        "trailing_condition": compile_(data["trailing_condition"]),
        "skip": [compile_(p) for p in data["skip"].values()],
        "cue": {k: compile_(v) for k, v in data["cue"].items()},
        "nouns": {k: compile_(v) for k, v in data["nouns"].items()},
        # "Dr. X", "the Atrial Fibrillation Clinic": names keep their capitals, matched as written.
        "with": [re.compile(p) if "[A-Z]" in p else compile_(p) for p in data["with"]["patterns"]],
        "due": {k: compile_(v) for k, v in data["due"].items()},
    }


def add_interval(when: dt.date, count: int, unit: str) -> dt.date:
    """Calendar arithmetic: a month from 31 January is the last day of February."""
    return when + relativedelta(**{f"{unit}s": count})


def due(clause: str, dictated_on: dt.date) -> tuple[str | None, str | None]:
    """(when, as said; the date it falls on) for the first time the clause states."""
    rules = _rules()["due"]
    if m := rules["interval"].search(clause):
        amount, unit = (m.group("n") or "one").lower(), m.group("unit").lower()  # "in the next month"
        count = int(amount) if amount.isdigit() else NUMBERS[amount]
        return f"{count} {unit}{'s' if count > 1 else ''}", add_interval(dictated_on, count, unit).isoformat()
    if m := rules["weekday"].search(clause):
        ahead = (WEEKDAYS.index(m.group("day").lower()) - dictated_on.weekday() - 1) % 7 + 1
        return m.group("day").capitalize(), (dictated_on + dt.timedelta(days=ahead)).isoformat()
    if rules["next_week"].search(clause):
        return "next week", (dictated_on + dt.timedelta(days=7)).isoformat()
    return None, None


def clinician(clause: str) -> str | None:
    """Who a visit is with when it is not the author; None for the author's own office."""
    for pattern in _rules()["with"]:
        if m := pattern.search(clause):
            return m.group(1)
    return None


def _clauses(doc: Doc) -> list[tuple[int, str, str | None]]:
    """(offset, clause, section type) for each clause outside the narrative sections."""
    rules = _rules()
    sections = list(doc.spans["sections"])
    headings = list(doc.spans["headings"])
    found = []
    for sent in doc.sents:
        start = max([sent.start_char] + [h.end_char for h in headings if sent.start <= h.start < sent.end])
        text = doc.text[start:sent.end_char]
        start += len(text) - len(text.lstrip())
        text = text.strip()
        # by character: a sentence's first token may be the blank line that ends the section before
        section = next((s.label_ for s in sections if s.start_char <= start < s.end_char), None)
        if section in rules["narrative"] or not text:
            continue
        at = 0
        for piece in rules["clause_break"].split(text):
            offset = start + text.index(piece, at)
            at = offset - start + len(piece)
            found.append((offset, piece, section))
    return found


def _kept(clause: str) -> str | None:
    rules = _rules()
    clause = rules["trailing_condition"].sub("", clause)
    return None if any(p.search(clause) for p in rules["skip"]) else clause


def _visit(clause: str, section: str | None) -> bool:
    rules = _rules()
    for m in rules["cue"]["follow_up"].finditer(clause):
        # "Followup CBC", "recheck her pulmonary function test": the cue names a test
        after = clause[m.end():m.end() + 40]
        if not rules["nouns"]["test"].match(re.sub(r"^\s+(?:(?:her|his|their|a|an|the)\s+)?", "", after)):
            return True
    return section == "follow_up" and bool(rules["cue"]["follow_up_line"].search(clause))


def _asked_procedure(clause: str) -> re.Match | None:
    """A procedure named as a time ("discharged on the day of surgery") is not asked for."""
    for m in _rules()["nouns"]["procedure"].finditer(clause):
        if not _AS_TIME.search(clause[:m.start()]):
            return m
    return None


def _kinds(clause: str, section: str | None) -> list[str]:
    rules = _rules()
    cue, nouns = rules["cue"], rules["nouns"]
    kinds = ["follow_up"] if _visit(clause, section) else []
    test = nouns["test"].search(clause)
    listed = section in rules["plan"] and test and not clause[:test.start()].strip(" \t\n0-9.)-:")
    if test and (listed or cue["order"].search(clause)):
        kinds.append("test")
    elif (procedure := _asked_procedure(clause)) and cue["procedure_order"].search(clause):
        # "followed in four weeks for repeat injections": what the visit is for, not a booking of its own
        if not (kinds and _PURPOSE.search(clause[:procedure.start()])):
            kinds.append("procedure")
    elif cue["referral"].search(clause):
        kinds.append("referral")
    return kinds


def extract(doc: Doc, dictated_on: dt.date) -> list[dict[str, Any]]:
    """The tasks a letter asks for, in the order it asks."""
    tasks: list[dict[str, Any]] = []
    for offset, raw, section in _clauses(doc):
        clause = _kept(raw)
        if not clause or not clause.strip():
            continue
        when, date = due(clause, dictated_on)
        for kind in _kinds(clause, section):
            task = {"kind": kind, "what": " ".join(clause.split()).strip(" .,:"), "with": None,
                    "when": when, "due": date, "start": offset, "end": offset + len(clause.rstrip())}
            if kind == "follow_up":
                task["with"] = clinician(clause)
            _add(tasks, task)
    return tasks


def _test_name(task: dict[str, Any]) -> str:
    m = _rules()["nouns"]["test"].search(task["what"])
    return m.group(0).lower() if m else task["what"].lower()


def _add(tasks: list[dict[str, Any]], task: dict[str, Any]) -> None:
    """One visit per clinician (the author's is ``with`` None), one of each test; "the
    procedure is being scheduled" is the procedure named before it, not another."""
    if task["kind"] == "follow_up":
        same = next((t for t in tasks if t["kind"] == "follow_up" and t["with"] == task["with"]), None)
    elif task["kind"] == "procedure" and re.match(r"the procedure\b", task["what"], re.IGNORECASE):
        same = next((t for t in reversed(tasks) if t["kind"] == "procedure"), None)
    elif task["kind"] == "test":  # "an MRI ... as soon as the MRI is performed": one MRI
        same = next((t for t in tasks if t["kind"] == "test" and _test_name(t) == _test_name(task)), None)
    else:
        same = None
    if same is None:
        tasks.append(task)
    elif same["due"] is None and task["due"] is not None:
        same.update({k: task[k] for k in ("what", "when", "due", "start", "end")})
