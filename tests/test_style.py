"""A letter's spelling of what Whisper writes its own way (pipeline/language/style.py)."""
from __future__ import annotations

from pipeline.language.dictation import dictate, prepare, words_from_text
from pipeline.records import Word


def said(text: str) -> str:
    return dictate(words_from_text(text)).text


def test_a_glued_medication_line_is_split_into_its_words():
    assert said("Norvasc-10-MG-Daily comma Pravical20MGDaily comma metronidazole 250 MGQID period") == \
        "Norvasc 10 mg daily, Pravical 20 mg daily, metronidazole 250 mg q.i.d."


def test_hyphenated_words_that_are_not_a_medication_line_stay_whole():
    text = said("A 52-year-old with a 6-French catheter seen on 1-16-96 for a 10-day course of COVID-19 care")
    assert "52-year-old" in text and "6-French" in text and "1-16-96" in text and "10-day" in text and "COVID-19" in text


def test_each_part_of_a_glued_word_keeps_the_audio_of_the_whole():
    words = [Word(" Lasix", 1.0, 1.4, 0.9), Word(" Atenlal-50-MG-A-Day", 2.0, 3.5, 0.4)]
    tokens, _, _ = prepare(words)
    parts = [t for t in tokens if set(t.sources) == {1}]
    assert [t.text for t in parts] == ["Atenlal", "50 mg", "A", "Day"]
    assert all((t.start, t.end) == (2.0, 3.5) for t in parts)


def test_a_glued_spoken_slash_or_comma_is_a_command():
    assert said("Lortab 5-slash 500 one tablet Comma-Ditral 2 mg daily") == "Lortab 5/500 one tablet, Ditral 2 mg daily"


def test_units_said_as_letters_or_written_in_capitals():
    assert said("prednisone 20 and G daily comma aspirin 325MG comma two milligrams") == \
        "Prednisone 20 mg daily, aspirin 325 mg, 2 mg"


def test_dosing_frequencies_as_letters_write_them():
    assert said("Lasix 40 mg BID comma Tylenol PRN comma aspirin 81 mg QD comma Dilaudid Q4H period") == \
        "Lasix 40 mg b.i.d., Tylenol p.r.n., aspirin 81 mg daily, Dilaudid q.4h."
    # "bid" in lower case is a word unless a dose comes before it
    assert said("he made a bid for the house period metoprolol 25 mg bid period") == \
        "He made a bid for the house. Metoprolol 25 mg b.i.d."


def test_a_grade_said_with_plus():
    assert said("reflexes two plus and symmetric comma Gleason 3 plus 4 period") == "Reflexes 2+ and symmetric, Gleason 3+4."


def test_common_or_coma_for_a_spoken_comma():
    assert said("on the first hospital day common the patient was seen period") == \
        "On the first hospital day, the patient was seen."
    assert said("hypertension coma osteoarthritis period") == "Hypertension, osteoarthritis."
    # the words themselves, where they are words
    for text in ("the common bile duct is normal", "he was in a coma", "a diabetic coma", "Glasgow coma scale 15",
                 "it is common in the elderly"):
        assert said(text).lower().startswith(text.lower().split(" 15")[0]), text


def test_a_title_before_a_name_and_closed_prefixes():
    assert said("seen by doctor Kessler period the abdomen was soft comma non-tender comma non distended period") == \
        "Seen by Dr. Kessler. The abdomen was soft, nontender, nondistended."
    assert said("we asked the doctor about non-insulin dependent diabetes") == \
        "We asked the doctor about non-insulin dependent diabetes"


def test_words_whisper_splits_or_mishears():
    assert said("the baby was a febrile period she had a febrile seizure period seen by doctor x perioded") == \
        "The baby was afebrile. She had a febrile seizure. Seen by Dr. X."
    assert said("Feosol 325 mg daily common multivitamins daily period a G2P1 woman") == \
        "Feosol 325 mg daily, multivitamins daily. A G2P1 woman"


def test_a_dictated_list_is_numbered_as_letters_number_it():
    assert said("Discharge diagnoses colon one comma gastrointestinal bleed period two comma atherosclerotic "
                "disease period three comma hypothyroidism period") == \
        "DISCHARGE DIAGNOSES: 1. Gastrointestinal bleed. 2. Atherosclerotic disease. 3. Hypothyroidism."
    # a lone number and a comma opening a sentence is prose
    assert said("One of the nurses saw him period two comma however comma did not period") == \
        "One of the nurses saw him. Two, however, did not."
