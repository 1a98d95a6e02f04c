"""Which letter a dictation is, and so which template it gets (rules in models/letters.toml).

The sidecar's letter_type wins, then the type the preamble states ("dictating a discharge
summary"), then the language stage: a plain "letter" is a consultation reply if it thanks
the referrer, a referral if it asks a colleague to see the patient, a patient letter if it
is addressed to the patient, and otherwise a letter to the family doctor.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..errors import TemplateError
from ..files import models_dir, once


@dataclass(frozen=True)
class LetterKind:
    key: str
    template: str
    title: str
    loinc: tuple[str, str]  # LOINC document type code and display, for the FHIR record


@once
def _rules() -> dict:
    return tomllib.loads((models_dir() / "letters.toml").read_text(encoding="utf-8"))


def kinds() -> dict[str, LetterKind]:
    return {key: LetterKind(key, k["template"], k["title"], tuple(k["loinc"])) for key, k in _rules()["kinds"].items()}


def _by_name(name: str | None) -> str | None:
    wanted = (name or "").strip().lower()
    for key, kind in _rules()["kinds"].items():
        if wanted == key or wanted in kind["names"] or wanted == kind["title"].lower():
            return key
    return None


def _surname(name: str | None) -> str:
    return (name or "").split()[-1].lower() if name and name.split() else ""


def choose(stated: list[str | None], body: str, recipient: str | None, patient: str | None) -> LetterKind:
    """The letter kind from the types stated (sidecar first, then preamble) and the letter itself."""
    rules = _rules()["letter"]
    for name in stated:
        if name and name.strip().lower() not in rules["names"]:
            key = _by_name(name)
            if key:
                return kinds()[key]
    lowered = body.lower()
    for key in ("consultation_reply", "referral"):
        if any(re.search(pattern, lowered) for pattern in rules.get(key, [])):
            return kinds()[key]
    # "Dear Mr Smith" to a patient called John Smith: the letter goes to the patient
    if recipient and patient and _surname(recipient) == _surname(patient) and not re.match(r"(?i)dr\.?\b|doctor", recipient):
        return kinds()["patient_letter"]
    return kinds()[rules["default"]]


def by_title(title: str | None) -> LetterKind:
    """The kind whose title a letter carries (the family-doctor letter if none matches)."""
    return kinds()[_by_name(title) or _rules()["letter"]["default"]]


def template_path(kind: LetterKind, folder: Path | None) -> Path:
    """The kind's template in the practice's folder, else the packaged one."""
    from importlib import resources

    packaged = Path(str(resources.files("pipeline.letters") / "templates"))
    for base in (folder, packaged):
        if base is not None and (base / kind.template).is_file():
            return base / kind.template
    raise TemplateError(f"there is no template {kind.template} for a {kind.title.lower()}",
                        f"put {kind.template} in the templates folder, or remove the 'templates' setting",
                        str(folder or packaged))
