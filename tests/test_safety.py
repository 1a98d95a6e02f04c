"""Safety flags (pipeline/language/safety/): the errors that hurt, flagged and never changed.

The text checks on letters written here; the audio checks on real speech (piper, synthesised
here) recognised by base, with the error put into what the recogniser wrote, as
bench/safety.py does on the dev dictations."""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import replace

import docx
import pytest

from pipeline.asr.audio import decode
from pipeline.language.vocabulary import speech
from pipeline.process import language
from pipeline.records import DecodeOptions, LetterInfo, Segment, Transcript, Word

DAY = dt.date(2026, 1, 1)


def typed(text: str) -> Transcript:
    """A transcript as if heard clearly, one word every 0.4 s (no audio behind it)."""
    said = text.split()
    words = tuple(Word(" " + w, i * 0.4, i * 0.4 + 0.3, 0.95) for i, w in enumerate(said))
    return Transcript(source="typed.wav", language="en", duration=len(said) * 0.4, engine="", model="", settings={},
                      segments=(Segment(0, 0.0, len(said) * 0.4, " ".join(said), words),))


def flags(text: str, kind: str | None = None):
    _, analysis = language(typed(text), DAY)
    return [f for f in analysis.safety if kind is None or f.kind == kind]


def test_a_sound_alike_medicine_is_flagged_with_its_twin_once():
    found = flags("She takes Celebrex 200 mg daily. Celebrex helps her knee. She also takes hydroxyzine at night.",
                  "sound-alike")
    assert len(found) == 2  # Celebrex once, at its first mention; hydroxyzine
    assert "Celexa" in found[0].reason and "Cerebyx" in found[0].reason and found[0].start == pytest.approx(0.8)
    assert "hydralazine" in found[1].reason


def test_a_dose_in_the_wrong_unit_or_out_of_range_is_flagged():
    assert [f.reason for f in flags("Continue levothyroxine 50 mg daily.", "dose")][0].startswith(
        "Dose check: levothyroxine 50 mg is in mg, a unit it is not usually given in (12.5\u2013300 mcg)")
    assert flags("Continue levothyroxine 0.1 mg daily.", "dose") == []  # 100 mcg: fine
    assert flags("Continue levothyroxine 100 mcg daily.", "dose") == []
    assert "outside its usual single dose" in flags("Warfarin 50 mg daily.", "dose")[0].reason
    assert flags("Warfarin 5 mg daily and metformin 500 mg twice daily.", "dose") == []
    assert flags("Metformin 500 mcg twice daily.", "dose")  # the reverse slip
    assert flags("Norco 5/325 mg every six hours.", "dose") == []  # a combination is not judged


def test_one_body_part_given_both_sides_is_flagged_unless_both_are_meant():
    found = flags("She has right knee pain. Assessment: left knee osteoarthritis.", "laterality")
    assert len(found) == 1 and "right" in found[0].reason and "left" in found[0].reason
    assert flags("Exam of the right knee and the left knee is normal. Right knee pain.", "laterality") == []
    assert flags("Bilateral knee pain, right knee worse than the left knee.", "laterality") == []
    assert flags("Right knee pain. Left shoulder pain.", "laterality") == []
    glued = flags("She has right-knee pain. Assessment: left knee osteoarthritis.", "laterality")  # as Whisper glues it
    assert len(glued) == 1 and "knee" in glued[0].reason


def test_a_clean_letter_has_no_safety_flags():
    assert flags("The patient is seen for hypertension. Continue lisinopril 10 mg daily. "
                 "No chest pain. Follow up in three months.") == []


def test_the_draft_carries_each_flag_with_its_reason_in_a_word_comment():
    from pipeline.letters.draft import render_draft

    transcript = typed("Continue levothyroxine 50 mg daily and Celebrex 200 mg daily.")
    dictated, analysis = language(transcript, DAY)
    draft = render_draft(transcript, LetterInfo(job_id="j1", source="typed.wav", dictated_on="2026-01-01"),
                         dictated=dictated, analysis=analysis)
    comments = [c.text for c in docx.Document(io.BytesIO(draft)).comments]
    assert any(c.startswith("Dose check: levothyroxine 50 mg") for c in comments), comments
    assert any(c.startswith("Sound-alike medicine: \u201cCelebrex\u201d") for c in comments), comments


SAID = ("The patient reports pain in the right knee for two weeks. She has no chest pain and no fever. "
        "She denies any shortness of breath. "
        "Her blood pressure today is one hundred and thirty over eighty. She takes metoprolol twenty five "
        "milligrams twice daily. We will see her again in a month.")


@pytest.fixture(scope="module")
def heard(engines, synth):
    engine = engines(desk=True)
    audio = decode(synth("safety", SAID, steady=1.0))
    transcript = engine.transcribe(audio, DecodeOptions(beam_size=2), source="safety.wav")
    return engine, audio, transcript


def with_words(transcript: Transcript, words: list[Word]) -> Transcript:
    return replace(transcript, segments=(replace(transcript.segments[0], words=tuple(words),
                                                 text="".join(w.text for w in words)),))


def index_of(words, text: str) -> int:
    return next(k for k, w in enumerate(words) if w.text.strip(" ,.").lower() == text)


def audio_flags(heard, words=None):
    from pipeline.asr.scorer import windowed

    engine, audio, transcript = heard
    words = list(words if words is not None else transcript.words)
    scorer = windowed(engine._whisper, "en", audio, words)
    _, analysis = language(with_words(transcript, words), DAY, scorer, speech(audio))
    return analysis.safety


def test_the_recording_as_heard_raises_no_audio_flag(heard):
    assert [f for f in audio_flags(heard) if f.kind in ("laterality", "negation", "omission")] == []


def test_a_side_the_audio_does_not_support_is_flagged(heard):
    words = list(heard[2].words)
    k = index_of(words, "right")
    words[k] = replace(words[k], text=words[k].text.replace("right", "left"))
    found = [f for f in audio_flags(heard, words) if f.kind == "laterality"]
    assert found and "\u201cright\u201d" in found[0].reason, found


def test_a_negation_the_text_lost_is_flagged(heard):
    words = list(heard[2].words)
    k = index_of(words, "no")  # "no chest pain"
    found = [f for f in audio_flags(heard, words[:k] + words[k + 1:]) if f.kind == "negation"]
    assert found and "chest pain" in found[0].reason, found


def test_a_cue_dropped_words_before_its_finding_is_flagged(heard):
    """"She [denies] any shortness of breath": the lost word is not next to the finding."""
    words = list(heard[2].words)
    k = index_of(words, "denies")
    found = [f for f in audio_flags(heard, words[:k] + words[k + 1:]) if f.kind == "negation"]
    assert found and "denies any shortness of breath" in found[0].reason.lower(), found
    assert found[0].start <= words[k + 1].start  # the flag starts where the cue was lost


def test_a_side_glued_to_its_body_part_is_checked_too(heard):
    """Whisper sometimes writes "right-knee": the side is the head of the word."""
    words = list(heard[2].words)
    k = index_of(words, "right")
    glued = replace(words[k], text=" left-" + words[k + 1].text.strip(), end=words[k + 1].end)
    found = [f for f in audio_flags(heard, words[:k] + [glued] + words[k + 2:]) if f.kind == "laterality"]
    assert found and "\u201cright-knee\u201d" in found[0].reason, found


def test_a_unit_the_audio_does_not_support_is_flagged(heard):
    words = list(heard[2].words)
    k = next(k for k, w in enumerate(words) if w.text.strip(" ,.").lower() in ("milligrams", "mg"))
    words[k] = replace(words[k], text=" micrograms")
    found = [f for f in audio_flags(heard, words) if f.kind == "dose"]
    assert found and "\u201cmilligrams\u201d" in found[0].reason, found
    words[k] = replace(words[k], text=" mcg")  # the unit written as its letters is put to the audio too
    found = [f for f in audio_flags(heard, words) if f.kind == "dose"]
    assert found and "\u201cmilligrams\u201d" in found[0].reason, found


def test_a_sentence_the_recogniser_skipped_is_flagged_at_its_time(heard):
    words = list(heard[2].words)
    start = index_of(words, "her")  # "Her blood pressure today is 130/80."
    end = next(k for k in range(start, len(words)) if words[k].text.strip().lower() == "she") - 1
    cut = words[:start] + words[end + 1:]
    found = [f for f in audio_flags(heard, cut) if f.kind == "omission"]
    assert len(found) == 1, found
    assert found[0].start <= words[start].start + 0.5 and found[0].end >= words[end].end - 0.5


def test_a_dropped_cue_is_looked_for_where_english_puts_it():
    """The places a lost cue is tried (each is a reading the recording scores): every cue just
    before the finding; earlier, only where grammar puts that cue."""
    from pipeline.language.safety.common import rules
    from pipeline.language.safety.negation import places

    r, cues = rules()["negation"], ["no", "not", "denies", "without"]
    tried = set(places(["X-ray", "did", "show", "any", "CHF"], 4, False, cues, r))
    assert {(4, c) for c in cues} <= tried  # just before the finding: every cue
    assert (2, "not") in tried and (3, "no") in tried and (3, "without") in tried  # did [not] show [no/without] any
    assert (1, "not") not in tried and (0, "denies") not in tried  # "[not] did", "[denies] X-ray": not English
    assert (0, "no") in set(places(["fevers", "or", "chills"], 2, True, cues, r))  # "[No] fevers or chills"
    assert (0, "no") not in set(places(["fevers", "or", "chills"], 2, False, cues, r))  # mid-clause: not tried
