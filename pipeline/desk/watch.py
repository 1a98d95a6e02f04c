"""The running service: intake plus workers, as a hot folder (`watch`) or one pass (`batch`).

watchdog reports new files; a full rescan at start-up and every ``rescan_seconds``
catches what events miss (network shares, slow copies); a polling observer serves
network folders where native events never arrive.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from watchdog.events import FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from ..asr import Engine
from ..config import Settings
from ..process import decode_options, warm_up
from ..records import DecodeOptions
from . import approval
from . import outbox as ob
from .intake import CLOSED_SETTLE_SECONDS, Intake
from .store import Store, now_iso
from .worker import Worker, default_workers, job_threads

log = logging.getLogger("dictation.watch")
STALE_PARTIAL_SECONDS = 3600.0


class _Nudge(FileSystemEventHandler):
    def __init__(self, wake: threading.Event, finished=None):
        self.wake = wake
        self.finished = finished  # told of files closed after writing, or renamed in

    def on_any_event(self, event):
        # Reads are not news, and the rescan's own look at the folder is one: waking on them
        # spun the loop at a full core, which the recognisers then lacked (measured).
        if event.event_type in ("opened", "closed_no_write"):
            return
        if self.finished is not None and not event.is_directory:
            if event.event_type == "closed":
                self.finished(event.src_path)
            elif event.event_type == "moved":
                self.finished(event.dest_path)
        self.wake.set()


@dataclass(frozen=True)
class BatchSummary:
    drafted: int
    failed: int
    waiting: int


class Service:
    def __init__(self, settings: Settings, engine: Engine | None, options: DecodeOptions | None = None,
                 cluster=None, cluster_threads: int = 0):
        """``engine`` runs the jobs here; or ``cluster``, a connected ``distributed.Client``,
        runs their pure stages on its workers (``cluster_threads`` per recognition, 0: each
        worker's cores shared by its task slots) while this process claims and writes."""
        self.settings = settings
        self.engine = engine
        self.cluster = cluster
        self.cluster_threads = cluster_threads
        self.options = options or decode_options(settings)
        self.db_path = settings.db
        self.store = Store(self.db_path)
        ob.ensure_dir(settings.outbox)
        self.intake = Intake(settings.inbox, settings.outbox, self.store, settings.settle_seconds)
        # workers set by hand: that many jobs at a time (1: strictly one after another, STAT first)
        self.n_workers = 1 if cluster else settings.workers or job_threads(default_workers(settings.engine), engine)
        self._stop = threading.Event()
        self._wake = threading.Event()  # new files in the inbox
        self._jobs = threading.Event()  # new jobs in the store
        self.ready = threading.Event()  # set once the watcher observes the inbox

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._jobs.set()

    def _new_worker(self) -> Worker:
        store = Store(self.db_path)  # one SQLite connection per thread
        intake = Intake(self.settings.inbox, self.settings.outbox, store, self.settings.settle_seconds)
        return Worker(self.settings, store, self.engine, intake, self.options)

    def _work_loop(self, until_empty: bool, on_done=None) -> None:
        worker = self._new_worker()
        try:
            while not self._stop.is_set():
                try:
                    job = worker.run_one()
                except Exception as err:  # e.g. the database busy for too long: a worker never dies
                    log.error("worker: %s; carrying on", type(err).__name__)
                    self._stop.wait(1.0)
                    continue
                if job is not None:
                    if on_done:
                        on_done(job)
                    continue
                if until_empty and worker.store.pending() == 0:
                    return
                retry = worker.store.next_retry_in()
                self._jobs.wait(timeout=min(1.0, retry) if retry is not None else 1.0)
                self._jobs.clear()
        finally:
            worker.store.close()

    def _dispatch_loop(self, until_empty: bool, on_done=None) -> None:
        from .dispatch import Dispatcher

        dispatcher = Dispatcher(self.settings, self.cluster, self.options)
        try:
            while not self._stop.is_set():
                try:
                    dispatcher.run(self._stop, until_empty, on_done, wake=self._jobs)
                    return
                except Exception as err:  # e.g. the database busy for too long: the desk never stops shipping
                    log.error("dispatcher: %s; carrying on", type(err).__name__)
                    self._stop.wait(1.0)
        finally:
            dispatcher.close()

    def _start_workers(self, until_empty: bool, on_done=None) -> list[threading.Thread]:
        if self.cluster is not None:  # one thread ships the jobs; the cluster's workers run them
            from .dispatch import load_models

            load_models(self.cluster, self.settings, self.options, self.cluster_threads)  # a model error stops us here
            thread = threading.Thread(target=self._dispatch_loop, args=(until_empty, on_done), daemon=True,
                                      name="dispatcher")
            thread.start()
            return [thread]
        threads = [threading.Thread(target=self._work_loop, args=(until_empty, on_done), daemon=True,
                                    name=f"worker-{i}") for i in range(self.n_workers)]
        for t in threads:
            t.start()
        return threads

    def _clean_stale_partials(self) -> None:
        """Temporary files of writers killed mid-write (never visible as letters: they are dot-files)."""
        cutoff = time.time() - STALE_PARTIAL_SECONDS
        for tmp in self.settings.outbox.rglob(".*.partial"):
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink(missing_ok=True)

    def _poll(self, trust_mtime: bool = False) -> None:
        try:
            if self.intake.poll(trust_mtime):
                self._jobs.set()
        except OSError as err:  # a network share gone away: wait, then look again
            log.warning("cannot read the inbox (%s); retrying", type(err).__name__)

    def _collect_approved(self) -> None:
        """Drafts the secretary moved into outbox/approved/ become final letters."""
        try:
            approval.collect_approved(self.store, self.settings)
        except OSError as err:
            log.warning("cannot read outbox/approved (%s); retrying", type(err).__name__)

    def watch(self, polling: bool = False) -> None:
        """Run until stop(): claim files as they settle, process jobs as they come."""
        if self.cluster is None:  # the language stage's models, loaded now rather than at the first dictation
            warm_up()
        self.intake.recover()
        self._clean_stale_partials()
        observer = (PollingObserver(timeout=self.settings.settle_seconds) if polling else Observer())
        observer.schedule(_Nudge(self._wake, self.intake.finished_writing), str(self.intake.inbox), recursive=False)
        observer.schedule(_Nudge(self._wake, self.intake.finished_writing), str(self.intake.phone), recursive=False)
        # a draft moved into outbox/approved/ is approved at once, not at the next rescan
        observer.schedule(_Nudge(self._wake), str(ob.ensure_dir(self.settings.outbox / "approved")), recursive=False)
        observer.start()
        threads = self._start_workers(until_empty=False)
        log.info("watching the inbox with %d job thread(s)", self.n_workers)
        self.ready.set()
        try:
            last_scan = 0.0
            while not self._stop.is_set():
                self._poll()
                self._collect_approved()
                since = time.monotonic() - last_scan
                wait = self.settings.rescan_seconds - since
                if self.intake.settling:
                    wait = min(wait, self.settings.settle_seconds / 2)
                if self.intake.closing:
                    wait = min(wait, CLOSED_SETTLE_SECONDS / 2)
                self._wake.wait(timeout=max(0.05, wait))
                self._wake.clear()
                if since >= self.settings.rescan_seconds:
                    last_scan = time.monotonic()
        finally:
            self.stop()
            observer.stop()
            observer.join()
            for t in threads:
                t.join()

    def batch(self, progress: bool = True) -> BatchSummary:
        """Claim everything waiting in the inbox, process every job, and return the tally."""
        started = now_iso()
        if self.cluster is None:  # the language stage's models load while the first recordings are recognised
            threading.Thread(target=warm_up, daemon=True, name="warm-up").start()
        self.intake.recover()
        self._clean_stale_partials()
        self._collect_approved()  # drafts moved into outbox/approved/ since the watcher last ran
        self._poll(trust_mtime=True)
        while self.intake.settling and not self._stop.is_set():  # files still being copied
            time.sleep(self.settings.settle_seconds / 4)
            self._poll(trust_mtime=True)
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=self.store.pending(), unit="job", desc="dictations", disable=None)
        lock = threading.Lock()

        def done(job):
            if bar is not None and job.state not in ("received", "transcribing", "analysing"):
                with lock:
                    bar.update(1)

        for t in self._start_workers(until_empty=True, on_done=done):
            t.join()
        if bar is not None:
            bar.close()
        touched = self.store.jobs("updated_at >= ?", (started,))
        return BatchSummary(
            drafted=sum(j.state == "drafted" for j in touched),
            failed=sum(j.state == "failed" for j in touched),
            waiting=self.store.pending(),
        )
