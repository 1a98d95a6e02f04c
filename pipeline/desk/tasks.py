"""The worklist: what each letter asks the practice to book, across all letters (issue 17).

A drafted letter's tasks (pipeline/language/tasks.py) are *proposed*: the secretary sees
them on the review page before approving, and may edit, drop or add. Approval makes the
proposed ones *to book*; then each moves to *booked* (with the date booked for), *done* or
*not needed*, every change kept with who and when. A task past its due date and not
booked is overdue. A returned letter's proposals are dropped: the re-dictation proposes
its own.

Tasks hold health information (what is asked for, the patient), so they live in the
store's own table, never in the event log; the log only says "task 12 booked" and by whom.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import DictationError
from ..language.tasks import KINDS
from .store import Job, Store, now_iso

STATUSES = ("to_book", "booked", "done", "not_needed")  # after approval
OPEN = ("to_book",)  # what a secretary still has to do something about
SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id      TEXT NOT NULL REFERENCES jobs (id),
    kind        TEXT NOT NULL,
    what        TEXT NOT NULL,
    with_whom   TEXT,
    due         TEXT,            -- ISO date, or NULL when the letter states no time
    status      TEXT NOT NULL,   -- proposed, dropped, to_book, booked, done, not_needed
    booked_for  TEXT,
    patient     TEXT,
    author      TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    updated_by  TEXT
);
CREATE INDEX IF NOT EXISTS tasks_by_job ON tasks (job_id);
CREATE TABLE IF NOT EXISTS task_changes (
    task_id     INTEGER NOT NULL REFERENCES tasks (id),
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    status      TEXT NOT NULL,
    booked_for  TEXT
);
"""


class TaskError(DictationError):
    pass


@dataclass(frozen=True)
class Task:
    id: int
    job_id: str
    kind: str
    what: str
    with_whom: str | None
    due: str | None
    status: str
    booked_for: str | None
    patient: str | None
    author: str | None
    created_at: str
    updated_at: str
    updated_by: str | None

    def overdue(self, today: dt.date) -> bool:
        return self.status == "to_book" and self.due is not None and self.due < today.isoformat()

    def to_dict(self, today: dt.date) -> dict:
        return self.__dict__ | {"overdue": self.overdue(today)}


def _analysis(job: Job) -> dict:
    """The saved analysis of the job's letter: beside the draft, or in the archive once approved."""
    for path in ([Path(job.draft_path).with_suffix(".analysis.json")] if job.draft_path else []) + \
                ([Path(job.archive_dir) / "analysis.json"] if job.archive_dir else []):
        if path.is_file():
            return json.loads(path.read_text(encoding="utf-8"))
    return {}


def _date(value: str | None, field: str) -> str | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise TaskError(f"the {field} {value!r} is not a date", "give it as YYYY-MM-DD, e.g. 2027-01-14")


class Tasks:
    def __init__(self, store: Store):
        self.store = store
        store.db.executescript(SCHEMA)

    def _rows(self, where: str, params: tuple = ()) -> list[Task]:
        rows = self.store.db.execute(f"SELECT * FROM tasks WHERE {where} ORDER BY id", params).fetchall()
        return [Task(**dict(r)) for r in rows]

    def get(self, task_id: int) -> Task:
        found = self._rows("id = ?", (task_id,))
        if not found:
            raise TaskError(f"there is no task {task_id}", "check the number on the worklist")
        return found[0]

    def for_job(self, job: Job) -> list[Task]:
        """The letter's tasks, proposing them from its analysis the first time it is asked."""
        found = self._rows("job_id = ? AND status != 'dropped'", (job.id,))
        if found or self._rows("job_id = ?", (job.id,)):
            return found
        analysis = _analysis(job)
        patient = (analysis.get("facts", {}).get("patient") or {}).get("name") or job.metadata.get("patient")
        for item in analysis.get("facts", {}).get("tasks", []):
            self._insert(job, item["kind"], item["what"], item.get("with"), item.get("due"), "proposed",
                         "pipeline", patient)
        return self._rows("job_id = ? AND status != 'dropped'", (job.id,))

    def _insert(self, job: Job, kind: str, what: str, with_whom: str | None, due: str | None, status: str,
                actor: str, patient: str | None = None) -> int:
        if kind not in KINDS:
            raise TaskError(f"{kind!r} is not a kind of task", f"choose one of {', '.join(KINDS)}")
        if not what.strip():
            raise TaskError("the task says nothing", "write what is to be booked, e.g. 'Follow-up in 6 weeks'")
        at = now_iso()
        with self.store.transaction() as db:
            cursor = db.execute(
                "INSERT INTO tasks (job_id, kind, what, with_whom, due, status, patient, author, created_at, "
                "updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (job.id, kind, what.strip(), with_whom, _date(due, "due date"), status, patient, job.author, at, at,
                 actor))
            db.execute("INSERT INTO task_changes (task_id, at, actor, status) VALUES (?, ?, ?, ?)",
                       (cursor.lastrowid, at, actor, status))
        return int(cursor.lastrowid)

    def add(self, job: Job, kind: str, what: str, due: str | None, actor: str) -> Task:
        """A task the secretary adds before approving (the letter asked for something the rules missed)."""
        known = self.for_job(job)
        patient = known[0].patient if known else job.metadata.get("patient")
        return self.get(self._insert(job, kind, what, None, due, "proposed", actor, patient))

    def edit(self, task_id: int, actor: str, *, kind: str | None = None, what: str | None = None,
             due: str | None = "", drop: bool = False) -> Task:
        """Change a proposed task before approval, or drop it."""
        task = self.get(task_id)
        if task.status != "proposed":
            raise TaskError(f"task {task_id} is {task.status.replace('_', ' ')}, no longer a proposal",
                            "change its status on the worklist instead")
        if kind is not None and kind not in KINDS:
            raise TaskError(f"{kind!r} is not a kind of task", f"choose one of {', '.join(KINDS)}")
        values = {"kind": kind or task.kind, "what": (what if what is not None else task.what).strip(),
                  "due": task.due if due == "" else _date(due, "due date"),
                  "status": "dropped" if drop else "proposed"}
        self._update(task_id, actor, values)
        return self.get(task_id)

    def _update(self, task_id: int, actor: str, values: dict) -> None:
        at = now_iso()
        with self.store.transaction() as db:
            sets = ", ".join(f"{k} = ?" for k in values)
            db.execute(f"UPDATE tasks SET {sets}, updated_at = ?, updated_by = ? WHERE id = ?",
                       (*values.values(), at, actor, task_id))
            db.execute("INSERT INTO task_changes (task_id, at, actor, status, booked_for) VALUES (?, ?, ?, ?, ?)",
                       (task_id, at, actor, values.get("status", ""), values.get("booked_for")))

    def settle(self, job: Job, approved: bool, actor: str) -> int:
        """On approval the proposals become tasks to book; on return they are dropped."""
        proposed = [t for t in self.for_job(job) if t.status == "proposed"]
        for task in proposed:
            self._update(task.id, actor, {"status": "to_book" if approved else "dropped"})
        return len(proposed)

    def set_status(self, task_id: int, status: str, actor: str, booked_for: str | None = None) -> Task:
        if status not in STATUSES:
            raise TaskError(f"{status!r} is not a task status", f"choose one of {', '.join(STATUSES)}")
        task = self.get(task_id)
        if task.status in ("proposed", "dropped"):
            raise TaskError(f"task {task_id} belongs to a letter not yet approved",
                            "approve the letter first, or edit the proposal on its review page")
        booked = _date(booked_for, "booking date")
        if status == "booked" and booked is None:
            raise TaskError("a booking needs the date it is booked for", "give the appointment's date")
        self._update(task_id, actor, {"status": status, "booked_for": booked if status == "booked" else task.booked_for})
        self.store.log(task.job_id, f"task {task_id} {status.replace('_', ' ')}", "worklist", actor)
        return self.get(task_id)

    def changes(self, task_id: int) -> list[dict]:
        rows = self.store.db.execute("SELECT * FROM task_changes WHERE task_id = ? ORDER BY rowid", (task_id,))
        return [dict(r) for r in rows]

    def worklist(self, *, statuses: tuple[str, ...] = STATUSES, due_before: str | None = None,
                 due_from: str | None = None, author: str | None = None, approved_on: str | None = None,
                 today: dt.date | None = None) -> list[Task]:
        """Approved letters' tasks: overdue first, then by due date (no date last), then oldest."""
        today = today or dt.date.today()
        where, params = [f"status IN ({', '.join('?' * len(statuses))})"], list(statuses)
        if due_before:
            where.append("due IS NOT NULL AND due < ?")
            params.append(_date(due_before, "date"))
        if due_from:
            where.append("due IS NOT NULL AND due >= ?")
            params.append(_date(due_from, "date"))
        if author:
            where.append("author = ?")
            params.append(author)
        if approved_on:
            where.append("job_id IN (SELECT id FROM jobs WHERE substr(approved_at, 1, 10) = ?)")
            params.append(_date(approved_on, "date"))
        found = self._rows(" AND ".join(where), tuple(params))
        return sorted(found, key=lambda t: (not t.overdue(today), t.due or "9999", t.created_at))
