"""Turnaround (issue 17, in part): each letter's due time from its priority or its sidecar,
the late letters first on the review page's queue (chromium), and the day report's
turnaround by author and by the secretary who approved, with the late letters."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from pipeline.config import Settings
from pipeline.desk import report, turnaround
from pipeline.desk.store import Store
from test_review_page import NOTE, Server, _chromium, batch_desk, review_page

FRIDAY_4PM = dt.datetime(2026, 12, 4, 16, 0).astimezone()


@pytest.mark.parametrize("meta, due", [
    ({"priority": "stat"}, FRIDAY_4PM + dt.timedelta(hours=1)),
    ({"priority": "urgent"}, FRIDAY_4PM + dt.timedelta(hours=4)),
    ({}, FRIDAY_4PM + dt.timedelta(days=3)),  # routine: one working day, over the weekend to Monday
    ({"due": "2026-12-05T09:30"}, dt.datetime(2026, 12, 5, 9, 30).astimezone()),  # the sidecar's own
    ({"kind": "voicemail"}, None),  # a phone message has no letter to be late
])
def test_due_time_from_priority_or_sidecar(tmp_path, meta, due):
    with Store(tmp_path / "jobs.sqlite3") as store:
        store.add_job("j1", "sha", "a.wav", tmp_path / "a.wav", meta, due_at=meta.get("due"))
        store.update("j1", received_at=FRIDAY_4PM.isoformat())
        assert turnaround.due(store.get("j1"), Settings()) == due


def test_a_practice_sets_its_own_targets(tmp_path):
    with Store(tmp_path / "jobs.sqlite3") as store:
        store.add_job("j1", "sha", "a.wav", tmp_path / "a.wav", {"priority": "urgent"})
        store.update("j1", received_at=FRIDAY_4PM.isoformat())
        job = store.get("j1")
    assert turnaround.due(job, Settings(due_urgent_hours=2)) == FRIDAY_4PM + dt.timedelta(hours=2)
    assert turnaround.is_late(job, Settings(), FRIDAY_4PM + dt.timedelta(hours=5))
    assert not turnaround.is_late(job, Settings(), FRIDAY_4PM + dt.timedelta(hours=3))


@pytest.fixture(scope="module")
def late_desk(tmp_path_factory, synth) -> Settings:
    """Two real drafts from `dictation batch`: one whose sidecar said it was due yesterday."""
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()

    def drop(inbox):
        audio = synth("review-note", NOTE, steady=1.0).read_bytes()
        (inbox / "jones.wav").write_bytes(audio)
        (inbox / "smith.wav").write_bytes(audio + b"\0" * 64)  # another recording: not a duplicate
        (inbox / "smith.json").write_text(json.dumps({"patient": "Ann Smith", "due": yesterday}))

    return batch_desk(tmp_path_factory.mktemp("late"), drop)


def test_late_letters_head_the_queue_and_the_report(late_desk):
    with review_page(late_desk) as (server, page):
        page.goto(server.url + "/")
        page.wait_for_selector("#rows tr")
        rows = page.locator("#rows tr")
        assert rows.count() == 2
        assert "late" in rows.nth(0).get_attribute("class") and "Ann Smith" in rows.nth(0).inner_text()
        assert "LATE, was due" in rows.nth(0).inner_text() and "LATE" not in rows.nth(1).inner_text()
        assert "2 waiting, 1 late" in page.inner_text("#count")

    from pipeline.desk import approval

    with Store(late_desk.db) as store:
        for job in store.jobs():
            approval.approve(store, late_desk, job.id, actor="jane")
        built = report.build(store, dt.date.today().isoformat(), late_desk.db, late_desk)
    assert list(built.by_approver) == ["jane"] and built.by_approver["jane"][0] == 2
    assert list(built.by_author) == ["Anna Lee"]
    [(job_id, author, due, approved)] = built.late
    assert author == "Anna Lee" and due.startswith((dt.date.today() - dt.timedelta(days=1)).isoformat())
    rows = report.to_csv(built).splitlines()
    assert rows[0].endswith(",late,error") and sum(",late," in r for r in rows[1:]) == 1


def test_who_is_on_which_letter(late_desk):
    """Two secretaries in two browsers: the first to open a letter holds it, the other sees
    her name on the queue and on the letter, and the hold is in the audit events."""
    from playwright.sync_api import sync_playwright

    from pipeline.desk.holds import Holds

    with Store(late_desk.db) as store:
        for job in store.jobs():  # the report test approved them: back in the queue
            store.update(job.id, state="drafted", approved_at=None)
    with Server(late_desk) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(_chromium()))
        pages = {}
        for name in ("Jane", "Ruth"):
            page = browser.new_context(bypass_csp=True).new_page()
            page.goto(server.url + "/")
            page.fill("#name", name)
            page.click("#me button")
            page.wait_for_function(f"document.getElementById('name').value === '{name}'")
            pages[name] = page
        jane, ruth = pages["Jane"], pages["Ruth"]
        jane.reload()
        jane.wait_for_selector("#rows a")
        assert jane.input_value("#name") == "Jane"  # kept in a cookie
        jane.click("#rows a >> nth=0")
        jane.wait_for_selector("#letter .w")
        assert jane.locator("#held").is_hidden()  # hers: nothing to say
        ruth.reload()
        ruth.wait_for_selector("#rows tr")
        assert "Jane is on it" in ruth.locator("#rows tr").nth(0).inner_text()
        ruth.click("#rows a >> nth=0")
        ruth.wait_for_selector("#held:not([hidden])")
        assert ruth.inner_text("#held") == "Jane is working on this letter."
        jane.click("#approve")
        jane.wait_for_function("document.getElementById('status').textContent === 'approved'")
        browser.close()
    with Store(late_desk.db) as store:
        held = Holds(store).current()
        assert list(held.values()) == ["Jane"]
        opened = [e for e in store.events() if e["event"] == "opened"]
        assert [(e["job_id"], e["actor"]) for e in opened] == [(next(iter(held)), "Jane")]
        approved = [e for e in store.events() if e["event"] == "approved" and e["job_id"] == next(iter(held))]
        assert approved[-1]["actor"] == "Jane"  # her name, from the page, in the audit events


BILLED = ("This is Doctor Anna Lee dictating a clinic note for patient Mary Jones. Assessment colon type 2 "
          "diabetes mellitus and hypertension period. She denies asthma period. Family history of breast cancer "
          "period. Probable pneumonia period. History of appendicitis period.")


def test_billing_codes_only_what_the_letter_confirms():
    from pipeline.desk import billing
    from pipeline.language.clinical import analyse

    codes = dict(billing.confirmed(analyse(BILLED.replace(" period", ".").replace(" colon", ":"), {},
                                           dt.date.today())))
    assert {"E11.9", "I10"} <= set(codes)  # diabetes and hypertension, confirmed
    # no asthma (negated), breast cancer (her family's), pneumonia (probable: guideline IV.H),
    # appendicitis (history: a Z87 code, not its own)
    assert not {"J45.909", "C50.919", "J18.9", "K37"} & set(codes), codes


def test_the_days_billing_sheet_from_approved_letters(tmp_path_factory, synth):
    from pipeline.cli import main
    from pipeline.desk import approval

    settings = batch_desk(tmp_path_factory.mktemp("billing"), lambda inbox: (inbox / "jones.wav").write_bytes(
        synth("billing-note", BILLED, steady=1.0).read_bytes()))
    with Store(settings.db) as store:
        [job] = store.jobs()
        approval.approve(store, settings, job.id, actor="jane")
    day = dt.date.today().isoformat()
    args = ["--inbox", str(settings.inbox), "--outbox", str(settings.outbox), "--db", str(settings.db)]
    assert main(["billing", "--day", day, *args]) == 0
    sheet = settings.outbox / "reports" / f"billing {day}.csv"
    rows = sheet.read_text().splitlines()
    assert rows[0] == "job,approved,author,patient,ICD-10-CM,condition"
    codes = {row.split(",")[4] for row in rows[1:]}
    assert {"E11.9", "I10"} <= codes and not {"J45.909", "C50.919", "J18.9", "K37"} & codes, rows
    assert all(row.startswith(f"{job.id},{day},Anna Lee,Mary Jones,") for row in rows[1:])
    assert sheet.stat().st_mode & 0o077 == 0  # readable by its owner only
