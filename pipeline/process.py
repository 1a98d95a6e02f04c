"""One dictation through every stage: audio → transcript → draft letter → outbox."""
from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import outbox as ob
from . import preamble
from .asr import Engine, Progress
from .audio import decode
from .config import Settings
from .errors import AudioError
from .letters import render_draft
from .records import DecodeOptions, LetterInfo, Transcript
from .writers import to_json


@dataclass(frozen=True)
class Result:
    job_id: str
    draft: Path
    archive: Path
    transcript: Transcript


def new_job_id(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now()
    return f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def transcribe_audio(audio: np.ndarray, name: str, engine: Engine, options: DecodeOptions,
                     progress: Progress | None = None) -> Transcript:
    """Transcribe decoded audio; no recognisable speech is an error, never an empty letter."""
    transcript = engine.transcribe(audio, options, source=name, progress=progress)
    if not transcript.words:
        raise AudioError("no speech was recognised in the recording",
                         "check that it is the dictation and not a blank or muted recording; record it again if so",
                         file=name)
    return transcript


def transcribe_file(path: Path, engine: Engine, options: DecodeOptions) -> Transcript:
    return transcribe_audio(decode(path), path.name, engine, options)


def letter_info(transcript: Transcript, job_id: str, source: str, when: dt.datetime) -> LetterInfo:
    return LetterInfo(job_id=job_id, source=source, dictated_on=when.date().isoformat(),
                      **preamble.extract(transcript.text))


def draft_bytes(transcript: Transcript, info: LetterInfo, settings: Settings) -> bytes:
    return render_draft(transcript, info, low_confidence=settings.low_confidence,
                        paragraph_pause=settings.paragraph_pause, template=settings.template)


def process(work_file: Path, original_name: str, engine: Engine, settings: Settings,
            options: DecodeOptions, job_id: str | None = None) -> Result:
    """Transcribe ``work_file`` and publish the draft; the original moves to the archive last,
    so a crash before then leaves the input where intake will find it again."""
    now = dt.datetime.now()
    job_id = job_id or new_job_id(now)
    transcript = transcribe_audio(decode(work_file), original_name, engine, options)
    info = letter_info(transcript, job_id, original_name, now)
    archive = ob.archive_dir(settings.outbox, info.dictated_on, job_id)
    ob.write_atomic(archive / "transcript.json", to_json(transcript))
    draft = ob.write_atomic(ob.draft_path(settings.outbox, info, f"{now:%H.%M}"), draft_bytes(transcript, info, settings))
    ob.move(work_file, archive / original_name)
    return Result(job_id, draft, archive, transcript)
