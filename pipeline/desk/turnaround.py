"""When each letter is due, and which are late (issue 17), as commercial dictation workflows
keep turnaround targets.

A letter is due at its sidecar's ``due`` when one was given, else its arrival plus its
priority's target: STAT 1 hour, urgent 4 hours, routine 1 working day (Monday to Friday);
the settings ``due_stat_hours``, ``due_urgent_hours`` and ``due_routine_days`` change them.
The due time is worked out when asked, not stored, so a practice that changes its targets
sees every letter against the new ones. A phone message has no letter and no due time.
"""
from __future__ import annotations

import datetime as dt

from .store import Job

OPEN = ("received", "transcribing", "analysing", "drafted", "in_review", "returned")  # not yet approved


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """``start`` plus ``days`` working days, at the same time of day (Saturday and Sunday skipped)."""
    end = start
    while days > 0:
        end += dt.timedelta(days=1)
        days -= end.weekday() < 5
    return end


def due(job: Job, settings) -> dt.datetime | None:
    received = dt.datetime.fromisoformat(job.received_at)
    if job.metadata.get("kind") == "voicemail":
        return None
    if job.due_at:
        stated = dt.datetime.fromisoformat(job.due_at)
        if len(job.due_at) == 10:  # a date alone: the end of that day
            stated = stated.replace(hour=23, minute=59)
        return stated if stated.tzinfo else stated.replace(tzinfo=received.tzinfo)
    priority = job.metadata.get("priority", "routine")
    if priority == "stat":
        return received + dt.timedelta(hours=settings.due_stat_hours)
    if priority == "urgent":
        return received + dt.timedelta(hours=settings.due_urgent_hours)
    return add_working_days(received, settings.due_routine_days)


def is_late(job: Job, settings, now: dt.datetime) -> bool:
    """Approved after its due time, or not approved and past it."""
    when = due(job, settings)
    if when is None or job.state == "failed":
        return False
    if job.approved_at:
        return dt.datetime.fromisoformat(job.approved_at) > when
    return job.state in OPEN and now > when
