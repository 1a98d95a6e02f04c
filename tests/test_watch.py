"""End to end: a dictation dropped in a real inbox, picked up by the real watcher (watchdog),
comes out as a draft .docx that python-docx reads back."""
from __future__ import annotations

import json
import shutil
import stat
import threading
import time
from pathlib import Path

import docx
import pytest
from docx.enum.text import WD_COLOR_INDEX

from conftest import words
from pipeline.config import Settings
from pipeline.records import Transcript
from pipeline.watch import Watcher

LOW = 0.9  # high, so the test sees highlights whatever the audio


def _wait_for(predicate, timeout=120.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture(scope="module")
def dropped(tmp_path_factory, engines, dictation_clip):
    """Run a watcher on a fresh inbox; drop a bad file, then a dictation written slowly."""
    root = tmp_path_factory.mktemp("office")
    settings = Settings(inbox=root / "inbox", outbox=root / "outbox", settle_seconds=1.0,
                        rescan_seconds=5.0, low_confidence=LOW)
    watcher = Watcher(settings, engines("faster", "base", "int8"))
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    time.sleep(0.5)
    (settings.inbox / "Smith scan.mp3").write_text("not audio at all")
    (settings.inbox / ".hidden.wav").write_bytes(dictation_clip.read_bytes())  # ignored until renamed
    # A slow copy: the watcher must wait for the whole file.
    data = dictation_clip.read_bytes()
    part = settings.inbox / "Smith dictation.wav"
    with open(part, "wb") as fh:
        for i in range(0, len(data), len(data) // 4 + 1):
            fh.write(data[i : i + len(data) // 4 + 1])
            fh.flush()
            time.sleep(0.4)
    drafts = settings.outbox / "drafts"
    assert _wait_for(lambda: any(drafts.rglob("*.docx")) and watcher.failed >= 1), "no draft came out"
    watcher.stop()
    thread.join(timeout=30)
    return settings, watcher


def test_draft_reads_back(dropped):
    settings, watcher = dropped
    assert watcher.processed == 1 and watcher.failed == 1
    [draft] = list((settings.outbox / "drafts").rglob("*.docx"))
    assert draft.name.startswith("John Smith - Letter - Sarah Patel - ")
    assert draft.parent.name == time.strftime("%Y-%m-%d")
    doc = docx.Document(str(draft))
    text = "\n".join(p.text for p in doc.paragraphs)
    for expected in ("chest pain", "hypertension", "blood pressure", "stress test"):
        assert expected in " ".join(words(text))
    assert "Patient: John Smith" in text and "Author: Dr Sarah Patel" in text
    assert doc.sections[0].header.paragraphs[0].text == "DRAFT — for review"

    [archive] = list((settings.outbox / "archive").glob("*/*"))
    transcript = Transcript.from_dict(json.loads((archive / "transcript.json").read_text()))
    assert (archive / "Smith dictation.wav").is_file()  # the original, archived
    props = doc.core_properties
    assert props.identifier == archive.name
    assert props.subject == "Smith dictation.wav"
    assert "engine=faster-whisper" in props.keywords and "model=base" in props.keywords
    # Exactly the words below the threshold are highlighted.
    lit = [r.text.strip() for p in doc.paragraphs for r in p.runs if r.font.highlight_color == WD_COLOR_INDEX.YELLOW]
    doubtful = [w.text.strip() for w in transcript.words if w.probability < LOW]
    assert lit == doubtful and lit


def test_bad_file_set_aside_with_reason(dropped):
    settings, _ = dropped
    failed = settings.outbox / "failed"
    assert (failed / "Smith scan.mp3").is_file()
    reason = (failed / "Smith scan.mp3.error.txt").read_text()
    assert "Smith scan.mp3" in reason and "What to do:" in reason


def test_nothing_lost_and_private(dropped):
    settings, _ = dropped
    assert sorted(p.name for p in settings.inbox.iterdir()) == [".hidden.wav", ".work"]
    assert not any((settings.inbox / ".work").iterdir())
    for path in settings.outbox.rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, (path, oct(mode))


def test_restart_recovers_a_claimed_file(tmp_path, engines, dictation_clip):
    """A file left in the work area by a crash goes back to the inbox and is processed."""
    settings = Settings(inbox=tmp_path / "in", outbox=tmp_path / "out", settle_seconds=0.2, rescan_seconds=1.0)
    watcher = Watcher(settings, engines("faster", "base", "int8"))
    stranded = settings.inbox / ".work" / "20260101-000000-aaaaaa"
    stranded.mkdir(parents=True)
    shutil.copyfile(dictation_clip, stranded / "Left over.wav")
    watcher.run(until_idle=True)
    assert watcher.processed == 1
    assert len(list((settings.outbox / "drafts").rglob("*.docx"))) == 1
    assert not any((settings.inbox / ".work").iterdir())


def test_no_speech_is_failed_not_an_empty_letter(tmp_path, engines):
    import wave

    import numpy as np

    settings = Settings(inbox=tmp_path / "in", outbox=tmp_path / "out", settle_seconds=0.2, rescan_seconds=1.0)
    settings.inbox.mkdir()
    noise = (np.random.default_rng(0).normal(0, 0.01, 16000 * 4) * 32767).astype(np.int16)
    with wave.open(str(settings.inbox / "hiss.wav"), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16000)
        wav.writeframes(noise.tobytes())
    watcher = Watcher(settings, engines("faster", "base", "int8"))
    watcher.run(until_idle=True)
    assert watcher.failed == 1 and not (settings.outbox / "drafts").exists()
    assert "no speech" in (settings.outbox / "failed" / "hiss.wav.error.txt").read_text()
