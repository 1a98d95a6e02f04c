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
from ..config import Settings
from ..errors import DictationError
from ..letters import fhir
from ..letters import kinds as letter_kinds
from ..letters.writers import to_json
from ..ocr.pages import is_scan, page_name
from ..ocr.reader import Reader
from ..learning.store import recall
from ..process import complete_info, decode_options, draft_bytes, header, run_stages
from ..records import Analysis, DecodeOptions, Dictated, Transcript
from . import outbox as ob
from .intake import Intake
from .store import Job, Store

log = logging.getLogger("dictation.worker")
TRANSCRIPT_FILE = "transcript.json"
MESSAGE_FILE = "message.json"  # a voicemail's facts (pipeline/phone)
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
        except Exception as err:
            self.fail(job, err)
        return self.store.get(job.id)

    def fail(self, job: Job, err: Exception) -> None:
        """A job that raised: a passing OS error is retried later; anything else goes to
        failed/ with its reason (a DictationError's own, which names the file and the fix)."""
        if isinstance(err, DictationError):
            self.intake.set_aside(job.id, Path(job.work_path).parent, str(err), type(err).__name__)
        elif is_transient(err) and job.attempts + 1 < MAX_ATTEMPTS:
            delay = BACKOFF_SECONDS[min(job.attempts, len(BACKOFF_SECONDS) - 1)]
            self.store.update(job.id, "retry scheduled", detail=f"{type(err).__name__} errno {err.errno}; in {delay:.0f} s",
                              attempts=job.attempts + 1, next_attempt_at=time.time() + delay,
                              lease_owner=None, lease_until=None)
            log.warning("job %s: transient %s, retry in %.0f s", job.id, type(err).__name__, delay)
        else:
            kind = getattr(err, "kind", type(err).__name__)  # a cluster worker's error comes as its type name
            log.error("job %s: %s", job.id, kind)  # no message: it may quote PHI
            why = ("the file could not be read or written after several tries" if is_transient(err)
                   else f"the pipeline failed unexpectedly ({kind})")
            self.intake.set_aside(job.id, Path(job.work_path).parent,
                                  f"{job.original_name}: {why}.\nWhat to do: drop the file again; "
                                  "if it fails again, give this note to IT.", kind)

    def input_of(self, job: Job) -> Path:
        """The job's input: in its work folder, or already in the archive when an interruption
        fell between the move and the job's last mark."""
        work_file = Path(job.work_path)
        moved = self.archive_of(job) / work_file.name
        return moved if not work_file.exists() and moved.exists() else work_file

    def _process(self, job: Job) -> None:
        work_file = self.input_of(job)
        archive = self.archive_of(job)  # created by its first file
        transcript = self.saved_transcript(job)  # transcribed before an interruption
        letter = job.metadata.get("kind") != "voicemail"

        def analysing(heard: Transcript) -> None:
            self.store.update(job.id, "analysing", state="analysing", audio_seconds=round(heard.duration, 2))

        def transcribed(heard: Transcript) -> None:
            ob.write_atomic(archive / TRANSCRIPT_FILE, to_json(heard))
            if letter:
                analysing(heard)

        if transcript is None:
            self.started(job, work_file)
        elif letter:
            analysing(transcript)

        # a voicemail has no author: the register is read only for a letter
        practice = functools.partial(recall, self.settings.db, authors=self.author_names()) if letter else None
        made = run_stages(work_file, job.original_name, transcript,
                          {"id": job.id, "received_at": job.received_at, "metadata": job.metadata},
                          self.engine, self.options, self.settings, self._ocr, practice,
                          on_page=lambda number, image: self.save_page(archive, number, image), on_transcript=transcribed)
        if made.message is not None:  # onto the callback list: no letter
            self.commit_message(job, made.transcript, made.message)
        else:
            self.commit(job, made.transcript, made.dictated, made.analysis)

    # -- the desk's side of a job: what is written, in order (shared with the cluster's dispatcher) --
    def archive_of(self, job: Job) -> Path:
        return ob.archive_path(self.settings.outbox, dt.datetime.fromisoformat(job.received_at).date().isoformat(), job.id)

    def saved_transcript(self, job: Job) -> Transcript | None:
        path = self.archive_of(job) / TRANSCRIPT_FILE
        if not path.is_file():
            return None
        return Transcript.from_dict(json.loads(path.read_text(encoding="utf-8")))

    def started(self, job: Job, work_file: Path) -> None:
        self.store.update(job.id, "reading the scan" if is_scan(work_file) else "transcribing", state="transcribing",
                          attempts=job.attempts + 1)

    def save_page(self, archive: Path, number: int, image) -> None:
        """A scanned page as read, for the review page (the boxes fit this image)."""
        from ..ocr import read as ocr

        ob.write_atomic(archive / page_name(number), ocr.png_bytes(image) if not isinstance(image, bytes) else image)

    def author_names(self) -> tuple[str, ...]:
        from ..language import identity

        return tuple(p.name for p in identity.read_authors(self.settings.authors))

    def commit_message(self, job: Job, transcript: Transcript, message) -> None:
        """A phone message onto the callback list: its transcript and facts in the archive, the
        facts in the job database; the original moves last, as for a letter."""
        from .messages import Messages

        archive = self.archive_of(job)
        if not (archive / TRANSCRIPT_FILE).is_file():
            ob.write_atomic(archive / TRANSCRIPT_FILE, to_json(transcript))
        ob.write_atomic(archive / MESSAGE_FILE, json.dumps(message.to_dict(), ensure_ascii=False) + "\n")
        Messages(self.store).add(job.id, message)
        self._archive_inputs(job, archive)
        self.store.update(job.id, "listed", state="listed", archive_dir=archive, lease_owner=None, lease_until=None,
                          audio_seconds=round(transcript.duration, 2),
                          detail="urgent" if message.urgent else message.reason)
        log.info("job %s: listed (%s%s)", job.id, message.reason, ", urgent" if message.urgent else "")

    def _archive_inputs(self, job: Job, archive: Path) -> None:
        work_file = Path(job.work_path)
        for leftover in sorted(work_file.parent.iterdir()) if work_file.parent.is_dir() else ():
            ob.move(leftover, archive / leftover.name)  # the original and its sidecar
        if work_file.parent.is_dir():
            work_file.parent.rmdir()

    def commit(self, job: Job, transcript: Transcript, dictated: Dictated, analysis: Analysis) -> None:
        """Everything the job leaves, each write a durable mark: the draft's path is reserved
        before the draft is written, so a rerun rewrites the same file; the original moves last."""
        received = dt.datetime.fromisoformat(job.received_at)
        archive = self.archive_of(job)
        if not (archive / TRANSCRIPT_FILE).is_file():  # a cluster's result: its transcript is written first
            ob.write_atomic(archive / TRANSCRIPT_FILE, to_json(transcript))
        info, analysis, template = complete_info(header(transcript, job.id, job.original_name, received, job.metadata),
                                                 self.settings, dictated, analysis, job.metadata.get("letter_type"),
                                                 frozenset(job.metadata))
        draft_path = Path(job.draft_path) if job.draft_path else self.store.reserve_draft_path(
            job.id, ob.draft_path_base(self.settings.outbox, info, f"{received:%H.%M}"))
        ob.write_atomic(draft_path.with_suffix(".analysis.json"), to_json(analysis))
        # the letter's tokens with the analysis, so the review page reads them instead of re-analysing
        ob.write_atomic(archive / ob.LANGUAGE_FILE, json.dumps(
            {"dictated": dictated.to_dict(), "analysis": analysis.to_dict()}, ensure_ascii=False) + "\n")
        draft = draft_bytes(transcript, info, self.settings, dictated, analysis, template)
        ob.write_atomic(draft_path, draft)
        ob.write_atomic(archive / "draft.docx", draft)  # the draft as written, kept whatever the review does to it

        self._archive_inputs(job, archive)
        ob.write_atomic(archive / "document-reference.json", fhir.to_json(fhir.document_reference(
            job_id=job.id, kind=letter_kinds.by_title(info.letter_type), letter=draft_path, final=False,
            patient=info.patient, mrn=info.mrn, author=info.author, dictated_on=info.dictated_on)))
        self.store.update(job.id, "drafted", state="drafted", archive_dir=archive, author=info.author,
                          letter_type=info.letter_type, lease_owner=None, lease_until=None)
        log.info("job %s: drafted (%.1f s of audio)", job.id, transcript.duration)


MAX_REPLICAS = 8


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

