"""The preamble's names against the practice's registers (language/identity.py).

Names and dates here are made up for these tests; the dev figures are bench/preamble.py's.
"""
from __future__ import annotations

from pathlib import Path

import docx
import pytest

from pipeline.errors import ConfigError
from pipeline.language import identity
from pipeline.language.identity import Person

AUTHORS = (Person("Anna Lee"), Person("Rajesh Khanna"), Person("Beatrice Okafor"))
PATIENTS = (Person("Marjorie Whitfield", "1948-05-02", "M1001"), Person("Marjorie Whitley", "1951-11-30"),
            Person("Marge Whitfield", "1987-01-14"), Person("Peter Brown", "1960-02-02"))


def test_a_name_spelled_by_ear_is_taken_from_the_register_when_the_birthday_agrees():
    who = identity.resolve("Rajesh Kana", "Margery Whitfeld", "1948-05-02", None, AUTHORS, PATIENTS)
    assert (who.author, who.patient, who.dob, who.mrn) == ("Rajesh Khanna", "Marjorie Whitfield", "1948-05-02", "M1001")
    assert who.checks == ()


def test_a_birthday_that_disagrees_with_the_nearest_name_is_a_check_not_a_guess():
    who = identity.resolve("Anna Lee", "Marjorie Whitfield", "1970-06-06", None, AUTHORS, PATIENTS)
    assert who.patient == "Marjorie Whitfield" and who.dob == "1970-06-06"  # left as heard
    assert len(who.checks) == 1 and "born 1948-05-02" in who.checks[0] and "check who" in who.checks[0]


def test_without_registers_every_heard_name_is_a_check():
    who = identity.resolve("Rajesh Kana", "Margery Whitfeld", "at Coper 6, 1963", None)
    assert (who.author, who.patient) == ("Rajesh Kana", "Margery Whitfeld")
    assert [c.split(" ")[0] for c in who.checks] == ["Author’s", "Date", "Patient’s"]


def test_a_stranger_is_not_forced_onto_a_registered_name():
    who = identity.resolve("Anna Lee", "Theodore Quigley", "1948-05-02", None, AUTHORS, PATIENTS)
    assert who.patient == "Theodore Quigley" and "not found in the patient register" in who.checks[0]


def test_a_broken_patient_register_names_its_line(tmp_path):
    path = tmp_path / "patients.csv"
    path.write_text("name,dob\nMarjorie Whitfield,1948-05-02\nPeter Brown,second of February\n")
    with pytest.raises(ConfigError, match="line 3 .*second of February") as err:
        identity.read_patients(path)
    assert str(path) in str(err.value) and "name,dob" in err.value.fix


SPOKEN = ("This is Doctor Rajesh Khanna dictating a clinic note for patient Marjorie Whitfield, "
          "date of birth May 2nd, 1948. She is well and her blood pressure is controlled. Review in six months.")


def test_the_batch_takes_the_registers_spelling_and_lists_what_to_check(tmp_path, synth):
    """A real clip through `dictation batch`, with and without the practice's registers."""
    from pipeline.cli import main
    from pipeline.desk.store import Store
    from pipeline.desk.approval import patient_facts

    (tmp_path / "authors.txt").write_text("# the practice's physicians\nRajesh Khanna\nAnna Lee\n")
    (tmp_path / "patients.csv").write_text("name,dob,mrn\n" + "".join(f"{p.name},{p.dob},{p.mrn or ''}\n" for p in PATIENTS))
    config = tmp_path / "config.toml"
    config.write_text(f'authors = "{tmp_path / "authors.txt"}"\npatients = "{tmp_path / "patients.csv"}"\n')
    clip = synth("register", SPOKEN, steady=1.0).read_bytes()
    results = {}
    for run, extra in (("registers", ["--config", str(config)]), ("none", [])):
        inbox, outbox, db = tmp_path / run / "inbox", tmp_path / run / "outbox", tmp_path / run / "jobs.sqlite3"
        inbox.mkdir(parents=True)
        (inbox / "whitfield.wav").write_bytes(clip)
        assert main(["batch", "--quiet", "--settle", "0.2", *extra, "--inbox", str(inbox), "--outbox", str(outbox),
                     "--db", str(db)]) == 0
        job = Store(db).jobs()[0]
        doc = docx.Document(job.draft_path)
        body = "\n".join([p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells])
        results[run] = job, body
    job, body = results["registers"]
    patient = patient_facts(Path(job.draft_path))  # what the review page and the approval read
    assert (job.author, patient["name"], patient["mrn"]) == ("Rajesh Khanna", "Marjorie Whitfield", "M1001")
    assert "M1001" in body and "spelled as heard" not in body
    job, body = results["none"]
    assert "Author’s name spelled as heard" in body and "Patient’s name spelled as heard" in body


def test_a_register_that_is_not_there_stops_at_start_up_with_its_path(tmp_path):
    from pipeline.config import load

    config = tmp_path / "config.toml"
    config.write_text(f'patients = "{tmp_path / "nowhere.csv"}"\n')
    with pytest.raises(ConfigError, match="nowhere.csv"):
        load(config)


def test_an_author_may_have_their_own_letter_templates(tmp_path):
    """The roster's "name | folder": that author's letters use their own template for a kind
    the folder holds, and the practice's for the others."""
    import datetime as dt

    from pipeline.config import Settings
    from pipeline.language.clinical import analyse
    from pipeline.letters import kinds
    from pipeline.process import complete_info
    from pipeline.records import Dictated, LetterInfo

    own = tmp_path / "letterheads" / "khanna"
    own.mkdir(parents=True)
    clinic = kinds.template_path(kinds.by_title("Clinic letter"), None)
    (own / clinic.name).write_bytes(clinic.read_bytes())
    roster = tmp_path / "authors.txt"
    roster.write_text("Anna Lee\nRajesh Khanna | letterheads/khanna\n")
    assert identity.read_authors(roster)[1] == Person("Rajesh Khanna", templates=own.resolve())
    settings = Settings(authors=roster)
    text = "She is well and her blood pressure is controlled."
    dictated, analysis = Dictated(text, (), {}), analyse(text, {}, dt.date(2026, 1, 1))
    for author, expected in (("Rajesh Kana", own.resolve() / clinic.name), ("Anna Lee", clinic)):
        info = LetterInfo(job_id="j", source="s.wav", dictated_on="2026-01-01", author=author, letter_type="Clinic letter")
        _, _, template = complete_info(info, settings, dictated, analysis, "Clinic letter")
        assert template == expected, author
    roster.write_text("Anna Lee | nowhere\n")
    with pytest.raises(ConfigError, match="templates folder of Anna Lee"):
        identity.read_authors(roster)
