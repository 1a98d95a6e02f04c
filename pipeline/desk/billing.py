"""The billing sheet (issue 17, in part): the ICD-10-CM codes of the conditions each letter
approved on a day confirms, for the secretary who collects the information for billing.

A condition is billed only when the letter confirms it. Not billed: a negated one ("no
asthma"), a family member's ("family history of breast cancer"), an uncertain one
("probable", "suspected", "rule out", "possible": ICD-10-CM outpatient guideline IV.H says to
code the symptom instead), and a past one ("history of appendicitis": coded with a Z86/Z87
history code, not its own). The letter as approved is read, so the secretary's edits count.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

import docx

from ..records import Analysis
from . import outbox as ob
from .approval import _patient, analysed_patient
from .store import Store


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


def day_lines(store: Store, day: str) -> list[Line]:
    from ..language.clinical import analyse

    lines = []
    for job in store.jobs("state = 'approved' AND substr(approved_at, 1, 10) = ?", (day,)):
        if not job.final_path or not Path(job.final_path).is_file():
            continue
        letter = Path(job.final_path).read_bytes()
        analysis = analyse(letter_text(letter), {}, dt.date.fromisoformat(job.received_at[:10]))
        archived = analysed_patient(Path(job.archive_dir) / "analysis.json") if job.archive_dir else {}
        patient = _patient(letter) or job.metadata.get("patient") or archived.get("name") or "not stated"
        lines += [Line(job.id, day, job.author or "not stated", patient, code, condition)
                  for code, condition in confirmed(analysis)]
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
