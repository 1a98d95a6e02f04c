"""The worklist as files other systems read: CSV (a spreadsheet), iCalendar (one VTODO per task
with its DUE, one file a day, which Outlook imports as tasks) and FHIR R4 (a ServiceRequest
for what the letter asks, and a Task for its booking, in one Bundle), built and validated
with the ``icalendar`` and ``fhir.resources`` packages rather than written by hand.

Every file is written owner-only, like every output: it names patients.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import uuid

from fhir.resources.R4B.bundle import Bundle
from icalendar import Calendar, Todo

from .tasks import Task

COLUMNS = ("task", "status", "due", "overdue", "booked_for", "kind", "what", "with", "patient", "author", "job",
           "updated_at", "updated_by")
KIND_NAMES = {"follow_up": "Follow-up", "test": "Test", "procedure": "Procedure", "referral": "Referral"}
# SNOMED CT concepts for each kind of task (ServiceRequest.category); what is asked stays in code.text.
CATEGORY = {"follow_up": ("390906007", "Follow-up encounter"), "test": ("108252007", "Laboratory procedure"),
            "procedure": ("387713003", "Surgical procedure"), "referral": ("3457005", "Patient referral")}
# The worklist's statuses in FHIR's Task.status (R4 value set task-status).
TASK_STATUS = {"to_book": "requested", "booked": "accepted", "done": "completed", "not_needed": "cancelled"}
SNOMED = "http://snomed.info/sct"
TASK_SYSTEM = "urn:dictation-pipeline:task"
PRODID = "-//dictation-pipeline//worklist//EN"


def to_csv(tasks: list[Task], today: dt.date) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for t in tasks:
        writer.writerow((t.id, t.status, t.due or "", "yes" if t.overdue(today) else "", t.booked_for or "",
                         KIND_NAMES[t.kind], t.what, t.with_whom or "", t.patient or "", t.author or "", t.job_id,
                         t.updated_at, t.updated_by or ""))
    return out.getvalue()


def summary(task: Task) -> str:
    """The calendar line: "Follow-up: Jane Doe: return in 3 months with an updated PSA"."""
    return f"{KIND_NAMES[task.kind]}: {task.patient or 'patient not stated'}: {task.what}"


def to_ics(tasks: list[Task], stamp: dt.datetime | None = None) -> bytes:
    """One VCALENDAR of VTODOs. UIDs are stable, so importing the same day twice updates, not doubles."""
    stamp = stamp or dt.datetime.now(dt.timezone.utc)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    for t in tasks:
        todo = Todo()
        todo.add("uid", f"task-{t.id}-{t.job_id}@dictation-pipeline")
        todo.add("dtstamp", stamp)
        todo.add("summary", summary(t))
        todo.add("description", f"{t.what}\nFrom the letter of job {t.job_id}"
                                f"{' by Dr ' + t.author if t.author else ''}.")
        if t.due:
            todo.add("due", dt.date.fromisoformat(t.due))
        todo.add("status", {"done": "COMPLETED", "not_needed": "CANCELLED"}.get(t.status, "NEEDS-ACTION"))
        todo.add("categories", [KIND_NAMES[t.kind]])
        calendar.add_component(todo)
    return calendar.to_ical()


def _urn(kind: str, t: Task) -> str:
    """A stable urn:uuid per resource: re-exporting a task gives the same identity."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'dictation-pipeline/{kind}/{t.job_id}/{t.id}')}"


def _service_request(t: Task) -> dict:
    code, display = CATEGORY[t.kind]
    record = {
        "resourceType": "ServiceRequest",
        "id": f"request-{t.id}",
        "identifier": [{"system": TASK_SYSTEM, "value": str(t.id)}],
        "status": "completed" if t.status == "done" else "revoked" if t.status == "not_needed" else "active",
        "intent": "order",
        "category": [{"coding": [{"system": SNOMED, "code": code, "display": display}]}],
        "code": {"text": t.what},
        "subject": {"display": t.patient or "not stated"},
        "authoredOn": t.created_at,
        "requester": {"display": f"Dr {t.author}" if t.author else "not stated"},
    }
    if t.due:
        record["occurrenceDateTime"] = t.due
    if t.with_whom:
        record["performer"] = [{"display": t.with_whom}]
    return record


def _task(t: Task) -> dict:
    record = {
        "resourceType": "Task",
        "id": f"booking-{t.id}",
        "status": TASK_STATUS[t.status],
        "intent": "order",
        "focus": {"reference": _urn("request", t)},
        "for": {"display": t.patient or "not stated"},
        "authoredOn": t.created_at,
        "lastModified": t.updated_at,
        "description": f"Book: {t.what}",
    }
    if t.due:
        record["restriction"] = {"period": {"end": t.due}}
    if t.booked_for:
        record["executionPeriod"] = {"start": t.booked_for}
    if t.updated_by:
        record["owner"] = {"display": t.updated_by}
    return record


def to_fhir(tasks: list[Task]) -> Bundle:
    """A collection Bundle: per task its ServiceRequest and the Task that books it, validated."""
    entries = []
    for t in tasks:
        entries += [{"fullUrl": _urn(kind, t), "resource": build(t)}
                    for kind, build in (("request", _service_request), ("booking", _task))]
    return Bundle.model_validate({"resourceType": "Bundle", "type": "collection", "entry": entries})


def fhir_json(tasks: list[Task]) -> str:
    return json.dumps(json.loads(to_fhir(tasks).model_dump_json(exclude_none=True)), indent=1) + "\n"
