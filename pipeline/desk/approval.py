"""Review states: a drafted letter is approved, or returned to its author with a reason.

Approval takes the draft as the secretary left it (edited in Word, or on the review page),
writes the final letter to ``outbox/approved/<date>/`` without any review mark, writes its
FHIR DocumentReference (docStatus final) beside it, removes the review copy (the draft as
the machine wrote it stays in the job's archive), and logs an audit event. A draft the
secretary moves into ``outbox/approved/`` is approved the same way (``collect_approved``).
Returning moves the draft to ``outbox/returned/<date>/`` with the reason beside it, for the
author to re-dictate or correct.

Audit events name the job, the action and who did it; never the patient or the reason's
text (the reason is kept in the job row, which is the author's business).

It lives with the desk because it moves files and changes job rows, and the watcher calls
it for drafts moved into ``approved/``: the review page calls it too, so review/ imports
the desk and never the other way round.
"""
from __future__ import annotations

import getpass
import io
import json
import logging
from pathlib import Path

import docx

from ..config import Settings
from ..errors import DictationError
from ..letters import fhir
from ..letters import kinds as letter_kinds
from ..letters import marks as docx_marks
from . import outbox as ob
from .store import Job, Store, now_iso
from .tasks import Tasks

log = logging.getLogger(__name__)

REVIEWABLE = ("drafted", "in_review")
_WARNED: set[tuple[Path, float]] = set()


class ReviewError(DictationError):
    pass


def _reviewable(store: Store, job_id: str, edited: Path | None = None) -> Job:
    job = store.get(job_id)
    if job is None:
        raise ReviewError(f"there is no job {job_id}", "check the job id with `dictation status`")
    if job.state not in REVIEWABLE:
        raise ReviewError(f"job {job_id} is {job.state}, not a draft waiting for review",
                          "only a drafted letter can be approved or returned")
    if edited is None and (not job.draft_path or not Path(job.draft_path).is_file()):
        raise ReviewError(f"the draft of job {job_id} is not in the outbox",
                          "put the draft back in outbox/drafts/, or move the edited copy to outbox/approved/")
    return job


def _date_folder(job: Job) -> str:
    return (job.drafted_at or now_iso())[:10]


def approve(store: Store, settings: Settings, job_id: str, actor: str | None = None,
            edited: Path | None = None) -> Path:
    """Approve a draft (or the secretary's edited copy of it); return the final letter's path."""
    job = _reviewable(store, job_id, edited)
    actor = actor or getpass.getuser()
    draft = Path(job.draft_path)
    source = edited or draft
    try:
        final_bytes = docx_marks.finalise(source.read_bytes())
    except Exception as err:  # a file Word left half-saved, or not a .docx
        raise ReviewError(f"the letter cannot be read as a Word document ({type(err).__name__})",
                          "save it again from Word as .docx and approve again", source.name)
    final = ob.unique(ob.ensure_dir(settings.outbox / "approved" / _date_folder(job)) / draft.name)
    ob.write_atomic(final, final_bytes)
    title = docx.Document(io.BytesIO(final_bytes)).core_properties.title or job.letter_type
    facts = patient_facts(draft)
    record = fhir.document_reference(
        job_id=job.id, kind=letter_kinds.by_title(title), letter=final, final=True,
        patient=_patient(source.read_bytes()) or facts.get("name"), mrn=job.metadata.get("mrn") or facts.get("mrn"),
        author=job.author, dictated_on=(job.received_at or now_iso())[:10], approved_by=actor)
    ob.write_atomic(final.with_suffix(".fhir.json"), fhir.to_json(record))
    Tasks(store).settle(job, approved=True, actor=actor)  # the proposals, as edited, go on the worklist
    # The draft as the machine wrote it is in the archive already; the review copies go.
    analysis = draft.with_suffix(".analysis.json")
    if analysis.is_file() and job.archive_dir:
        ob.move(analysis, Path(job.archive_dir) / "analysis.json")
    for copy in (draft, edited):
        if copy is not None and copy.is_file():
            copy.unlink()
    store.update(job.id, "approved", component="review", actor=actor, state="approved",
                 approved_at=now_iso(), final_path=final)
    _learn(job, settings, final_bytes)
    log.info("job %s: approved", job.id)
    return final


def _learn(job: Job, settings: Settings, final_bytes: bytes) -> None:
    """What the secretary changed, for the practice's learning (``pipeline/learning``): the
    machine's draft, kept in the archive, against the approved letter. Learning never stops
    an approval: a failure is logged and the letter stays approved."""
    import sqlite3

    from ..learning.approvals import learn_approval
    from ..learning.letters import docx_text

    machine = Path(job.archive_dir) / "draft.docx" if job.archive_dir else None
    if machine is None or not machine.is_file():
        return
    try:
        learn_approval(settings.db, job.id, job.author, now_iso()[:10],
                       docx_text(docx_marks.finalise(machine.read_bytes())), docx_text(final_bytes))
    except (sqlite3.Error, OSError, ValueError) as err:
        log.warning("job %s: approved, not learned from (%s)", job.id, type(err).__name__)


def return_to_author(store: Store, settings: Settings, job_id: str, reason: str,
                     actor: str | None = None) -> Path:
    """Send a draft back to its author with a reason; return where the draft now is."""
    if not reason.strip():
        raise ReviewError("a returned letter needs a reason", "say what the author should fix, e.g. --reason "
                          "\"the plan is cut off after 'continue'\"")
    job = _reviewable(store, job_id)
    actor = actor or getpass.getuser()
    draft = Path(job.draft_path)
    Tasks(store).settle(job, approved=False, actor=actor)  # the re-dictation proposes its own
    folder = ob.ensure_dir(settings.outbox / "returned" / _date_folder(job))
    moved = ob.move(draft, ob.unique(folder / draft.name))
    ob.write_atomic(moved.with_suffix(".reason.txt"), reason.strip() + "\n")
    store.update(job.id, "returned", component="review", actor=actor, state="returned", review_note=reason.strip(),
                 draft_path=moved)
    log.info("job %s: returned to its author", job.id)
    return moved


def patient_facts(draft: Path) -> dict:
    """The patient facts the language stage found (name, dob, mrn), from the analysis beside the draft."""
    return analysed_patient(draft.with_suffix(".analysis.json"))


def analysed_patient(analysis: Path) -> dict:
    """The patient facts in a saved analysis (beside a draft, or archived on approval)."""
    if not analysis.is_file():
        return {}
    return json.loads(analysis.read_text(encoding="utf-8")).get("facts", {}).get("patient") or {}


def _patient(letter: bytes) -> str | None:
    """The patient as the draft's summary table states it (after the secretary's edits)."""
    doc = docx.Document(io.BytesIO(letter))
    for table in doc.tables:
        for row in table.rows:
            if len(row.cells) >= 2 and row.cells[0].text.strip() == "Patient":
                value = row.cells[1].text.strip()
                return None if value == "not stated" else value
    return None


def collect_approved(store: Store, settings: Settings) -> list[Path]:
    """Approve the drafts the secretary moved into outbox/approved/ (its top level).

    Each is known by the job id in its document properties; a file that is not one of our
    drafts, or whose job is not waiting for review, is left where it is and logged.
    """
    done = []
    folder = settings.outbox / "approved"
    for path in sorted(folder.glob("*.docx")) if folder.is_dir() else ():
        if path.name.startswith(("~$", ".")):
            continue  # Word's lock file, or a file still being written
        try:
            job_id = docx.Document(str(path)).core_properties.identifier
        except Exception:
            log.warning("outbox/approved: a file that is not a Word document was left as it is")
            continue
        try:
            done.append(approve(store, settings, job_id, actor=getpass.getuser(), edited=path))
        except ReviewError as err:
            key = (path, path.stat().st_mtime)
            if key not in _WARNED:  # once per file, not on every look at the folder
                _WARNED.add(key)
                log.warning("outbox/approved: job %s not approved: %s", job_id, err.problem)
    return done


def approve_job(settings: Settings, job_id: str, actor: str | None = None) -> Path:
    """``approve`` on the desk these settings name (``dictation approve``)."""
    with Store(settings.db) as store:
        return approve(store, settings, job_id, actor=actor)


def return_job(settings: Settings, job_id: str, reason: str, actor: str | None = None) -> Path:
    """``return_to_author`` on the desk these settings name (``dictation return``)."""
    with Store(settings.db) as store:
        return return_to_author(store, settings, job_id, reason, actor=actor)
