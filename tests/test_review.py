"""Secretary review: letters of each kind from templates, flags she can act on, the final letter."""
from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import docx
import pytest
from docx.enum.text import WD_COLOR_INDEX

from pipeline.letters import marks as docx_marks
from pipeline.letters import kinds as letter_kinds
from pipeline.config import Settings
from pipeline.language.dictation import words_from_text
from pipeline.errors import TemplateError
from pipeline.process import complete_info, draft_bytes, language
from pipeline.records import LetterInfo, Segment, Transcript, Word

DICTATION = (
    "This is Doctor Sarah Patel dictating a letter for patient John Smith, date of birth March 3rd 1970. "
    "Dear Doctor Jones comma thank you for referring this pleasant man period new paragraph "
    "history colon he has hypertension and denies chest pain period "
    "plan colon start metformin 500 milligrams twice daily period follow up in 6 weeks period"
)


def _transcript(text: str, doubtful: dict[str, float] | None = None) -> Transcript:
    """A transcript of typed words, 0.3 s each; words named in ``doubtful`` get that probability."""
    words = []
    for i, w in enumerate(words_from_text(text)):
        p = (doubtful or {}).get(w.text.strip(), 0.95)
        words.append(Word(w.text, i * 0.3, i * 0.3 + 0.25, p))
    seg = Segment(0, 0.0, words[-1].end, text, tuple(words))
    return Transcript("d.wav", "en", words[-1].end, "faster-whisper", "base", {}, (seg,))


def _draft(text: str, doubtful=None, settings: Settings = Settings(), stated: str | None = None):
    transcript = _transcript(text, doubtful)
    dictated, analysis = language(transcript, dt.date(2026, 11, 25))
    info = LetterInfo(job_id="j1", source="d.wav", dictated_on="2026-11-25", author=dictated.preamble.get("author"),
                      patient=dictated.preamble.get("patient"))
    info, analysis, template = complete_info(info, settings, dictated, analysis, stated)
    return info, docx.Document(io.BytesIO(draft_bytes(transcript, info, settings, dictated, analysis, template)))


def test_dictated_draft_has_headings_summary_and_comments():
    text = DICTATION.replace("metformin", "met for min")
    info, doc = _draft(text, doubtful={"met": 0.3, "for": 0.4, "min": 0.3})
    assert info.letter_type == "Consultation"  # a "letter" that thanks the referrer
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 2"]
    assert headings == ["HISTORY", "PLAN"]
    cells = {row.cells[0].text: row.cells[1].text for row in doc.tables[0].rows}
    assert cells["Patient"] == "John Smith" and cells["Date of birth"] == "1970-03-03"
    assert cells["Recipient"] == "Dr. Jones"
    assert cells["Appointments to schedule"] == "6 weeks: due 2027-01-06"
    assert cells["ICD-10-CM suggestions (check before billing)"] == "I10 Essential hypertension"
    comments = [c.text for c in doc.comments]
    # metformin is on the ISMP list too: its sound-alike flag and the correction share one comment
    assert any("Corrected from \u201cmet for min\u201d" in c for c in comments)
    assert any(c.startswith("Sound-alike medicine: \u201cmetformin\u201d") for c in comments)
    assert any(c.startswith("Negated: \u201cchest pain\u201d") for c in comments)
    lit = {r.text: r.font.highlight_color for p in doc.paragraphs for r in p.runs if r.font.highlight_color}
    assert lit["metformin"] == WD_COLOR_INDEX.PINK and lit["chest"] == WD_COLOR_INDEX.TURQUOISE  # safety first
    assert doc.sections[0].header.paragraphs[0].text == "DRAFT — for review"


def test_letter_kind_from_sidecar_preamble_then_letter():
    def kind(stated, body="", recipient=None, patient="John Smith"):
        return letter_kinds.choose(stated, body, recipient, patient).key

    assert kind(["discharge summary", "letter"]) == "discharge_summary"  # the sidecar wins
    assert kind([None, "Clinic note"]) == "progress_note"  # then the preamble
    assert kind([None, "Letter"], "I am referring him to you for an opinion.") == "referral"
    assert kind([None, "Letter"], "Thank you for asking me to see him.") == "consultation_reply"
    assert kind([None, "Letter"], "Dear Mr Smith, your results are normal.", recipient="Mr Smith") == "patient_letter"
    assert kind([None, None], "He is doing well.", recipient="Dr. Jones") == "family_doctor"


def test_a_practice_template_folder_replaces_one_kind(tmp_path):
    template = docx.Document()
    template.add_paragraph("Hillside Practice — {{ letter_type }} for {{ patient }}, born {{ dob }}")
    template.add_paragraph("{%p for para in paragraphs %}")
    template.add_paragraph("{{r para }}")
    template.add_paragraph("{%p endfor %}")
    template.save(tmp_path / "consultation_reply.docx")
    _, doc = _draft(DICTATION, settings=Settings(templates=tmp_path))
    assert doc.paragraphs[0].text == "Hillside Practice — Consultation for John Smith, born 1970-03-03"
    # kinds the folder lacks fall back to the packaged templates
    _, other = _draft(DICTATION, settings=Settings(templates=tmp_path), stated="discharge summary")
    assert other.paragraphs[0].text == "Discharge summary"


def test_a_practice_template_with_its_own_placeholders(tmp_path):
    template = docx.Document()
    template.add_paragraph("{{ practice_name }} · {{ practice_phone }} · {{ patient }}")
    template.save(tmp_path / "consultation_reply.docx")
    (tmp_path / "fields.toml").write_text('practice_name = "Hillside Practice"\npractice_phone = "01234 567890"\n'
                                          'patient = "someone else"\n')
    _, doc = _draft(DICTATION, settings=Settings(templates=tmp_path))
    assert doc.paragraphs[0].text == "Hillside Practice · 01234 567890 · John Smith"  # ours win over the file


def test_a_broken_practice_template_names_its_placeholder(tmp_path):
    template = docx.Document()
    template.add_paragraph("{{ patient_full_name }}")
    template.save(tmp_path / "consultation_reply.docx")
    with pytest.raises(TemplateError, match="patient_full_name"):
        _draft(DICTATION, settings=Settings(templates=tmp_path))


def test_final_letter_keeps_edits_and_drops_every_review_mark():
    _, doc = _draft(DICTATION.replace("metformin", "met for min"), doubtful={"met": 0.3, "for": 0.4, "min": 0.3})
    edited = next(r for p in doc.paragraphs for r in p.runs if r.text == "metformin")
    edited.text = "metformin XR"  # the secretary's correction, made in Word
    buffer = io.BytesIO()
    doc.save(buffer)
    final = docx.Document(io.BytesIO(docx_marks.finalise(buffer.getvalue())))
    body = "\n".join(p.text for p in final.paragraphs)
    assert "metformin XR 500 mg" in body
    assert not [r for p in final.paragraphs for r in p.runs if r.font.highlight_color is not None]
    assert len(final.comments) == 0 and b"commentReference" not in final.element.xml.encode()
    assert "DRAFT" not in "".join(p.text for p in final.sections[0].header.paragraphs)
    assert "For the secretary" not in body and "Highlighted words" not in body
    assert "Re: John Smith, date of birth 1970-03-03" in body
    assert not final.tables  # the summary (appointments to book, codes to bill) is for the secretary only
    assert final.core_properties.content_status == "Final"


SHORT = ("This is Doctor Anna Lee dictating a clinic note for patient Mary Jones. "
         "She is well and her blood pressure is controlled. Continue the same treatment.")
THIRD = ("This is Doctor Anna Lee dictating a progress note for patient Jane Green. "
         "Her asthma is better on the new inhaler. Review in three months.")
OTHER = ("This is Doctor Anna Lee dictating a discharge summary for patient Peter Brown. "
         "He was admitted with pneumonia and treated with antibiotics. He went home today.")


def test_approve_and_return_from_the_command_line(tmp_path, synth, capsys):
    """Real clips through `dictation batch`, then `dictation approve` and `dictation return`."""
    from fhir.resources.R4B.documentreference import DocumentReference

    from pipeline.cli import main
    from pipeline.desk.store import Store

    inbox, outbox, db = tmp_path / "inbox", tmp_path / "outbox", tmp_path / "jobs.sqlite3"
    inbox.mkdir()
    for name, text in (("jones.wav", SHORT), ("brown.wav", OTHER), ("green.wav", THIRD)):
        (inbox / name).write_bytes(synth(name, text, steady=1.0).read_bytes())
    desk = ["--inbox", str(inbox), "--outbox", str(outbox), "--db", str(db)]
    assert main(["batch", "--quiet", "--settle", "0.2", *desk]) == 0
    jobs = {j.original_name: j for j in Store(db).jobs()}
    note, summary = jobs["jones.wav"], jobs["brown.wav"]
    assert note.letter_type == "Progress note" and summary.letter_type == "Discharge summary"

    capsys.readouterr()
    assert main(["approve", note.id, "--as", "secretary-1", *desk]) == 0
    final, record_path = [Path(line) for line in capsys.readouterr().out.splitlines()]
    assert final.parent == outbox / "approved" / note.drafted_at[:10] and final.is_file()
    record = DocumentReference.model_validate_json(record_path.read_text())
    assert (record.status, record.docStatus, record.authenticator.display) == ("current", "final", "secretary-1")
    assert record.type.coding[0].code == "11506-3" and record.content[0].attachment.url == final.name
    assert not Path(note.draft_path).exists()

    assert main(["return", summary.id, "--reason", "The discharge medications are missing.", "--as", "secretary-1",
                 *desk]) == 0
    moved = Path(capsys.readouterr().out.strip())
    assert moved.parent.parent == outbox / "returned" and moved.is_file()
    assert moved.with_suffix(".reason.txt").read_text() == "The discharge medications are missing.\n"

    store = Store(db)
    assert store.get(note.id).state == "approved" and store.get(summary.id).state == "returned"
    assert store.get(summary.id).review_note == "The discharge medications are missing."
    audit = [(e["event"], e["actor"]) for e in store.events() if e["component"] == "review"]
    assert audit == [("approved", "secretary-1"), ("returned", "secretary-1")]
    assert all("missing" not in e["detail"] and "Jones" not in e["detail"] for e in store.events())

    # a letter already returned cannot be approved by mistake; the message says why
    assert main(["approve", summary.id, *desk]) == 2
    assert "is returned, not a draft waiting for review" in capsys.readouterr().err

    # a draft moved into outbox/approved/ while no watcher ran is approved by the next batch
    third = Path(jobs["green.wav"].draft_path)
    third.rename(outbox / "approved" / third.name)
    assert main(["batch", "--quiet", *desk]) == 0
    assert Store(db).get(jobs["green.wav"].id).state == "approved"
    assert not (outbox / "approved" / third.name).exists()
