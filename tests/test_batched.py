"""Batched recognition (asr/batched.py) with the product's defaults, on speech synthesised here.

Whether batching keeps accuracy on dictations is the bench's to measure (bench/asr.py --day);
these tests hold on any CPU: each recording gets its own words, chunks of several recordings
share batches, a lone recording is not held back, a chunk that fails Whisper's fallback
tests is decoded again, and batching does less work than the sequential mode in the same process.
"""
from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import wer

# Three short letters written for these tests, each with words the others lack.
LETTERS = (
    "Thank you for seeing this forty year old man with pain in his right knee after a fall at work. "
    "The knee is swollen and he cannot bend it fully. An x-ray showed no fracture. "
    "I would be grateful for your opinion on whether he needs a scan of the knee.",
    "This lady has had asthma since childhood and her inhaler is no longer enough. "
    "She wakes at night with a cough and wheeze most weeks. Her peak flow is lower than last year. "
    "Please review her asthma treatment and advise on a preventer inhaler.",
    "I saw this gentleman about his cataract. His vision in the left eye has become cloudy over the past year "
    "and he no longer drives at night. The cataract is now dense. "
    "Please see him in the eye clinic to discuss surgery.",
)
OWN = ("knee", "inhaler", "vision")


@pytest.fixture(scope="session")
def batched(engines):
    """The engine as `dictation batch` and `watch` load it on this machine: the product's defaults."""
    engine = engines("faster", "base", "int8", desk=True)
    assert engine.batch_size > 1, "the product's default must be the batched mode"
    return engine


@pytest.fixture(scope="session")
def letters(synth):
    from pipeline.asr.audio import decode

    return [decode(synth(f"batched-{i}", text)) for i, text in enumerate(LETTERS)]


def transcribe_together(engine, audios, options):
    from pipeline.process import transcribe_audio

    with ThreadPoolExecutor(len(audios)) as pool:
        return list(pool.map(lambda a: transcribe_audio(a, "letter.wav", engine, options), audios))


def test_recordings_batched_together_each_get_their_own_words(batched, letters):
    from pipeline.config import Settings
    from pipeline.process import decode_options

    # Six at once: idle recognisers take the first arrivals alone (a lone file is not held);
    # the rest queue up behind them and are decoded together.
    before = Counter(batched.stats)
    transcripts = transcribe_together(batched, letters * 2, decode_options(Settings()))
    after = batched.stats
    assert after["batches shared by recordings"] > before["batches shared by recordings"]
    for n, transcript in enumerate(transcripts):
        i = n % len(LETTERS)
        assert wer(LETTERS[i], transcript.text) <= 0.2, transcript.text
        text = transcript.text.lower()
        assert OWN[i] in text and not any(w in text for j, w in enumerate(OWN) if j != i)
        starts = [w.start for w in transcript.words]
        assert starts == sorted(starts) and all(0 <= w.start <= w.end <= transcript.duration + 0.5
                                                for w in transcript.words)
        assert transcript.settings["batch_size"] == batched.batch_size
        assert transcript.settings["beam_size"] == Settings().beam_size


def test_a_lone_recording_is_shared_out_not_held(batched, synth):
    """One recording of several chunks, alone in the queue: idle recognisers split it at once."""
    from pipeline.asr.audio import decode
    from pipeline.config import Settings
    from pipeline.process import decode_options

    audio = decode(synth("batched-long", " ".join(LETTERS * 2)))
    before = Counter(batched.stats)
    transcript = transcribe_together(batched, [audio], decode_options(Settings()))[0]
    spent = Counter(batched.stats)
    spent.subtract(before)
    assert spent["chunks"] >= 2 and spent["batches"] >= min(2, batched._batcher.replicas)
    assert wer(" ".join(LETTERS * 2), transcript.text) <= 0.2


def test_a_chunk_failing_the_fallback_tests_is_decoded_again(batched, letters):
    """A mean log-probability threshold of 0 fails every chunk for real (log-probabilities are
    negative), so every chunk is re-decoded on its own; the better text is kept."""
    from dataclasses import replace

    from pipeline.config import Settings
    from pipeline.process import decode_options

    before = Counter(batched.stats)
    options = replace(decode_options(Settings()), log_prob_threshold=0.0)
    transcripts = transcribe_together(batched, letters[:1], options)
    spent = Counter(batched.stats)
    spent.subtract(before)
    assert spent["fallback chunks"] == spent["chunks"] >= 1
    assert wer(LETTERS[0], transcripts[0].text) <= 0.2


def test_a_chunk_caught_in_a_loop_fails_the_fallback_tests():
    """A loop amid ordinary text (dev dict-d3-012: "1" 59 times in a medication list) keeps the
    compression ratio under Whisper's threshold; the repeat test sends it back all the same.
    (A loop cannot be made to happen on demand: the segment is written here.)"""
    from pipeline.asr.batched import fails
    from pipeline.records import DecodeOptions

    options = DecodeOptions()
    listed = "Flomax 0.4 mg daily, aspirin 81 mg daily, verapamil SR 180 mg daily, and Zetia 10 mg daily."
    looped = "Zetia 10 mg " + " ".join(["1"] * 12) + " daily, Feosol twice a day."
    assert not fails(dict(text=listed, compression_ratio=1.3, avg_logprob=-0.3), options)
    assert fails(dict(text=looped, compression_ratio=1.9, avg_logprob=-0.2), options)


def test_batched_does_less_work_than_sequential_in_the_same_process(batched, engines, letters):
    """Ratios in one process, so they hold on any CPU.

    Batching saves decoder work (beam 2, chunks of several recordings decoded together); the
    encoder pass is the same either way. So the claim that holds on every CPU is CPU time:
    less of it, by 1.18x to 1.5x in the CI runs on this Zen 3 EPYC (1.5x on Zen 4); the
    floor of 1.1 is under the lowest seen, and still fails if batching stops saving work. Wall time gains with it only where
    the decoder is a large share (3x on an AVX-512 EPYC; 1.0-1.3x for these 13 s letters on
    Zen 3, where the encoder is half the work): that figure is the bench's (bench/asr.py --day).
    Here the batched mode must at least not be slower."""
    from pipeline.config import Settings
    from pipeline.process import decode_options, transcribe_audio
    from pipeline.records import DecodeOptions

    sequential = engines("faster", "base", "int8")  # batch 1, beam 5: the settings before batching
    transcribe_audio(letters[0], "warm.wav", sequential, DecodeOptions())
    transcribe_together(batched, letters[:1], decode_options(Settings()))
    runs = {"one by one": [], "together": []}
    for _ in range(2):  # interleaved, the better of two each: a shared machine's noise (one CI run: 1.18)
        began, cpu = time.perf_counter(), time.process_time()
        for audio in letters:
            transcribe_audio(audio, "letter.wav", sequential, DecodeOptions())
        runs["one by one"].append((time.perf_counter() - began, time.process_time() - cpu))
        began, cpu = time.perf_counter(), time.process_time()
        transcribe_together(batched, letters, decode_options(Settings()))
        runs["together"].append((time.perf_counter() - began, time.process_time() - cpu))
    one_by_one, together = ((min(w for w, _ in r), min(c for _, c in r)) for r in runs.values())
    assert one_by_one[1] / together[1] >= 1.1, ("CPU seconds", one_by_one[1], together[1])
    assert one_by_one[0] / together[0] >= 0.8, ("wall seconds", one_by_one[0], together[0])


def test_batch_and_beam_size_are_settings(tmp_path):
    from pipeline.config import load
    from pipeline.process import decode_options

    config = tmp_path / "config.toml"
    config.write_text("batch_size = 1\nbeam_size = 5\n")
    settings = load(config)
    assert (settings.batch_size, settings.beam_size) == (1, 5)
    assert decode_options(settings).beam_size == 5
