"""The end-of-day report for the practice manager: `.docx` to read, `.csv` to sort.

Counts the jobs received on the day (dictations and scanned notes): per state and per author, audio minutes,
turnaround (received -> drafted, drafted -> approved, received -> approved) with median
and worst, every failure with its reason, and each author's correction rate (words the
secretaries changed per 100 words of draft, on the day and over the last 7 and 30 days,
from ``pipeline/learning``): the figure that shows whether the drafts are getting better.
Also received → approved by author and by the secretary who approved, and the letters late
against their due time (``turnaround.py``).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from docx import Document

from ..ocr.pages import is_scan
from . import outbox as ob
from .store import STATES, Job, Store


def _minutes(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    return (dt.datetime.fromisoformat(end) - dt.datetime.fromisoformat(start)).total_seconds() / 60


@dataclass(frozen=True)
class DayReport:
    day: str
    jobs: list[Job]
    per_state: dict[str, int]
    per_author: dict[str, int]
    audio_minutes: float
    scans: int  # scanned notes among the jobs (the rest are dictations)
    turnaround: dict[str, tuple[int, float, float] | None]  # name -> (count, median, worst) in minutes
    failures: list[tuple[str, str, str]]  # (job id, file, reason)
    # (author, letters approved on the day, changed per 100 words: the day, last 7 days, last 30 days)
    corrections: list[tuple[str, int, str, str, str]] = ()
    messages: dict[str, int] | None = None  # phone messages of the day by reason
    urgent_messages: int = 0
    unanswered: int = 0  # still open
    to_callback: tuple[int, float, float] | None = None  # arrival → first action: (count, median, worst) minutes
    # received → approved by author and by the secretary who approved: name -> (letters, median, worst) minutes
    by_author: dict[str, tuple[int, float, float]] | None = None
    by_approver: dict[str, tuple[int, float, float]] | None = None
    late: list[tuple[str, str, str, str]] = ()  # (job, author, due, approved or "not yet")


def _spread(values: list[float]) -> tuple[int, float, float]:
    return len(values), statistics.median(values), max(values)


def _turnaround(store: Store, jobs: list[Job], settings) -> tuple[dict, dict, list]:
    """Received → approved by author and by approver, and the letters late against their due time."""
    from . import turnaround

    approvers = dict(store.db.execute("SELECT job_id, actor FROM events WHERE event = 'approved' ORDER BY id"))
    authors: dict[str, list[float]] = {}
    approving: dict[str, list[float]] = {}
    for j in jobs:
        if (minutes := _minutes(j.received_at, j.approved_at)) is not None:
            authors.setdefault(j.author or "not stated", []).append(minutes)
            approving.setdefault(approvers.get(j.id) or "not recorded", []).append(minutes)
    now = dt.datetime.now().astimezone()
    late = [(j.id, j.author or "not stated", turnaround.due(j, settings).isoformat(timespec="minutes"),
             j.approved_at[:16] if j.approved_at else "not yet") for j in jobs if turnaround.is_late(j, settings, now)]
    return ({a: _spread(v) for a, v in sorted(authors.items())}, {a: _spread(v) for a, v in sorted(approving.items())},
            late)


def correction_rates(db: Path, day: str) -> list[tuple[str, int, str, str, str]]:
    from ..learning.store import PracticeStore, practice_path

    if not practice_path(db).is_file():
        return []
    end = dt.date.fromisoformat(day)
    periods = [day, (end - dt.timedelta(days=6)).isoformat(), (end - dt.timedelta(days=29)).isoformat()]
    with PracticeStore(db) as store:
        rates = [{a: (n, words, changed) for a, n, words, changed in store.correction_rates(since, day)}
                 for since in periods]
    rows = []
    for author in sorted(set().union(*rates)):
        cells = [f"{100 * r[author][2] / r[author][1]:.1f}" if author in r and r[author][1] else "–" for r in rates]
        rows.append((author or "not stated", rates[0].get(author, (0,))[0], *cells))
    return rows


def build(store: Store, day: str, db: Path | None = None, settings=None) -> DayReport:
    """``db``: the job database, beside which the practice's learning keeps the correction rates;
    ``settings``: the turnaround targets (the defaults without)."""
    from ..config import Settings
    jobs = store.jobs("substr(received_at, 1, 10) = ?", (day,))
    spans = {
        "received → drafted": [_minutes(j.received_at, j.drafted_at) for j in jobs],
        "drafted → approved": [_minutes(j.drafted_at, j.approved_at) for j in jobs],
        "received → approved": [_minutes(j.received_at, j.approved_at) for j in jobs],
    }
    turnaround = {}
    for name, values in spans.items():
        values = [v for v in values if v is not None]
        turnaround[name] = _spread(values) if values else None
    states = Counter(j.state for j in jobs)
    from .messages import Messages

    phoned = Messages(store).listed(open_only=False, day=day)
    waits = [w for w in (_minutes(m.received_at, m.called_at) for m in phoned) if w is not None]
    by_author, by_approver, late = _turnaround(store, jobs, settings or Settings())
    return DayReport(
        day=day,
        jobs=jobs,
        per_state={s: states.get(s, 0) for s in STATES},
        per_author=dict(sorted(Counter(j.author or "not stated" for j in jobs).items())),
        audio_minutes=sum(j.audio_seconds or 0 for j in jobs) / 60,
        scans=sum(1 for j in jobs if is_scan(Path(j.original_name))),
        turnaround=turnaround,
        failures=[(j.id, j.original_name, (j.error or "").strip()) for j in jobs if j.state == "failed"],
        corrections=correction_rates(db, day) if db else [],
        messages=dict(sorted(Counter(m.message.reason for m in phoned).items())),
        urgent_messages=sum(m.message.urgent for m in phoned),
        unanswered=sum(m.status == "open" for m in phoned),
        to_callback=_spread(waits) if waits else None,
        by_author=by_author, by_approver=by_approver, late=late,
    )


def to_csv(report: DayReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["job", "file", "state", "priority", "author", "letter type", "audio minutes",
                     "received", "drafted", "approved", "minutes to draft", "late", "error"])
    late = {job_id for job_id, *_ in report.late}
    for j in report.jobs:
        to_draft = _minutes(j.received_at, j.drafted_at)
        writer.writerow([j.id, j.original_name, j.state, "urgent" if j.priority else "routine", j.author or "",
                         j.letter_type or "", f"{(j.audio_seconds or 0) / 60:.2f}", j.received_at, j.drafted_at or "",
                         j.approved_at or "", "" if to_draft is None else f"{to_draft:.1f}",
                         "late" if j.id in late else "", (j.error or "").replace("\n", " ")])
    return out.getvalue()


def to_docx(report: DayReport) -> bytes:
    doc = Document()
    doc.add_heading(f"Dictation report for {report.day}", level=1)
    dictations = len(report.jobs) - report.scans - sum((report.messages or {}).values())
    scanned = f" and {report.scans} scanned note{'s' if report.scans != 1 else ''}" if report.scans else ""
    doc.add_paragraph(f"{dictations} dictations{scanned} received, {report.audio_minutes:.1f} minutes of audio.")

    def table(title: str, header: tuple[str, ...], rows: list[tuple]):
        doc.add_heading(title, level=2)
        t = doc.add_table(rows=1, cols=len(header))
        t.style = "Table Grid"
        for cell, text in zip(t.rows[0].cells, header):
            cell.text = text
        for row in rows:
            for cell, value in zip(t.add_row().cells, row):
                cell.text = str(value)

    table("Jobs by state", ("state", "jobs"), [(s.replace("_", " "), n) for s, n in report.per_state.items()])
    table("Jobs by author", ("author", "jobs"), list(report.per_author.items()))
    table("Turnaround (minutes)", ("span", "jobs", "median", "worst"),
          [(name, *(f"{x:.1f}" if isinstance(x, float) else x for x in value)) if value else (name, 0, "–", "–")
           for name, value in report.turnaround.items()])
    for title, rows in (("Received → approved by author (minutes)", report.by_author),
                        ("Received → approved by the secretary who approved (minutes)", report.by_approver)):
        if rows:
            table(title, ("who", "letters", "median", "worst"),
                  [(name, n, f"{median:.1f}", f"{worst:.1f}") for name, (n, median, worst) in rows.items()])
    table("Late letters", ("job", "author", "was due", "approved"), report.late)
    table("Failures", ("job", "file", "reason"), report.failures)
    if report.messages:
        waited = (f"; from arrival to callback: median {report.to_callback[1]:.0f} min, worst "
                  f"{report.to_callback[2]:.0f} min ({report.to_callback[0]} answered)") if report.to_callback else ""
        doc.add_heading("Phone messages", level=2)
        doc.add_paragraph(f"{sum(report.messages.values())} messages, {report.urgent_messages} urgent, "
                          f"{report.unanswered} not yet answered{waited}.")
        table("Phone messages by reason", ("reason", "messages"), list(report.messages.items()))
    if report.corrections:
        table("Corrections by author (words changed per 100 words of draft)",
              ("author", "approved on the day", "the day", "last 7 days", "last 30 days"), report.corrections)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def write(store: Store, outbox: Path, day: str, db: Path | None = None, settings=None) -> tuple[Path, Path]:
    report = build(store, day, db, settings)
    folder = outbox / "reports"
    docx_path = ob.write_atomic(folder / f"dictation report {day}.docx", to_docx(report))
    csv_path = ob.write_atomic(folder / f"dictation report {day}.csv", to_csv(report))
    return docx_path, csv_path


def write_day(settings, day: str) -> tuple[Path, Path]:
    """The day's report for the desk these settings name (its job database and outbox)."""
    with Store(settings.db) as store:
        return write(store, settings.outbox, day, settings.db, settings)
