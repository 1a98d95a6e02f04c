"""Voicemails for the tests and bench/phone.py: piper speech put through a telephone line
(300-3400 Hz, 8 kHz, a little line noise) and saved as a phone system exports it: 8 kHz
mu-law WAV, 8 kHz PCM WAV or MP3."""
from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

RATE = 8000


def telephone(samples: np.ndarray, rate: int, snr_db: float = 25.0, seed: int = 0,
              speech_power: float | None = None) -> np.ndarray:
    """Band-limit to 300-3400 Hz, resample to 8 kHz and add white noise at ``snr_db`` below the
    speech (``speech_power``, the mean square of the speech alone; else of ``samples``)."""
    spectrum = np.fft.rfft(samples)
    freqs = np.fft.rfftfreq(len(samples), 1 / rate)
    spectrum[(freqs < 300) | (freqs > 3400)] = 0
    band = np.fft.irfft(spectrum, len(samples))
    t_out = np.arange(int(len(band) * RATE / rate)) / RATE
    out = np.interp(t_out, np.arange(len(band)) / rate, band)
    kept = np.mean(out ** 2) / (np.mean(samples ** 2) or 1e-9)  # the share of the power the band keeps
    # the noise is set against the speech alone: an open line before or after it does not dilute it
    power = (np.mean(samples ** 2) if speech_power is None else speech_power) * kept or 1e-9
    noise = np.random.default_rng(seed).normal(0, np.sqrt(power / 10 ** (snr_db / 10)), len(out))
    out = out + noise
    return (out / max(1.0, np.max(np.abs(out)) / 0.95)).astype(np.float32)


def save(samples: np.ndarray, path: Path, codec: str = "pcm_mulaw") -> Path:
    """``codec``: pcm_mulaw or pcm_s16le (.wav), mp3 (.mp3)."""
    import av

    pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16)
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=RATE, layout="mono")
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def voicemail(voice, text: str, path: Path, codec: str = "pcm_mulaw", seed: int = 0, snr_db: float = 25.0,
              steady: bool = False, lead_s: float = 0.0, tail_s: float = 0.0) -> Path:
    """``voice``: a loaded PiperVoice. The message as a phone line carries it, saved at ``path``.
    ``steady``: piper's own noise off, so the same text gives the same audio (tests).
    ``lead_s``, ``tail_s``: seconds of the open line (its noise only) before the caller speaks
    and after they stop, before hanging up."""
    import io

    from piper import SynthesisConfig

    config = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0, length_scale=1.0) if steady else None
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        voice.synthesize_wav(text, wav, syn_config=config)
    buffer.seek(0)
    with wave.open(buffer, "rb") as wav:
        rate = wav.getframerate()
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16).astype(np.float32) / 32768
    speech_power = np.mean(samples ** 2)
    samples = np.concatenate([np.zeros(int(lead_s * rate), np.float32), samples,
                              np.zeros(int(tail_s * rate), np.float32)])
    return save(telephone(samples, rate, snr_db, seed, speech_power), path, codec)


def hang_up(path: Path, seconds: float, level: float = 0.01, codec: str = "pcm_mulaw", seed: int = 0) -> Path:
    """A voicemail no one spoke on: ``seconds`` of the line's noise (``level``: its RMS, full
    scale 1), as a phone system records a caller who hung up at the tone."""
    noise = np.random.default_rng(seed).normal(0, level, int(seconds * RATE)).astype(np.float32)
    return save(noise, path, codec)
