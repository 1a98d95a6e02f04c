"""The language stage: spoken commands, numbers, headings, drug-name correction, and the spaCy analysis."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
import simple_icd_10_cm as icd

from conftest import SHARED, need_shared, words
from pipeline.language import lexicons
from pipeline.language.clinical import analyse
from pipeline.language.correction import correct
from pipeline.language.dictation import dictate, words_from_text
from pipeline.records import Word

REPO = Path(__file__).resolve().parent.parent


def said(text: str) -> str:
    return dictate(words_from_text(text)).text


def test_punctuation_and_layout_commands():
    text = said("The patient was seen today period new paragraph assessment colon hypertension comma stable period "
                "Is he better question mark open paren see below close paren")
    assert text == "The patient was seen today.\n\nASSESSMENT: Hypertension, stable. Is he better? (See below)"


def test_context_keeps_the_word():
    text = said("He was treated for a period of three weeks period the sigmoid colon was normal period")
    assert "a period of 3 weeks." in text
    assert "The sigmoid colon was normal." in text


def test_numbers_units_and_blood_pressure():
    text = said("Blood pressure 148 over 92 comma metformin five hundred milligrams twice daily period")
    assert text == "Blood pressure: 148/92, metformin 500 mg twice daily."


def test_a_measurement_followed_by_its_value_is_written_as_a_label():
    """As reports write vital signs; the full stop Whisper hears in the pause goes. A measurement
    word in prose, or not opening a sentence, stays as said."""
    text = said("Vital signs colon temperature 97.7 period weight period 201 pounds period pulse was 88 period "
                "his weight 80 kilograms is stable period")
    assert text == "VITAL SIGNS: Temperature: 97.7. Weight: 201 pounds. Pulse was 88. His weight 80 kg is stable."


def test_scratch_that_removes_the_last_phrase():
    dictated = dictate(words_from_text("Start aspirin daily scratch that start metformin daily period"))
    assert dictated.text == "Start metformin daily."
    assert dictated.notes == ("scratched: Start aspirin daily",)


def test_whisper_punctuation_next_to_a_spoken_command_is_dropped():
    words = [Word(" stable", 0.0, 0.4, 0.9), Word(" period.", 0.4, 0.8, 0.9), Word(" period.", 0.8, 1.0, 0.5),
             Word(" Next", 1.1, 1.3, 0.9), Word(" line,", 1.3, 1.5, 0.9), Word(" fine", 1.6, 1.9, 0.9)]
    assert dictate(words).text == "Stable.\nFine"


def test_low_confidence_drug_is_corrected_and_keeps_what_was_heard():
    words = [Word(" Start", 0.0, 0.3, 0.95), Word(" met", 0.3, 0.5, 0.3), Word(" for", 0.5, 0.6, 0.4),
             Word(" him", 0.6, 0.7, 0.3), Word(" in", 0.7, 0.8, 0.4), Word(" daily.", 0.8, 1.2, 0.9)]
    dictated = dictate(words, correct)
    assert dictated.text == "Start metformin daily."
    drug = next(t for t in dictated.tokens if t.text == "metformin")
    assert drug.heard == "met for him in" and drug.sources == (1, 2, 3, 4)
    assert (drug.start, drug.end) == (0.3, 0.8)


def test_clearly_heard_english_words_are_never_turned_into_drugs():
    words = [Word(" plain", 0.0, 0.3, 0.3), Word(" film", 0.3, 0.6, 0.9), Word(" was", 0.6, 0.8, 0.9),
             Word(" normal.", 0.8, 1.2, 0.9)]
    assert dictate(words, correct).text == "Plain film was normal."


def test_preamble_facts_and_body():
    dictated = dictate(words_from_text(
        "This is Doctor Sarah Patel dictating a letter for patient John Smith comma date of birth March 3rd 1970 "
        "period Dear Doctor Jones comma thank you for seeing him period"))
    assert dictated.preamble == {"author": "Sarah Patel", "patient": "John Smith", "dob": "1970-03-03",
                                 "letter_type": "Letter"}
    assert dictated.text.startswith("Dear Dr. Jones, thank you")  # a title before a name, as letters write it


NOTE = """Dear Dr. Jones,

CHIEF COMPLAINT: Chest pain.

HISTORY OF PRESENT ILLNESS: He denies shortness of breath but has a cough. History of myocardial infarction.
Possible pneumonia. His mother had breast cancer. BP 148/92, pulse 88.

ALLERGIES: Penicillin.

MEDICATIONS: Metformin 500 mg by mouth twice daily and Lasix 40 mg daily.

The plan is to start lisinopril 10 mg daily. Follow up in 6 weeks.
"""


def test_sections_terms_context_and_facts():
    import datetime as dt

    a = analyse(NOTE, {"patient": "John Smith", "dob": "1970-03-03"}, dt.date(2026, 11, 25))
    assert [s.type for s in a.sections] == ["chief_complaint", "history_of_present_illness", "allergies",
                                            "medications", "plan"]
    for s in a.sections:
        assert a.text[s.heading_start:s.heading_end] == s.heading
        assert s.heading_end <= s.body_start <= s.body_end
    terms = {t.text: t for t in a.terms}
    assert terms["shortness of breath"].negated and not terms["cough"].negated
    assert terms["myocardial infarction"].historical and terms["myocardial infarction"].code == "I21.9"
    assert terms["pneumonia"].possible and terms["breast cancer"].family
    assert terms["Lasix"].normalised == "furosemide" and terms["Lasix"].type == "medication"
    meds = {m["name"]: m for m in a.facts["medications"]}
    assert (meds["Metformin"]["dose"], meds["Metformin"]["route"], meds["Metformin"]["frequency"]) == \
        ("500 mg", "by mouth", "twice daily")
    assert a.facts["allergies"]["substances"] == ["Penicillin"]
    assert a.facts["vitals"] == {"blood_pressure": "148/92", "pulse": "88"}
    assert (a.facts["tasks"][0]["kind"], a.facts["tasks"][0]["due"]) == ("follow_up", "2027-01-06")
    assert a.facts["recipient"] == "Dr. Jones"


def test_every_condition_code_is_a_billable_icd10cm_code():
    path = REPO / "models" / "clinical" / "terms" / "conditions.tsv"
    rows = [r for r in csv.reader(path.open(encoding="utf-8"), delimiter="\t") if r and not r[0].startswith("#")]
    assert len(rows) > 100
    bad = [(term, code) for term, _, code in rows if not (icd.is_valid_item(code) and icd.is_leaf(code))]
    assert not bad


def test_the_shipped_icd10cm_words_are_the_packages():
    """The product reads ICD-10-CM's words from a file, not the 420 MB package: the file must
    be what the package holds (regenerate it from lexicons.icd10cm_words() after an update)."""
    shipped = lexicons.read_list(lexicons.terms_dir() / lexicons.ICD_WORDS)
    assert len(shipped) > 5000
    assert shipped == lexicons.icd10cm_words()
    assert {"clostridium", "bariatric", "mucosa"} <= set(lexicons.medical_words())


def test_frequent_mtsamples_headers_have_a_canonical_type():
    table = need_shared("mtsamples", "mtsamples_section_headers_freq.tsv").read_text().splitlines()[1:]
    frequent = [line.split("\t")[0] for line in table if int(line.split("\t")[1]) >= 5]
    headings, _ = lexicons.sections()
    assert len(frequent) > 200
    assert [h for h in frequent if h.lower() not in headings] == []


def test_analyse_command_prints_one_json_line_per_file(tmp_path):
    note = tmp_path / "note.txt"
    note.write_text(NOTE, encoding="utf-8")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "pipeline.cli", "analyse", str(note), str(bad), "--date", "2026-11-25"],
                         capture_output=True, text=True, cwd=REPO)
    assert run.returncode == 1
    assert "bad.json" in run.stderr and "What to do" in run.stderr
    lines = run.stdout.strip().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["file"] == "note.txt"
    assert [s["type"] for s in record["sections"]][0] == "chief_complaint"
    for s in record["sections"]:
        assert NOTE[s["heading_start"]:s["heading_end"]] == s["heading"]


SPOKEN = ("This is Doctor Sarah Patel dictating a clinic note for patient John Smith, date of birth March 3rd, 1970. "
          "History of present illness colon. He has had a cough for two weeks period. New paragraph. "
          "Assessment colon. Acute bronchitis period. New paragraph. Plan colon. Rest and fluids comma "
          "follow up in two weeks period.")


def test_spoken_dictation_becomes_a_laid_out_letter_with_timings(synth, transcribe):
    # Steady audio: with piper's noise on, base heard "plan colon" as "playing colon" in about
    # one run in four and the letter then had no PLAN heading (a recognition miss that
    # bench/clinical.py counts in its section F1). At speaking rate 1.0 the steady voice
    # gives that miss every time; 1.05, within the dev dictations' 0.9–1.15, does not.
    clip = synth("spoken-commands", SPOKEN, steady=1.05)
    transcript = transcribe(clip, model="base")
    dictated = dictate(transcript.words, correct)
    assert "period" not in dictated.text.lower() and "colon" not in dictated.text.lower()
    assert dictated.preamble["patient"] == "John Smith"
    a = analyse(dictated.text, dictated.preamble)
    assert [s.type for s in a.sections] == ["history_of_present_illness", "assessment", "plan"]
    # every word still points at its audio, in order
    words = [t for t in dictated.tokens if t.kind == "word"]
    assert all(t.sources and t.start is not None and t.end <= transcript.duration + 0.5 for t in words)
    assert [t.start for t in words] == sorted(t.start for t in words)


@pytest.fixture(scope="module")
def dev_dictations(transcribe):
    entries = [json.loads(line) for line in need_shared("dictations", "manifest.jsonl").read_text().splitlines()]
    chosen = [e for e in entries if e["id"] in ("dict-s1-001", "dict-s1-006", "dict-s1-011")]
    return [(e, transcribe(SHARED / "dictations" / e["audio"], model="base")) for e in chosen]


def test_floors_on_dev_dictations(dev_dictations):
    sys.path.insert(0, str(REPO / "bench"))
    from scoring import commands_executed, dictation_sections, f1, wer

    raw = sum(wer(e["reference_text"], t.text) for e, t in dev_dictations)
    after = sum(wer(e["reference_text"], dictate(t.words, correct).text) for e, t in dev_dictations)
    assert after <= 0.7 * raw  # at least 30% lower
    done = said_ = tp = found = gold = 0
    for e, t in dev_dictations:
        letter = dictate(t.words, correct).text
        c, n = commands_executed(e, letter)
        done, said_ = done + c, said_ + n
        a, b, g = dictation_sections(e, letter)
        tp, found, gold = tp + a, found + b, gold + g
    assert done / said_ >= 0.7
    assert f1(tp, found, gold)[2] >= 0.65  # 0.74 measured on these three (bench: 0.77 on all 60)


@pytest.fixture(scope="module")
def drug_dictation(transcribe):
    """dict-d3-010: a discharge summary naming 12 drugs (Protonix, Prilosec, Synthroid, …)."""
    entries = [json.loads(line) for line in need_shared("dictations-drugs", "manifest.jsonl").read_text().splitlines()]
    entry = next(e for e in entries if e["id"] == "dict-d3-010")
    return entry, transcribe(SHARED / "dictations-drugs" / entry["audio"], model="base")


def test_drug_names_corrected_on_a_drug_rich_dictation(drug_dictation):
    sys.path.insert(0, str(REPO / "bench"))
    from scoring import corrections_right, mentions_found

    entry, transcript = drug_dictation
    expected = json.loads((REPO / "bench" / "drug_mentions.json").read_text())["mentions"][entry["id"]]
    letter = dictate(transcript.words, correct)
    raw, fixed = mentions_found(expected, transcript.text), mentions_found(expected, letter.text)
    assert fixed >= raw + 4 and fixed / len(expected) >= 0.6  # measured: 2 → 9 of 12
    right, made = corrections_right(letter.tokens, entry["reference_text"])
    assert right / made >= 0.75  # measured: 7 of 8
    corrected = [t for t in letter.tokens if t.heard and t.text.lower() in {m.lower() for m in expected}]
    assert corrected and all(t.sources and t.start is not None for t in corrected)  # each still maps to its audio


def test_drug_names_checked_against_the_audio_on_a_drug_rich_dictation(drug_dictation, engines):
    """The same dictation with every correction put to its audio (the default): fewer names
    fixed than by text alone, most of them right, and the wrong ones left flagged. Measured
    (2026-12-03): 2 → 5 of 12 right, 3 of 4 corrections right (by text alone 7 of 8), 6 of
    the 7 still wrong flagged (bench/verify.py over all 60: 0.90 right, 82 % of wrong names flagged)."""
    sys.path.insert(0, str(REPO / "bench"))
    from scoring import corrections_right, flag_scores, mentions_found
    from verify import flagged_by

    from pipeline.asr.audio import decode

    entry, transcript = drug_dictation
    expected = json.loads((REPO / "bench" / "drug_mentions.json").read_text())["mentions"][entry["id"]]
    audio = decode(SHARED / "dictations-drugs" / entry["audio"])
    scorer = engines("faster", "base", "int8").scorer(audio, transcript)
    letter = dictate(transcript.words, lambda t: correct(t, scorer=scorer))
    assert scorer.readings > 0
    raw, fixed = mentions_found(expected, transcript.text), mentions_found(expected, letter.text)
    assert fixed >= raw + 3
    right, made = corrections_right(letter.tokens, entry["reference_text"])
    assert made and right / made >= 0.6
    flags = flag_scores(letter.tokens, entry["reference_text"], flagged_by(transcript), expected)
    assert flags["drugs_wrong_flagged"] >= 0.6 * flags["drugs_wrong"]
    assert any(t.doubt for t in letter.tokens) and all(t.support is not None for t in letter.tokens if t.heard
                                                        and t.text.lower() in {m.lower() for m in expected})


def test_section_floor_on_mtsamples():
    import gzip

    sys.path.insert(0, str(REPO / "bench"))
    from scoring import f1, mtsamples_headers

    from pipeline.language.clinical import nlp

    with gzip.open(need_shared("mtsamples", "dev.csv.gz"), "rt", encoding="utf-8") as handle:
        reports = [r["transcription"] for r, _ in zip(csv.DictReader(handle), range(150))]
    tp = predicted = gold = 0
    for text in reports:
        a, b, g = mtsamples_headers(text, nlp()(text))
        tp, predicted, gold = tp + a, predicted + b, gold + g
    assert f1(tp, predicted, gold)[2] >= 0.98  # the sanity floor (bench: 0.987 on 300)


VOCABULARY_NOTE = (
    "The patient is a sixty two year old man seen today for follow up of his blood pressure. "
    "He has been taking his tablets every morning and feels well. He denies chest pain or shortness of breath. "
    "He walks two miles a day and sleeps well at night. His home readings have been stable for a month. "
    "Continue lisinopril ten milligrams daily and metoprolol twenty five milligrams twice daily. "
    "Start atorvastatin forty milligrams at night. We will see him again in three months."
)


def test_vocabulary_hotwords_reach_whisper_and_lost_speech_is_caught(synth, engines, tmp_path):
    from dataclasses import replace

    from pipeline.language import vocabulary
    from pipeline.asr.audio import decode
    from pipeline.config import Settings
    from pipeline.process import decode_options

    words_file = tmp_path / "my_words.txt"
    words_file.write_text("# my own words\nMounjaro\n")
    options = decode_options(Settings(vocabulary="hotwords", vocabulary_words=words_file))
    assert options.hotwords.startswith("Medical dictation. Medications: Mounjaro, ")
    assert decode_options(Settings()).hotwords is None  # off unless asked for

    audio = decode(synth("vocabulary", VOCABULARY_NOTE))
    transcript = vocabulary.transcribe(engines(), audio, options, source="vocabulary.wav")
    assert transcript.settings["hotwords"] == options.hotwords
    assert transcript.settings["vocabulary"] == "hotwords"  # nothing lost on clean speech
    # The whole note came through, to its last sentence: recall of its words, in order. Not WER:
    # a prompt can also make base loop on its words after the speech ("Meditation, Meditation…",
    # seen on CI), which the guards flag; which drug names base spells right varies with the
    # CPU's rounding (CI heard "avarvastatin"). Both are the bench's to score, not this test's.
    import difflib

    said, heard = words(VOCABULARY_NOTE), words(transcript.text)
    matched = sum(b.size for b in difflib.SequenceMatcher(None, said, heard, autojunk=False).get_matching_blocks())
    assert "three months" in transcript.text.lower() and transcript.duration > 20
    assert matched / len(said) >= 0.7, transcript.text

    # A stand-in for a Whisper that skipped speech (a fault we cannot cause on demand): the
    # same transcript with the words of 8-16 s taken out. The voice detector still hears them.
    chunks = vocabulary.speech(audio)
    assert vocabulary.lost_speech(chunks, transcript) == 0.0
    kept = [s for s in transcript.segments if s.end <= 8 or s.start >= 16]
    skipped = replace(transcript, segments=tuple(kept))
    assert vocabulary.lost_speech(chunks, skipped) >= 5.0


def test_a_bad_vocabulary_setting_is_refused(tmp_path):
    from pipeline.config import load
    from pipeline.errors import ConfigError

    config = tmp_path / "config.toml"
    config.write_text('vocabulary = "prompt"\n')
    with pytest.raises(ConfigError, match="vocabulary"):
        load(config)


def test_written_headers_with_spaced_slashes_and_unknown_capitals():
    from pipeline.language.clinical import nlp

    doc = nlp()("ASSESSMENT / PLAN: Stable.\nDIAGNOSTIC STUDIES/LAB DATA: Normal.\nHEAD--CENTRAL NERVOUS SYSTEM: Intact.\n")
    assert [(h.text, h.label_) for h in doc.spans["headings"]] == [
        ("ASSESSMENT / PLAN:", "assessment_and_plan"), ("DIAGNOSTIC STUDIES/LAB DATA:", "other"),
        ("HEAD--CENTRAL NERVOUS SYSTEM:", "other")]


@pytest.mark.parametrize("spoken, author, kind", [
    ("This is Dr. Sarah Patel getting a referral letter for patient John Smith, date of birth March 3rd, 1970.",
     "Sarah Patel", "Referral letter"),
    ("This is Doctor Mark Fielding dictating a progress note regarding patient John Smith, DOB 3/3/1970.",
     "Mark Fielding", "Progress note"),
    ("This is Dr. Anna Leedick, dating a discharged summary for patient John Smith, day to birth March 3, 1970.",
     "Anna Lee", "Discharge summary"),
    ("This is Dr. Ravi Shah and a dictating the consult for the patient John Smith dated birth March 3, 1970.",
     "Ravi Shah", "Consultation"),
])
def test_the_preamble_is_found_by_its_shape_whatever_its_verb_was_heard_as(spoken, author, kind):
    from pipeline.language import preamble

    facts, end = preamble.split(spoken + " Dear Doctor Jones, thank you for seeing him.")
    assert facts == {"author": author, "patient": "John Smith", "dob": "1970-03-03", "letter_type": kind}
    assert spoken[end:] == "" or (spoken + " Dear")[end:].startswith("Dear")


def test_a_date_of_birth_that_is_not_a_date_is_kept_as_heard_and_out_of_the_body():
    from pipeline.language import preamble

    text = "This is Dr. Ravi Shah dictating a letter for patient John Smith, date of birth at Coper 6, 1963. Dear Sir."
    facts, end = preamble.split(text)
    assert facts["dob"] == "at Coper 6, 1963" and text[end:] == "Dear Sir."


def test_a_letter_that_merely_begins_this_is_has_no_preamble():
    from pipeline.language import preamble

    assert preamble.split("This is a consultation for the patient in regards to her thyroid. She is well.") == ({}, 0)


def test_headings_whose_colon_went_unspoken():
    """A body part followed by a finding, a heading's abbreviation Whisper wrote in capitals,
    and Whisper's possessive for a plural heading; prose that opens with the same words stays."""
    text = said("General comma alert period Neck supple without adenopathy period Abdomen soft comma nontender "
                "period PMH stroke and memory difficulty period Neck pain began on Monday period "
                "EKG showed sinus rhythm period Allergy's colon none period")
    assert text == ("GENERAL: Alert.\n\nNECK: Supple without adenopathy.\n\nABDOMEN: Soft, nontender.\n\n"
                    "PMH: Stroke and memory difficulty. Neck pain began on Monday. EKG showed sinus rhythm.\n\n"
                    "ALLERGIES: None.")


def test_a_letter_opening_with_a_new_paragraph_and_a_heading():
    """Whisper's own commas round the heading; the layout once failed on a letter with nothing before it."""
    assert said("New paragraph, vital signs, stable period, Heen colon, benign period").strip() == \
        "VITAL SIGNS: Stable.\n\nHEENT: Benign."


def test_headings_whisper_spelled_misheard_or_ran_on():
    """Spelled letters (F-H-X), a misspelt body part before its finding (Luns clear), a heading
    word Whisper wrote as another ("Plant,"), a long heading after a comma Whisper heard for a
    spoken period, and a heading right after another; prose with the same words stays."""
    text = said("F-H-X, father died of an MI period Luns clear to auscultation period Plant, he will return soon "
                "period denies smoking or drinking, physical examination, general, unremarkable period "
                "we discussed her diet, family history, and exercise period the plant was green period")
    assert text == ("FHX: Father died of an MI.\n\nLUNGS: Clear to auscultation.\n\nPLAN: He will return soon. "
                    "Denies smoking or drinking.\n\nPHYSICAL EXAMINATION:\n\nGENERAL: Unremarkable. "
                    "We discussed her diet, family history, and exercise. The plant was green.")
