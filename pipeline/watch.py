"""The hot folder (v1): watch the inbox, process each complete file once, keep going.

watchdog reports new files; a full rescan at start-up and every ``rescan_seconds``
catches what events miss (network shares, slow copies). A file is taken only once its
size and modification time have held still for ``settle_seconds``, and is claimed by an
atomic rename into ``inbox/.work/`` before anything reads it.
"""
from __future__ import annotations

import logging
import os
import queue
import threading
import time
from pathlib import Path

from watchdog.events import FileSystemEventHandler
from watchdog.observers import Observer

from . import outbox as ob
from .asr import Engine
from .audio import AUDIO_SUFFIXES
from .config import Settings
from .errors import DictationError
from .process import new_job_id, process
from .records import DecodeOptions

log = logging.getLogger("dictation.watch")
WORK_DIR = ".work"
TEMP_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", ".download")


def is_candidate(path: Path) -> bool:
    """Hidden, temporary and Office lock files wait until renamed to their real name."""
    name = path.name
    return not (name.startswith((".", "~$")) or name.lower().endswith(TEMP_SUFFIXES))


class _Nudge(FileSystemEventHandler):
    def __init__(self, wake: threading.Event):
        self.wake = wake

    def on_any_event(self, event):
        self.wake.set()


class Watcher:
    def __init__(self, settings: Settings, engine: Engine, options: DecodeOptions | None = None):
        self.settings = settings
        self.engine = engine
        self.options = options or DecodeOptions()
        self.inbox = ob.ensure_dir(settings.inbox)
        self.work = ob.ensure_dir(self.inbox / WORK_DIR)
        ob.ensure_dir(settings.outbox)
        self._seen: dict[Path, tuple[int, int, float]] = {}  # path -> (size, mtime_ns, since)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.processed = 0
        self.failed = 0

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def _stable_files(self) -> list[Path]:
        """Files whose size and mtime have not changed for the settle interval."""
        now = time.monotonic()
        ready: list[tuple[int, Path]] = []
        present = set()
        for entry in os.scandir(self.inbox):
            path = Path(entry.path)
            if not entry.is_file(follow_symlinks=False) or not is_candidate(path):
                continue
            present.add(path)
            st = entry.stat()
            key = (st.st_size, st.st_mtime_ns)
            seen = self._seen.get(path)
            if seen is None or seen[:2] != key:
                self._seen[path] = (*key, now)
            elif now - seen[2] >= self.settings.settle_seconds:
                ready.append((st.st_mtime_ns, path))
        for gone in set(self._seen) - present:
            del self._seen[gone]
        return [path for _, path in sorted(ready)]  # oldest first

    def _handle(self, path: Path) -> None:
        job_id = new_job_id()
        claimed = ob.ensure_dir(self.work / job_id) / path.name
        try:
            os.rename(path, claimed)  # atomic within one file system: one claimant wins
        except FileNotFoundError:
            claimed.parent.rmdir()
            return  # taken by another watcher, or removed
        self._seen.pop(path, None)
        log.info("job %s: claimed", job_id)
        try:
            if path.suffix.lower() not in AUDIO_SUFFIXES:
                raise DictationError(f"this kind of file ({path.suffix or 'no extension'}) is not a dictation",
                                     f"drop audio files ({', '.join(sorted(AUDIO_SUFFIXES))})", file=path.name)
            result = process(claimed, path.name, self.engine, self.settings, self.options, job_id=job_id)
        except DictationError as err:
            self._fail(job_id, claimed, path.name, str(err))
        except Exception as err:  # the watcher outlives any single bad file
            log.error("job %s: unexpected %s", job_id, type(err).__name__)  # no message: it may quote PHI
            self._fail(job_id, claimed, path.name,
                       f"{path.name}: the pipeline failed unexpectedly ({type(err).__name__}).\n"
                       "What to do: drop the file again; if it fails again, give this note to IT.")
        else:
            self.processed += 1
            log.info("job %s: drafted (%.1f s of audio)", job_id, result.transcript.duration)
        finally:
            if claimed.parent.is_dir() and not any(claimed.parent.iterdir()):
                claimed.parent.rmdir()

    def recover(self) -> None:
        """Put back files a crash left claimed but unfinished, so they are processed again."""
        for job in self.work.iterdir():
            for leftover in job.iterdir() if job.is_dir() else ():
                os.replace(leftover, ob.unique(self.inbox / leftover.name))
                log.info("job %s: recovered after an interruption", job.name)
            if job.is_dir():
                job.rmdir()

    def _fail(self, job_id: str, claimed: Path, name: str, message: str) -> None:
        ob.fail(self.settings.outbox, claimed, name, message)
        self.failed += 1
        log.warning("job %s: failed, set aside in failed/", job_id)

    def run(self, until_idle: bool = False) -> None:
        """Process files until stop() (or, with ``until_idle``, until the inbox is empty)."""
        self.recover()
        observer = Observer()
        observer.schedule(_Nudge(self._wake), str(self.inbox), recursive=False)
        observer.start()
        log.info("watching the inbox (settle %.1f s)", self.settings.settle_seconds)
        try:
            last_scan = 0.0
            while not self._stop.is_set():
                try:
                    ready = self._stable_files()
                except OSError as err:  # a network share gone away: wait, then look again
                    log.warning("cannot read the inbox (%s); retrying", type(err).__name__)
                    ready = []
                for path in ready:
                    if self._stop.is_set():
                        break
                    try:
                        self._handle(path)
                    except OSError as err:  # e.g. disk full while setting a file aside
                        log.error("could not finish a file (%s); it is retried at the next start", type(err).__name__)
                if until_idle and not self._seen:
                    break
                # Wake on an event, to re-check settling files, or for the periodic rescan.
                wait = self.settings.rescan_seconds - (time.monotonic() - last_scan)
                if self._seen:
                    wait = min(wait, self.settings.settle_seconds / 2)
                self._wake.wait(timeout=max(0.05, wait))
                self._wake.clear()
                last_scan = time.monotonic()
        finally:
            observer.stop()
            observer.join()
