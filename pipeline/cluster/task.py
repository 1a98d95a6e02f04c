"""What a Dask worker runs for one job: bytes in, records out (no file, no database).

The ``EnginePlugin`` loads the recogniser and warms the language stage once per worker
process, before its first task; ``run_job`` is the task. The desk ships a job as a
``JobInput`` and gets a ``JobOutput`` back; it writes every file itself.
"""
from __future__ import annotations

import asyncio
import functools
import logging
import os
from dataclasses import dataclass, field

from distributed import get_worker
from distributed.diagnostics.plugin import WorkerPlugin

from ..config import Settings
from ..errors import DictationError
from ..files import Blob
from ..records import Analysis, DecodeOptions, Dictated, Transcript

log = logging.getLogger("dictation.cluster")
PLUGIN = "dictation-engine"
# The models this worker process loaded, by what they were loaded for: a desk that registers
# the same settings again (a restarted desk, a second batch) finds them ready.
_LOADED: dict[tuple, tuple] = {}


@dataclass(frozen=True)
class JobInput:
    """One job as shipped: its input's bytes, never a path on the desk."""

    job_id: str
    name: str  # the file's name as dropped (its suffix says audio or scan; errors name it)
    data: bytes = field(repr=False)
    received_at: str  # ISO time the desk received it (the letter's date)
    metadata: dict = field(default_factory=dict)  # the sidecar's fields
    transcript: Transcript | None = None  # made before an interruption: not recognised again


@dataclass(frozen=True)
class JobOutput:
    job_id: str
    transcript: Transcript
    dictated: Dictated | None  # None for a voicemail: it has a message instead of a letter
    analysis: Analysis | None
    pages: tuple[tuple[int, bytes], ...] = ()  # a scan's pages as read (PNG), for the review page
    worker: str = ""  # which worker ran it (an address: no patient data)
    message: object | None = None  # a voicemail's phone.message.Message


@dataclass(frozen=True)
class JobFailed:
    """A stage's error, returned rather than raised: Dask would log a raised error's message
    and traceback on the worker, and those may quote a file name (a patient's name)."""

    job_id: str
    error: DictationError | None  # the stage's own message, naming the file and the fix
    kind: str  # the exception's type name, for the desk's log and a failure nobody foresaw


class EnginePlugin(WorkerPlugin):
    """Loads the models once per worker process, with the thread count set explicitly: the
    nanny sets OMP_NUM_THREADS=1, and CTranslate2 would otherwise take every core per task."""

    name = PLUGIN
    idempotent = False  # a desk registering new settings replaces the loaded models

    def __init__(self, settings: Settings, options: DecodeOptions, threads: int = 0):
        self.settings = settings
        self.options = options
        self.threads = threads  # per recognition; 0: this machine's cores shared by the worker's task slots
        self.engine = None
        self.reader = None

    async def setup(self, worker) -> None:
        # Loading takes seconds: off the event loop, so the worker keeps its heartbeats.
        await asyncio.get_running_loop().run_in_executor(None, self._load, worker.state.nthreads)

    def _load(self, slots: int) -> None:
        from ..asr import load_engine
        from ..ocr.reader import Reader
        from ..process import warm_up

        threads = self.threads or max(1, (os.cpu_count() or 1) // slots)
        s = self.settings
        key = (s.engine, s.model, s.compute_type, threads, slots, s.batch_size)
        if key not in _LOADED:
            _LOADED.clear()
            engine = load_engine(s.engine, s.model, s.compute_type, threads, slots,
                                 s.batch_size if s.engine == "faster" else 1)
            _LOADED[key] = (engine, functools.cache(functools.partial(Reader, threads)))  # OCR at the first scan
            warm_up()
        self.engine, self.reader = _LOADED[key]
        log.info("worker ready: %s, %d task slot(s), %d thread(s) each", s.engine, slots, threads)


def run_job(job: JobInput, practice: bytes | None, authors: tuple[str, ...]) -> JobOutput | JobFailed:
    """The pure stages for one job on this worker: decode, recognise (or read the scan),
    the language stage with the audio checks. ``practice``: the practice database's bytes
    (``learning.store.snapshot``), opened in memory."""
    try:
        return _run(job, practice, authors)
    except DictationError as err:
        return JobFailed(job.job_id, err, type(err).__name__)
    except Exception as err:  # MemoryError, a bug: the type name only, never the message
        log.error("job %s: %s", job.job_id, type(err).__name__)
        return JobFailed(job.job_id, None, type(err).__name__)


def _run(job: JobInput, practice: bytes | None, authors: tuple[str, ...]) -> JobOutput:
    from ..learning.store import recall
    from ..ocr.read import png_bytes
    from ..process import run_stages

    worker = get_worker()
    plugin: EnginePlugin = worker.plugins[PLUGIN]
    pages: list[tuple[int, bytes]] = []
    made = run_stages(Blob(job.name, job.data), job.name, job.transcript,
                      {"id": job.job_id, "received_at": job.received_at, "metadata": job.metadata},
                      plugin.engine, plugin.options, plugin.settings, plugin.reader,
                      functools.partial(recall, practice, authors=authors),
                      on_page=lambda number, image: pages.append((number, png_bytes(image))))
    return JobOutput(job.job_id, made.transcript, made.dictated, made.analysis, tuple(pages), worker.address,
                     made.message)
