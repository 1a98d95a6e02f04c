"""The export record of a letter: a FHIR R4 DocumentReference, built and validated with
fhir.resources (its R4B models; DocumentReference is the same in R4 and R4B).

docStatus is ``preliminary`` while the letter is a draft and ``final`` once approved;
status is ``current`` for both. The letter itself is referred to by file name and
carries its size and SHA-1 hash, so a receiving system can check it got the right file.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
from pathlib import Path

from fhir.resources.R4B.documentreference import DocumentReference

from .kinds import LetterKind

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
JOB_SYSTEM = "urn:dictation-pipeline:job"


def document_reference(*, job_id: str, kind: LetterKind, letter: Path, final: bool, patient: str | None,
                       mrn: str | None, author: str | None, dictated_on: str, approved_by: str | None = None,
                       when: dt.datetime | None = None) -> DocumentReference:
    when = when or dt.datetime.now(dt.timezone.utc).astimezone()
    data = letter.read_bytes()
    subject: dict = {"display": patient or "not stated"}
    if mrn:
        subject["identifier"] = {"value": mrn}
    record = {
        "resourceType": "DocumentReference",
        "id": job_id,
        "masterIdentifier": {"system": JOB_SYSTEM, "value": job_id},
        "status": "current",
        "docStatus": "final" if final else "preliminary",
        "type": {"coding": [{"system": "http://loinc.org", "code": kind.loinc[0], "display": kind.loinc[1]}],
                 "text": kind.title},
        "subject": subject,
        "date": when.isoformat(timespec="seconds"),
        "author": [{"display": f"Dr {author}" if author else "not stated"}],
        "description": kind.title,
        "content": [{"attachment": {
            "contentType": DOCX,
            "url": letter.name,
            "size": len(data),
            "hash": base64.b64encode(hashlib.sha1(data).digest()).decode(),
            "title": letter.name,
        }}],
        "context": {"period": {"start": dictated_on}},
    }
    if approved_by:
        record["authenticator"] = {"display": approved_by}
    return DocumentReference.model_validate(record)


def to_json(record: DocumentReference) -> str:
    return record.model_dump_json(indent=1, exclude_none=True) + "\n"
