"""The callback list: each phone message's facts and what the desk did about it.

A voicemail's job ends in the state ``listed``; its ``Message`` (``pipeline/phone``) is kept
here, in the job database, with its status: open, then called back, booked, passed to a
nurse or a doctor, or closed, each change with a note, who and when. The event log records
the change and who made it (never the note or the facts: they are health information).
An urgent message is first in every list; nothing here can make it less urgent.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from ..errors import DictationError
from ..phone.message import Message
from .store import Store, now_iso

STATUSES = ("open", "called back", "booked", "passed to nurse", "passed to doctor", "closed")
SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    job_id      TEXT PRIMARY KEY REFERENCES jobs (id),
    urgent      INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    message     TEXT NOT NULL,          -- the Message as JSON
    status      TEXT NOT NULL DEFAULT 'open',
    note        TEXT NOT NULL DEFAULT '',
    status_by   TEXT,
    status_at   TEXT,
    listed_at   TEXT NOT NULL,
    called_at   TEXT                    -- first time it left 'open': the day report's time to callback
);
"""


@dataclass(frozen=True)
class Listed:
    job_id: str
    received_at: str
    listed_at: str
    status: str
    note: str
    status_by: str | None
    status_at: str | None
    called_at: str | None
    message: Message


class Messages:
    def __init__(self, store: Store):
        self.store = store
        store.db.executescript(SCHEMA)

    def add(self, job_id: str, message: Message) -> None:
        """List a message (again after a rerun: the facts are replaced, the status kept)."""
        with self.store.transaction() as db:
            db.execute("INSERT INTO messages (job_id, urgent, reason, message, listed_at) VALUES (?, ?, ?, ?, ?) "
                       "ON CONFLICT (job_id) DO UPDATE SET urgent = MAX(urgent, excluded.urgent), "
                       "reason = excluded.reason, message = excluded.message",
                       (job_id, int(message.urgent), message.reason, json.dumps(message.to_dict()), now_iso()))

    def listed(self, open_only: bool = True, day: str | None = None) -> list[Listed]:
        """Urgent first, then oldest first; ``day`` (ISO date): only the messages received that day."""
        where = ["m.status = 'open'"] if open_only else []
        if day:
            where.append("substr(j.received_at, 1, 10) = :day")
        rows = self.store.db.execute(
            "SELECT m.*, j.received_at FROM messages m JOIN jobs j ON j.id = m.job_id "
            f"{'WHERE ' + ' AND '.join(where) if where else ''} ORDER BY m.urgent DESC, j.received_at, j.id",
            {"day": day}).fetchall()
        return [self._row(r) for r in rows]

    def get(self, job_id: str) -> Listed | None:
        row = self.store.db.execute("SELECT m.*, j.received_at FROM messages m JOIN jobs j ON j.id = m.job_id "
                                    "WHERE m.job_id = ?", (job_id,)).fetchone()
        return self._row(row) if row else None

    def set_status(self, job_id: str, status: str, actor: str, note: str = "") -> Listed:
        if status not in STATUSES:
            raise DictationError(f"{status!r} is not a message status", f"use one of: {', '.join(STATUSES)}")
        if self.get(job_id) is None:
            raise DictationError(f"there is no phone message {job_id}", "see `dictation messages` for the list")
        at = now_iso()
        with self.store.transaction() as db:
            db.execute("UPDATE messages SET status = ?, note = ?, status_by = ?, status_at = ?, "
                       "called_at = COALESCE(called_at, CASE WHEN ? != 'open' THEN ? END) WHERE job_id = ?",
                       (status, note.strip(), actor, at, status, at, job_id))
            self.store.log(job_id, f"message {status}", "review", actor)  # the note stays out of the log
        return self.get(job_id)

    @staticmethod
    def _row(row) -> Listed:
        return Listed(job_id=row["job_id"], received_at=row["received_at"], listed_at=row["listed_at"],
                      status=row["status"], note=row["note"], status_by=row["status_by"], status_at=row["status_at"],
                      called_at=row["called_at"], message=Message.from_dict(json.loads(row["message"])))


def callback_list(db, open_only: bool = True) -> list[Listed]:
    """The callback list of the desk whose job database is ``db``."""
    with Store(db) as store:
        return Messages(store).listed(open_only)


def mark(db, job_id: str, status: str, actor: str, note: str = "") -> Listed:
    with Store(db) as store:
        return Messages(store).set_status(job_id, status, actor, note)
