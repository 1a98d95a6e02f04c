"""Decode any common container to 16 kHz mono float32 with PyAV (no ffmpeg binary needed).

Bad input never crashes the caller and never becomes an empty letter: each fault is an
AudioError that names the file, the problem and what to do.
"""
from __future__ import annotations

import struct
from pathlib import Path

import av
import numpy as np

from ..errors import AudioError
from ..files import Blob, head_of, opened

SAMPLE_RATE = 16_000
AUDIO_SUFFIXES = frozenset(
    {".wav", ".mp3", ".m4a", ".mp4", ".aac", ".ogg", ".oga", ".opus", ".flac", ".webm", ".wma", ".dss", ".ds2", ".amr", ".3gp"}
)
# Peak below this (about -60 dBFS) is a recording of nothing: a muted microphone.
SILENCE_PEAK = 1e-3
# A file that decodes to less than this share of the length its header declares was
# cut off (a copy interrupted, a recorder unplugged): refuse rather than draft half a letter.
TRUNCATED_SHARE = 0.9
_RECORDER_FIX = "copy the recording again from the recorder or phone and drop it in the inbox"


def _fail(path: Path | Blob, problem: str, fix: str = _RECORDER_FIX) -> AudioError:
    return AudioError(problem, fix, file=path.name)


def decode(path: str | Path | Blob) -> np.ndarray:
    """Return the audio of ``path`` (or of a ``Blob``'s bytes) as float32 samples in [-1, 1] at 16 kHz mono."""
    path = path if isinstance(path, Blob) else Path(path)
    if path.suffix.lower() == ".ds2":
        # DS2 (DSS Pro) is encrypted/proprietary; FFmpeg has no decoder for it.
        raise _fail(path, "DS2 (Olympus DSS Pro) recordings cannot be decoded here",
                    "export the dictation as WAV or DSS from Olympus ODMS (or set the recorder to DSS) and drop that file")
    try:
        size = len(path.data) if isinstance(path, Blob) else path.stat().st_size
    except FileNotFoundError:
        raise _fail(path, "the file does not exist", "check the path")
    if size == 0:
        raise _fail(path, "the file is empty (0 bytes)")
    try:
        container = av.open(opened(path), metadata_errors="ignore")
    except av.error.FFmpegError as err:
        raise _fail(path, "the file cannot be read as audio: it is not a recording, or it is damaged or incomplete "
                    f"({err.strerror or type(err).__name__})",
                    "check that it is a dictation (wav, mp3, m4a, ogg, opus, flac, webm or dss); " + _RECORDER_FIX)
    with container:
        if not container.streams.audio:
            raise _fail(path, "the file has no audio stream", "drop the audio recording, not a video or document")
        stream = container.streams.audio[0]
        declared = _wav_declared_seconds(path) or _declared_seconds(container, stream)
        samples = _decode_stream(path, container, stream)
    if samples.size == 0:
        raise _fail(path, "the file contains no audio samples (it may be truncated)")
    seconds = samples.size / SAMPLE_RATE
    if declared and declared > 2.0 and seconds < TRUNCATED_SHARE * declared:
        raise _fail(path, f"the file is truncated: it stops at {seconds:.1f} s of the {declared:.1f} s its header declares")
    if float(np.max(np.abs(samples))) < SILENCE_PEAK:
        raise _fail(path, f"the recording is silent ({seconds:.1f} s with no sound)",
                    "check the microphone and record the dictation again")
    return samples


def _wav_declared_seconds(path: Path | Blob) -> float | None:
    """Length the RIFF header promises. FFmpeg clamps a WAV's duration to the bytes present,
    so a copy cut short would otherwise look complete."""
    head = head_of(path, 4096)
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    pos, byte_rate = 12, None
    while pos + 8 <= len(head):
        chunk, size = head[pos : pos + 4], struct.unpack_from("<I", head, pos + 4)[0]
        if chunk == b"fmt ":
            byte_rate = struct.unpack_from("<I", head, pos + 16)[0]
        elif chunk == b"data":
            # 0 and 0xFFFFFFFF mean "unknown length" (a recording streamed to disk).
            return size / byte_rate if byte_rate and size not in (0, 0xFFFFFFFF) else None
        pos += 8 + size + (size & 1)
    return None


def _declared_seconds(container, stream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None


def _decode_stream(path: Path | Blob, container, stream) -> np.ndarray:
    if stream.codec_context is None or stream.codec_context.name is None:
        raise _fail(path, "the audio codec is unknown to this build of PyAV")
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    chunks: list[np.ndarray] = []
    try:
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
    except av.error.FFmpegError as err:
        if not chunks:
            hint = " (Olympus DSS: only the classic DSS SP codec is supported)" if path.suffix.lower() == ".dss" else ""
            raise _fail(path, f"the audio cannot be decoded{hint}: {err.strerror or type(err).__name__}")
        # Damage after some good audio is reported by the truncation check in decode().
    for out in resampler.resample(None):
        chunks.append(out.to_ndarray().reshape(-1))
    if not chunks:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate(chunks).astype(np.float32) / 32768.0
