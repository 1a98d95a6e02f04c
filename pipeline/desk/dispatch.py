"""The desk's side of a cluster: claim jobs, ship each one's bytes to a Dask worker, write
what comes back, in the order a local job writes it (``Worker.commit``).

The desk stays the single writer: only this process claims jobs, marks them and writes
files. Dask runs a task at least once (a worker killed mid-task is replaced and the task
run again elsewhere), so exactly-once is the store's: a job's result is committed only by
the desk that leases it, and a rerun rewrites the same draft path. A job whose task still
fails (``KilledWorker`` after Dask's allowed failures, or an error in a stage) goes to
failed/ with its reason, like any other failure.
"""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import CancelledError

from distributed import as_completed
from distributed.scheduler import KilledWorker

from ..cluster.task import EnginePlugin, JobFailed, JobInput, JobOutput, run_job
from ..config import Settings
from ..errors import DictationError
from ..learning.store import practice_path, snapshot
from ..records import DecodeOptions
from .intake import Intake
from .store import LEASE_SECONDS, Job, Store
from .worker import Worker

log = logging.getLogger("dictation.dispatch")
RENEW_SECONDS = 60.0  # leases of jobs on the cluster are renewed this often: a queue may outlast one
AHEAD = 2  # jobs shipped per task slot, so a worker finishing one finds the next already there


class WorkerDied(DictationError):
    """The workers running a job died every time Dask tried it."""


def load_models(client, settings: Settings, options: DecodeOptions, threads: int = 0) -> None:
    """Every worker loads the models for these settings (and each worker that joins later):
    a worker that cannot (a model missing there) raises its error here, at the desk."""
    client.register_plugin(EnginePlugin(settings, options, threads))


class StageFailed(Exception):
    """A worker's unforeseen error, known at the desk by its type name alone."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


class Dispatcher:
    def __init__(self, settings: Settings, client, options: DecodeOptions):
        self.settings = settings
        self.client = client
        self.store = Store(settings.db)
        self.intake = Intake(settings.inbox, settings.outbox, self.store, settings.settle_seconds)
        self.desk = Worker(settings, self.store, None, self.intake, options)  # writes and failures, as locally
        self._practice: tuple[int, object] | None = None  # (file's mtime, its bytes scattered to every worker)
        self._authors = self.desk.author_names()
        self._in_flight: dict[str, tuple[Job, object]] = {}  # task key → (job, its future)
        self._ac = as_completed()
        self._on_done = None

    def close(self) -> None:
        self.store.close()

    def slots(self) -> int:
        return sum(self.client.nthreads().values())

    def run(self, stop: threading.Event, until_empty: bool, on_done=None, wake: threading.Event | None = None) -> None:
        """Ship and collect until ``stop`` (or, with ``until_empty``, until no job waits)."""
        renewed = time.monotonic()
        self._on_done = on_done
        try:
            while not stop.is_set():
                self._fill()
                for future in self._ac.next_batch(block=False):
                    job, _ = self._in_flight.pop(future.key)
                    self._finish(self.store.get(job.id), future)
                    self._done(job)
                if time.monotonic() - renewed > RENEW_SECONDS:
                    self._renew()
                    renewed = time.monotonic()
                if not self._in_flight and until_empty and self.store.pending() == 0:
                    return
                if wake is not None and not self._ac.has_ready():
                    wake.wait(timeout=0.2)
                    wake.clear()
                elif not self._ac.has_ready():
                    stop.wait(0.2)
        finally:
            self._release()

    def _done(self, job: Job) -> None:
        if self._on_done:
            self._on_done(self.store.get(job.id))

    def _practice_data(self):
        """The practice database, scattered to every worker once and again whenever it changes."""
        path = practice_path(self.settings.db)
        mtime = path.stat().st_mtime_ns if path.is_file() else 0
        if self._practice is None or self._practice[0] != mtime:
            data = snapshot(self.settings.db)
            self._practice = (mtime, self.client.scatter(data, broadcast=True, hash=False) if data else None)
        return self._practice[1]

    def _fill(self) -> None:
        room = self.slots() * AHEAD - len(self._in_flight)
        while room > 0:
            job = self.store.take_next()
            if job is None:
                return
            if any(j.id == job.id for j, _ in self._in_flight.values()):  # our own lease ran out: it is on its way
                self._renew()
                return
            try:
                item = self._prepare(job)
            except Exception as err:  # the input unreadable at the desk: failed/ or retried, as locally
                self.desk.fail(job, err)
                self._done(job)
                continue
            try:
                self._submit(job, item)
            except Exception:  # the cluster, not the job: it goes back to the queue, the loop waits
                self.store.update(job.id, lease_owner=None, lease_until=None)
                raise
            room -= 1

    def _prepare(self, job: Job) -> JobInput:
        transcript = self.desk.saved_transcript(job)
        source = self.desk.input_of(job)
        if transcript is None:
            self.desk.started(job, source)
        return JobInput(job.id, job.original_name, source.read_bytes(), job.received_at, dict(job.metadata),
                        transcript)

    def _submit(self, job: Job, item: JobInput) -> None:
        attempt = self.store.get(job.id).attempts + (0 if item.transcript is None else 1)
        self.store.update(job.id, attempts=attempt)
        key = f"dictation-{job.id}-{attempt}"  # one key per job and attempt: a rerun is never a cached result
        future = self.client.submit(run_job, item, self._practice_data(), self._authors, key=key, pure=False)
        self._in_flight[future.key] = (job, future)
        self._ac.add(future)

    def _finish(self, job: Job, future) -> None:
        try:
            output: JobOutput | JobFailed = future.result()
        except KilledWorker as err:
            log.error("job %s: its workers died (%s)", job.id, type(err).__name__)
            self.desk.fail(job, WorkerDied(
                "the cluster's workers died each time they worked on it (out of memory, or stopped)",
                "drop the file again; if it fails again, give this note to IT with the time it failed",
                file=job.original_name))
            return
        except CancelledError:  # the scheduler went away: the job goes back to the queue
            log.warning("job %s: the cluster dropped it; it will be shipped again", job.id)
            self.store.update(job.id, lease_owner=None, lease_until=None)
            return
        except Exception as err:
            self.desk.fail(job, err)
            return
        if isinstance(output, JobFailed):
            self.desk.fail(job, output.error or StageFailed(output.kind))
            return
        try:
            archive = self.desk.archive_of(job)
            for number, png in output.pages:
                self.desk.save_page(archive, number, png)
            self.store.log(job.id, "ran on the cluster", "dispatch", detail=output.worker)  # which machine, for IT
            if output.message is not None:
                self.desk.commit_message(job, output.transcript, output.message)
            else:
                self.desk.commit(job, output.transcript, output.dictated, output.analysis)
        except Exception as err:
            self.desk.fail(job, err)

    def _renew(self) -> None:
        until = time.time() + LEASE_SECONDS
        for job, _ in self._in_flight.values():
            self.store.update(job.id, lease_until=until)

    def _release(self) -> None:
        """Stopped with jobs on the cluster: cancel them and hand their leases back."""
        for job, future in self._in_flight.values():
            future.cancel()
            self.store.update(job.id, lease_owner=None, lease_until=None)
        self._in_flight.clear()
