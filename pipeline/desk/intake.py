"""Intake: find complete files in the inbox, claim each exactly once, register a job.

A file is complete once its size and modification time have held still for the settle
interval, or, where the system reports it (Linux: inotify), once its writer has closed it
or it was renamed into the inbox and it then holds still a moment. It is claimed by an
atomic rename into ``inbox/.work/<job id>/`` (one claimant wins, however many watchers
share the folder), hashed, and registered in the store; the same recording dropped twice
becomes one job. Hidden and temporary names wait until renamed. A sidecar
(``<name>.json``/``.yaml``) travels with its recording.
"""
from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from ..asr.audio import AUDIO_SUFFIXES
from ..errors import DictationError
from ..files import sha256_of
from ..ocr.pages import SCAN_SUFFIXES
from ..process import new_job_id
from . import metadata
from . import outbox as ob
from .store import ACTIVE, Store, owner_alive, worker_id

log = logging.getLogger("dictation.intake")
WORK_DIR = ".work"
PHONE_DIR = "phone"  # voicemails: inbox/phone/ (or any file whose sidecar says kind: voicemail)
VOICEMAIL_MARK = ".voicemail"  # in a work folder: its file came from inbox/phone/
TEMP_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", ".download")
# A work folder with no job row is one whose claimant died between the rename and the
# insert (milliseconds); a live claimant is never this slow.
ORPHAN_GRACE_SECONDS = 30.0  # a claim whose claimant cannot be checked is left this long
CLAIM_MARK = ".claimed-by"  # host:pid of the process that claimed a work folder
# A file its writer closed, or renamed into the inbox, is complete once unchanged this long:
# the close is the copy's end, so a dictation is not held the whole settle interval. The
# moment guards a writer that closes and opens again; Windows and network shares report no
# closes and keep the settle interval.
CLOSED_SETTLE_SECONDS = 0.5


def is_candidate(path: Path) -> bool:
    """Hidden, temporary and Office lock files wait until renamed; sidecars travel with audio."""
    name = path.name
    if name.startswith((".", "~$")) or name.lower().endswith(TEMP_SUFFIXES):
        return False
    return path.suffix.lower() not in metadata.SIDECAR_SUFFIXES


class Intake:
    def __init__(self, inbox: Path, outbox: Path, store: Store, settle_seconds: float = 2.0):
        self.inbox = ob.ensure_dir(inbox)
        self.work = ob.ensure_dir(inbox / WORK_DIR)
        self.phone = ob.ensure_dir(inbox / PHONE_DIR)
        self.outbox = outbox
        self.store = store
        self.settle = settle_seconds
        self._seen: dict[Path, tuple[int, int, float]] = {}  # path -> (size, mtime_ns, unchanged since)
        self._closed: dict[Path, tuple[int, int, float]] = {}  # path -> (size, mtime_ns, closed at)

    @property
    def settling(self) -> int:
        return len(self._seen)

    @property
    def closing(self) -> bool:
        """Files closed by their writers and not yet taken: look again within a moment."""
        return bool(self._closed)

    def finished_writing(self, path: str | Path) -> None:
        """The watcher saw ``path`` closed by its writer, or renamed into the inbox."""
        path = Path(path)
        if path.parent not in (self.inbox, self.phone) or not is_candidate(path):  # a hidden file would be watched for ever
            return
        try:
            st = path.stat()
        except OSError:
            return
        self._closed[path] = (st.st_size, st.st_mtime_ns, time.monotonic())

    def stable_files(self, trust_mtime: bool = False) -> list[Path]:
        """Files unchanged for the settle interval, oldest first. ``trust_mtime`` (batch runs)
        also accepts a file whose modification time is already older than the interval."""
        now, wall = time.monotonic(), time.time()
        ready: list[tuple[int, Path]] = []
        present = set()
        for entry in [*os.scandir(self.inbox), *os.scandir(self.phone)]:
            path = Path(entry.path)
            if not entry.is_file(follow_symlinks=False) or not is_candidate(path):
                continue
            present.add(path)
            st = entry.stat()
            key = (st.st_size, st.st_mtime_ns)
            seen = self._seen.get(path)
            closed = self._closed.get(path)
            if closed is not None and closed[:2] != key:  # written again since: the close was not the end
                self._closed.pop(path, None)
                closed = None
            if trust_mtime and wall - st.st_mtime >= self.settle:
                ready.append((st.st_mtime_ns, path))
            elif closed is not None and now - closed[2] >= CLOSED_SETTLE_SECONDS:
                ready.append((st.st_mtime_ns, path))
            elif seen is None or seen[:2] != key:
                self._seen[path] = (*key, now)
            elif now - seen[2] >= self.settle:
                ready.append((st.st_mtime_ns, path))
        for gone in set(self._seen) - present:
            del self._seen[gone]
        for gone in set(self._closed) - present:
            self._closed.pop(gone, None)
        return [path for _, path in sorted(ready)]

    def claim(self, path: Path) -> str | None:
        """Move ``path`` (and its sidecar) into the work area and register it; return the job id."""
        job_id = new_job_id()
        work_dir = ob.ensure_dir(self.work / job_id)
        # Who claims it, written before the file moves in: if this process dies before the job
        # row exists, the next run sees a dead claimant and takes the folder over at once.
        (work_dir / CLAIM_MARK).write_text(worker_id())
        if path.parent == self.phone:
            (work_dir / VOICEMAIL_MARK).touch()
        try:
            os.rename(path, work_dir / path.name)  # atomic: exactly one claimant succeeds
        except FileNotFoundError:
            (work_dir / CLAIM_MARK).unlink()
            (work_dir / VOICEMAIL_MARK).unlink(missing_ok=True)
            work_dir.rmdir()
            return None
        self._seen.pop(path, None)
        self._closed.pop(path, None)
        sidecar = metadata.find_sidecar(path)
        if sidecar is not None:
            try:
                os.rename(sidecar, work_dir / sidecar.name)
            except FileNotFoundError:
                pass
        return self.register(work_dir)

    @staticmethod
    def _contents(work_dir: Path) -> tuple[list[Path], list[Path]]:
        """(inputs, sidecars) in a claimed folder; dot-files are our own temporaries."""
        files = sorted(p for p in work_dir.iterdir() if not p.name.startswith(".")) if work_dir.is_dir() else []
        sidecars = [p for p in files if p.suffix.lower() in metadata.SIDECAR_SUFFIXES]
        return [p for p in files if p not in sidecars], sidecars

    def register(self, work_dir: Path) -> str | None:
        """Create the job for a claimed folder: a duplicate or a bad file is set aside with its reason."""
        (work_dir / CLAIM_MARK).unlink(missing_ok=True)
        # the mark goes once the job (whose metadata keeps it) is in the store, not before: a
        # crash in between must not register a voicemail as a dictation
        voicemail = (work_dir / VOICEMAIL_MARK).exists()
        inputs, sidecars = self._contents(work_dir)
        if not inputs:  # only a sidecar: its recording never came
            for p in sidecars:
                ob.fail(self.outbox, p, p.name, f"{p.name}: metadata without a recording.\n"
                        "What to do: drop the recording with the same name beside it.")
            (work_dir / VOICEMAIL_MARK).unlink(missing_ok=True)
            work_dir.rmdir()
            return None
        audio = inputs[0]
        job_id = work_dir.name
        meta, problem = {}, None
        try:
            if audio.suffix.lower() not in AUDIO_SUFFIXES | SCAN_SUFFIXES:
                raise DictationError(f"this kind of file ({audio.suffix or 'no extension'}) is not a dictation "
                                     "or a scanned note",
                                     f"drop audio files ({', '.join(sorted(AUDIO_SUFFIXES))}) or scans "
                                     f"({', '.join(sorted(SCAN_SUFFIXES))})", file=audio.name)
            if sidecars:
                meta = metadata.load(sidecars[0])
            if voicemail:
                meta.setdefault("kind", "voicemail")
        except DictationError as err:
            problem = err
        existing = self.store.add_job(job_id, sha256_of(audio), audio.name, audio, meta,
                                      priority=metadata.priority_of(meta), due_at=meta.get("due"))
        (work_dir / VOICEMAIL_MARK).unlink(missing_ok=True)
        if existing is not None:
            return self._duplicate(existing, work_dir, audio, sidecars)
        log.info("job %s: received", job_id)
        if problem is not None:
            self.set_aside(job_id, work_dir, str(problem), type(problem).__name__)
            return None
        return job_id

    def _duplicate(self, existing, work_dir: Path, audio: Path, sidecars: list[Path]) -> str | None:
        if existing.state == "failed" and not (self.work / existing.id).exists():
            # The same recording again after a failure: give the job another go.
            os.rename(work_dir, self.work / existing.id)
            self.store.update(existing.id, "resubmitted", "intake", state="received", attempts=0, error=None,
                              next_attempt_at=0, work_path=self.work / existing.id / audio.name,
                              lease_owner=None, lease_until=None)
            return existing.id
        reason = (f"{audio.name}: this recording was already received (job {existing.id}, "
                  f"{existing.received_at[:16].replace('T', ' ')}, now {existing.state}).\n"
                  "What to do: nothing; the first copy is being handled. Delete this one.")
        ob.fail(self.outbox, audio, audio.name, reason)
        for p in sidecars:
            ob.move(p, self.outbox / "failed" / p.name)
        work_dir.rmdir()
        log.info("job %s: duplicate drop set aside", existing.id)
        return None

    def set_aside(self, job_id: str, work_dir: Path, message: str, kind: str) -> None:
        """Move every file of a job to failed/ with the reason beside the first; mark it failed."""
        inputs, sidecars = self._contents(work_dir)
        for p in inputs[:1]:
            ob.fail(self.outbox, p, p.name, message)  # the reason goes beside the recording
        for p in inputs[1:] + sidecars:
            ob.move(p, self.outbox / "failed" / p.name)
        self.store.update(job_id, "failed", "intake", detail=kind, state="failed", error=message,
                          lease_owner=None, lease_until=None)
        if work_dir.is_dir():
            work_dir.rmdir()
        log.warning("job %s: failed (%s), set aside in failed/", job_id, kind)

    def recover(self) -> None:
        """Register work folders a crash left between the claim and the job row."""
        for work_dir in sorted(self.work.iterdir()):
            if not work_dir.is_dir():
                continue
            job = self.store.get(work_dir.name)  # a work folder is named after its job
            if job is not None:
                # Active jobs resume through the queue; finish what a crash cut short for the rest.
                if job.state == "failed" and any(work_dir.iterdir()):
                    self.set_aside(job.id, work_dir, job.error or "the job failed", "recovered")
                elif job.state not in ACTIVE and not any(work_dir.iterdir()):
                    work_dir.rmdir()
                continue
            mark = work_dir / CLAIM_MARK
            claimant = mark.read_text().strip() if mark.is_file() else None
            dead = claimant is not None and not owner_alive(claimant)
            if not dead and time.time() - work_dir.stat().st_mtime < ORPHAN_GRACE_SECONDS:
                continue  # another watcher may be registering it right now
            if any(work_dir.iterdir()):
                log.info("job %s: recovered an interrupted claim", work_dir.name)
                self.register(work_dir)
            else:
                work_dir.rmdir()

    def poll(self, trust_mtime: bool = False) -> int:
        """Claim every stable file now; return how many jobs were created."""
        created = 0
        for path in self.stable_files(trust_mtime):
            if self.claim(path):
                created += 1
        return created
