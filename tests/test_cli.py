"""The `dictation` command as a user runs it."""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import docx
import pytest

from conftest import words


def dictation(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], capture_output=True, text=True, cwd=cwd,
                          env=os.environ | (env or {}))


def test_transcribe_prints_the_quote(quote_clip):
    path, _ = quote_clip
    out = dictation("transcribe", str(path), "--format", "txt")
    assert out.returncode == 0, out.stderr
    assert "ask not what your country can do for you" in " ".join(words(out.stdout))


def test_transcribe_writes_every_format(tmp_path, quote_clip):
    path, _ = quote_clip
    out = dictation("transcribe", str(path), "--model", "tiny.en", "--format", "txt,json,srt,vtt,docx", "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    stem = path.stem
    assert (tmp_path / f"{stem}.srt").read_text().startswith("1\n00:00:0")
    assert (tmp_path / f"{stem}.vtt").read_text().startswith("WEBVTT\n\n00:00:0")
    assert '"engine": "faster-whisper"' in (tmp_path / f"{stem}.json").read_text()
    assert "country" in "\n".join(p.text for p in docx.Document(str(tmp_path / f"{stem}.docx")).paragraphs)


def test_bad_input_exit_status(tmp_path, quote_clip):
    bad = tmp_path / "notes.wav"
    bad.write_text("hello")
    path, _ = quote_clip
    out = dictation("transcribe", str(bad), str(path), "--model", "tiny.en")
    assert out.returncode == 1
    assert "notes.wav" in out.stderr and "What to do:" in out.stderr
    assert "country" in out.stdout  # the good file is still transcribed


def test_usage_errors():
    out = dictation("transcribe", "x.wav", "--format", "docx")
    assert out.returncode == 2 and "--out DIR" in out.stderr
    out = dictation("transcribe", "x.wav", "--model", "gigantic")
    assert out.returncode == 2 and "use one of: base, tiny.en" in out.stderr


def test_models_command():
    out = dictation("models")
    assert out.returncode == 0
    assert "base" in out.stdout and "tiny.en" in out.stdout and "verified" in out.stdout


def test_only_a_precision_this_cpu_runs(quote_clip):
    """int16 exists only with CTranslate2's MKL backend (Intel CPUs), not with oneDNN (AMD): asked
    for where it is missing it is refused, never quietly run as another precision. CT2_USE_MKL
    chooses the backend as CTranslate2 itself does per CPU vendor, so both cases run for real."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        pytest.skip("MKL and oneDNN are CTranslate2's backends on x86 only")
    onednn, mkl = {"CT2_USE_MKL": "0"}, {"CT2_USE_MKL": "1"}
    assert "precisions this CPU runs: int8, float32 (default int8)" in dictation("models", env=onednn).stdout
    assert "precisions this CPU runs: int8, int16, float32 (default int8)" in dictation("models", env=mkl).stdout

    path, _ = quote_clip
    out = dictation("transcribe", str(path), "--compute-type", "int16", env=onednn)
    assert out.returncode == 2 and "no int16 kernels" in out.stderr and "int8, float32" in out.stderr
    out = dictation("transcribe", str(path), "--compute-type", "int16", "--format", "json", env=mkl)
    assert out.returncode == 0, out.stderr
    transcript = json.loads(out.stdout)
    assert transcript["settings"]["compute_type"] == "int16"  # what ran
    assert "ask not what your country can do for you" in " ".join(words(transcript["text"]))
