"""Who the letter is from and about: the preamble's names checked against the practice's registers.

Whisper spells names by ear ("Amy Thornin" for Amy Thornton, "Prairie Ramon" for Priya
Raman): on the dev dictations the heard patient's name is exact about 4 times in 10, the date
of birth 97 times in 100 (bench/preamble.py). So a name is taken from the practice's register
when one is configured (settings ``authors``: one physician a line; ``patients``: a CSV with
name, dob and optional mrn columns), the date of birth narrowing the patients; and whatever
could not be confirmed becomes a check on the secretary's list, never a silent guess.
An author's line may name their own letter templates after a bar
("Dr. Jane Smith | letterheads/smith": a folder, relative to the register's own), used for
their letters before the practice's.
"""
from __future__ import annotations

import csv
import tomllib
from dataclasses import dataclass
from pathlib import Path

import jellyfish
from rapidfuzz import fuzz

from ..errors import ConfigError
from ..files import models_dir, once
from . import lexicons
from .preamble import parse_date


@dataclass(frozen=True)
class Person:
    name: str
    dob: str | None = None  # ISO date
    mrn: str | None = None
    templates: Path | None = None  # an author's own letter templates


@dataclass(frozen=True)
class Identity:
    """The header's names after the registers, and what the secretary should check."""

    author: str | None
    patient: str | None
    dob: str | None
    mrn: str | None
    checks: tuple[str, ...]


@once
def _rules() -> dict:
    return tomllib.loads((models_dir() / "preamble.toml").read_text(encoding="utf-8"))["register"]


def read_authors(path: Path | None) -> tuple[Person, ...]:
    if path is None:
        return ()
    if not path.is_file():
        raise ConfigError("the authors register does not exist", "give a text file, one physician's name a line",
                          str(path))
    people = []
    for line in lexicons.read_list(path):
        name, _, folder = (part.strip() for part in line.partition("|"))
        templates = (path.parent / folder).resolve() if folder else None
        if templates is not None and not templates.is_dir():
            raise ConfigError(f"the templates folder of {name} does not exist ({folder})",
                              "give a folder of .docx templates after the bar, or remove the bar and the folder",
                              str(path))
        people.append(Person(name, templates=templates))
    return tuple(people)


def read_patients(path: Path | None) -> tuple[Person, ...]:
    if path is None:
        return ()
    fix = "give a CSV file whose first line is name,dob (and optionally ,mrn), dates as 1970-03-03"
    try:
        with path.open(newline="", encoding="utf-8-sig") as file:
            rows = list(csv.DictReader(file))
    except FileNotFoundError:
        raise ConfigError("the patients register does not exist", fix, str(path))
    except (UnicodeDecodeError, csv.Error) as err:
        raise ConfigError(f"the patients register cannot be read ({err})", fix, str(path))
    people = []
    for n, row in enumerate(rows, 2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        if not row.get("name"):
            raise ConfigError(f"line {n} of the patients register has no name", fix, str(path))
        dob = parse_date(row["dob"]) if row.get("dob") else None
        if row.get("dob") and dob is None:
            raise ConfigError(f"line {n} of the patients register has a date of birth that is not a date "
                              f"({row['dob']!r})", fix, str(path))
        people.append(Person(row["name"], dob, row.get("mrn") or None))
    return tuple(people)


def likeness(heard: str, name: str) -> float:
    """0-100: how alike two names are in spelling and in sound. A part of the name heard whole
    ("Omar" when the rest was lost to the verb) counts at 0.9 of a full match."""
    a, b = (" ".join(n.lower().replace("-", " ").split()) for n in (heard, name))
    whole = (fuzz.token_sort_ratio(a, b) + fuzz.ratio(jellyfish.metaphone(a), jellyfish.metaphone(b))) / 2
    return max(whole, 0.9 * fuzz.token_set_ratio(a, b))


def nearest(heard: str, people: tuple[Person, ...], floor: float, margin: float) -> Person | None:
    """The one person clearly nearest the heard name, if alike enough."""
    ranked = sorted(((likeness(heard, p.name), p) for p in people), key=lambda x: -x[0])
    if not ranked or ranked[0][0] < floor:
        return None
    rival = next((s for s, p in ranked[1:] if p.name.lower() != ranked[0][1].name.lower()), 0.0)
    return ranked[0][1] if ranked[0][0] - rival >= margin else None


def resolve(author: str | None, patient: str | None, dob: str | None, mrn: str | None,
            authors: tuple[Person, ...] = (), patients: tuple[Person, ...] = ()) -> Identity:
    """The names after the registers, with a check for each field that is not confirmed."""
    rules, checks = _rules(), []
    if author and authors:
        found = nearest(author, authors, rules["author_likeness"], rules["author_margin"])
        if found is None:
            checks.append(f"author heard as “{author}”: not in the authors register, check the name")
        else:  # the register's spelling; the secretary knows the practice's physicians
            author = found.name
    elif author:
        checks.append(f"author’s name spelled as heard (“{author}”): check it")
    is_date = dob is not None and parse_date(dob) == dob
    if dob and not is_date:
        checks.append(f"date of birth heard as “{dob}”: check it against the patient’s record")
    if patient and patients:
        born = [p for p in patients if is_date and p.dob == dob]
        found = nearest(patient, tuple(born), rules["patient_likeness_same_birthday"], rules["patient_margin"]) if born else None
        if found is None:
            found = nearest(patient, patients, rules["patient_likeness_name_only"], rules["patient_margin"])
            if found is not None and is_date and found.dob != dob:
                checks.append(f"patient “{patient}”, born {dob}: the register’s nearest name, {found.name}, "
                              f"was born {found.dob}; check who this letter is about")
                found = None
            elif found is not None and not is_date:
                checks.append(f"patient heard as “{patient}”, taken as “{found.name}” from the patient register "
                              f"without a date of birth to confirm it: check")
        if found is None:
            if not any("check who" in c for c in checks):
                checks.append(f"patient heard as “{patient}”: not found in the patient register, check the name")
        else:  # the register's spelling, its date of birth agreeing (else a check above says so)
            patient, dob, mrn = found.name, found.dob or dob, mrn or found.mrn
    elif patient:
        checks.append(f"patient’s name spelled as heard (“{patient}”): check it against the patient’s record")
    return Identity(author, patient, dob, mrn, tuple(c[0].upper() + c[1:] for c in checks))
