"""Recognition with real weights on real audio: both engines, both models."""
from __future__ import annotations

import json

import pytest

from conftest import SHARED, asr_references, manifest, need_shared, wer, words
from pipeline.records import Transcript

PARITY = dict(vad_filter=False)  # openai-whisper has no voice activity detection
PARITY_DICTATIONS = ("dict-s1-001.wav", "dict-s1-011.wav")


@pytest.mark.parametrize("engine", ["faster", "openai"])
@pytest.mark.parametrize("model", ["tiny.en", "base"])
def test_quote_with_each_engine_and_model(quote_clip, transcribe, engine, model):
    path, _ = quote_clip
    text = " ".join(words(transcribe(path, engine, model).text))
    assert "ask not what your country can do for you" in text


def test_librispeech_wer_with_base(transcribe):
    refs = asr_references()
    for name, ref in refs.items():
        if name.startswith("librispeech"):
            hyp = transcribe(SHARED / "asr" / name).text
            assert wer(ref, hyp) <= 0.15, (name, hyp)


def parity_clips():
    if not SHARED.exists():
        return ["synthetic"]
    return sorted(p.name for p in (SHARED / "asr").glob("*") if p.suffix in (".wav", ".flac")) + list(PARITY_DICTATIONS)


@pytest.mark.parametrize("clip", parity_clips())
def test_engines_give_identical_text(clip, transcribe, dictation_clip):
    """The converted checkpoint in openai-whisper reproduces faster-whisper (float32) exactly."""
    if clip == "synthetic":
        path = dictation_clip
    elif clip.startswith("dict-"):
        path = need_shared("dictations", clip)
    else:
        path = SHARED / "asr" / clip
    fast = transcribe(path, "faster", "base", "float32", **PARITY)
    ref = transcribe(path, "openai", "base", **PARITY)
    assert fast.text == ref.text


# The three dev dictations the language tests transcribe in int8 already (4.2 min of audio).
INT8_CHECK = ("dict-s1-001.wav", "dict-s1-006.wav", "dict-s1-011.wav")


def test_int8_no_worse_than_float32_beyond_noise(transcribe):
    """int8 is the default because it costs no accuracy that a dictation set can show: on the 12
    dev dictations it is 0.45 points behind float32 through oneDNN on AVX2 (an AMD CPU's path)
    and -0.XX through MKL (bench/asr.py --wer, README). One file swings 3–5 points either way
    on either CPU, so this pools three and allows 4 points: it fails on a broken int8 path (or
    conversion), not on a CPU's rounding. The exact comparison belongs to the bench."""
    entries = [m for m in manifest("dictations") if m["audio"] in INT8_CHECK]
    paths = [SHARED / "dictations" / e["audio"] for e in entries]
    script = " ".join(e["spoken_script"] for e in entries)
    int8 = wer(script, " ".join(transcribe(p, "faster", "base", "int8").text for p in paths))
    f32 = wer(script, " ".join(transcribe(p, "faster", "base", "float32").text for p in paths))
    assert int8 <= 0.2 and f32 <= 0.2, (int8, f32)  # 12-15 % measured on each CPU path
    assert int8 <= f32 + 0.04, (int8, f32)


def test_transcript_record(dictation_clip, transcribe):
    t = transcribe(dictation_clip)
    assert t.engine == "faster-whisper" and t.model == "base" and t.language == "en"
    assert t.settings["beam_size"] == 5 and t.settings["vad_filter"] is True
    assert t.settings["condition_on_previous_text"] is False and t.settings["compute_type"] == "int8"
    assert 20 < t.duration < 90
    all_words = t.words
    assert len(all_words) > 50
    for w in all_words:
        assert 0.0 <= w.start <= w.end <= t.duration + 0.5
        assert 0.0 <= w.probability <= 1.0
    starts = [w.start for w in all_words]
    assert starts == sorted(starts)
    # The JSON form round-trips to the same record.
    again = Transcript.from_dict(json.loads(json.dumps(t.to_dict())))
    assert again == t
    text = " ".join(words(t.text))
    for expected in ("chest pain", "hypertension", "diabetes", "blood pressure", "stress test"):
        assert expected in text


def test_word_timestamps_from_reference_engine(quote_clip, transcribe):
    """The converter carries the alignment heads, so openai-whisper's word timings line up."""
    path, _ = quote_clip
    fast = transcribe(path, "faster", "base", "float32", **PARITY)
    ref = transcribe(path, "openai", "base", **PARITY)
    assert [w.text for w in fast.words] == [w.text for w in ref.words]
    for a, b in zip(fast.words, ref.words):
        assert abs(a.start - b.start) < 0.3 and abs(a.end - b.end) < 0.3
