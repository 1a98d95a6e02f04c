"""The billing sheet (issue 17, in part): the ICD-10-CM codes of the conditions each letter
approved on a day confirms, for the secretary who collects the information for billing.

A condition is billed only when the letter confirms it. Not billed: a negated one ("no
asthma"), a family member's ("family history of breast cancer"), an uncertain one
("probable", "suspected", "rule out", "possible": ICD-10-CM outpatient guideline IV.H says to
code the symptom instead), and a past one ("history of appendicitis": coded with a Z86/Z87
history code, not its own). The letter as approved is read, so the secretary's edits count.

The secretary's changes to a letter's codes (one removed, one added from the billing tab)
are kept in the store's ``billing_changes`` table, newest change per code winning, and
every later sheet of that letter carries them.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path

import docx

from ..errors import DictationError
from ..records import Analysis
from . import outbox as ob
from .approval import _patient, analysed_patient
from .store import Job, Store, now_iso

# ICD-10-CM: a letter (not U), two characters, then optionally a dot and up to four more.
CODE = re.compile(r"[A-TV-Z][0-9][0-9AB](?:\.[0-9A-TV-Z]{1,4})?")
SCHEMA = """
CREATE TABLE IF NOT EXISTS billing_changes (
    job_id     TEXT NOT NULL REFERENCES jobs (id),
    code       TEXT NOT NULL,
    condition  TEXT NOT NULL,
    action     TEXT NOT NULL,   -- removed, added
    actor      TEXT NOT NULL,
    at         TEXT NOT NULL
);
"""


class BillingError(DictationError):
    pass


@dataclass(frozen=True)
class Line:
    job_id: str
    approved_on: str
    author: str
    patient: str
    code: str
    condition: str


def confirmed(analysis: Analysis) -> list[tuple[str, str]]:
    """(code, condition as written) for each confirmed condition, each code once, in order."""
    seen: dict[str, str] = {}
    for term in analysis.terms:
        if term.type == "condition" and term.code and not (term.negated or term.family or term.possible
                                                            or term.historical):
            seen.setdefault(term.code, term.text)
    return list(seen.items())


def letter_text(letter: bytes) -> str:
    """The approved letter's body: its paragraphs (the summary table is the machine's, not the author's)."""
    return "\n".join(p.text for p in docx.Document(io.BytesIO(letter)).paragraphs if p.text.strip())


def _changes(store: Store, job_id: str) -> dict[str, tuple[str, str]]:
    """code -> (action, condition), the newest change per code."""
    store.db.executescript(SCHEMA)
    rows = store.db.execute("SELECT code, condition, action FROM billing_changes WHERE job_id = ? ORDER BY rowid",
                            (job_id,)).fetchall()
    return {r["code"]: (r["action"], r["condition"]) for r in rows}


def letter_codes(store: Store, job: Job) -> list[dict]:
    """The codes of one approved letter: what it confirms, less what the secretary removed,
    plus what she added. Each says where it came from."""
    from ..language.clinical import analyse

    found: list[tuple[str, str]] = []
    if job.final_path and Path(job.final_path).is_file():
        analysis = analyse(letter_text(Path(job.final_path).read_bytes()), {},
                           dt.date.fromisoformat(job.received_at[:10]))
        found = confirmed(analysis)
    changes = _changes(store, job.id)
    codes = [{"code": c, "condition": cond, "source": "letter", "removed": changes.get(c, ("",))[0] == "removed"}
             for c, cond in found]
    codes += [{"code": c, "condition": cond, "source": "secretary", "removed": False}
              for c, (action, cond) in changes.items() if action == "added" and c not in dict(found)]
    return codes


def change(store: Store, job_id: str, action: str, code: str, condition: str, actor: str) -> None:
    """The secretary removes a code from a letter's sheet, puts one back, or adds one."""
    job = store.get(job_id)
    if job is None or job.state != "approved":
        raise BillingError(f"job {job_id} is not an approved letter", "only approved letters are billed")
    code = code.strip().upper()
    if not CODE.fullmatch(code):
        raise BillingError(f"{code!r} is not an ICD-10-CM code", "write it as a letter, two characters and "
                           "optionally a dot and more, e.g. I10 or E11.9")
    if action not in ("removed", "added"):
        raise BillingError(f"{action!r} is not a change to a code", "remove it or add it")
    store.db.executescript(SCHEMA)
    with store.transaction() as db:
        db.execute("INSERT INTO billing_changes (job_id, code, condition, action, actor, at) VALUES (?, ?, ?, ?, ?, ?)",
                   (job_id, code, condition.strip() or code, action, actor, now_iso()))
    store.log(job_id, f"billing code {action}", "billing", actor)


def approved_on(store: Store, day: str) -> list[Job]:
    return store.jobs("state = 'approved' AND substr(approved_at, 1, 10) = ?", (day,))


def patient(job: Job) -> str:
    letter = Path(job.final_path).read_bytes() if job.final_path and Path(job.final_path).is_file() else None
    archived = analysed_patient(Path(job.archive_dir) / "analysis.json") if job.archive_dir else {}
    return (letter and _patient(letter)) or job.metadata.get("patient") or archived.get("name") or "not stated"


def day_lines(store: Store, day: str) -> list[Line]:
    lines = []
    for job in approved_on(store, day):
        lines += [Line(job.id, day, job.author or "not stated", patient(job), c["code"], c["condition"])
                  for c in letter_codes(store, job) if not c["removed"]]
    return lines


def to_csv(lines: list[Line]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["job", "approved", "author", "patient", "ICD-10-CM", "condition"])
    writer.writerows([(x.job_id, x.approved_on, x.author, x.patient, x.code, x.condition) for x in lines])
    return out.getvalue()


def write_day(settings, day: str) -> Path:
    """outbox/reports/billing <day>.csv: readable by its owner only, like every output."""
    with Store(settings.db) as store:
        lines = day_lines(store, day)
    return ob.write_atomic(settings.outbox / "reports" / f"billing {day}.csv", to_csv(lines))
