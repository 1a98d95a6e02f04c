"""Scanned notes: real OCR (RapidOCR's bundled models) on real scanned pages with ground truth,
and on clinical pages rendered here from text written in this file, degraded like a cheap scan
or a fax (skew, blur, sensor noise, 150 dpi), as PNG and as scanned PDF."""
from __future__ import annotations

import csv
import json
import datetime as dt
import gzip
import io
import socket
import stat
from pathlib import Path

import docx
import pytest
from PIL import Image

import scans
from scans import found
from conftest import need_shared, wait_for, watching
from pipeline import process
from pipeline.cli import main
from pipeline.config import Settings
from pipeline.ocr import read as ocr
from pipeline.ocr.reader import Reader
from pipeline.records import ScanLimits, Transcript
from pipeline.desk.store import Store

NOTE = [
    "Patient: Margaret Ellison    DOB: 04/12/1948    MRN: 5521907",
    "CHIEF COMPLAINT: Shortness of breath on exertion for three weeks.",
    "HISTORY OF PRESENT ILLNESS: The patient is a 76-year-old woman with hypertension and type 2 diabetes "
    "mellitus who reports worsening dyspnea when climbing stairs. She denies chest pain. No fever or cough.",
    "MEDICATIONS: Lisinopril 20 mg daily, metformin 1000 mg twice daily, atorvastatin 40 mg at bedtime, "
    "and furosemide 20 mg daily.",
    "PHYSICAL EXAMINATION: Blood pressure 148/86, pulse 92, oxygen saturation 94% on room air. Bibasilar "
    "crackles. Mild pitting edema of both ankles.",
    "ASSESSMENT: Probable congestive heart failure with preserved ejection fraction.",
    "PLAN: Echocardiogram. Increase furosemide to 40 mg daily. Check basic metabolic panel in one week. "
    "Follow up in two weeks.",
]
SECTIONS = {"chief_complaint", "history_of_present_illness", "medications", "physical_examination",
            "assessment", "plan"}
DRUGS = {"lisinopril", "metformin", "atorvastatin", "furosemide"}


@pytest.fixture(scope="session")
def reader() -> Reader:
    return Reader()


@pytest.fixture(scope="module")
def note_page() -> Image.Image:
    return scans.render_page(NOTE)


def read(path: Path, reader: Reader) -> Transcript:
    pages: list[int] = []
    transcript = ocr.read_file(path, lambda: reader, ScanLimits(), on_page=lambda number, image: pages.append(number))
    assert pages == list(range(1, transcript.pages + 1))  # every page handed on, in order
    return transcript


# -- real scanned pages with ground truth (../shared/data/ocr) ---------------------------------
PAGES = ["phototest.tif", "phototest-rotated-180.png", "phototest-rotated-L.png", "phototest-rotated-R.png",
         "eurotext.tif"]


@pytest.mark.parametrize("name", PAGES)
def test_shared_page_characters(name, reader):
    image = need_shared("ocr", name)
    truth = image.with_name(image.name.rsplit(".", 1)[0] + ".gt.txt").read_text(encoding="utf-8")
    transcript = read(image, reader)
    accuracy = scans.char_accuracy(truth, ocr.reading(transcript))
    assert accuracy >= 0.98, (name, accuracy, ocr.reading(transcript))
    turned = transcript.settings["pages"][0]["rotated"]
    assert turned == {"phototest-rotated-180.png": 180, "phototest-rotated-L.png": 270,
                      "phototest-rotated-R.png": 90}.get(name, 0)


@pytest.mark.parametrize("stem", ["8071_093.3B", "8087_054.3B"])
def test_shared_magazine_page_zones(stem, reader, tmp_path):
    """The UNLV pages' truth covers only their text zones, in zone order: each zone is cropped,
    read, and the readings joined (the data set's README prescribes this for a fair score)."""
    image = need_shared("ocr", f"{stem}.tif")
    truth = image.with_name(f"{stem}.gt.txt").read_text(encoding="utf-8")
    page = Image.open(image).convert("RGB")
    parts = []
    for k, zone in enumerate(scans.zones(image.with_name(f"{stem}.uzn"))):
        crop = tmp_path / f"zone-{k}.png"
        page.crop(zone).save(crop)
        parts.append(ocr.reading(read(crop, reader)))
    accuracy = scans.char_accuracy(truth, "\n".join(parts))
    assert accuracy >= 0.98, (stem, accuracy)


def test_two_columns_read_column_by_column(reader):
    """Whole magazine page: the columns are not interleaved line by line (0.25 before the
    column split; the remainder is text outside the truth's zones, such as captions)."""
    image = need_shared("ocr", "8071_093.3B.tif")
    truth = image.with_name("8071_093.3B.gt.txt").read_text(encoding="utf-8")
    assert scans.char_accuracy(truth, ocr.reading(read(image, reader))) >= 0.9


# -- clinical pages rendered here ---------------------------------------------------------------
def test_degraded_clinical_page_as_png(note_page, reader, tmp_path):
    path = tmp_path / "faxed note.png"
    scans.degrade(note_page, angle=1.5).save(path)
    transcript = read(path, reader)
    assert scans.char_accuracy("\n".join(NOTE), ocr.reading(transcript)) >= 0.97
    assert abs(transcript.settings["pages"][0]["deskewed"]) > 0.5  # the skew was seen and corrected
    sections, drugs = found(transcript)
    assert SECTIONS <= sections and DRUGS <= drugs
    word = next(w for w in transcript.words if w.text.strip().startswith("Lisinopril"))
    left, top, right, bottom = word.box  # where the page shows it: after "MEDICATIONS:", upper third
    assert word.page == 1 and 0.2 < left < right < 0.45 and 0.15 < top < bottom < 0.4


def test_degraded_sideways_clinical_page_as_scanned_pdf(note_page, reader, tmp_path):
    """A page fed into the scanner sideways, then skewed, blurred and noisy, in an image-only PDF."""
    path = tmp_path / "scanned note.pdf"
    scans.degrade(note_page.rotate(90, expand=True), angle=-1.0).convert("RGB").save(path, resolution=150)
    transcript = read(path, reader)
    assert transcript.settings["pages"][0]["rotated"] == 270
    assert scans.char_accuracy("\n".join(NOTE), ocr.reading(transcript)) >= 0.97
    sections, drugs = found(transcript)
    assert SECTIONS <= sections and DRUGS <= drugs


def test_upside_down_multipage_tiff(note_page, reader, tmp_path):
    path = tmp_path / "two pages.tif"
    second = scans.render_page(["PLAN: Recheck hemoglobin A1c in three months."])
    note_page.rotate(180).save(path, save_all=True, append_images=[second], compression="tiff_deflate")
    transcript = read(path, reader)
    assert transcript.pages == 2 and [p["rotated"] for p in transcript.settings["pages"]] == [180, 0]
    assert {w.page for w in transcript.words} == {1, 2}
    assert "Recheck hemoglobin A1c" in ocr.reading(transcript)


def test_phone_photo_jpeg_keeps_its_exif_rotation(note_page, reader, tmp_path):
    """A phone stores the picture sideways and says so in EXIF (orientation 6: turn 90° clockwise
    to view); the page is read upright without any turning of ours."""
    path = tmp_path / "photo.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6
    note_page.rotate(90, expand=True).convert("RGB").save(path, quality=85, exif=exif)
    transcript = read(path, reader)
    assert transcript.settings["pages"][0]["rotated"] == 0
    assert scans.char_accuracy("\n".join(NOTE), ocr.reading(transcript)) >= 0.98


def test_transparent_png_is_read_on_white(reader, tmp_path):
    """An exported PNG with a transparent background: black text on nothing, not on black."""
    lines = ["ASSESSMENT: Migraine without aura.", "PLAN: Sumatriptan 50 mg at onset."]
    ink = scans.render_page(lines).crop((0, 0, 2550, 900))
    exported = Image.new("RGBA", ink.size, (0, 0, 0, 0))
    exported.putalpha(Image.eval(ink, lambda v: 255 - v))  # opaque where the text is, clear elsewhere
    path = tmp_path / "export.png"
    exported.save(path)
    assert scans.char_accuracy(" ".join(lines), ocr.reading(read(path, reader))) >= 0.98


def test_transcribe_command_reads_a_scan(note_page, tmp_path):
    import subprocess
    import sys

    path = tmp_path / "note.png"
    note_page.save(path)
    out = subprocess.run([sys.executable, "-m", "pipeline.cli", "transcribe", str(path), "--model", "gigantic"],
                         capture_output=True, text=True)  # no Whisper is loaded for scans alone
    assert out.returncode == 0, out.stderr
    assert "CHIEF COMPLAINT: Shortness of breath on exertion" in out.stdout


def test_pdf_text_layer_is_used_without_ocr(tmp_path):
    lines = ["Patient: Jane Roe   DOB: 02/03/1961   MRN: 884211",
             "ASSESSMENT: Asthma, well controlled.",
             "PLAN: Continue albuterol 2 puffs as needed and fluticasone 110 mcg twice daily."]
    path = tmp_path / "exported.pdf"
    path.write_bytes(scans.text_pdf(lines))
    def no_ocr():
        raise AssertionError("a text-layer page was sent to OCR")

    transcript = ocr.read_file(path, no_ocr, ScanLimits())
    assert transcript.settings["pages"] == [{"page": 1, "text_layer": True}]
    assert scans.collapse(ocr.reading(transcript)) == scans.collapse(" ".join(lines))
    assert all(w.probability == 1.0 and w.box for w in transcript.words)
    info = process.letter_info(transcript, "job", path.name, dt.datetime(2026, 11, 26))
    assert (info.patient, info.dob, info.mrn) == ("Jane Roe", "1961-02-03", "884211")
    sections, drugs = found(transcript)
    assert {"assessment", "plan"} <= sections and {"albuterol", "fluticasone"} <= drugs


def test_scribbled_region_is_flagged_not_dropped(note_page, reader, tmp_path):
    path = tmp_path / "annotated.png"
    scans.scribble(note_page, (0.55, 0.78, 0.88, 0.86)).save(path)
    transcript = read(path, reader)
    flagged = [s for s in transcript.segments if s.flags]
    assert any("not read" in s.flags[0] and s.box[1] > 0.7 and s.box[3] < 0.9 for s in flagged), flagged
    assert scans.char_accuracy("\n".join(NOTE), ocr.reading(transcript)) >= 0.98  # the print is all there
    # the draft shows the secretary where to look
    dictated, analysis = process.language(transcript, dt.date(2026, 11, 26))
    assert ocr.UNREAD in dictated.text
    from pipeline.letters.draft import review_marks

    reasons = [r for _, r in review_marks(transcript, dictated, analysis, 0.5).values() if r]
    assert any("not read: read it on the scan (page 1)" in r for r in reasons), reasons


@pytest.mark.parametrize("index", [0, 1])
def test_mtsamples_reports_rendered_and_degraded(index, reader, tmp_path):
    with gzip.open(need_shared("mtsamples", "dev.csv.gz"), "rt", encoding="utf-8") as handle:
        reports = [r["transcription"] for r in csv.DictReader(handle) if len(r["transcription"]) > 1500]
    text = scans.fit([reports[index * 7]])
    degraded = scans.degrade(scans.render_page(text), angle=-1.2, seed=index)
    path = tmp_path / ("report.png", "report.pdf")[index]  # one as an image, one as a scanned PDF
    degraded.convert("RGB").save(path, resolution=150)
    transcript = read(path, reader)
    assert scans.char_accuracy("\n".join(text), ocr.reading(transcript)) >= 0.97
    # the scan finds what the clean text holds
    want_sections, want_drugs = found(scans.as_typed(" ".join(text)))
    sections, drugs = found(transcript)
    assert want_sections <= sections and want_drugs <= drugs, (want_sections - sections, want_drugs - drugs)


def test_offline_no_network_is_touched(note_page, tmp_path, monkeypatch):
    """Loading the OCR models and reading a page with every network connection refused."""
    def refuse(*args, **kwargs):
        raise AssertionError("the OCR stage tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    path = tmp_path / "page.png"
    note_page.crop((0, 0, note_page.width, note_page.height // 3)).save(path)
    transcript = ocr.read_file(path, Reader, ScanLimits())  # the models are loaded here, offline
    assert "CHIEF COMPLAINT" in ocr.reading(transcript)


# -- through the watcher: a scan dropped in the inbox, and bad scans beside it -------------------
def bad_scans(folder: Path) -> dict[str, str]:
    """Broken or absurd inputs → a phrase their error must hold."""
    import pypdfium2 as pdfium
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    writer.encrypt("secret")
    writer.write(folder / "locked.pdf")
    PdfWriter().write(folder / "empty.pdf")
    long = pdfium.PdfDocument.new()
    for _ in range(2000):
        long.new_page(612, 792)
    long.save(folder / "long.pdf")
    Image.new("1", (30000, 30000), 1).save(folder / "huge.png")
    (folder / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 50)
    (folder / "cut short.pdf").write_bytes(scans.text_pdf(["PLAN: x"] * 3)[:150])
    return {"locked.pdf": "encrypted", "empty.pdf": "no pages", "long.pdf": "2,000 pages",
            "huge.png": "30,000 × 30,000 pixels", "corrupt.png": "not really an image",
            "cut short.pdf": "damaged or incomplete"}


@pytest.fixture(scope="module")
def scanned_desk(tmp_path_factory, note_page, engines):
    from pipeline.desk.watch import Service

    root = tmp_path_factory.mktemp("scans")
    settings = Settings(inbox=root / "inbox", outbox=root / "outbox", db=root / "jobs.sqlite3",
                        settle_seconds=0.5, rescan_seconds=2.0, scan_max_pages=50)
    settings.inbox.mkdir()
    staging = root / "scanner"  # made aside, then moved in whole: the 30,000² PNG takes seconds to write
    staging.mkdir()
    expected = bad_scans(staging)
    scans.degrade(scans.scribble(note_page, (0.55, 0.78, 0.88, 0.86))).save(staging / "Ellison note.png")
    failed = settings.outbox / "failed"
    with watching(Service(settings, engines("faster", "base", "int8", desk=True))):
        for path in staging.iterdir():
            path.rename(settings.inbox / path.name)
        done = wait_for(lambda: any((settings.outbox / "drafts").rglob("*.docx"))
                        and len(list(failed.glob("*.error.txt"))) == len(expected), 300)
    assert done, "the scan did not come out as a draft, or a bad scan was not set aside"
    return settings, expected


def test_bad_scans_are_set_aside_with_their_reason(scanned_desk):
    settings, expected = scanned_desk
    for name, phrase in expected.items():
        reason = (settings.outbox / "failed" / f"{name}.error.txt").read_text(encoding="utf-8")
        assert name in reason and phrase in reason and "What to do:" in reason, reason
        assert (settings.outbox / "failed" / name).is_file()  # the file itself is kept


def test_scan_dropped_in_the_inbox_becomes_a_reviewable_draft(scanned_desk):
    settings, _ = scanned_desk
    [draft] = list((settings.outbox / "drafts").rglob("*.docx"))
    assert draft.name.startswith("Margaret Ellison")
    document = docx.Document(draft)
    text = "\n".join(p.text for p in document.paragraphs)
    for heading in ("CHIEF COMPLAINT", "MEDICATIONS", "ASSESSMENT", "PLAN"):
        assert heading in [p.text for p in document.paragraphs if p.style.name.startswith("Heading")], heading
    assert "furosemide 20 mg daily" in text and ocr.UNREAD in text
    comments = [c.text for c in document.comments]
    assert any("not read: read it on the scan (page 1)" in c for c in comments)
    assert any("Negated" in c and "the scan (page 1)" in c for c in comments)
    [job] = [j for j in Store(settings.db).jobs() if j.state == "drafted"]
    archive = Path(job.archive_dir)
    assert (archive / "page-001.png").is_file() and (archive / "Ellison note.png").is_file()
    saved = Transcript.from_dict(json.loads((archive / "transcript.json").read_text()))
    assert saved.is_scan and saved.words[0].box is not None
    for path in [*settings.outbox.rglob("*")]:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path


def test_scan_limits_are_settings(tmp_path, note_page):
    """A two-page TIFF against a one-page limit, through `dictation batch` and the environment."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    note_page.save(inbox / "two.tif", save_all=True, append_images=[note_page])
    args = ["--inbox", str(inbox), "--outbox", str(tmp_path / "outbox"), "--db", str(tmp_path / "db.sqlite3")]
    mp = pytest.MonkeyPatch()
    mp.setenv("DICTATION_SCAN_MAX_PAGES", "1")
    try:
        main(["batch", "--quiet", "--settle", "0.1", *args])
    finally:
        mp.undo()
    reason = (tmp_path / "outbox" / "failed" / "two.tif.error.txt").read_text()
    assert "2 pages, more than the limit of 1" in reason and "scan_max_pages" in reason


def test_event_log_holds_no_patient_text(scanned_desk):
    settings, _ = scanned_desk
    import sqlite3

    with sqlite3.connect(settings.db) as db:
        logged = " ".join(str(v) for row in db.execute("select * from events") for v in row)
    assert "Ellison" not in logged and "furosemide" not in logged



def test_day_report_counts_scanned_notes(scanned_desk):
    from pipeline.desk import report

    settings, expected = scanned_desk
    store = Store(settings.db)
    day = store.jobs()[0].received_at[:10]
    built = report.build(store, day)
    assert built.scans == len(expected) + 1 and built.per_state["failed"] == len(expected)
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(report.to_docx(built))).paragraphs)
    assert f"0 dictations and {len(expected) + 1} scanned notes received" in text
