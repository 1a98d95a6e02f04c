"""Corrections checked against the audio: the engine's scorer, and the correction stage using it.

Real weights (base), real speech (piper, synthesised here), the product's batched engine."""
from __future__ import annotations

from dataclasses import replace

import pytest
from rapidfuzz import fuzz

from pipeline.asr.audio import decode
from pipeline.asr.scorer import windowed
from pipeline.language.correction import correct
from pipeline.language.dictation import prepare
from pipeline.records import DecodeOptions

SAID = ("Medications. The patient takes Protonix forty milligrams every morning for reflux, "
        "and Plavix seventy five milligrams daily since the stent was placed.")


@pytest.fixture(scope="module")
def heard(engines, synth):
    engine = engines(desk=True)
    audio = decode(synth("verify", SAID, steady=1.0))
    transcript = engine.transcribe(audio, DecodeOptions(beam_size=2), source="verify.wav")
    return engine, audio, transcript


def where(transcript, name: str) -> tuple[int, float, float]:
    """The word Whisper wrote for the spoken ``name``: its index and times."""
    words = transcript.words
    k = max(range(len(words)), key=lambda i: fuzz.ratio(words[i].text.strip(" ,.").lower(), name.lower()))
    return k, words[k].start, words[k].end


LENGTH_BIAS = pytest.mark.xfail(strict=True, reason="known limitation (issue 13 note): Pradax (-39.7) beats the spoken "
                                "Protonix (-42.1); both are three tokens, so the fitted per-token allowance cannot part "
                                "them: the text score and the prior decide")


@pytest.mark.parametrize("said, rivals", [pytest.param("Protonix", ["Pradaxa", "Prodine", "Pradax"], marks=LENGTH_BIAS),
                                          ("Plavix", ["Lasix", "Larbex", "Celebrex"])])
def test_the_scorer_prefers_the_name_that_was_said(heard, said, rivals):
    engine, audio, transcript = heard
    _, start, end = where(transcript, said)
    names = [said] + rivals
    reused = engine.scorer(audio, transcript)  # the recognition's own encoder output
    own = windowed(engine._whisper, "en", audio, transcript.words)  # windows encoded afresh
    for scorer in (reused, own):
        scores = scorer.compare(start, end, names, prompt=names)
        assert max(range(len(names)), key=lambda k: scores[k]) == 0, (scorer, dict(zip(names, scores)))
    assert reused.readings == len(names) and own.readings == len(names)


def test_a_garbled_name_is_corrected_only_with_the_audios_support(heard):
    """Whisper's own misspellings of these names on the dev dictations put in its mouth: with
    the audio, each is corrected and says how well the recording supports it."""
    engine, audio, transcript = heard
    words = list(transcript.words)
    for said, garble in (("Protonix", "Prodynx"), ("Plavix", "plabix")):
        k, _, _ = where(transcript, said)
        words[k] = replace(words[k], text=" " + garble, probability=0.3)
    tokens, _, _ = prepare(words)
    scorer = engine.scorer(audio, transcript)
    fixed = {t.heard: t for t in correct(tokens, scorer=scorer) if t.heard}
    assert fixed.keys() == {"Prodynx", "plabix"}, fixed
    assert fixed["Prodynx"].text == "Protonix" and fixed["plabix"].text == "Plavix"
    assert all(t.support is not None for t in fixed.values())
    assert scorer.readings > 0


def test_a_name_the_audio_does_not_settle_is_flagged_with_it_and_not_written(heard, monkeypatch):
    """Below the acceptance (here: nothing accepted) a proposal leaves the words as heard,
    each marked with the name, and the draft's list says what to listen for."""
    from pipeline.language import verify
    from pipeline.letters.draft import flag_lines
    from pipeline.language.dictation import dictate

    engine, audio, transcript = heard
    words = list(transcript.words)
    k, _, _ = where(transcript, "Protonix")
    words[k] = replace(words[k], text=" Prodynx", probability=0.3)
    fitted = verify.rules()
    monkeypatch.setattr(verify, "rules", lambda: replace(fitted, accept=1.01, doubt=0.0))
    scorer = engine.scorer(audio, transcript)
    letter = dictate(words, lambda t: correct(t, scorer=scorer))
    doubted = {t.text: t.doubt for t in letter.tokens if t.doubt}
    assert doubted.get("Prodynx") == "Protonix", doubted
    assert not any(t.heard for t in letter.tokens if t.kind == "word" and not t.text.isupper())  # none corrected
    assert "Prodynx" in letter.text and "Protonix" not in letter.text
    assert any("possibly Protonix" in line for line in flag_lines(transcript, letter))


def test_the_scorer_holds_the_chunks_once(heard):
    """The recognition's encoder output is handed to one scorer, then let go: a second call
    (or a transcript read back after an interruption) encodes its own windows."""
    engine, audio, transcript = heard
    engine.transcribe(audio, DecodeOptions(beam_size=2), source="again.wav")
    first, second = engine.scorer(audio, transcript), engine.scorer(audio, transcript)
    assert all(p is not None for p in first.pieces)
    assert all(p is None for p in list.__iter__(second.pieces))  # lazy: nothing encoded until asked
