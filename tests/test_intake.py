"""Intake and the job store: exactly once, duplicates, sidecars, queue order, retries, report."""
from __future__ import annotations

import csv
import errno
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import threading
import time

import docx
import pytest

from conftest import distinct_copies, wait_for, watching
from pipeline.desk import outbox as ob
from pipeline.config import Settings
from pipeline.desk.intake import Intake
from pipeline.desk.store import Store
from pipeline.desk.watch import Service

TINY = dict(model="tiny.en")


def desk(root, **kw) -> Settings:
    return Settings(inbox=root / "inbox", outbox=root / "outbox", db=root / "jobs.sqlite3",
                    settle_seconds=kw.pop("settle_seconds", 0.2), **TINY, **kw)


def service(settings, engines):
    return Service(settings, engines("faster", "tiny.en", "int8", desk=True))


def test_two_hundred_files_at_once(tmp_path, engines, short_clip):
    settings = desk(tmp_path)
    settings.inbox.mkdir(parents=True)
    names = [f"dictation {i:03d}.wav" for i in range(200)]
    distinct_copies(short_clip, settings.inbox, names)
    svc = service(settings, engines)
    summary = svc.batch(progress=False)
    assert (summary.drafted, summary.failed, summary.waiting) == (200, 0, 0)
    jobs = svc.store.jobs()
    assert sorted(j.original_name for j in jobs) == names
    assert len(list((settings.outbox / "drafts").rglob("*.docx"))) == 200
    assert len({j.draft_path for j in jobs}) == 200
    archived = sorted(p.name for p in (settings.outbox / "archive").rglob("*.wav"))
    assert archived == names
    assert sorted(p.name for p in settings.inbox.iterdir()) == [".work", "phone"]  # phone: the voicemail folder


def test_same_recording_twice_is_one_job(tmp_path, engines, short_clip):
    settings = desk(tmp_path)
    settings.inbox.mkdir(parents=True)
    shutil.copyfile(short_clip, settings.inbox / "first.wav")
    shutil.copyfile(short_clip, settings.inbox / "again.wav")
    svc = service(settings, engines)
    summary = svc.batch(progress=False)
    [job] = svc.store.jobs()
    assert job.state == "drafted" and summary.drafted == 1
    reason = (settings.outbox / "failed" / f"{'again' if job.original_name == 'first.wav' else 'first'}.wav.error.txt").read_text()
    assert "already received" in reason and job.id in reason
    assert [e["event"] for e in svc.store.events(job.id)].count("duplicate") == 1
    # Dropped again the next day: still one job, still one letter.
    shutil.copyfile(short_clip, settings.inbox / "third.wav")
    svc.batch(progress=False)
    assert len(svc.store.jobs()) == 1 and len(list((settings.outbox / "drafts").rglob("*.docx"))) == 1


def test_sidecar_and_stat_first(tmp_path, engines, short_clip):
    settings = desk(tmp_path, workers=1)
    settings.inbox.mkdir(parents=True)
    paths = distinct_copies(short_clip, settings.inbox, ["a routine.wav", "b routine.wav", "c urgent.wav"])
    now = time.time()
    for i, p in enumerate(paths):  # routine ones arrived first
        os.utime(p, (now - 100 + i, now - 100 + i))
    (settings.inbox / "c urgent.yaml").write_text(
        "patient: Maria Garcia\nauthor: Lee Wong\ndob: 1950-01-31\nmrn: '0012345'\nletter_type: Referral letter\n"
        "recipient: Dr Brown\npriority: STAT\n")
    (settings.inbox / "b routine.json").write_text(json.dumps({"patient": "Tom Jones", "priority": "routine"}))
    svc = service(settings, engines)
    svc.batch(progress=False)
    jobs = {j.original_name: j for j in svc.store.jobs()}
    urgent = jobs["c urgent.wav"]
    assert urgent.priority == 1 and urgent.metadata["mrn"] == "0012345" and urgent.metadata["dob"] == "1950-01-31"
    order = sorted(jobs.values(), key=lambda j: j.drafted_at)
    assert order[0].original_name == "c urgent.wav"  # STAT first, then first in, first out
    assert [j.original_name for j in order[1:]] == ["a routine.wav", "b routine.wav"]
    assert os.path.basename(urgent.draft_path).startswith("Maria Garcia - Referral letter - Lee Wong - ")
    assert os.path.basename(jobs["b routine.wav"].draft_path).startswith("Tom Jones - ")
    assert (settings.outbox / "archive").rglob("c urgent.yaml")


@pytest.mark.parametrize("content,phrase", [
    ("priority: whenever\n", "priority 'whenever' is unknown"),
    ("patient: [1, 2]\n", "'patient' must be text"),
    ("dob: 31/01/1950\n", "'dob' is not a date"),
    ("pateint: Ann\n", "unknown field 'pateint'"),
    ("patient: 'Ann\n", "not valid YAML"),
])
def test_bad_sidecar_fails_with_reason(tmp_path, engines, short_clip, content, phrase):
    settings = desk(tmp_path)
    settings.inbox.mkdir(parents=True)
    shutil.copyfile(short_clip, settings.inbox / "visit.wav")
    (settings.inbox / "visit.yaml").write_text(content)
    svc = service(settings, engines)
    assert svc.batch(progress=False).failed == 1
    reason = (settings.outbox / "failed" / "visit.wav.error.txt").read_text()
    assert phrase in reason and "visit.yaml" in reason and "What to do:" in reason
    assert (settings.outbox / "failed" / "visit.yaml").is_file()


def test_bad_inputs_end_in_failed(tmp_path, engines, short_clip):
    settings = desk(tmp_path)
    settings.inbox.mkdir(parents=True)
    (settings.inbox / "empty.wav").write_bytes(b"")
    (settings.inbox / "notes.txt").write_text("call back Tuesday")
    (settings.inbox / "renamed text.m4a").write_text("this was a text file\n" * 20)
    data = short_clip.read_bytes()
    # a WAV header over noise; seeded: some noise Whisper hears as words, and a test must not draw lots
    (settings.inbox / "corrupt.wav").write_bytes(data[:44] + random.Random(7).randbytes(len(data) - 44))
    svc = service(settings, engines)
    summary = svc.batch(progress=False)
    assert summary.failed == 4 and summary.drafted == 0
    failed = settings.outbox / "failed"
    for name in ("empty.wav", "notes.txt", "renamed text.m4a", "corrupt.wav"):
        assert (failed / name).is_file()
        assert "What to do:" in (failed / f"{name}.error.txt").read_text()
    cli = subprocess.run([sys.executable, "-m", "pipeline.cli", "batch", "--inbox", str(settings.inbox), "--outbox",
                          str(settings.outbox), "--db", str(settings.db), "--model", "tiny.en", "--quiet"],
                         capture_output=True, text=True)
    assert cli.returncode == 0 and "0 drafted, 0 failed" in cli.stdout  # nothing new
    (settings.inbox / "bad.wav").write_bytes(b"RIFF")
    cli = subprocess.run(cli.args, capture_output=True, text=True)
    assert cli.returncode == 1 and "1 failed" in cli.stdout


def test_transient_error_is_retried(tmp_path, engines, short_clip, monkeypatch):
    """A full disk cannot be caused for real here, so a fake raises ENOSPC on the first
    draft write; the job must be retried with backoff and then succeed."""
    settings = desk(tmp_path)
    settings.inbox.mkdir(parents=True)
    shutil.copyfile(short_clip, settings.inbox / "visit.wav")
    real_write = ob.write_atomic
    calls = {"n": 0}

    def flaky(path, data):
        if path.suffix == ".docx" and calls["n"] == 0:
            calls["n"] += 1
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(path, data)

    monkeypatch.setattr(ob, "write_atomic", flaky)
    monkeypatch.setattr("pipeline.desk.worker.BACKOFF_SECONDS", (0.5,))
    svc = service(settings, engines)
    summary = svc.batch(progress=False)
    [job] = svc.store.jobs()
    assert summary.drafted == 1 and job.state == "drafted"
    events = [e["event"] for e in svc.store.events(job.id)]
    assert "retry scheduled" in events and events[-1] == "drafted"
    assert len(list((settings.outbox / "drafts").rglob("*.docx"))) == 1


def test_event_log_is_append_only(tmp_path):
    store = Store(tmp_path / "jobs.sqlite3")
    store.log(None, "started", "test")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.db.execute("UPDATE events SET event = 'x'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.db.execute("DELETE FROM events")
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_idle_workers_wait_while_another_works(tmp_path):
    """While a job is worked on, the others' next look at the store is when its lease runs
    out (or a retry falls due), never 'now': idle workers once polled without pause."""
    store = Store(tmp_path / "jobs.sqlite3")
    assert store.next_retry_in() is None
    store.add_job("a", "0" * 64, "a.wav", tmp_path / "a.wav", {})
    assert store.next_retry_in() is None  # due now: take_next has it
    assert store.take_next() is not None and store.take_next() is None
    assert store.next_retry_in() > 60  # leased: nothing for an idle worker until the lease ends
    store.update("a", "retry scheduled", next_attempt_at=time.time() + 5, lease_owner=None, lease_until=None)
    assert 3 < store.next_retry_in() <= 5


def test_orphaned_claim_is_recovered(tmp_path, short_clip):
    """A claimant killed between the rename and the insert leaves a folder with no job."""
    settings = desk(tmp_path)
    store = Store(settings.db)
    intake = Intake(settings.inbox, settings.outbox, store)
    orphan = intake.work / "20260101-000000-abcdef"
    orphan.mkdir()
    shutil.copyfile(short_clip, orphan / "lost.wav")
    intake.recover()
    assert store.jobs() == []  # too fresh: a live watcher may be registering it
    old = time.time() - 120
    os.utime(orphan, (old, old))
    intake.recover()
    [job] = store.jobs()
    assert job.id == orphan.name and job.original_name == "lost.wav" and job.state == "received"


def test_claim_of_a_dead_process_is_taken_over_at_once(tmp_path, short_clip):
    """A batch run straight after a crash: the claimant's host:pid says it is dead, so its
    folder is registered now, not after the grace a live watcher would need."""
    import socket

    from pipeline.desk.intake import CLAIM_MARK

    settings = desk(tmp_path)
    store = Store(settings.db)
    intake = Intake(settings.inbox, settings.outbox, store)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a process that has exited: its pid is free
    for name, claimant in (("20260101-000000-aaaaaa", f"{socket.gethostname()}:{gone.pid}"),
                           ("20260101-000000-bbbbbb", f"{socket.gethostname()}:{os.getpid()}")):
        folder = intake.work / name
        folder.mkdir()
        (folder / CLAIM_MARK).write_text(claimant)
        shutil.copyfile(short_clip, folder / f"{name}.wav")
    intake.recover()
    [job] = store.jobs()  # the live claimant's folder waits for its owner
    assert job.id == "20260101-000000-aaaaaa" and job.state == "received"
    assert not (intake.work / job.id / CLAIM_MARK).exists()


def test_a_second_process_opening_the_database_mid_migration(tmp_path):
    """Two watchers started together on a database that needs new columns: one adds them while
    the other opens it. The second must wait and find them, not add them again ("duplicate
    column name" killed it at start-up). A raw connection holds the first's migration open."""
    import threading

    path = tmp_path / "jobs.sqlite3"
    Store(path).close()
    old = sqlite3.connect(path, isolation_level=None)
    for column in ("review_note", "final_path"):  # an older database, as a previous release made it
        old.execute(f"ALTER TABLE jobs DROP COLUMN {column}")
    old.execute("BEGIN IMMEDIATE")  # the first watcher's migration, not yet committed
    old.execute("ALTER TABLE jobs ADD COLUMN review_note TEXT")
    old.execute("ALTER TABLE jobs ADD COLUMN final_path TEXT")
    errors = []

    def second():
        try:
            Store(path).close()
        except sqlite3.Error as err:
            errors.append(err)

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(1.0)  # the second opener is now waiting on the first's lock
    old.execute("COMMIT")
    thread.join(timeout=60)
    assert errors == []
    columns = {row[1] for row in sqlite3.connect(path).execute("PRAGMA table_info(jobs)")}
    assert {"review_note", "final_path"} <= columns


def test_two_watchers_never_double_process(tmp_path, short_clip):
    settings = desk(tmp_path)
    settings.inbox.mkdir(parents=True)
    cmd = [sys.executable, "-m", "pipeline.cli", "watch", "--inbox", str(settings.inbox), "--outbox",
           str(settings.outbox), "--db", str(settings.db), "--model", "tiny.en", "--settle", "0.3"]
    watchers = [subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        # Files arrive once both watch (models loaded, language stage warmed up): with a fixed
        # sleep, the faster starter could draft all 30 before the other began.
        for w in watchers:
            for line in w.stderr:
                if "watching the inbox" in line:
                    break
            threading.Thread(target=w.stderr.read, daemon=True).start()  # keep the pipe drained
        names = [f"visit {i:02d}.wav" for i in range(30)]
        distinct_copies(short_clip, settings.inbox, names)
        store = Store(settings.db)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if sum(j.state == "drafted" for j in store.jobs()) == 30:
                break
            time.sleep(0.5)
    finally:
        for w in watchers:
            w.kill()
            w.wait()
    jobs = store.jobs()
    assert sorted(j.original_name for j in jobs) == names and all(j.state == "drafted" for j in jobs)
    actors = set()
    for job in jobs:
        started = [e for e in store.events(job.id) if e["event"] == "transcribing"]
        assert len(started) == 1, job.id
        actors.add(started[0]["actor"])
    assert len(actors) == 2  # both watchers worked
    assert len(list((settings.outbox / "drafts").rglob("*.docx"))) == 30


@pytest.mark.skipif(sys.platform != "linux", reason="inotify reports closes; elsewhere the settle interval applies")
def test_a_closed_copy_is_taken_without_waiting_out_the_settle(tmp_path, engines, short_clip):
    """A recording still open for writing waits the settle interval (30 s here) however long
    it sits unchanged; once its writer closes it, the watcher takes it within a moment."""
    settings = desk(tmp_path, settle_seconds=30.0)
    path, data = settings.inbox / "Jones dictation.wav", short_clip.read_bytes()
    with watching(service(settings, engines)):
        with open(path, "wb") as fh:
            fh.write(data[: len(data) // 2])
            fh.flush()
            time.sleep(3.0)
            assert path.exists(), "a file still being written was taken"
            fh.write(data[len(data) // 2 :])
        closed = time.monotonic()
        assert wait_for(lambda: not path.exists(), timeout=20)
        taken = time.monotonic() - closed
        assert wait_for(lambda: any((settings.outbox / "drafts").rglob("*.docx")), timeout=120)
    assert taken < 5.0, f"taken {taken:.1f} s after the close, as if it had waited out the settle"


def test_report_matches_the_jobs(tmp_path, engines, short_clip):
    settings = desk(tmp_path)
    settings.inbox.mkdir(parents=True)
    distinct_copies(short_clip, settings.inbox, ["one.wav", "two.wav", "three.wav"])
    (settings.inbox / "three.json").write_text('{"author": "Lee Wong"}')
    (settings.inbox / "broken.mp3").write_text("nope")
    svc = service(settings, engines)
    svc.batch(progress=False)
    day = time.strftime("%Y-%m-%d")
    out = subprocess.run([sys.executable, "-m", "pipeline.cli", "report", "--day", day, "--outbox", str(settings.outbox),
                          "--db", str(settings.db)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    docx_path = settings.outbox / "reports" / f"dictation report {day}.docx"
    csv_path = settings.outbox / "reports" / f"dictation report {day}.csv"
    rows = list(csv.DictReader(csv_path.open()))
    jobs = svc.store.jobs()
    assert sorted(r["job"] for r in rows) == sorted(j.id for j in jobs)
    assert sum(r["state"] == "drafted" for r in rows) == 3 and sum(r["state"] == "failed" for r in rows) == 1
    minutes = sum(float(r["audio minutes"]) for r in rows)
    assert minutes == pytest.approx(sum(j.audio_seconds or 0 for j in jobs) / 60, abs=0.02) and minutes > 0
    doc = docx.Document(str(docx_path))
    tables = {t.rows[0].cells[0].text: [[c.text for c in r.cells] for r in t.rows[1:]] for t in doc.tables}
    assert dict(tables["state"])["drafted"] == "3" and dict(tables["state"])["failed"] == "1"
    assert dict(tables["author"])["Lee Wong"] == "1"
    turnaround = {r[0]: r for r in tables["span"]}
    assert turnaround["received → drafted"][1] == "3"
    [failure] = tables["job"]
    assert failure[1] == "broken.mp3" and "What to do:" in failure[2]
    status = subprocess.run([sys.executable, "-m", "pipeline.cli", "status", "--inbox", str(settings.inbox),
                             "--db", str(settings.db)], capture_output=True, text=True)
    assert "drafted: 3" in status.stdout and "failed: 1" in status.stdout
