"""The summary table at the head of every draft: patient, date of birth, author, recipient,
the tasks the letter asks to book (pipeline/language/tasks.py) and the ICD-10-CM
suggestions of the conditions it confirms."""
from __future__ import annotations

from ..records import Analysis, LetterInfo

NOT_STATED = "not stated"
TASK_NAMES = {"follow_up": "", "test": "test", "procedure": "procedure", "referral": "referral"}


def task_line(task: dict) -> str:
    """"6 weeks: due 2027-01-06", "test: Check TSH", "referral (Dr. Y): no date stated"."""
    head = task["when"] if task["kind"] == "follow_up" and task.get("when") else (TASK_NAMES[task["kind"]] or "follow-up")
    if task["kind"] != "follow_up":
        head += f": {task['what'][:60]}"
    if task.get("with"):
        head += f" ({task['with']})"
    return f"{head}: due {task['due']}" if task.get("due") else f"{head}: no date stated"


def summary_rows(info: LetterInfo, analysis: Analysis | None) -> list[dict]:
    facts = analysis.facts if analysis else {}
    rows = [("Patient", info.patient or NOT_STATED), ("Date of birth", info.dob or NOT_STATED)]
    if info.mrn:
        rows.append(("MRN", info.mrn))
    rows += [("Author", f"Dr {info.author}" if info.author else NOT_STATED),
             ("Recipient", info.recipient or NOT_STATED)]
    rows.append(("Appointments to schedule", "; ".join(map(task_line, facts.get("tasks", []))) or "none dictated"))
    codes = list(dict.fromkeys(f"{t.code} {t.normalised}" for t in (analysis.terms if analysis else ())
                               if t.type == "condition" and t.code and not (t.negated or t.family or t.possible)))
    rows.append(("ICD-10-CM suggestions (check before billing)", "; ".join(codes) or "none found"))
    return [{"label": label, "value": value} for label, value in rows]
