"""Decoding: every common container, and a clear error for each kind of bad input."""
from __future__ import annotations

import wave

import av
import numpy as np
import pytest

from conftest import manifest, need_shared
from pipeline.asr.audio import SAMPLE_RATE, decode
from pipeline.errors import AudioError


def test_every_dev_container_decodes():
    entries = manifest("dictations")
    assert {e["format"] for e in entries} >= {"wav", "mp3", "m4a", "ogg", "flac"}
    for entry in entries:
        samples = decode(need_shared("dictations", entry["audio"]))
        assert samples.dtype == np.float32
        assert abs(samples.size / SAMPLE_RATE - entry["duration_s"]) < 0.2, entry["audio"]


def _encode(src: np.ndarray, path, codec: str, rate: int) -> None:
    """Encode 16 kHz mono float samples into another container with PyAV.

    The encoder gets frames of exactly its frame size with explicit timestamps: handing
    AAC one long resampled frame makes the MP4 muxer refuse some lengths (EINVAL from
    non-monotonic timestamps on the flushed tail).
    """
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=rate)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray((src * 32767).astype(np.int16).reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        resampler = av.AudioResampler(format=stream.codec_context.format.name, layout="mono", rate=rate)
        size = stream.codec_context.frame_size or 1024
        fifo = av.AudioFifo()
        for chunk in resampler.resample(frame) + resampler.resample(None):
            chunk.pts = None
            fifo.write(chunk)
        pts = 0
        while fifo.samples:
            piece = fifo.read(min(size, fifo.samples))
            piece.pts = pts
            pts += piece.samples
            for packet in stream.encode(piece):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


@pytest.mark.parametrize(
    "suffix,codec,rate",
    [("mp3", "libmp3lame", 22050), ("m4a", "aac", 22050), ("ogg", "libopus", 48000),
     ("opus", "libopus", 48000), ("flac", "flac", 16000), ("webm", "libopus", 48000)],
)
def test_containers_made_here_decode(tmp_path, dictation_clip, suffix, codec, rate):
    original = decode(dictation_clip)
    path = tmp_path / f"clip.{suffix}"
    _encode(original, path, codec, rate)
    samples = decode(path)
    assert abs(samples.size - original.size) / SAMPLE_RATE < 0.1
    # Same sound, not just the same length: the 10 ms envelopes correlate, allowing for
    # the codec's start-up delay (AAC primes about 50 ms).
    n = min(samples.size, original.size) // 160 * 160
    env_a = np.abs(original[:n]).reshape(-1, 160).mean(axis=1)
    env_b = np.abs(samples[:n]).reshape(-1, 160).mean(axis=1)
    best = max(np.corrcoef(env_a[: len(env_a) - lag], env_b[lag:])[0, 1] for lag in range(0, 20))
    assert best > 0.9


def _expect(path, *phrases):
    with pytest.raises(AudioError) as info:
        decode(path)
    message = str(info.value)
    assert path.name in message and "What to do:" in message
    for phrase in phrases:
        assert phrase in message, message
    return message


def test_empty_file(tmp_path):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    _expect(path, "empty")


def test_not_audio(tmp_path):
    path = tmp_path / "letter.mp3"
    path.write_text("Dear Doctor, this is a text file, not a recording.\n" * 50)
    _expect(path, "cannot be read as audio")


@pytest.mark.parametrize("suffix,codec,rate", [("wav", None, 0), ("flac", "flac", 16000), ("mp3", "libmp3lame", 22050)])
def test_truncated_file(tmp_path, dictation_clip, suffix, codec, rate):
    whole = dictation_clip if codec is None else tmp_path / f"whole.{suffix}"
    if codec:
        _encode(decode(dictation_clip), whole, codec, rate)
    data = whole.read_bytes()
    path = tmp_path / f"cut.{suffix}"
    path.write_bytes(data[: len(data) // 2])  # the header still declares the full length
    _expect(path, "truncated")


def test_header_only(tmp_path, dictation_clip):
    path = tmp_path / "header.wav"
    path.write_bytes(dictation_clip.read_bytes()[:44])
    _expect(path)


def test_silent_recording(tmp_path):
    path = tmp_path / "silence.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16000)
        wav.writeframes(b"\x00\x00" * 16000 * 5)
    _expect(path, "silent")


def test_dss_error_path(tmp_path):
    """No DSS sample can be made here: a damaged .dss must still fail clearly, not crash."""
    assert "dss_sp" in av.codecs_available  # the decoder Olympus DSS needs is in PyAV's build
    path = tmp_path / "recorder.dss"
    header = b"\x02dss" + bytes(1020)  # a DSS signature followed by nothing decodable
    path.write_bytes(header + np.random.default_rng(1).bytes(4000))
    _expect(path)


def test_ds2_is_refused_with_a_fix(tmp_path):
    path = tmp_path / "recorder.ds2"
    path.write_bytes(b"\x03ds2" + bytes(2000))
    _expect(path, "DS2", "export")
