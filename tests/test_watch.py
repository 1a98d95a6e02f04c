"""End to end: dictations dropped in a real inbox, picked up by the real watcher (watchdog)
with a real SQLite job store, come out as drafts that python-docx reads back."""
from __future__ import annotations

import datetime as dt

import json
import stat
import time

import docx
import pytest
from docx.enum.text import WD_COLOR_INDEX

from conftest import wait_for, watching, words
from pipeline.config import Settings
from pipeline.records import Transcript
from pipeline.desk.watch import Service

LOW = 0.9  # high, so the test sees highlights whatever the audio


def desk(root, **kw) -> Settings:
    return Settings(inbox=root / "inbox", outbox=root / "outbox", db=root / "state" / "jobs.sqlite3",
                    settle_seconds=kw.pop("settle_seconds", 1.0), rescan_seconds=kw.pop("rescan_seconds", 5.0), **kw)


@pytest.fixture(scope="module")
def dropped(tmp_path_factory, engines, dictation_clip):
    """A watcher on a fresh inbox; drop a bad file, a hidden one, then a dictation written slowly."""
    root = tmp_path_factory.mktemp("office")
    settings = desk(root, low_confidence=LOW)
    service = Service(settings, engines("faster", "base", "int8", desk=True))
    with watching(service):
        (settings.inbox / "Smith scan.mp3").write_text("not audio at all")
        (settings.inbox / ".hidden.wav").write_bytes(dictation_clip.read_bytes())  # ignored until renamed
        data = dictation_clip.read_bytes()
        chunk = len(data) // 6 + 1
        with open(settings.inbox / "Smith dictation.wav", "wb") as fh:  # a slow copy, over about 3 s
            for i in range(0, len(data), chunk):
                fh.write(data[i : i + chunk])
                fh.flush()
                time.sleep(0.5)
        drafts = settings.outbox / "drafts"
        ok = wait_for(lambda: any(drafts.rglob("*.docx")) and any((settings.outbox / "failed").glob("*.error.txt")))
    assert ok, "no draft came out"
    return settings, service


def test_draft_reads_back(dropped):
    settings, service = dropped
    [draft] = list((settings.outbox / "drafts").rglob("*.docx"))
    assert draft.name.startswith("John Smith - Consultation - Sarah Patel - ")  # a letter thanking the referrer
    assert draft.parent.name == time.strftime("%Y-%m-%d")
    doc = docx.Document(str(draft))
    text = "\n".join(p.text for p in doc.paragraphs)
    for expected in ("chest pain", "hypertension", "blood pressure", "stress test"):
        assert expected in " ".join(words(text))
    cells = {row.cells[0].text: row.cells[1].text for row in doc.tables[0].rows}
    assert cells["Patient"] == "John Smith" and cells["Author"] == "Dr Sarah Patel"
    assert cells["Date of birth"] == "1970-03-03" and cells["Recipient"] == "Dr. Brown"
    assert cells["Appointments to schedule"].startswith("6 weeks: due ")
    assert doc.sections[0].header.paragraphs[0].text == "DRAFT — for review"

    [archive] = list((settings.outbox / "archive").glob("*/*"))
    transcript = Transcript.from_dict(json.loads((archive / "transcript.json").read_text()))
    assert (archive / "Smith dictation.wav").is_file()  # the original, archived
    props = doc.core_properties
    assert props.identifier == archive.name
    assert props.subject == "Smith dictation.wav"
    assert "engine=faster-whisper" in props.keywords and "model=base" in props.keywords
    # Exactly the letter's doubtful, corrected and possibly-unsaid words are highlighted (the
    # preamble is not part of the letter body), each passage with a comment saying why.
    from pipeline.process import language

    dictated, analysis = language(transcript, dt.date.today())
    headings = [range(s.heading_start, s.heading_end) for s in analysis.sections if s.heading.endswith(":")]
    flagged, first = set(), 0
    for segment in transcript.segments:
        if segment.flags:
            flagged |= set(range(first, first + len(segment.words)))
        first += len(segment.words)
    lit = [r.text.strip() for p in doc.paragraphs for r in p.runs if r.font.highlight_color == WD_COLOR_INDEX.YELLOW]
    doubtful = [t.text for t in dictated.tokens if t.kind == "word" and (
        t.probability < LOW or t.heard or flagged & set(t.sources)) and not any(t.char_start in h for h in headings)]
    assert lit == doubtful
    assert len(doc.comments) >= 1 and all("check" in c.text or "confirm" in c.text for c in doc.comments)
    assert draft.with_suffix(".analysis.json").is_file()
    assert (draft.with_suffix(".analysis.json").stat().st_mode & 0o777) == 0o600


def test_job_store_records_it(dropped):
    settings, service = dropped
    jobs = {j.original_name: j for j in service.store.jobs()}
    assert set(jobs) == {"Smith dictation.wav", "Smith scan.mp3"}
    good, bad = jobs["Smith dictation.wav"], jobs["Smith scan.mp3"]
    assert good.state == "drafted" and good.drafted_at and good.audio_seconds > 20
    assert good.author == "Sarah Patel"
    assert bad.state == "failed" and "cannot be read as audio" in bad.error
    events = [e["event"] for e in service.store.events(good.id)]
    assert events[:4] == ["received", "transcribing", "analysing", "drafted"]
    # The event log holds no names: neither the patient's nor the file's.
    for e in service.store.events():
        assert "Smith" not in e["detail"] and "John" not in e["detail"]


def test_bad_file_set_aside_with_reason(dropped):
    settings, _ = dropped
    failed = settings.outbox / "failed"
    assert (failed / "Smith scan.mp3").is_file()
    reason = (failed / "Smith scan.mp3.error.txt").read_text()
    assert "Smith scan.mp3" in reason and "What to do:" in reason


def test_nothing_lost_and_private(dropped):
    settings, _ = dropped
    assert sorted(p.name for p in settings.inbox.iterdir()) == [".hidden.wav", ".work", "phone"]
    assert not any((settings.inbox / ".work").iterdir())
    for path in [*settings.outbox.rglob("*"), settings.db, settings.db.parent]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, (path, oct(mode))


def test_no_speech_is_failed_not_an_empty_letter(tmp_path, engines):
    import wave

    import numpy as np

    settings = desk(tmp_path, settle_seconds=0.2)
    settings.inbox.mkdir()
    noise = (np.random.default_rng(0).normal(0, 0.01, 16000 * 4) * 32767).astype(np.int16)
    with wave.open(str(settings.inbox / "hiss.wav"), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16000)
        wav.writeframes(noise.tobytes())
    summary = Service(settings, engines("faster", "base", "int8", desk=True)).batch(progress=False)
    assert summary.failed == 1 and summary.drafted == 0 and not (settings.outbox / "drafts").exists()
    assert "no speech" in (settings.outbox / "failed" / "hiss.wav.error.txt").read_text()


def test_secretary_approves_by_moving_her_edited_draft(dropped):
    """Edit the draft in Word (python-docx here), move it into outbox/approved/: a running
    watcher makes the final letter and its FHIR record, and logs who approved it."""
    from fhir.resources.R4B.documentreference import DocumentReference

    settings, service = dropped
    [draft] = list((settings.outbox / "drafts").rglob("*.docx"))
    job = next(j for j in service.store.jobs() if j.state == "drafted")
    archive = settings.outbox / "archive" / draft.parent.name / job.id
    preliminary = DocumentReference.model_validate_json((archive / "document-reference.json").read_text())
    assert preliminary.docStatus == "preliminary" and preliminary.status == "current"

    doc = docx.Document(str(draft))
    body = next(p for p in doc.paragraphs if "referring" in p.text)
    body.add_run(" Seen with his wife.")  # the secretary's edit
    approved = settings.outbox / "approved"
    approved.mkdir(exist_ok=True)
    doc.save(approved / draft.name)
    draft.unlink()  # moved, as Explorer would

    day = approved / draft.parent.name
    with watching(Service(settings, service.engine)):
        ok = wait_for(lambda: (day / draft.name).is_file() and (day / draft.name).with_suffix(".fhir.json").is_file(),
                      timeout=60)
    assert ok, "the moved draft was not approved"
    final = docx.Document(str(day / draft.name))
    text = "\n".join(p.text for p in final.paragraphs)
    assert "Seen with his wife." in text and "For the secretary" not in text
    assert not [r for p in final.paragraphs for r in p.runs if r.font.highlight_color is not None]
    assert len(final.comments) == 0 and final.core_properties.content_status == "Final"
    record = DocumentReference.model_validate_json((day / draft.name).with_suffix(".fhir.json").read_text())
    assert record.status == "current" and record.docStatus == "final" and record.content[0].attachment.size > 0
    assert record.type.coding[0].code == "11488-4" and record.subject.display == "John Smith"
    assert not (approved / draft.name).exists()  # the moved copy became the final letter
    assert (archive / "draft.docx").is_file()  # the draft as the machine wrote it, kept
    job = service.store.get(job.id)
    assert job.state == "approved" and job.approved_at and job.final_path == str(day / draft.name)
    events = list(service.store.events(job.id))
    assert events[-1]["event"] == "approved" and events[-1]["component"] == "review"
