"""Jobs and their append-only event log, in SQLite (WAL) on a local disk.

One row per job; the state moves received -> transcribing -> analysing -> drafted ->
in_review -> approved | returned, or to failed. Several watchers may share one database:
a job is leased to one worker at a time, and a lease held by a process that has died on
this host is taken over at once (a kill -9 leaves no one to release it).

The event log says what happened, when and by whom. It never holds transcript text,
patient names or file names: drafts and inputs are named after patients.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import socket
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from .outbox import FILE_MODE, ensure_dir

# A voicemail ends "listed": on the callback list (desk/messages.py), with no letter.
STATES = ("received", "transcribing", "analysing", "drafted", "in_review", "approved", "returned", "listed", "failed")
ACTIVE = ("received", "transcribing", "analysing")  # a worker still has something to do
LEASE_SECONDS = 600.0
# Review: the secretary's reason for returning a letter (kept here, never in the event log,
# which must stay free of health information), and where the final letter went.
MIGRATIONS = (("review_note", "TEXT"), ("final_path", "TEXT"))

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id              TEXT PRIMARY KEY,
    content_sha256  TEXT NOT NULL UNIQUE,
    original_name   TEXT NOT NULL,
    state           TEXT NOT NULL,
    priority        INTEGER NOT NULL DEFAULT 0,   -- 1: urgent (STAT)
    due_at          TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    lease_owner     TEXT,
    lease_until     REAL,
    work_path       TEXT,
    metadata        TEXT NOT NULL DEFAULT '{}',
    author          TEXT,
    letter_type     TEXT,
    audio_seconds   REAL,
    draft_path      TEXT,
    archive_dir     TEXT,
    error           TEXT,
    received_at     TEXT NOT NULL,
    drafted_at      TEXT,
    approved_at     TEXT,
    updated_at      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_queue ON jobs (state, priority DESC, received_at);
CREATE TABLE IF NOT EXISTS events (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id    TEXT,
    at        TEXT NOT NULL,
    component TEXT NOT NULL,
    actor     TEXT NOT NULL,
    event     TEXT NOT NULL,
    detail    TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER IF NOT EXISTS events_append_only_u BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_append_only_d BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
"""


def now_iso() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="milliseconds")


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_alive(owner: str | None) -> bool:
    """Whether the lease holder may still be working (unknown hosts are assumed alive)."""
    if not owner:
        return False
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError):
        return True
    return True


@dataclass(frozen=True)
class Job:
    id: str
    content_sha256: str
    original_name: str
    state: str
    priority: int
    due_at: str | None
    attempts: int
    next_attempt_at: float
    lease_owner: str | None
    lease_until: float | None
    work_path: str | None
    metadata: dict[str, Any]
    author: str | None
    letter_type: str | None
    audio_seconds: float | None
    draft_path: str | None
    archive_dir: str | None
    error: str | None
    received_at: str
    drafted_at: str | None
    approved_at: str | None
    updated_at: str
    review_note: str | None = None
    final_path: str | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> "Job":
        data = dict(row)
        data["metadata"] = json.loads(data["metadata"] or "{}")
        return cls(**data)


class Store:
    def __init__(self, path: Path):
        self.path = Path(path)
        ensure_dir(self.path.parent)
        fresh = not self.path.exists()
        # isolation_level=None: we issue BEGIN IMMEDIATE ourselves, so a read-then-write
        # (take the next job) is one atomic step across processes.
        self.db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        if fresh:
            os.chmod(self.path, FILE_MODE)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")  # a drafted job survives a power cut
        self.db.execute("PRAGMA busy_timeout=30000")
        self.db.executescript(SCHEMA)
        # Columns added after a database was first made. Read and added under the write lock:
        # two watchers starting together would otherwise both see a column missing, and the
        # second to add it would die on "duplicate column name".
        with self.transaction() as db:
            columns = {row["name"] for row in db.execute("PRAGMA table_info(jobs)")}
            for name, kind in MIGRATIONS:
                if name not in columns:
                    db.execute(f"ALTER TABLE jobs ADD COLUMN {name} {kind}")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Store":  # `with Store(path) as store:` closes the connection after
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- transactions -------------------------------------------------------------------
    def transaction(self):
        """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error): one writer at a time, across processes."""
        store = self

        class _Tx:
            def __enter__(self):
                store.db.execute("BEGIN IMMEDIATE")
                return store.db

            def __exit__(self, kind, value, tb):
                store.db.execute("COMMIT" if kind is None else "ROLLBACK")
                return False

        return _Tx()

    def log(self, job_id: str | None, event: str, component: str, actor: str | None = None, detail: str = "") -> None:
        """Append an event. ``detail`` must carry no health information (no names, no text)."""
        self.db.execute(
            "INSERT INTO events (job_id, at, component, actor, event, detail) VALUES (?, ?, ?, ?, ?, ?)",
            (job_id, now_iso(), component, actor or worker_id(), event, detail),
        )

    # -- intake -------------------------------------------------------------------------
    def add_job(self, job_id: str, sha256: str, original_name: str, work_path: Path, metadata: dict,
                priority: int = 0, due_at: str | None = None) -> Job | None:
        """Insert a received job; return the existing job instead when the content was seen before."""
        stamp = now_iso()
        with self.transaction() as db:
            existing = db.execute("SELECT * FROM jobs WHERE content_sha256 = ?", (sha256,)).fetchone()
            if existing is not None:
                self.log(existing["id"], "duplicate", "intake", detail="the same recording was dropped again")
                return Job.from_row(existing)
            db.execute(
                "INSERT INTO jobs (id, content_sha256, original_name, state, priority, due_at, work_path, metadata,"
                " author, letter_type, received_at, updated_at) VALUES (?, ?, ?, 'received', ?, ?, ?, ?, ?, ?, ?, ?)",
                (job_id, sha256, original_name, priority, due_at, str(work_path), json.dumps(metadata),
                 metadata.get("author"), metadata.get("letter_type"), stamp, stamp),
            )
            self.log(job_id, "received", "intake", detail=f"priority {priority}")
        return None

    # -- the queue ----------------------------------------------------------------------
    def take_next(self, owner: str | None = None) -> Job | None:
        """Lease the most urgent runnable job: STAT first, then first in, first out."""
        owner = owner or worker_id()
        now = time.time()
        with self.transaction() as db:
            rows = db.execute(
                f"SELECT * FROM jobs WHERE state IN ({','.join('?' * len(ACTIVE))}) AND next_attempt_at <= ?"
                " ORDER BY priority DESC, received_at, id",
                (*ACTIVE, now),
            ).fetchall()
            for row in rows:
                free = row["lease_owner"] is None or (row["lease_until"] or 0) < now or not owner_alive(row["lease_owner"])
                if not free:
                    continue
                db.execute("UPDATE jobs SET lease_owner = ?, lease_until = ?, updated_at = ? WHERE id = ?",
                           (owner, now + LEASE_SECONDS, now_iso(), row["id"]))
                if row["lease_owner"] and row["lease_owner"] != owner:
                    self.log(row["id"], "resumed", "worker", owner, detail=f"was in state {row['state']}")
                return Job.from_row(db.execute("SELECT * FROM jobs WHERE id = ?", (row["id"],)).fetchone())
        return None

    def pending(self) -> int:
        return self.db.execute(
            f"SELECT COUNT(*) FROM jobs WHERE state IN ({','.join('?' * len(ACTIVE))})", ACTIVE
        ).fetchone()[0]

    def next_retry_in(self) -> float | None:
        """Seconds until a job nobody can take now becomes takeable: its retry falls due, or
        the lease another worker holds on it runs out; None if no job waits so. A job being
        worked on counts by its lease, never as due now: idle workers polled the store
        without pause while one dictation was transcribed, and took a core from it."""
        now = time.time()
        row = self.db.execute(
            "SELECT MIN(CASE WHEN next_attempt_at > ? THEN next_attempt_at ELSE lease_until END) FROM jobs"
            f" WHERE state IN ({','.join('?' * len(ACTIVE))}) AND (next_attempt_at > ? OR lease_until > ?)",
            (now, *ACTIVE, now, now),
        ).fetchone()
        return None if row[0] is None else max(0.0, row[0] - now)

    def update(self, job_id: str, event: str | None = None, component: str = "worker", detail: str = "",
               actor: str | None = None, **fields: Any) -> None:
        """Change fields of a job (state included) and log the change, in one transaction."""
        fields["updated_at"] = now_iso()
        if fields.get("state") == "drafted":
            fields.setdefault("drafted_at", fields["updated_at"])
        if "metadata" in fields:
            fields["metadata"] = json.dumps(fields["metadata"])
        for key, value in list(fields.items()):
            if isinstance(value, Path):
                fields[key] = str(value)
        assignments = ", ".join(f"{k} = ?" for k in fields)
        with self.transaction():
            self.db.execute(f"UPDATE jobs SET {assignments} WHERE id = ?", (*fields.values(), job_id))
            if event:
                self.log(job_id, event, component, actor, detail=detail)

    def reserve_draft_path(self, job_id: str, base: Path) -> Path:
        """Give the job the first free name among ``base``, ``base (2)``, ... and record it, in one
        transaction: two workers never pick the same name, and a rerun reuses the recorded one."""
        with self.transaction() as db:
            taken = {r[0] for r in db.execute("SELECT draft_path FROM jobs WHERE draft_path IS NOT NULL")}
            n, candidate = 2, base
            while str(candidate) in taken or candidate.exists():
                candidate = base.with_name(f"{base.stem} ({n}){base.suffix}")
                n += 1
            db.execute("UPDATE jobs SET draft_path = ? WHERE id = ?", (str(candidate), job_id))
        return candidate

    def get(self, job_id: str) -> Job | None:
        row = self.db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return Job.from_row(row) if row else None

    def jobs(self, where: str = "1=1", params: tuple = ()) -> list[Job]:
        rows = self.db.execute(f"SELECT * FROM jobs WHERE {where} ORDER BY priority DESC, received_at, id", params)
        return [Job.from_row(r) for r in rows]

    def events(self, job_id: str | None = None) -> Iterator[sqlite3.Row]:
        if job_id is None:
            return iter(self.db.execute("SELECT * FROM events ORDER BY id").fetchall())
        return iter(self.db.execute("SELECT * FROM events WHERE job_id = ? ORDER BY id", (job_id,)).fetchall())
