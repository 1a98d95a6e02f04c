"""The worker: takes the next job from the store and carries it to a draft, resumably.

Each stage leaves a durable mark before the next begins, so a kill -9 at any moment
resumes where it stopped: the transcript is saved (atomically) before analysis; the
draft's path is recorded before the draft is written, so a rerun rewrites the same file
and never makes a second letter; the original moves to the archive last.
"""
from __future__ import annotations

import datetime as dt
import errno
import functools
import json
import logging
import os
import time
from pathlib import Path

from ..asr import Engine
from ..asr.audio import decode
from ..config import Settings
from ..errors import DictationError
from ..letters import fhir
from ..letters import kinds as letter_kinds
from ..letters.writers import to_json
from ..ocr.pages import is_scan, page_name
from ..ocr.reader import Reader
from ..process import (complete_info, decode_options, draft_bytes, language, letter_info, scorer_for, speech_of,
                       transcribe_audio)
from ..records import DecodeOptions, LetterInfo, Transcript
from . import outbox as ob
from .intake import Intake
from .store import Job, Store

log = logging.getLogger("dictation.worker")
MAX_ATTEMPTS = 5
BACKOFF_SECONDS = (2.0, 10.0, 60.0, 300.0)
# OS errors that pass: a file locked by another program, a full or busy disk, a share gone.
TRANSIENT_ERRNOS = {errno.EACCES, errno.EBUSY, errno.ENOSPC, errno.EAGAIN, errno.EIO, errno.ETIMEDOUT,
                    errno.EDQUOT, errno.ESTALE, errno.EPERM}


def is_transient(err: BaseException) -> bool:
    return isinstance(err, OSError) and not isinstance(err, FileNotFoundError) and err.errno in TRANSIENT_ERRNOS


class Worker:
    def __init__(self, settings: Settings, store: Store, engine: Engine, intake: Intake,
                 options: DecodeOptions | None = None):
        self.settings = settings
        self.store = store
        self.engine = engine
        self.intake = intake
        self.options = options or decode_options(settings)
        self._ocr = functools.cache(functools.partial(Reader, settings.threads))  # loaded at the first scanned page

    def run_one(self) -> Job | None:
        """Process the most urgent runnable job, if any; return it as it ended."""
        job = self.store.take_next()
        if job is None:
            return None
        try:
            self._process(job)
        except DictationError as err:
            self.intake.set_aside(job.id, Path(job.work_path).parent, str(err), type(err).__name__)
        except Exception as err:
            if is_transient(err) and job.attempts + 1 < MAX_ATTEMPTS:
                delay = BACKOFF_SECONDS[min(job.attempts, len(BACKOFF_SECONDS) - 1)]
                self.store.update(job.id, "retry scheduled", detail=f"{type(err).__name__} errno {err.errno}; in {delay:.0f} s",
                                  attempts=job.attempts + 1, next_attempt_at=time.time() + delay,
                                  lease_owner=None, lease_until=None)
                log.warning("job %s: transient %s, retry in %.0f s", job.id, type(err).__name__, delay)
            else:
                log.error("job %s: %s", job.id, type(err).__name__)  # no message: it may quote PHI
                why = ("the file could not be read or written after several tries" if is_transient(err)
                       else f"the pipeline failed unexpectedly ({type(err).__name__})")
                self.intake.set_aside(job.id, Path(job.work_path).parent,
                                      f"{job.original_name}: {why}.\nWhat to do: drop the file again; "
                                      "if it fails again, give this note to IT.", type(err).__name__)
        return self.store.get(job.id)

    def _dates(self, job: Job) -> tuple[str, dt.datetime]:
        received = dt.datetime.fromisoformat(job.received_at)
        return received.date().isoformat(), received

    def _process(self, job: Job) -> None:
        day, received = self._dates(job)
        work_file = Path(job.work_path)
        archive = ob.archive_path(self.settings.outbox, day, job.id)  # created by its first file
        transcript_path = archive / "transcript.json"

        audio = None
        if transcript_path.is_file():  # transcribed before an interruption
            transcript = Transcript.from_dict(json.loads(transcript_path.read_text(encoding="utf-8")))
            if not transcript.is_scan and self.settings.check_corrections:
                audio = decode(work_file)  # for checking corrections against it
        else:
            scan = is_scan(work_file)
            self.store.update(job.id, "reading the scan" if scan else "transcribing", state="transcribing",
                              attempts=job.attempts + 1)
            if scan:
                transcript = self._read_scan(job, work_file, archive)
            else:
                audio = decode(work_file)
                transcript = transcribe_audio(audio, job.original_name, self.engine, self.options)
            ob.write_atomic(transcript_path, to_json(transcript))

        self.store.update(job.id, "analysing", state="analysing", audio_seconds=round(transcript.duration, 2))
        scorer = scorer_for(self.engine, audio, transcript) if self.settings.check_corrections else None
        practice = learned_practice(self.settings, self._letter_info(job, transcript, received).author)
        dictated, analysis = language(transcript, received.date(), scorer, speech_of(audio, transcript), practice)
        del audio, scorer
        info, analysis, template = complete_info(self._letter_info(job, transcript, received), self.settings, dictated,
                                       analysis, job.metadata.get("letter_type"), frozenset(job.metadata))
        draft_path = Path(job.draft_path) if job.draft_path else self.store.reserve_draft_path(
            job.id, ob.draft_path_base(self.settings.outbox, info, f"{received:%H.%M}"))
        ob.write_atomic(draft_path.with_suffix(".analysis.json"), to_json(analysis))
        # the letter's tokens with the analysis, so the review page reads them instead of re-analysing
        ob.write_atomic(archive / ob.LANGUAGE_FILE, json.dumps(
            {"dictated": dictated.to_dict(), "analysis": analysis.to_dict()}, ensure_ascii=False) + "\n")
        draft = draft_bytes(transcript, info, self.settings, dictated, analysis, template)
        ob.write_atomic(draft_path, draft)
        ob.write_atomic(archive / "draft.docx", draft)  # the draft as written, kept whatever the review does to it

        for leftover in sorted(work_file.parent.iterdir()) if work_file.parent.is_dir() else ():
            ob.move(leftover, archive / leftover.name)  # the original and its sidecar
        if work_file.parent.is_dir():
            work_file.parent.rmdir()
        ob.write_atomic(archive / "document-reference.json", fhir.to_json(fhir.document_reference(
            job_id=job.id, kind=letter_kinds.by_title(info.letter_type), letter=draft_path, final=False,
            patient=info.patient, mrn=info.mrn, author=info.author, dictated_on=info.dictated_on)))
        self.store.update(job.id, "drafted", state="drafted", archive_dir=archive, author=info.author,
                          letter_type=info.letter_type, lease_owner=None, lease_until=None)
        log.info("job %s: drafted (%.1f s of audio)", job.id, transcript.duration)

    def _read_scan(self, job: Job, work_file: Path, archive: Path) -> Transcript:
        """OCR of a scanned note; its pages, as read, go to the archive for the review page."""
        from ..ocr import read as ocr

        return ocr.read_file(work_file, self._ocr, self.settings.scan_limits(), job.original_name,
                             on_page=lambda number, image: ob.write_atomic(archive / page_name(number),
                                                                           ocr.png_bytes(image)))

    def _letter_info(self, job: Job, transcript: Transcript, received: dt.datetime) -> LetterInfo:
        """The preamble's facts, overridden by whatever the sidecar states."""
        heard = letter_info(transcript, job.id, job.original_name, received)
        meta = job.metadata
        return LetterInfo(
            job_id=job.id,
            source=job.original_name,
            dictated_on=heard.dictated_on,
            author=meta.get("author") or heard.author,
            patient=meta.get("patient") or heard.patient,
            letter_type=meta.get("letter_type") or heard.letter_type,
            dob=meta.get("dob"),
            mrn=meta.get("mrn"),
            recipient=meta.get("recipient"),
        )


MAX_REPLICAS = 8
_PRACTICE: dict = {}  # (practice file, its mtime, author) → Practice: built once, not per letter


def learned_practice(settings: Settings, author: str | None):
    """What the practice has learned (``pipeline/learning``) for this author, or None before
    anything was learned. The author as heard is taken from the roster when it names them."""
    from ..language import identity
    from ..learning.store import PracticeStore, practice_path

    path = practice_path(settings.db)
    if not path.is_file():
        return None
    author = identity.resolve(author, None, None, None, identity.read_authors(settings.authors)).author
    key = (path, path.stat().st_mtime_ns, author)
    if key not in _PRACTICE:
        _PRACTICE.clear()
        with PracticeStore(settings.db) as store:
            _PRACTICE[key] = store.practice(author)
    return _PRACTICE[key]


def default_workers(engine: str) -> int:
    """The faster engine: one recognition per core, one thread each, up to MAX_REPLICAS.
    Measured on 2 cores (bench/asr.py --day): two one-thread replicas do 1.5x the work of one
    two-thread replica, because the decoder's per-token steps hardly use a second thread.
    The reference engine runs one call with every core."""
    cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_REPLICAS)) if engine == "faster" else 1


def job_threads(workers: int, engine: Engine) -> int:
    """Jobs carried at once. A batching engine gets two per recognition, so chunks of more than
    one recording wait in its queue while other jobs are in the language stage or writing."""
    return workers * 2 if getattr(engine, "batch_size", 1) > 1 else workers

