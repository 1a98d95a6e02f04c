"""The worklist from the command line (``dictation tasks``, ``dictation task``): list what is to
book across every approved letter, mark a task booked, done or not needed, and write the
list as CSV, iCalendar and FHIR into outbox/reports/."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from . import exports
from . import outbox as ob
from .store import Store
from .tasks import STATUSES, Task, Tasks


def listing(settings, *, statuses: tuple[str, ...] = STATUSES, due_before: str | None = None,
            author: str | None = None, approved_on: str | None = None) -> list[Task]:
    with Store(settings.db) as store:
        return Tasks(store).worklist(statuses=statuses, due_before=due_before, author=author, approved_on=approved_on)


def lines(tasks: list[Task], today: dt.date | None = None) -> list[str]:
    """One line a task, as the terminal shows it; overdue ones say so first."""
    today = today or dt.date.today()
    return [f"{t.id:>4}  {'OVERDUE ' if t.overdue(today) else ''}{t.status.replace('_', ' '):<10} "
            f"due {t.due or 'not stated':<10}  {exports.KIND_NAMES[t.kind]:<10} {t.patient or 'patient not stated'}: "
            f"{t.what}" + (f" (booked for {t.booked_for})" if t.booked_for else "") for t in tasks]


def export(settings, tasks: list[Task], day: str) -> list[Path]:
    """outbox/reports/tasks <day>.csv, .ics and .fhir.json: owner-only, like every output."""
    folder = settings.outbox / "reports"
    return [ob.write_atomic(folder / f"tasks {day}.csv", exports.to_csv(tasks, dt.date.today())),
            ob.write_atomic(folder / f"tasks {day}.ics", exports.to_ics(tasks)),
            ob.write_atomic(folder / f"tasks {day}.fhir.json", exports.fhir_json(tasks))]


def mark(settings, task_id: int, status: str, actor: str, booked_for: str | None = None) -> Task:
    with Store(settings.db) as store:
        return Tasks(store).set_status(task_id, status, actor, booked_for)
