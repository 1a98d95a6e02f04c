"""Who is on which letter: a secretary who opens a letter holds it for HOLD_MINUTES, and the
others see her name on the queue and on the letter, so two people do not proofread the same
draft. A hold is a courtesy, not a lock: another secretary may still open and approve the
letter (someone away from her desk must not block the day). Each opening is in the job's
event log with her name.
"""
from __future__ import annotations

import datetime as dt

from .store import Store

HOLD_MINUTES = 15
SCHEMA = """
CREATE TABLE IF NOT EXISTS holds (
    job_id  TEXT PRIMARY KEY REFERENCES jobs (id),
    who     TEXT NOT NULL,
    until   TEXT NOT NULL
);
"""


def _now() -> dt.datetime:
    return dt.datetime.now().astimezone()


class Holds:
    def __init__(self, store: Store):
        self.store = store
        store.db.executescript(SCHEMA)

    def take(self, job_id: str, who: str, now: dt.datetime | None = None) -> str:
        """``who`` opens the letter: she holds it for the next HOLD_MINUTES unless someone else
        holds it now. Returns who holds it after the call."""
        now = now or _now()
        with self.store.transaction() as db:
            row = db.execute("SELECT who, until FROM holds WHERE job_id = ?", (job_id,)).fetchone()
            holder = row["who"] if row and dt.datetime.fromisoformat(row["until"]) > now else None
            if holder not in (None, who):
                return holder
            until = (now + dt.timedelta(minutes=HOLD_MINUTES)).isoformat(timespec="seconds")
            db.execute("INSERT INTO holds (job_id, who, until) VALUES (?, ?, ?) "
                       "ON CONFLICT (job_id) DO UPDATE SET who = excluded.who, until = excluded.until",
                       (job_id, who, until))
            if holder is None:  # a new opening, not her own renewal
                self.store.log(job_id, "opened", "review", who)
        return who

    def current(self, now: dt.datetime | None = None) -> dict[str, str]:
        """Job id → who holds it, for the holds not yet run out."""
        now = now or _now()
        rows = self.store.db.execute("SELECT job_id, who, until FROM holds").fetchall()
        return {r["job_id"]: r["who"] for r in rows if dt.datetime.fromisoformat(r["until"]) > now}
