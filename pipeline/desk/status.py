"""The queue as ``dictation status`` prints it: jobs per state, the work not yet done, the inbox."""
from __future__ import annotations

import datetime as dt
from collections import Counter

from ..config import Settings
from .store import ACTIVE, Store

SHOWN = ("drafted", "in_review", "returned")  # besides the active states: waiting for a person


def queue_text(settings: Settings) -> str:
    with Store(settings.db) as store:
        jobs = store.jobs()
    counts = Counter(j.state for j in jobs)
    lines = ["  ".join(f"{state.replace('_', ' ')}: {n}" for state, n in counts.items()) or "no jobs yet"]
    queue = [j for j in jobs if j.state in ACTIVE or j.state in SHOWN]
    if queue:
        now = dt.datetime.now().astimezone()
        lines += ["", f"{'job':24s} {'state':13s} {'priority':8s} {'age':>7s} {'tries':>5s}  author / type"]
        for j in queue:
            age = now - dt.datetime.fromisoformat(j.received_at)
            hours, rest = divmod(int(age.total_seconds()), 3600)
            lines.append(f"{j.id:24s} {j.state:13s} {'URGENT' if j.priority else 'routine':8s} "
                         f"{hours:4d}:{rest // 60:02d} {j.attempts:5d}  {j.author or '-'} / {j.letter_type or '-'}")
    inbox = settings.inbox
    waiting = [p for p in inbox.iterdir() if p.is_file() and not p.name.startswith(".")] if inbox.is_dir() else []
    lines += ["", f"{len(waiting)} file(s) in the inbox not yet taken"]
    return "\n".join(lines)
